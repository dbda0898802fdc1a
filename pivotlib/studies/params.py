"""Validation of notebook parameters (the ``parameters`` cell of every research notebook).

Each notebook in ``notebooks/`` starts with a cell tagged ``parameters`` that holds simple
literals (ISO date strings, lists, numbers, ``dataset = "demo"``). Papermill overrides them on
scheduled runs; the next cell calls :func:`validate`, which checks every value against the
notebook's :data:`SPECS` entry and returns a :class:`Params` mapping with normalised values
(``window`` as a tuple of ints, dates as ISO strings, symbols upper-cased, ...).

Every error is an :class:`~pivotlib.errors.InputError` that names the parameter, the bad value
and the fix, e.g.::

    InputError: parameter 'window' = [2, -1] is reversed: the start (2) must be <= the end (-1);
    pass e.g. window = [-1, 1]

The same specs back ``pivot report NOTEBOOK -p key value`` (see :func:`parse_cli_value` and
:func:`check_overrides`), so a bad parameter fails before a kernel is started.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pivotlib.errors import InputError

__all__ = [
    "MODELS",
    "SPECS",
    "Field",
    "Params",
    "validate",
    "parse_cli_value",
    "check_overrides",
    "notebook_key",
    "known_symbols",
]

MODELS: tuple[str, ...] = ("market", "factors", "constant_mean", "market_adjusted")
"""Normal-return models accepted by the event-study notebooks (see :mod:`pivotlib.analytics.eventstudy`)."""

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------------------------------------
# value checkers: each takes (name, value, params-so-far) and returns the normalised value
# ---------------------------------------------------------------------------------------------

def _fail(name: str, value: Any, problem: str, fix: str) -> InputError:
    return InputError(f"parameter {name!r} = {value!r} {problem}; {fix}")


def _date(name: str, value: Any, optional: bool) -> str | None:
    """An ISO ``YYYY-MM-DD`` string (or None/"" when optional)."""
    import datetime as _dt

    if value is None or value == "":
        if optional:
            return None
        raise _fail(name, value, "is required", f"pass an ISO date such as {name} = \"2024-06-03\"")
    if isinstance(value, _dt.datetime):
        value = value.date().isoformat()
    elif isinstance(value, _dt.date):
        value = value.isoformat()
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        raise _fail(name, value, "is not an ISO date (YYYY-MM-DD)",
                    f"write it as a quoted string, e.g. {name} = \"2024-06-03\"")
    value = value.strip()
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(name, value, "is not a real calendar date",
                    "check the month and day (e.g. \"2024-02-29\" exists, \"2023-02-29\" does not)"
                    ) from None
    return value


def _int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _fail(name, value, "is not a whole number", f"pass an integer, e.g. {name} = 120")
    value = int(value)
    if lo is not None and value < lo:
        raise _fail(name, value, f"is below the minimum {lo}", f"pass a value >= {lo}")
    if hi is not None and value > hi:
        raise _fail(name, value, f"is above the maximum {hi}", f"pass a value <= {hi}")
    return value


def _window(name: str, value: Any) -> tuple[int, int]:
    """A ``[start, end]`` pair of event-day offsets with start <= end."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _fail(name, value, "is not a [start, end] pair of event days",
                    f"pass two integers, e.g. {name} = [-1, 1]")
    a = _int(f"{name}[0]", value[0])
    b = _int(f"{name}[1]", value[1])
    if a > b:
        raise _fail(name, list(value), f"is reversed: the start ({a}) must be <= the end ({b})",
                    f"pass e.g. {name} = [{b}, {a}]")
    return (a, b)


def _windows(name: str, value: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list | tuple) or not value:
        raise _fail(name, value, "is not a non-empty list of [start, end] windows",
                    f"pass e.g. {name} = [[0, 0], [-1, 1], [0, 5]]")
    return tuple(_window(f"{name}[{i}]", w) for i, w in enumerate(value))


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail(name, value, "is not True or False", f"pass {name} = True or {name} = False")


