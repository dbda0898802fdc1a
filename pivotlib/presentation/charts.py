"""Plotly figure builders for the notebooks and HTML briefings.

Every builder returns a :class:`Chart`, a thin wrapper around a ``plotly.graph_objects.Figure``
(``chart.figure``) whose rich display works in JupyterLab (plotly MIME type) *and* in the
offline HTML export (a ``<div>`` plus ``Plotly.newPlot`` call that expects plotly.js to be
loaded once per page by :func:`pivotlib.runner.export.export_html`). The ``div`` id is a hash of the
figure, so the same inputs give byte-identical HTML.

Every figure made from SYNTHETIC data says so: its title starts with ``SYNTHETIC DATA -`` and a
red ``SYNTHETIC`` annotation sits in the top-right corner. Builders read ``attrs["synthetic"]``
from the input frame, or take ``synthetic=`` explicitly.

plotly is imported inside the builders so ``import pivotlib.presentation.charts`` stays cheap.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.defaults import BITCOIN
from pivotlib.presentation.tables import Table, table  # the table style lives in .tables

__all__ = [
    "Chart",
    "Table",
    "table",
    "is_synthetic",
    "event_day_axis",
    "label_synthetic",
    "normalised_prices",
    "price_with_event",
    "ar_bars",
    "car_path",
    "caar_path",
    "car_forest",
    "rolling_betas",
    "correlation_heatmap",
    "beta_arrows",
    "bar",
]

SYNTHETIC_TAG = "SYNTHETIC DATA"
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39"]
BTC_COLOR = "#f7931a"
HEIGHT = 420
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""The plotly.js config of every chart, in JupyterLab (plotly MIME bundle), the HTML export and
the explorer: no plotly logo in the mode bar, resize with the page."""


# ---------------------------------------------------------------------------------------------
# display wrappers
# ---------------------------------------------------------------------------------------------

class Chart:
    """A plotly figure with deterministic, offline-friendly rich display.

    The builders of this package make the figure as the plain dict plotly would serialise it
    (``{"data": [...], "layout": {...}}``, the house template included), so a chart shown
    once costs one JSON dump: no plotly object is built or validated. :attr:`figure` builds the
    ``plotly.graph_objects.Figure`` from that dict on first use; from then on the figure is
    what is shown (an analyst may change it). A chart may also wrap a ``Figure`` directly.

    Attributes
    ----------
    figure : plotly.graph_objects.Figure
    synthetic : bool
        Whether the figure was made from SYNTHETIC data (then it is labelled).
    """

    def __init__(self, figure: Any, synthetic: bool = False) -> None:
        self._spec: dict[str, Any] | None = figure if isinstance(figure, dict) else None
        self._figure: Any = None if isinstance(figure, dict) else figure
        self.synthetic = bool(synthetic)

    @property
    def figure(self) -> Any:
        """The ``plotly.graph_objects.Figure`` (built from the chart's dict on first use)."""
        if self._figure is None:
            import plotly.graph_objects as go

            self._figure = go.Figure(json.loads(figure_json(self.to_dict())[0]))
            self._spec = None  # the figure is the truth from now on
        return self._figure

    @figure.setter
    def figure(self, fig: Any) -> None:
        self._figure, self._spec = fig, None

    @property
    def title(self) -> str:
        """The figure title text ("" when none)."""
        if self._spec is not None:
            t = (self._spec.get("layout", {}).get("title") or {}).get("text")
        else:
            t = self.figure.layout.title.text
        return str(t) if t else ""

    def to_dict(self) -> dict[str, Any]:
        """The serialised figure (``data``, ``layout``) as plotly.js gets it (trace uids
        dropped, as ``Figure.to_json`` does). Do not change it: it may be the chart's own."""
        return self._spec if self._spec is not None else _serialised(self._figure)

    @staticmethod
    def _id(text: str) -> str:
        return "fig-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def div_id(self) -> str:
        """Deterministic div id: a hash of the figure JSON (sorted keys: the same whether the
        figure is a builder's dict or a ``Figure``)."""
        return self._id(figure_json(self.to_dict())[0])

    def to_html(self) -> str:
        """The ``<div>`` + ``<script>`` snippet (plotly.js NOT included)."""
        fig = self.to_dict()
        parts = figure_json(fig)
        return plotly_div(fig, parts, div_id=self._id(parts[0]))

    @staticmethod
    def _mime(text: str) -> dict[str, Any]:
        fig = json.loads(text)
        fig["config"] = dict(PLOTLY_CONFIG)
        return fig

    def mime_json(self) -> dict[str, Any]:
        """The ``application/vnd.plotly.v1+json`` payload: data, layout and :data:`PLOTLY_CONFIG`
        (JupyterLab's plotly renderer reads ``config`` from it)."""
        return self._mime(figure_json(self.to_dict())[0])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        fig = self.to_dict()
        parts = figure_json(fig)  # serialised once: div id, HTML and MIME payload
        return {
            "application/vnd.plotly.v1+json": self._mime(parts[0]),
            "text/html": plotly_div(fig, parts, div_id=self._id(parts[0])),
            "text/plain": f"<Chart: {self.title}>",
        }

    def __repr__(self) -> str:
        return f"<Chart: {self.title}>"


