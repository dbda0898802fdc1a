"""Record a notebook's results from inside its kernel (like scrapbook's glue).

A notebook calls :func:`record` (``record(car=0.12, p_value=0.003)``); the values are emitted
as a display output of MIME type :data:`RECORD_MIME`, stay in the executed notebook, are hidden
from the HTML, and are copied into the JSON sidecar from which
:func:`pivotlib.runner.index.build_index` builds ``reports/index.html``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

RECORD_MIME = "application/vnd.pivot.record+json"


"""MIME type of the display outputs written by :func:`record`."""


_RECORDED: dict[str, Any] = {}


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars, tuples, Timestamps and NaN to JSON-safe values.

    NaN and infinities become ``None`` so the sidecar stays strict JSON.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        seq = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in seq]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if not math.isfinite(value) else float(value)
    if type(value).__name__ == "NaTType":
        return None
    if isinstance(value, _dt.datetime | _dt.date):
        v = value.isoformat()
        return v[:10] if v.endswith("T00:00:00") else v
    mod = type(value).__module__
    if mod.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            f = float(value)
            return None if not math.isfinite(f) else f
        if isinstance(value, np.ndarray):
            return [jsonable(v) for v in value.tolist()]
        if isinstance(value, np.datetime64):
            import pandas as pd

            return jsonable(pd.Timestamp(value))
    if mod.startswith("pandas"):
        import pandas as pd

        if value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return jsonable(value.to_pydatetime())
        if isinstance(value, pd.Series):
            return {str(k): jsonable(v) for k, v in value.items()}
        if isinstance(value, pd.DataFrame):
            return jsonable(value.to_dict(orient="records"))
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def record(**values: Any) -> None:
    """Record named results of the running notebook (for the sidecar and ``index.html``).

    Emits one display output of MIME type :data:`RECORD_MIME` (hidden in the HTML export) and
    keeps the values in this module for interactive use. Conventional keys read by the index:
    ``kind``, ``title``, ``symbol``, ``event_id``, ``headline``, ``event_date``, ``car``,
    ``car_window``, ``p_value``, ``significant``, ``synthetic``, ``dataset``.

    Examples
    --------
    >>> record(symbol="APLD", car=0.153, p_value=0.002)  # doctest: +SKIP
    """
    clean = jsonable(values)
    _RECORDED.update(clean)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython always present with the notebooks extra
        return
    if get_ipython() is not None:
        # only the record MIME type: a front end has no renderer for it and shows nothing (an
        # empty "text/plain" would leave an empty output box at the end of every notebook)
        display({RECORD_MIME: clean}, raw=True)


def recorded() -> dict[str, Any]:
    """Values recorded so far in this process (interactive use and tests)."""
    return dict(_RECORDED)


def read_records(nb: Any) -> dict[str, Any]:
    """Collect every :func:`record` output of an executed notebook (later keys win)."""
    out: dict[str, Any] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data", {}) if o.get("output_type") in ("display_data",
                                                                  "execute_result") else {}
            if RECORD_MIME in data:
                out.update(data[RECORD_MIME])
    return out
