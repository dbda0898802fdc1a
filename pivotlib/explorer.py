"""Interactive event-study explorer (``notebooks/00-explore.ipynb``), built on ipywidgets.

Pick a catalog event (or a symbol + date), the normal-return model, the estimation and event
windows and the dataset; the verdict, the price chart, the AR and CAR charts (with the 95% band)
and the test table update in place, and a text box shows the ``pivot report 02-event-study -p
...`` command that reproduces the view as a scheduled report. That box only ever holds a command
``pivot report`` accepts: after a bad input it keeps the last valid one, greyed, and the status
line names the invalid input.

Three layers, only the last needs a front end:

* :class:`State` -> :meth:`State.parameters` (the parameters of notebook 02) ->
  :func:`command_line` / :func:`parse_command_line` (round trip through the ``pivot`` CLI
  parser and :func:`pivotlib.studies.params.check_overrides`);
* :func:`study`: the computation, with exactly the library calls notebook 02 makes
  (:func:`pivotlib.studies.event.study_event` and the :mod:`pivotlib.presentation.views` of
  the event); loaded returns and prices are cached per dataset so a widget change only re-runs
  the engine;
* :class:`Explorer`: the widgets, wired to :func:`study`; each chart sits in an
  ``ipywidgets.Output`` whose ``outputs`` are replaced (no flicker, works headless).
"""

from __future__ import annotations

import datetime as _dt
import json
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pivotlib.defaults import (
    ESTIMATION_WINDOW,
    EVENT_FACTORS,
    EVENT_MODEL,
    EVENT_WINDOW,
    EXTRA_WINDOWS,
    MARKET,
)
from pivotlib.errors import InputError, PivotError

__all__ = ["NOTEBOOK", "State", "Study", "Explorer", "cli_value", "command_line",
           "parse_command_line", "study", "explore"]

NOTEBOOK = "02-event-study"
"""The notebook whose parameters the explorer sets (and whose report its command line runs)."""

TIMINGS = ("pre-market", "intraday", "after-close", "unknown")


# ---------------------------------------------------------------------------------------------
# state -> parameters -> command line
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    """What the widgets show. ``source`` is ``"event"`` (catalog ``event_id``) or ``"adhoc"``
    (``symbol`` + ``date`` + ``timing``)."""

    dataset: str = "demo"
    source: str = "event"
    event_id: str = ""
    symbol: str = ""
    date: str = ""
    timing: str = "unknown"
    model: str = EVENT_MODEL
    market: str = MARKET
    factors: tuple[str, ...] = EVENT_FACTORS
    estimation: tuple[int, int] = ESTIMATION_WINDOW
    window: tuple[int, int] = EVENT_WINDOW
    windows: tuple[tuple[int, int], ...] = EXTRA_WINDOWS

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> State:
        """State from notebook-02 parameters (validated or raw)."""
        adhoc = not p.get("event_id") and bool(p.get("symbol")) and bool(p.get("date"))
        return cls(dataset=str(p.get("dataset") or "demo"),
                   source="adhoc" if adhoc else "event",
                   event_id=str(p.get("event_id") or ""), symbol=str(p.get("symbol") or ""),
                   date=str(p.get("date") or ""), timing=str(p.get("timing") or "unknown"),
                   model=str(p.get("model") or EVENT_MODEL),
                   market=str(p.get("market") or MARKET),
                   factors=tuple(p.get("factors") or ()),
                   estimation=tuple(int(x) for x in p.get("estimation") or ESTIMATION_WINDOW),
                   window=tuple(int(x) for x in p.get("window") or EVENT_WINDOW),
                   windows=tuple(tuple(int(x) for x in w) for w in p.get("windows") or
                                 cls.windows))

    def parameters(self) -> dict[str, Any]:
        """Every parameter of notebook 02 (lists, as in its parameters cell). ``robustness``
        is the notebook's default (True): a scheduled report carries the specification curve;
        the explorer's own re-runs skip it (:func:`run_study_state`)."""
        event = self.source == "event"
        return {
            "dataset": self.dataset,
            "event_id": self.event_id if event else "",
            "symbol": "" if event else self.symbol,
            "date": "" if event else self.date,
            "timing": "unknown" if event else self.timing,
            "model": self.model, "market": self.market, "factors": list(self.factors),
            "estimation": list(self.estimation), "window": list(self.window),
            "windows": [list(w) for w in self.windows],
            "robustness": True,
        }

    def validated(self):
        """:func:`pivotlib.params.validate` of :meth:`parameters` (raises InputError)."""
        from pivotlib.studies import params

        return params.validate(NOTEBOOK, **self.parameters())

    def overrides(self) -> dict[str, Any]:
        """The ``-p`` pairs of a scheduled run. Everything the explorer sets is spelled out (a
        scheduled report must not change when someone edits the notebook's defaults); the
        regressors only when the model uses them; ``windows`` (not a widget) only when it is
        not the notebook's default."""
        p = self.parameters()
        out: dict[str, Any] = {"dataset": p["dataset"]}
        if self.source == "event":
            out["event_id"] = p["event_id"]
        else:
            out.update(symbol=p["symbol"], date=p["date"], timing=p["timing"])
        out["model"] = p["model"]
        if self.model == "factors":
            out["factors"] = p["factors"]
        elif self.model in ("market", "market_adjusted"):
            out["market"] = p["market"]
        out["estimation"] = p["estimation"]
        out["window"] = p["window"]
        if self.windows != State.windows:
            out["windows"] = p["windows"]
        return out

    def command_line(self) -> str:
        """``pivot report 02-event-study -p key value ...`` for this state."""
        return command_line(self.overrides())