def _dumps(obj: Any) -> str:
    """Compact JSON with sorted keys, as plotly writes it (NaN and infinities as ``null``;
    numpy, pandas and dates through plotly's encoder, imported only then: the builders' dicts
    hold plain Python values, and importing the encoder costs a fresh kernel ~0.05 s)."""
    try:
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    except TypeError:
        text = "NaN"
    if "NaN" in text or "Infinity" in text:  # maybe a number plotly.js cannot read
        from plotly.utils import PlotlyJSONEncoder

        text = json.dumps(obj, cls=PlotlyJSONEncoder, sort_keys=True, separators=(",", ":"))
    return text


_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))
"""What plotly escapes in the JSON it puts into a ``<script>`` (``plotly.io.to_html``)."""


def _safe(text: str) -> str:
    for ch, esc in _UNSAFE:
        if ch in text:
            text = text.replace(ch, esc)
    return text


def figure_json(fig: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """The JSON of a figure dict, written once: ``(whole, data, layout)``, the whole being
    ``{"data":<data>,"layout":<layout>}`` (sorted keys); ``data`` and ``layout`` are None for a
    figure with other keys (frames), whose whole text is :func:`_dumps`'s."""
    if set(fig) <= {"data", "layout"}:
        jdata, jlayout = _dumps(fig.get("data", [])), _dumps(fig.get("layout", {}))
        return f'{{"data":{jdata},"layout":{jlayout}}}', jdata, jlayout
    return _dumps(fig), None, None


def plotly_div(fig: Mapping[str, Any], parts: tuple[str, str | None, str | None], *,
               div_id: str) -> str:
    """``plotly.io.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
    default_width="100%", config=PLOTLY_CONFIG)``, the same bytes (tested), from the JSON
    :func:`figure_json` already wrote (not serialised again, and plotly's JSON machinery is not
    imported: ~0.08 s of a fresh kernel's first chart)."""
    text, jdata, jlayout = parts
    layout = fig.get("layout", {})
    if jdata is None or jlayout is None:  # frames or anything else: plotly's own writer
        import plotly.io as pio

        return pio.to_html(json.loads(text), validate=False, include_plotlyjs=False,
                           full_html=False, div_id=div_id, default_width="100%",
                           default_height=f"{int(layout.get('height') or HEIGHT)}px",
                           config=dict(PLOTLY_CONFIG))
    height = layout.get("height", (layout.get("template") or {}).get("layout", {}).get(
        "height", f"{HEIGHT}px"))
    if isinstance(height, int | float) and not isinstance(height, bool):
        height = f"{height}px"
    config = json.dumps(dict(PLOTLY_CONFIG))
    script = (f'                if (document.getElementById("{div_id}")) {{'
              f"                    Plotly.newPlot("
              f'                        "{div_id}",'
              f"                        {_safe(jdata)},"
              f"                        {_safe(jlayout)},"
              f"                        {config}"
              f"                    )"
              f"                }}")
    return (f'<div style="height:{height}; width:100%;">'
            f"                "
            f'            <div id="{div_id}" class="plotly-graph-div" '
            f'style="height:100%; width:100%;"></div>'
            f"            <script>"
            f"                window.PLOTLYENV=window.PLOTLYENV || {{}};"
            f"                {script};"
            f"            </script>"
            f"        </div>")


# ---------------------------------------------------------------------------------------------
# synthetic labelling
# ---------------------------------------------------------------------------------------------

def is_synthetic(*objs: Any) -> bool:
    """True if any of the given frames/results says it is SYNTHETIC (``attrs`` or attribute)."""
    for o in objs:
        if o is None:
            continue
        attrs = getattr(o, "attrs", None)
        if isinstance(attrs, Mapping) and attrs.get("synthetic"):
            return True
        if getattr(o, "synthetic", False) is True:
            return True
        meta = getattr(o, "meta", None)
        if isinstance(meta, Mapping) and meta.get("synthetic"):
            return True
    return False


SYNTHETIC_NOTE: dict[str, Any] = {
    "bgcolor": "#b00020", "borderpad": 3, "font": {"color": "white", "size": 12},
    "showarrow": False, "text": "SYNTHETIC", "x": 1.0, "xanchor": "right", "xref": "paper",
    "y": 1.0, "yanchor": "bottom", "yref": "paper"}
"""The red corner annotation of a SYNTHETIC figure (as plotly serialises it)."""


def label_synthetic(fig: Any, synthetic: bool) -> Any:
    """Prefix the title with ``SYNTHETIC DATA -`` and add a red corner annotation.

    ``fig`` is a ``plotly.graph_objects.Figure`` or a serialised figure dict (changed in place
    and returned)."""
    if not synthetic:
        return fig
    if isinstance(fig, dict):
        lay = fig.setdefault("layout", {})
        title = (lay.get("title") or {}).get("text") or ""
        if not title.startswith(SYNTHETIC_TAG):
            lay["title"] = {**(lay.get("title") or {}),
                            "text": f"{SYNTHETIC_TAG} - {title}" if title else SYNTHETIC_TAG}
        lay["annotations"] = [*lay.get("annotations", []), copy.deepcopy(SYNTHETIC_NOTE)]
        return fig
    title = fig.layout.title.text or ""
    if not title.startswith(SYNTHETIC_TAG):
        fig.update_layout(title={"text": f"{SYNTHETIC_TAG} - {title}" if title else SYNTHETIC_TAG})
    fig.add_annotation(**SYNTHETIC_NOTE)
    return fig


HOUSE_TRACES = ("bar", "heatmap", "histogram", "scatter")
"""The trace types the suite draws (a test checks the presentation code uses no other)."""


@functools.lru_cache(maxsize=1)
def _house_template_text() -> str:
    """:func:`house_template` as JSON text (parsed afresh for every figure: no figure shares
    its template with another, and nothing is validated again)."""
    import pkgutil

    try:
        raw = json.loads(pkgutil.get_data("plotly", "package_data/templates/plotly_white.json")
                         or b"")
    except (OSError, ValueError, TypeError):
        import plotly.io as pio
        from plotly.io.json import to_json_plotly

        return to_json_plotly(pio.templates["plotly_white"].to_plotly_json())
    raw["data"] = {k: v for k, v in (raw.get("data") or {}).items() if k in HOUSE_TRACES}
    return json.dumps(raw)


def house_template_dict() -> dict[str, Any]:
    """A fresh copy of the house template (:func:`house_template`) as a serialised figure
    carries it in ``layout.template`` (a test checks it equals the validated template)."""
    return json.loads(_house_template_text())


@functools.lru_cache(maxsize=1)
def house_template() -> Any:
    """plotly's ``plotly_white`` template, with the trace defaults of :data:`HOUSE_TRACES` only.

    The named template carries defaults for every plotly trace type (about 50); validating it
    imports their ~260 modules, 0.15 s of every fresh kernel's first chart, and every figure
    embeds it. The same layout and the same defaults for the traces drawn here look the same
    and cost a fraction. Falls back to the named template if plotly's file moves. The
    builders put :func:`house_template_dict` into their figure dicts (no validation at all);
    this object is for figures an analyst builds (``template=charts.house_template()``).
    """
    import plotly.graph_objects as go

    return go.layout.Template(house_template_dict())


def _merge(dst: dict[str, Any], src: Mapping[str, Any]) -> dict[str, Any]:
    """``dst`` updated with ``src`` the way ``Figure.update_layout`` does: nested dicts merge,
    anything else replaces."""
    for k, v in src.items():
        if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v) if isinstance(v, dict | list) else v
    return dst