def _str(name: str, value: Any, optional: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(name, value, "is not a string", f"quote it, e.g. {name} = \"...\"")
    value = value.strip()
    if not value and not optional:
        raise _fail(name, value, "is empty", f"pass a value for {name}")
    return value


def known_symbols() -> list[str]:
    """Symbols of the universe file (``data/universe.csv``), in file order."""
    try:
        from pivotlib.data.universe import load_universe

        uni = load_universe()
    except ImportError:  # pragma: no cover - universe module always present once data landed
        import pandas as pd

        from pivotlib.config import universe_file

        uni = pd.read_csv(universe_file())
    return [str(s).upper() for s in uni["symbol"]]


def _symbol(name: str, value: Any, optional: bool = False) -> str | None:
    s = _str(name, value, optional=True).upper()
    if not s:
        if optional:
            return None
        raise _fail(name, value, "is empty", f"pass a ticker, e.g. {name} = \"APLD\"")
    known = known_symbols()
    if s not in known:
        close = [k for k in known if k[:2] == s[:2]][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise _fail(name, value, f"is not in the universe{hint}",
                    "use one of: " + ", ".join(known) + " (or add it to data/universe.csv)")
    return s


def _symbols(name: str, value: Any, allow_empty: bool = True) -> tuple[str, ...]:
    if isinstance(value, str):
        raise _fail(name, value, "is a string, not a list",
                    f"pass a list, e.g. {name} = [\"{value.upper() or 'APLD'}\"]")
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        raise _fail(name, value, "is not a list of tickers", f"pass e.g. {name} = [\"APLD\", \"IREN\"]")
    if not value and not allow_empty:
        raise _fail(name, value, "is empty", f"pass at least one ticker, e.g. {name} = [\"APLD\"]")
    out = [_symbol(f"{name}[{i}]", v) for i, v in enumerate(value)]
    dup = sorted({s for s in out if out.count(s) > 1})
    if dup:
        raise _fail(name, list(value), f"lists {', '.join(dup)} more than once",
                    "list each ticker once")
    return tuple(out)  # type: ignore[arg-type]


def _model(name: str, value: Any) -> str:
    v = _str(name, value, optional=False).lower().replace("-", "_")
    models = _available_models()
    if v not in models:
        raise _fail(name, value, "is not a known model", "use one of: " + ", ".join(models))
    return v


def _available_models() -> tuple[str, ...]:
    """Model names of :data:`pivotlib.analytics.eventstudy.MODELS` (the engine decides)."""
    from pivotlib.analytics.eventstudy import MODELS as ENGINE_MODELS

    return tuple(str(k) for k in ENGINE_MODELS) or MODELS


def _dataset(name: str, value: Any) -> str:
    """The normalised spec text (:class:`~pivotlib.data.datasets.DatasetSpec`): absolute csv
    folders, so a kernel started elsewhere reads the same files."""
    from pivotlib.data.datasets import DatasetSpec

    if not isinstance(value, str):
        raise _fail(name, value, "is not text", "use " + _DATASET_HELP)
    try:
        return str(DatasetSpec.parse(value or None))
    except InputError as exc:
        raise _fail(name, value, "is not a usable dataset", str(exc)) from None


_DATASET_HELP = "demo (SYNTHETIC), store or csv:<folder>[,<folder>...]"


def _event_id(name: str, value: Any) -> str | None:
    v = _str(name, value)
    if not v:
        return None
    from pivotlib.events.catalog import load_catalog

    ids = [str(x) for x in load_catalog()["event_id"]]
    if v not in ids:
        close = [i for i in ids if i.split("-")[0] == v.split("-")[0]][:6]
        hint = ("; events for that symbol: " + ", ".join(close)) if close else ""
        raise _fail(name, value, "is not in the event catalog",
                    f"run `pivot events list` to see the ids{hint}")
    return v


def _category(name: str, value: Any) -> str | None:
    v = _str(name, value)
    if not v:
        return None
    from pivotlib.events.catalog import load_catalog

    cats = sorted({str(c) for c in load_catalog()["category"].dropna()})
    if v not in cats:
        raise _fail(name, value, "is not a catalog category", "use one of: " + ", ".join(cats))
    return v


def _timing(name: str, value: Any) -> str:
    v = _str(name, value) or "unknown"
    allowed = ("pre-market", "intraday", "after-close", "unknown")
    if v not in allowed:
        raise _fail(name, value, "is not a timing", "use one of: " + ", ".join(allowed))
    return v


# ---------------------------------------------------------------------------------------------
# specs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One parameter: its checker and a one-line description (shown in error messages)."""

    check: Callable[[str, Any], Any]
    doc: str = ""
    optional: bool = False
    """An optional parameter may be left out of :func:`validate` (its ``default`` is used);
    a notebook's parameters cell still defines it."""
    default: Any = None


def _f(check: Callable[[str, Any], Any], doc: str) -> Field:
    return Field(check, doc)


_COMMON = {
    "dataset": _f(_dataset, _DATASET_HELP),
}
_MODEL = {
    "model": _f(_model, "normal-return model"),
    "market": _f(lambda n, v: _symbol(n, v), "market benchmark ticker"),
    "factors": _f(lambda n, v: _symbols(n, v), "factor tickers for model=\"factors\""),
    "estimation": _f(_window, "estimation window [start, end] in event days"),
    "window": _f(_window, "event (CAR) window [start, end] in event days"),
}

def _float_in(lo: float, hi: float):
    def check(name: str, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
            raise InputError(f"parameter {name!r} = {v!r} must be a number in [{lo}, {hi}]")
        return float(v)
    return check


def _int_in(lo: int, hi: int):
    def check(name: str, v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InputError(f"parameter {name!r} = {v!r} must be an integer in [{lo}, {hi}]")
        return int(v)
    return check


def _horizons(name: str, v: Any) -> tuple[int, ...]:
    if not isinstance(v, list | tuple) or not v or not all(
            isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 250 for h in v):
        raise InputError(f"parameter {name!r} = {v!r} must be a non-empty list of session "
                         "counts between 1 and 250, e.g. [20, 60, 120]")
    return tuple(sorted(set(v)))


def _path_or_empty(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise InputError(f"parameter {name!r} = {v!r} must be a file path string or \"\" for "
                         "the default table")
    return v.strip()


SPECS: dict[str, dict[str, Field]] = {
    "01-data-refresh": {
        **_COMMON,
        "symbols": _f(lambda n, v: _symbols(n, v), "tickers to show ([] = whole universe)"),
        "start": _f(lambda n, v: _date(n, v, True), "first date (\"\" = all history)"),
        "end": _f(lambda n, v: _date(n, v, True), "last date (\"\" = latest)"),
        "offline": _f(_bool, "never touch the network"),
    },
    "02-event-study": {
        **_COMMON,
        "event_id": _f(_event_id, "catalog event id (\"\" = use symbol + date)"),
        "symbol": _f(lambda n, v: _symbol(n, v, optional=True), "ticker when no event_id"),
        "date": _f(lambda n, v: _date(n, v, True), "announcement date when no event_id"),
        "timing": _f(_timing, "announcement timing when no event_id"),
        **_MODEL,
        "windows": _f(_windows, "extra CAR windows to tabulate"),
        "robustness": Field(_bool, "add the CAR specification curve (robust or fragile?)",
                            optional=True, default=False),
    },
    "03-sector-event-study": {
        **_COMMON,
        "category": _f(_category, "catalog category (\"\" = all)"),
        "symbols": _f(lambda n, v: _symbols(n, v), "tickers ([] = all in catalog)"),
        "start": _f(lambda n, v: _date(n, v, True), "first event date (\"\" = no bound)"),
        "end": _f(lambda n, v: _date(n, v, True), "last event date (\"\" = no bound)"),
        **_MODEL,
    },
    "04-pivot-regimes": {
        **_COMMON,
        "symbols": _f(lambda n, v: _symbols(n, v, allow_empty=False), "miners to analyse"),
        "factors": _f(lambda n, v: _symbols(n, v, allow_empty=False), "factor tickers"),
        "market": _f(lambda n, v: _symbol(n, v, optional=True), "which factor is the market"),
        "bitcoin": _f(lambda n, v: _symbol(n, v, optional=True), "which factor is bitcoin"),
        "ai": _f(lambda n, v: _symbol(n, v, optional=True), "which factor is AI"),
        "window": _f(lambda n, v: _int(n, v, 20, 1000), "rolling window in sessions"),
        "date": _f(lambda n, v: _date(n, v, True),
                   "common pivot date (\"\" = each miner's first AI event)"),
        "start": _f(lambda n, v: _date(n, v, True), "first date (\"\" = all history)"),
        "end": _f(lambda n, v: _date(n, v, True), "last date (\"\" = latest)"),
    },
    "05-briefing": {
        **_COMMON,
        "event_id": _f(_event_id, "headline event (\"\" = most recent large AI deal)"),
        **_MODEL,
        "regime_symbols": _f(lambda n, v: _symbols(n, v, allow_empty=False),
                             "miners for the regime headline"),
        "regime_factors": _f(lambda n, v: _symbols(n, v, allow_empty=False),
                             "factors for the regime headline"),
    },
    "06-lifeboat": {
        **_COMMON,
        "miners": _f(lambda n, v: _symbols(n, v, allow_empty=False),
                     "miners to classify (cohorts come from the catalog)"),
        "market": _f(lambda n, v: _symbol(n, v), "market column"),
        "btc": _f(lambda n, v: _symbol(n, v), "bitcoin column"),
        "down_threshold": _f(_float_in(-0.2, 0.05), "BTC down day: return below this"),
        "crash_threshold": _f(_float_in(0.05, 0.9), "BTC crash episode: fall of at least"),
        "horizons": _f(_horizons, "persistence horizons in sessions"),
        "as_of": _f(lambda n, v: _date(n, v, True), "ignore contracts after this date"),
        "end": _f(lambda n, v: _date(n, v, True), "last date (\"\" = latest)"),
        "seed": _f(_int_in(0, 2**31 - 1), "seed of the bootstrap"),
        "n_boot": _f(_int_in(99, 99999), "bootstrap draws"),
    },
    "07-merge": {
        **_COMMON,
        "cohorts_file": _f(lambda n, v: _path_or_empty(n, v),
                           "cohort table (\"\" = data/merge/cohorts.csv)"),
        "dates_file": _f(lambda n, v: _path_or_empty(n, v),
                         "Merge/ChatGPT dates table (\"\" = data/merge/dates.csv)"),
        "market": _f(lambda n, v: _symbol(n, v), "market column"),
        "btc": _f(lambda n, v: _symbol(n, v), "bitcoin column"),
        "eth": _f(lambda n, v: _symbol(n, v), "ether column"),
        "ai": _f(lambda n, v: _symbol(n, v), "AI proxy (SMH or NVDA)"),
        "before": _f(_int_in(40, 1000), "sessions before the Merge"),
        "after": _f(_int_in(40, 1000), "sessions after the Merge and after ChatGPT"),
        "rolling_window": _f(_int_in(20, 1000), "rolling-beta window in sessions"),
        "estimation": _f(_window, "event-study estimation window [start, end]"),
        "window": _f(_window, "Merge CAR window [start, end] in event days"),
        "end": _f(lambda n, v: _date(n, v, True), "last date (\"\" = latest)"),
        "seed": _f(_int_in(0, 2**31 - 1), "seed (random labelings if not exact)"),
    },
}
"""Parameter specs, one per notebook (keyed by the notebook's file stem)."""
SPECS["00-explore"] = {k: v for k, v in SPECS["02-event-study"].items()  # the explorer starts
                      if k != "robustness"}  # from notebook 02's choice (no curve: it re-runs)


class Params(dict):
    """Validated parameters: a dict that also allows attribute access (``p.window``).

    ``changes`` lists every value validation normalised (``"apld"`` read as ``"APLD"``, a
    relative csv folder made absolute), so the report and the terminal can say so.
    """

    changes: tuple[str, ...] | list[str] = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def as_json(self) -> dict[str, Any]:
        """The parameters as JSON-safe values (tuples become lists)."""
        return json.loads(json.dumps(self, default=list))


def notebook_key(notebook: str) -> str:
    """Return the spec key for a notebook name or path (``"notebooks/02-event-study.ipynb"``)."""
    from pathlib import Path

    stem = Path(str(notebook)).name
    if stem.endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    return stem


def validate(notebook: str, /, **values: Any) -> Params:
    """Validate a notebook's parameters and return them normalised.

    Parameters
    ----------
    notebook : str
        The notebook's file stem (``"02-event-study"``) or path.
    **values
        The parameter values, typically passed straight from the parameters cell.

    Returns
    -------
    Params
        The normalised values (a dict with attribute access).

    Raises
    ------
    InputError
        Unknown notebook, unknown parameter, missing parameter or a bad value; the message
        names the parameter and the fix.
    """
    key = notebook_key(notebook)
    spec = SPECS.get(key)
    if spec is None:
        raise InputError(f"no parameter spec for notebook {key!r}; "
                         f"use one of: {', '.join(SPECS)}")
    unknown = sorted(set(values) - set(spec))
    if unknown:
        raise InputError(f"notebook {key!r} has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters are: {', '.join(spec)}")
    missing = [k for k in spec if k not in values and not spec[k].optional]
    if missing:
        raise InputError(f"notebook {key!r} is missing parameter(s) {', '.join(missing)}; "
                         "define them in its parameters cell")
    out = Params()
    for name, field in spec.items():
        out[name] = field.check(name, values.get(name, field.default))
    _cross_checks(key, out)
    out.changes = [f"parameter {k} = {json.dumps(values[k])} was read as "
                   f"{json.dumps(_plain(v))}" for k, v in out.items()
                   if k in values and _plain(v) != _plain(values[k])
                   and values[k] not in ("", None)]
    return out


def _plain(v: Any) -> Any:
    """JSON-comparable form of a parameter value (tuples as lists)."""
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return v


def _cross_checks(key: str, p: Params) -> None:
    if "start" in p and "end" in p and p["start"] and p["end"] and p["start"] > p["end"]:
        raise InputError(f"parameters start = {p['start']!r} and end = {p['end']!r} are reversed; "
                         "start must be on or before end")
    if "estimation" in p and "window" in p:
        est, win = p["estimation"], p["window"]
        if est[1] >= win[0]:
            raise InputError(
                f"estimation window {list(est)} overlaps the event window {list(win)}; "
                f"end the estimation before the event window, e.g. estimation = [{est[0]}, {win[0] - 10}]")
        if est[1] - est[0] + 1 < 30:
            raise InputError(f"estimation window {list(est)} has {est[1] - est[0] + 1} days; "
                             "use at least 30 (e.g. [-250, -11]) so the model can be fitted")
    if p.get("model") == "factors" and "factors" in p and not p["factors"]:
        raise InputError("model = \"factors\" needs a non-empty factors list; "
                         "pass e.g. factors = [\"SPY\", \"BTC-USD\"]")
    if key == "04-pivot-regimes":
        from pivotlib.defaults import FactorRoles

        FactorRoles.from_factors(p["factors"], market=p.get("market"), bitcoin=p.get("bitcoin"),
                                 ai=p.get("ai")).require("bitcoin", "ai")
    if key == "06-lifeboat" and p["market"] == p["btc"]:
        raise InputError("parameters market and btc must be different columns, e.g. "
                         'market = "SPY", btc = "BTC-USD"')
    if key == "07-merge" and len({p["market"], p["btc"], p["eth"], p["ai"]}) < 4:
        raise InputError("parameters market, btc, eth and ai must be four different columns, "
                         'e.g. market = "SPY", btc = "BTC-USD", eth = "ETH-USD", ai = "SMH"')
    if key == "05-briefing":
        from pivotlib.defaults import FactorRoles

        FactorRoles.from_factors(p["regime_factors"]).require("bitcoin", "ai")
    if key == "02-event-study" and not p.get("event_id"):
        if bool(p.get("symbol")) != bool(p.get("date")):
            raise InputError("an ad-hoc event needs both symbol and date: pass symbol = "
                             "\"APLD\" and date = \"2024-06-03\" (or event_id = \"<catalog "
                             "id>\", or neither for the latest large AI deal)")


# ---------------------------------------------------------------------------------------------
# command-line overrides (`pivot report NB -p key value`)
# ---------------------------------------------------------------------------------------------

def parse_cli_value(text: str) -> Any:
    """Parse one ``-p key value`` value as a YAML/JSON literal; never executes anything.

    ``"[-1, 1]"`` -> ``[-1, 1]``, ``"120"`` -> ``120``, ``"true"`` -> ``True``,
    ``"APLD"`` -> ``"APLD"``. Dates stay strings (``"2024-06-03"``), not date objects.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # keep ISO dates as strings: drop the timestamp resolver
    _Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InputError(f"cannot parse parameter value {text!r} ({exc.__class__.__name__}); "
                         "quote strings and write lists as [a, b]") from None
    return "" if value is None and text.strip() in ("", "''", '""') else value


def check_overrides(notebook: str, overrides: Mapping[str, Any],
                    defaults: Mapping[str, Any] | None = None) -> Params:
    """Validate command-line overrides merged over the notebook's own defaults.

    Parameters
    ----------
    notebook : str
        Notebook stem or path.
    overrides : mapping
        Values given with ``-p``.
    defaults : mapping, optional
        The notebook's parameters-cell values (read with papermill's ``inspect_notebook``
        by the runner). Missing keys are filled from here before validation.

    Returns
    -------
    Params
        The merged, validated parameters.
    """
    key = notebook_key(notebook)
    spec = SPECS.get(key)
    if spec is None:  # a user notebook without a spec: only check the names exist
        if defaults is not None:
            unknown = sorted(set(overrides) - set(defaults))
            if unknown:
                raise InputError(f"notebook {key!r} has no parameter(s) {', '.join(unknown)}; "
                                 f"its parameters are: {', '.join(defaults)}")
        return Params(overrides)
    merged = dict(defaults or {})
    merged.update(overrides)
    unknown = sorted(set(merged) - set(spec))
    if unknown:
        raise InputError(f"notebook {key!r} has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters are: {', '.join(spec)}")
    return validate(key, **merged)