def cli_value(value: Any) -> str:
    """The text of one ``-p`` value that :func:`pivotlib.params.parse_cli_value` reads back as
    ``value``: lists as JSON (``[-1, 1]``), strings bare unless YAML would read them as
    something else (then JSON-quoted)."""
    from pivotlib.studies.params import parse_cli_value

    if isinstance(value, str):
        try:
            if value and parse_cli_value(value) == value:
                return value
        except InputError:
            pass
        return json.dumps(value)
    return json.dumps(value, default=list)


def command_line(overrides: Mapping[str, Any], notebook: str = NOTEBOOK) -> str:
    """A shell-quoted ``pivot report`` command line with one ``-p`` per override."""
    parts = ["pivot", "report", notebook]
    for k, v in overrides.items():
        parts += ["-p", k, cli_value(v)]
    return " ".join(shlex.quote(x) for x in parts)


def parse_command_line(cmd: str) -> tuple[str, dict[str, Any]]:
    """Parse a ``pivot report`` line with the ``pivot`` CLI parser: (notebook, overrides)."""
    from pivotlib.cli import build_parser
    from pivotlib.cli.reports import _param_pairs

    argv = shlex.split(cmd)
    if argv and argv[0].endswith("pivot"):
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    if args.command != "report":
        raise InputError(f"not a `pivot report` command line: {cmd!r}")
    return args.notebook, _param_pairs(args.parameters)


# ---------------------------------------------------------------------------------------------
# the computation (notebook 02's library calls)
# ---------------------------------------------------------------------------------------------

@dataclass
class Study:
    """One event study as notebook 02 shows it: the :class:`~pivotlib.studies.event.
    EventReport` and the views built from it."""

    p: Any
    report: Any
    verdict: Any
    banner: Any
    charts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def event(self) -> Any:
        """The event as a one-row frame."""
        import pandas as pd

        return pd.DataFrame([self.report.event])

    @property
    def event_id(self) -> str:
        return str(self.report.event["event_id"])

    @property
    def res(self) -> Any:
        """The engine's result."""
        return self.report.result

    @property
    def test(self) -> tuple[str, float, float]:
        """(headline test, statistic, p-value)."""
        return self.report.test_name, self.report.test_stat, self.report.p_value

    @property
    def synthetic(self) -> bool:
        return self.report.synthetic