def _serialised(fig: Any) -> dict[str, Any]:
    """A ``Figure`` as plotly.js gets it (``Figure.to_json``'s dict: trace uids dropped)."""
    d = fig.to_dict()
    for trace in d.get("data", []):
        trace.pop("uid", None)
    return d


def _finish(fig: Any, synthetic: bool, height: int = HEIGHT, left: int = 60, top: int = 70,
            legend: Mapping[str, Any] | None = None) -> Chart:
    """The house style (template, height, margins, legend below) and the SYNTHETIC label.

    ``fig`` is a figure dict as plotly serialises it (``{"data": [...], "layout": {...}}``,
    what the builders here make: shown without building a plotly object) or a ``Figure``
    (serialised once here). ``legend`` changes the default legend (below the plot)."""
    spec = fig if isinstance(fig, dict) else _serialised(fig)
    spec.setdefault("data", [])
    lay = spec.setdefault("layout", {})
    lay["template"] = house_template_dict()
    _merge(lay, {"height": height, "margin": {"l": left, "r": 30, "t": top, "b": 50},
                 "legend": {"orientation": "h", "yanchor": "bottom", "y": -0.3, "x": 0,
                            **(legend or {})}})
    label_synthetic(spec, synthetic)
    return Chart(spec, synthetic)


def _figure(data: list[dict[str, Any]], **layout: Any) -> dict[str, Any]:
    """A figure dict: traces (each with its ``type``) and layout, as plotly serialises them."""
    return {"data": data, "layout": layout}


def _t(text: Any) -> dict[str, Any]:
    """A title as plotly serialises it."""
    return {"text": text}


def _axis(ax: Mapping[str, Any]) -> dict[str, Any]:
    """An axis dict with its ``title`` string as plotly serialises it (``{"text": ...}``)."""
    out = dict(ax)
    if isinstance(out.get("title"), str):
        out["title"] = _t(out["title"])
    return out


def _hline(y: Any, line: Mapping[str, Any]) -> dict[str, Any]:
    """``Figure.add_hline(y, line=line)``'s shape (one plot, no subplots)."""
    return {"line": dict(line), "type": "line", "x0": 0, "x1": 1, "xref": "x domain",
            "y0": y, "y1": y, "yref": "y"}


def _vline(x: Any, line: Mapping[str, Any]) -> dict[str, Any]:
    """``Figure.add_vline(x, line=line)``'s shape (one plot, no subplots)."""
    return {"line": dict(line), "type": "line", "x0": x, "x1": x, "xref": "x",
            "y0": 0, "y1": 1, "yref": "y domain"}


def _syn(synthetic: bool | None, *objs: Any) -> bool:
    return bool(synthetic) if synthetic is not None else is_synthetic(*objs)


def _dates(idx: Any) -> list[str]:
    return list(pd.DatetimeIndex(idx).strftime("%Y-%m-%d"))


def event_day_axis(days: Sequence[Any], title: str = "event day") -> dict[str, Any]:
    """A plotly x axis of whole event days: ticks on integers only (a step of 1, 2, 5, 10, 20,
    ... chosen for about 5-20 ticks from ``tick0 = 0``), never at half days."""
    vals = [int(d) for d in days] or [0]
    span = max(vals) - min(vals)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9)
                if span / s <= 20)
    return {"title": title, "tickmode": "linear", "tick0": 0, "dtick": step,
            "tickformat": "d"}


def _vals(s: Any) -> list[float | None]:
    return [None if (v is None or not np.isfinite(v)) else float(v)
            for v in np.asarray(s, dtype=float)]


# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------