class _Cache:
    """Loaded returns and prices per dataset (the explorer re-runs only the engine)."""

    def __init__(self) -> None:
        self.returns: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.prices: dict[tuple[str, str], Any] = {}

    def load_returns(self, dataset: str, symbols: Sequence[str]):
        from pivotlib.data.loading import load_returns

        key = (dataset, tuple(symbols))
        if key not in self.returns:
            self.returns[key] = load_returns(list(symbols), dataset=dataset)
        return self.returns[key]

    def load_prices(self, dataset: str, symbol: str):
        from pivotlib.data.loading import load_prices

        key = (dataset, symbol)
        if key not in self.prices:
            self.prices[key] = load_prices([symbol], dataset=dataset)[symbol]
        return self.prices[key]


def study(p: Mapping[str, Any], *, catalog: Any = None, cache: _Cache | None = None) -> Study:
    """Run notebook 02's computation for validated parameters ``p`` (no widgets).

    :func:`pivotlib.studies.event.study_event` and the :mod:`pivotlib.presentation.views` of
    notebook 02; with a ``cache`` the returns and prices come from memory after the first call
    for a dataset, so a widget change only re-runs the engine.
    """
    from pivotlib.events.catalog import load_catalog
    from pivotlib.presentation import charts, narrative, views
    from pivotlib.studies.common import ModelSpec
    from pivotlib.studies.event import study_event

    t0 = time.perf_counter()
    catalog = load_catalog() if catalog is None else catalog
    returns = prices = None
    if cache is not None:
        sym = p.get("symbol") or ""
        if p.get("event_id"):
            row = catalog[catalog["event_id"] == p["event_id"]]
            sym = str(row["symbol"].iloc[0]) if len(row) else ""
        if sym:
            spec = ModelSpec.of(model=p.get("model"), market=p.get("market"),
                                factors=p.get("factors"))
            returns = cache.load_returns(p["dataset"],
                                         list(dict.fromkeys([sym] + spec.regressors())))
            prices = cache.load_prices(p["dataset"], sym)
    rep = study_event(**{k: v for k, v in p.items() if k not in ("windows", "robustness")},
                      windows=(), robustness=False,
                      catalog=catalog, returns=returns, prices=prices)
    figs = {"price": views.event_price(rep), "ar": views.event_ar_bars(rep),
            "car": views.event_car_path(rep),
            "tests": charts.table(rep.tests, caption="Tests of the CAR over the event window")}
    return Study(p=p, report=rep, verdict=views.event_verdict(rep),
                 banner=narrative.synthetic_banner(rep.returns, rep.dataset), charts=figs,
                 seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# widgets
# ---------------------------------------------------------------------------------------------

def _bundle(obj: Any) -> dict[str, Any]:
    """A display_data output (nbformat dict) for a Chart, Table or Prose."""
    if hasattr(obj, "_repr_mimebundle_"):
        data = obj._repr_mimebundle_()
    else:
        data = {"text/html": obj._repr_html_(), "text/plain": repr(obj)}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _event_label(r: Any) -> str:
    head = str(r["headline"])
    return f'{r["event_id"]} | {head[:70] + ("..." if len(head) > 70 else "")}'


class Explorer:
    """The widget panel. ``Explorer(p)`` with notebook-02 parameters (or none for defaults).

    Attributes: ``state`` (:class:`State`), ``study`` (last good :class:`Study`), ``controls``
    (the input widgets by parameter name), ``outputs`` (``Output`` widgets: banner, verdict,
    price, ar, car, tests), ``command`` (``Textarea`` with the ``pivot report`` line), ``status``,
    ``widget`` (the whole panel, shown by the notebook).
    """

    def __init__(self, p: Mapping[str, Any] | None = None, *, catalog: Any = None) -> None:
        import ipywidgets as w

        from pivotlib.events.catalog import company_events, load_catalog
        from pivotlib.studies import params
        from pivotlib.studies.event import resolve_event

        self.catalog = load_catalog() if catalog is None else catalog
        self._cache = _Cache()
        p = dict(p or {})
        state = State.from_params(p) if p else State()
        if state.source == "event" and not state.event_id:
            # the notebook's default (latest large AI deal in the data), spelled out
            ev, _ = resolve_event(self.catalog, dataset=state.dataset)
            state = replace(state, event_id=str(ev["event_id"].iloc[0]))
        self.state = state
        self.study: Study | None = None
        self.valid_state: State | None = None
        self.error: str = ""
        self._busy = False

        company = company_events(self.catalog).sort_values(["event_date", "event_id"],
                                                                   ascending=[False, True])
        ev_opts = [(_event_label(r), str(r["event_id"])) for _, r in company.iterrows()]
        full = w.Layout(width="98%")
        c = {
            "source": w.ToggleButtons(options=[("catalog event", "event"),
                                               ("symbol + date", "adhoc")],
                                      value=state.source, description="pick"),
            "event_id": w.Dropdown(options=ev_opts, value=state.event_id or None,
                                   description="event", layout=full),
            "symbol": w.Dropdown(options=params.known_symbols(),
                                 value=state.symbol or None, description="symbol"),
            "date": w.DatePicker(value=_dt.date.fromisoformat(state.date) if state.date
                                 else None, description="announced"),
            "timing": w.Dropdown(options=list(TIMINGS), value=state.timing,
                                 description="timing"),
            "model": w.Dropdown(options=list(params._available_models()), value=state.model,
                                description="model"),
            "estimation": w.IntRangeSlider(value=list(state.estimation), min=-750, max=-2,
                                           step=1, description="estimation",
                                           continuous_update=False,
                                           layout=w.Layout(width="60%")),
            "window": w.IntRangeSlider(value=list(state.window), min=-20, max=20, step=1,
                                       description="event window", continuous_update=False,
                                       layout=w.Layout(width="60%")),
            "dataset": w.Combobox(options=["demo", "store"], value=state.dataset,
                                  description="dataset", ensure_option=False),
        }
        for k in ("estimation", "window", "dataset", "model", "timing", "symbol", "date"):
            c[k].style = {"description_width": "initial"}
        self.controls = c
        self.status = w.HTML()
        self.command = w.Textarea(value="", description="scheduled run",
                                  layout=w.Layout(width="98%", height="4em"),
                                  style={"description_width": "initial"})
        self.outputs = {k: w.Output(layout=w.Layout(width="100%"))
                        for k in ("banner", "verdict", "price", "ar", "car", "tests")}
        self._adhoc_box = w.HBox([c["symbol"], c["date"], c["timing"]])
        # plotly's responsive mode sizes a chart to its container, and an Output widget's
        # container has no height of its own: give the explorer's charts the figure height
        from pivotlib.presentation.charts import HEIGHT

        self._css = w.HTML(f"<style>.pivot-explorer .jp-RenderedPlotly {{height: {HEIGHT}px; "
                           "min-height: " f"{HEIGHT}px}} .pivot-explorer-stale textarea "
                           "{color: #999; background: #f3f3f3}</style>")
        self.widget = w.VBox([
            self._css, self.outputs["banner"], w.HBox([c["source"], c["dataset"]]), c["event_id"], self._adhoc_box,
            w.HBox([c["model"]]), c["estimation"], c["window"], self.status, self.command,
            self.outputs["verdict"], self.outputs["price"], self.outputs["ar"],
            self.outputs["car"], self.outputs["tests"]],
            layout=w.Layout(width="100%"))
        self.widget.add_class("pivot-explorer")
        for ctl in c.values():
            ctl.observe(self._changed, names="value")
        self._show_source()
        self.refresh()

    # -- state from widgets ------------------------------------------------------------------
    def _read(self) -> State:
        c = self.controls
        d = c["date"].value
        return replace(self.state, source=c["source"].value,
                       event_id=c["event_id"].value or "", symbol=c["symbol"].value or "",
                       date=d.isoformat() if isinstance(d, _dt.date) else "",
                       timing=c["timing"].value, model=c["model"].value,
                       estimation=tuple(int(x) for x in c["estimation"].value),
                       window=tuple(int(x) for x in c["window"].value),
                       dataset=(c["dataset"].value or "").strip() or "demo")

    def _show_source(self) -> None:
        adhoc = self.controls["source"].value == "adhoc"
        self._adhoc_box.layout.display = "flex" if adhoc else "none"
        self.controls["event_id"].layout.display = "none" if adhoc else "flex"

    def _changed(self, change: Any) -> None:
        if self._busy:
            return
        if change.get("owner") is self.controls["source"]:
            self._show_source()
            if change["new"] == "adhoc" and self.study is not None:
                self._prefill_adhoc()
        self.set_state(self._read())

    def _prefill_adhoc(self) -> None:
        """Switching to symbol + date starts from the current event's symbol, date and timing."""
        ev = self.study.event.iloc[0]
        self._busy = True
        try:
            self.controls["symbol"].value = str(ev["symbol"])
            self.controls["date"].value = _dt.date.fromisoformat(str(ev["announced"])[:10])
            self.controls["timing"].value = str(ev["timing"]) if str(ev["timing"]) in TIMINGS \
                else "unknown"
        finally:
            self._busy = False

    # -- updates -----------------------------------------------------------------------------
    def set_state(self, state: State) -> None:
        """Show ``state`` (also used by tests and scripts without a front end)."""
        self.state = state
        self.refresh()

    def refresh(self) -> None:
        """Recompute for the current state and replace the outputs in place.

        The command box only ever holds a command ``pivot report`` accepts: it changes when the
        new choice validates *and* studies; after a bad input it keeps the last valid command,
        greyed and read-only (or stays empty if there was none), and the status line names the
        inputs that differ from that choice with the reason."""
        from pivotlib.presentation.markup import escape

        try:
            p = self.state.validated()
            s = study(p, catalog=self.catalog, cache=self._cache)
        except (PivotError, ValueError, KeyError) as exc:
            self.error = str(exc)
            bad = self.invalid_inputs()
            which = ", ".join(f"{k} {v}" for k, v in bad.items()) or "this choice"
            self.status.value = (
                "<div class='pivot-explorer-error' style='color:#b00020'>"
                f"<b>Invalid input: {escape(which)}.</b> {escape(self.error)}<br>"
                "<span style='color:#555'>The charts and the scheduled-run command "
                + ("show the last valid choice (greyed)." if self.valid_state is not None
                   else "stay empty until a valid choice.") + "</span></div>")
            self._show_command(valid=False)
            return
        self.error = ""
        self.study = s
        self.valid_state = self.state
        self._show_command(valid=True)
        self.outputs["banner"].outputs = (_bundle(s.banner),)
        self.outputs["verdict"].outputs = (_bundle(s.verdict),)
        for k in ("price", "ar", "car", "tests"):
            self.outputs[k].outputs = (_bundle(s.charts[k]),)
        name, _, pv = s.test
        self.status.value = (f"<span class='pivot-explorer-status'>{escape(s.event_id)}: "
                             f"CAR {s.res.events.iloc[0]['car'] * 100:+.1f}%, {escape(name)} "
                             f"p = {pv:.3f}; updated in {s.seconds:.2f} s</span>")

    def _show_command(self, *, valid: bool) -> None:
        """The last valid command (greyed and disabled after a bad input), or nothing."""
        good = self.valid_state
        self.command.value = good.command_line() if good is not None else ""
        self.command.disabled = not valid
        if valid:
            self.command.remove_class("pivot-explorer-stale")
        else:
            self.command.add_class("pivot-explorer-stale")

    def invalid_inputs(self) -> dict[str, str]:
        """The inputs that differ from the last valid choice (``name -> value as shown``); all
        of the current choice's inputs when there was no valid one."""
        cur = self.state.overrides()
        if self.valid_state is None:
            return {k: cli_value(v) for k, v in cur.items()}
        old = self.valid_state.overrides()
        names = {"window": "event window", "estimation": "estimation window",
                 "event_id": "event", "date": "announced"}
        return {names.get(k, k): cli_value(v) for k, v in cur.items() if old.get(k) != v}

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explore(p: Mapping[str, Any] | None = None, *, catalog: Any = None) -> Explorer:
    """The notebook's one call: an :class:`Explorer` (displayed when it is a cell's result)."""
    return Explorer(p, catalog=catalog)