def normalised_prices(prices: pd.DataFrame, overlay: str | None = BITCOIN, *,
                      title: str = "Prices rebased to 100 at each symbol's first close",
                      synthetic: bool | None = None, log: bool = True) -> Chart:
    """Line chart of each column rebased to 100 at its first valid close, BTC highlighted.

    Parameters
    ----------
    prices : DataFrame
        Wide closes (index = sessions).
    overlay : str, optional
        Column drawn as a thick orange line on top (bitcoin by default).
    log : bool
        Log y axis (rebased prices of miners span orders of magnitude).
    """
    data = []
    cols = [c for c in prices.columns if c != overlay] + (
        [overlay] if overlay in prices.columns else [])
    for i, c in enumerate(cols):
        s = prices[c].dropna()
        if s.empty:
            continue
        reb = s / s.iloc[0] * 100.0
        is_ov = c == overlay
        data.append({"line": {"color": BTC_COLOR if is_ov else COLORS[i % len(COLORS)],
                              "width": 3.5 if is_ov else 1.4},
                     "mode": "lines", "name": str(c), "type": "scatter",
                     "x": _dates(reb.index), "y": _vals(reb)})
    fig = _figure(data, title=_t(title), yaxis={"title": _t("rebased (first = 100)"),
                                                 "type": "log" if log else "linear"})
    return _finish(fig, _syn(synthetic, prices), height=480)


AROUND_BEFORE = 365
AROUND_AFTER = 183
"""Calendar days the event price chart opens on, before and after the event."""


def price_with_event(prices: pd.Series, event_date: Any, *, window: Sequence[int] | None = None,
                     label: str = "event", title: str | None = None,
                     synthetic: bool | None = None) -> Chart:
    """Close price of one symbol with the event day marked (and the event window shaded)."""
    s = prices.dropna()
    ev = pd.Timestamp(event_date)
    evs = ev.strftime("%Y-%m-%d")
    shapes: list[dict[str, Any]] = [{"line": {"color": "#d62728", "dash": "dash"},
                                     "type": "line", "x0": evs, "x1": evs, "y0": 0, "y1": 1,
                                     "yref": "paper"}]
    if window is not None and len(s):
        pos = s.index.searchsorted(ev)
        lo = s.index[max(0, min(len(s) - 1, pos + int(window[0])))]
        hi = s.index[max(0, min(len(s) - 1, pos + int(window[1])))]
        shapes.append({"fillcolor": "#d62728", "line": {"width": 0}, "opacity": 0.12,
                       "type": "rect", "x0": lo.strftime("%Y-%m-%d"),
                       "x1": hi.strftime("%Y-%m-%d"), "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain"})
    # open on the year before and the half year after the event (zoom out for the rest), with
    # the price axis fitted to what is shown
    lo_d, hi_d = ev - pd.Timedelta(days=AROUND_BEFORE), ev + pd.Timedelta(days=AROUND_AFTER)
    shown = s[(s.index >= lo_d) & (s.index <= hi_d)]
    xaxis: dict[str, Any] = {}
    yaxis: dict[str, Any] = {"title": _t("close")}
    if len(shown) > 1:
        xaxis["range"] = [max(lo_d, s.index[0]).strftime("%Y-%m-%d"),
                          min(hi_d, s.index[-1]).strftime("%Y-%m-%d")]
        pad = 0.05 * float(shown.max() - shown.min() or abs(shown.max()) or 1.0)
        yaxis["range"] = [float(shown.min()) - pad, float(shown.max()) + pad]
    fig = _figure(
        [{"line": {"color": COLORS[0]}, "mode": "lines", "name": str(prices.name),
          "type": "scatter", "x": _dates(s.index), "y": _vals(s)}],
        annotations=[{"bgcolor": "rgba(255,255,255,0.8)", "font": {"color": "#d62728"},
                      "showarrow": False, "text": label, "x": evs, "xanchor": "right",
                      "y": 0.98, "yanchor": "top", "yref": "paper"}],
        shapes=shapes, showlegend=False,
        title=_t(title or f"{prices.name} close with the event marked"), yaxis=yaxis)
    if xaxis:
        fig["layout"]["xaxis"] = xaxis
    return _finish(fig, _syn(synthetic, prices))


def ar_bars(ar: pd.Series, *, title: str = "Abnormal returns by event day",
            synthetic: bool | None = None, window: Sequence[int] | None = None) -> Chart:
    """Bars of abnormal returns indexed by event day (relative day on the x axis)."""
    x = [int(v) for v in ar.index]
    colors = ["#d62728" if (window is not None and window[0] <= d <= window[1]) else "#7f7f7f"
              for d in x]
    fig = _figure([{"marker": {"color": colors}, "name": "AR", "type": "bar", "x": x,
                    "y": _vals(ar * 100.0)}],
                  showlegend=False, title=_t(title), xaxis=_axis(event_day_axis(x)),
                  yaxis={"title": _t("abnormal return (%)")})
    return _finish(fig, _syn(synthetic, ar))


def car_path(car: pd.Series, lower: pd.Series | None = None, upper: pd.Series | None = None, *,
             title: str = "Cumulative abnormal return with 95% band",
             synthetic: bool | None = None, name: str = "CAR") -> Chart:
    """CAR (or CAAR) path by event day with an optional confidence band (fractions -> %)."""
    x = [int(v) for v in car.index]
    data = []
    if lower is not None and upper is not None:
        data.append({"fill": "toself", "fillcolor": "rgba(31,119,180,0.18)",
                     "hoverinfo": "skip", "line": {"width": 0}, "mode": "lines",
                     "name": "95% band", "type": "scatter", "x": x + x[::-1],
                     "y": _vals(upper * 100.0) + _vals(lower * 100.0)[::-1]})
    data.append({"line": {"color": COLORS[0], "width": 2.5}, "mode": "lines+markers",
                 "name": name, "type": "scatter", "x": x, "y": _vals(car * 100.0)})
    fig = _figure(data, shapes=[_hline(0, {"color": "#444", "width": 1}),
                                _vline(0, {"color": "#d62728", "dash": "dot", "width": 1})],
                  title=_t(title), xaxis=_axis(event_day_axis(x)),
                  yaxis={"title": _t(f"{name} (%)")})
    return _finish(fig, _syn(synthetic, car))


def caar_path(caar: pd.Series, lower: pd.Series | None = None, upper: pd.Series | None = None,
              *, title: str = "Average cumulative abnormal return (CAAR) with 95% band",
              synthetic: bool | None = None) -> Chart:
    """CAAR path across events (same drawing as :func:`car_path`)."""
    return car_path(caar, lower, upper, title=title, synthetic=synthetic, name="CAAR")


def car_forest(frame: pd.DataFrame, *, label: str = "event_id", car: str = "car",
               lower: str = "lower", upper: str = "upper",
               title: str = "CAR by event with 95% intervals",
               synthetic: bool | None = None) -> Chart:
    """Forest plot: one row per event, CAR point with its interval (fractions -> %)."""
    df = frame.sort_values(car)
    y = [str(v) for v in df[label]]
    c = df[car].to_numpy(dtype=float) * 100.0
    err_hi = df[upper].to_numpy(dtype=float) * 100.0 - c if upper in df else None
    err_lo = c - df[lower].to_numpy(dtype=float) * 100.0 if lower in df else None
    trace: dict[str, Any] = {"marker": {"color": COLORS[0], "size": 9}, "mode": "markers",
                             "name": "CAR", "type": "scatter", "x": _vals(c), "y": y}
    if err_hi is not None:
        trace["error_x"] = {"array": _vals(err_hi), "arrayminus": _vals(err_lo),
                            "symmetric": False, "type": "data"}
    fig = _figure([trace], shapes=[_vline(0, {"color": "#444", "width": 1})], showlegend=False,
                  title=_t(title), xaxis={"title": _t("CAR (%)")}, yaxis={"automargin": True})
    return _finish(fig, _syn(synthetic, frame), height=max(HEIGHT, 28 * len(df) + 140))


def rolling_betas(exposures: pd.DataFrame, *, columns: Sequence[str] | None = None,
                  events: pd.DataFrame | None = None, title: str = "Rolling betas",
                  synthetic: bool | None = None, names: Mapping[str, str] | None = None
                  ) -> Chart:
    """Rolling beta lines (columns ``beta_<factor>``) with event dates marked."""
    cols = list(columns or [c for c in exposures.columns if str(c).startswith("beta_")])
    data = []
    shapes = []
    for i, c in enumerate(cols):
        s = exposures[c].dropna()
        color = BTC_COLOR if "BTC" in str(c) else COLORS[i % len(COLORS)]
        data.append({"line": {"color": color, "width": 2}, "mode": "lines",
                     "name": (names or {}).get(c, str(c).replace("beta_", "beta ")),
                     "type": "scatter", "x": _dates(s.index), "y": _vals(s)})
    if events is not None and len(events):
        days = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in events["event_date"]]
        shapes = [{"line": {"color": "#888", "dash": "dot", "width": 1}, "type": "line",
                   "x0": d, "x1": d, "y0": 0, "y1": 1, "yref": "paper"} for d in days]
        data.append({"hoverinfo": "skip", "marker": {"color": "#888"}, "mode": "markers",
                     "name": "AI events (dotted)", "type": "scatter", "x": days,
                     "y": [None] * len(events)})
    fig = _figure(data, shapes=[*shapes, _hline(0, {"color": "#444", "width": 1})],
                  title=_t(title), yaxis={"title": _t("beta")})
    return _finish(fig, _syn(synthetic, exposures))


def correlation_heatmap(frame: pd.DataFrame, *, title: str = "Correlation by quarter",
                        synthetic: bool | None = None, zmin: float = -1.0,
                        zmax: float = 1.0) -> Chart:
    """Heatmap of a (rows x columns) table of correlations, annotated with values."""
    import plotly.graph_objects as go

    z = frame.to_numpy(dtype=float)
    text = [["" if not np.isfinite(v) else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=[[None if not np.isfinite(v) else float(v) for v in row] for row in z],
        x=[str(c) for c in frame.columns], y=[str(i) for i in frame.index], zmin=zmin,
        zmax=zmax, colorscale="RdBu", reversescale=True, text=text, texttemplate="%{text}",
        colorbar={"title": "corr"}))
    fig.update_layout(title={"text": title}, yaxis={"automargin": True})
    return _finish(fig, _syn(synthetic, frame), height=max(HEIGHT, 26 * len(frame) + 160))


def beta_arrows(frame: pd.DataFrame, *, label: str = "symbol", x0: str = "btc_beta_before",
                y0: str = "ai_beta_before", x1: str = "btc_beta_after",
                y1: str = "ai_beta_after", title: str = "Move from BTC beta to AI beta",
                xlabel: str = "BTC beta", ylabel: str = "AI beta",
                synthetic: bool | None = None) -> Chart:
    """Arrows from (BTC beta, AI beta) before to after, one per symbol."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (_, r) in enumerate(frame.iterrows()):
        col = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=[float(r[x0])], y=[float(r[y0])], mode="markers",
                                 marker={"color": col, "size": 8, "symbol": "circle-open"},
                                 name=f"{r[label]} before", showlegend=False))
        fig.add_trace(go.Scatter(x=[float(r[x1])], y=[float(r[y1])], mode="markers+text",
                                 marker={"color": col, "size": 10}, text=[str(r[label])],
                                 textposition="top center", name=str(r[label])))
        fig.add_annotation(x=float(r[x1]), y=float(r[y1]), ax=float(r[x0]), ay=float(r[y0]),
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=3, arrowsize=1.2, arrowwidth=2, arrowcolor=col, text="")
    fig.update_layout(title={"text": title}, xaxis={"title": xlabel + " (hollow = before)"},
                      yaxis={"title": ylabel})
    return _finish(fig, _syn(synthetic, frame), height=500)


def bar(series: pd.Series, *, title: str, ytitle: str = "", percent: bool = False,
        synthetic: bool | None = None, color: str | None = None) -> Chart:
    """Simple bar chart of a labelled series (``percent`` multiplies by 100)."""
    vals = series * 100.0 if percent else series
    fig = _figure([{"marker": {"color": color or COLORS[0]}, "type": "bar",
                    "x": [str(i) for i in series.index], "y": _vals(vals)}],
                  showlegend=False, title=_t(title), yaxis={"title": _t(ytitle)})
    return _finish(fig, _syn(synthetic, series))
