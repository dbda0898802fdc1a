"""Run research notebooks with papermill, export HTML briefings, keep an index of every report.

Layout of ``reports/`` (``PIVOT_REPORTS_DIR``)::

    reports/
      index.html                               every report: date, symbol, event, CAR, p, links
      assets/plotly-<version>.min.js           one shared offline copy of plotly.js
      <date>/<notebook>-<slug>.ipynb           the executed notebook (kept on failure, with the error)
      <date>/<notebook>-<slug>.html            code hidden, parameters cell removed
      <date>/<notebook>-<slug>.json            sidecar: parameters, fingerprint, status, records

``<date>`` is the run date (ISO, local time) unless given. ``<slug>`` is built from the
parameters passed that differ from the notebook's defaults; ``default`` when none do.

Never overwrite
---------------
An earlier report is never overwritten. Before running, the runner computes an **input
fingerprint** (SHA-256 of the notebook file, the merged parameters, the dataset's files, the
event catalog and pivotlib's own source). If a successful report with the same name stem and
the same fingerprint already exists in that date folder, the run is **skipped** and the existing
report returned (identical inputs give identical outputs, so re-running would only duplicate
it). Otherwise the new report gets the first free suffix ``-2``, ``-3``, ... ``force=True``
always runs (and takes a new suffix).

Determinism
-----------
Papermill's timing metadata and absolute paths are stripped from the saved notebook, figure
``div`` ids are content hashes (:mod:`pivotlib.charts`), tables are plain ``DataFrame.to_html``,
and the HTML page carries no timestamp beyond the report date; so the same inputs produce
byte-identical ``.ipynb``, ``.html`` and ``.json`` files.

Offline HTML
------------
Pages never load anything from a CDN: the nbconvert ``lab`` template's require.js, MathJax,
mermaid and widget scripts are removed, and plotly.js is loaded from the shared
``reports/assets`` copy through a relative path (``single_file=True`` inlines it instead, for
e-mail).

Results recorded by notebooks
-----------------------------
A notebook calls :func:`record` (``reports.record(car=0.12, p_value=0.003)``); the values are
emitted as a display output of MIME type :data:`RECORD_MIME` (like scrapbook's glue), stay in
the executed notebook, are hidden from the HTML, and are copied into the JSON sidecar from which
:func:`build_index` builds ``reports/index.html``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, config
from .errors import InputError, PivotError, RunError

__all__ = [
    "RECORD_MIME",
    "BRIEFING_SET",
    "ReportResult",
    "record",
    "jsonable",
    "resolve_notebook",
    "notebook_parameters",
    "slugify",
    "param_slug",
    "fingerprint",
    "run_report",
    "export_html",
    "build_index",
    "list_reports",
    "ensure_kernel",
    "plotly_asset",
    "run_briefing_set",
    "WarmKernel",
]

RECORD_MIME = "application/vnd.pivot.record+json"
"""MIME type of the display outputs written by :func:`record`."""

BRIEFING_SET: tuple[tuple[str, dict[str, Any]], ...] = (
    ("01-data-refresh", {}),
    ("02-event-study", {}),
    ("03-sector-event-study", {}),
    ("04-pivot-regimes", {}),
    ("05-briefing", {}),
)
"""The default briefing set run by ``pivot brief`` and ``pivot demo`` (notebook, parameters)."""

DEFAULT_TIMEOUT = 900
"""Per-cell execution timeout in seconds."""

_TIMING_KEYS = ("start_time", "end_time", "duration")


# ---------------------------------------------------------------------------------------------
# recording results from inside a notebook
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# names, slugs, fingerprints
# ---------------------------------------------------------------------------------------------

def resolve_notebook(notebook: str | os.PathLike[str]) -> Path:
    """Find a notebook by path, file stem (``02-event-study``) or number prefix (``02``).

    Raises
    ------
    InputError
        When no notebook (or more than one) matches; lists the available notebooks.
    """
    p = Path(notebook)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    nbdir = config.notebooks_dir()
    available = sorted(x.stem for x in nbdir.glob("*.ipynb"))
    name = p.name[:-6] if p.name.endswith(".ipynb") else p.name
    cand = nbdir / f"{name}.ipynb"
    if cand.is_file():
        return cand.resolve()
    matches = [a for a in available if a.startswith(name + "-") or a.split("-", 1)[-1] == name]
    if len(matches) == 1:
        return (nbdir / f"{matches[0]}.ipynb").resolve()
    raise InputError(f"notebook {str(notebook)!r} not found"
                     + (f" (ambiguous: {', '.join(matches)})" if matches else "")
                     + f"; use a path or one of: {', '.join(available) or '(none in notebooks/)'}")


def notebook_parameters(path: Path) -> dict[str, Any]:
    """Default values of a notebook's ``parameters`` cell (literals only, never executed)."""
    import ast

    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            out: dict[str, Any] = {}
            tree = ast.parse(cell.source)
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                        node.targets[0], ast.Name):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise InputError(
                            f"{path.name}: parameter {node.targets[0].id!r} is not a simple "
                            "literal; the parameters cell may hold only strings, numbers, "
                            "booleans and lists") from None
            return out
    return {}


def slugify(text: str, maxlen: int = 60) -> str:
    """Lower-case ``[a-z0-9._-]`` slug of ``text`` (other runs of characters become ``-``)."""
    s = re.sub(r"[^a-z0-9._]+", "-", str(text).lower()).strip("-.")
    return s[:maxlen].rstrip("-.") or "x"


def param_slug(parameters: Mapping[str, Any]) -> str:
    """Readable, bounded slug of the passed parameters (``default`` when empty).

    ``{"event_id": "APLD-2024-06-03", "window": [-1, 1]}`` -> ``apld-2024-06-03_window--1-1``.
    Identifying keys (``event_id``, ``symbol``, ``symbols``, ``category``) contribute their
    value only; others ``key-value``. Long slugs are cut and suffixed with a short hash.
    """
    if not parameters:
        return "default"
    ident = ("event_id", "symbol", "symbols", "category")
    parts: list[str] = []
    for k in sorted(parameters, key=lambda k: (k not in ident, ident.index(k) if k in ident else 0, k)):
        v = parameters[k]
        v = _slug_value(v)
        v = slugify(str(v), 40) if str(v) else "none"
        parts.append(v if k in ident else f"{slugify(k, 20)}-{v}")
    slug = "_".join(parts)
    if len(slug) > 80:
        h = hashlib.sha256(json.dumps(jsonable(parameters), sort_keys=True).encode()).hexdigest()
        slug = slug[:70].rstrip("-_.") + "_" + h[:8]
    return slug


def _tmp_suffix() -> str:
    """Unique temporary suffix per process and thread (files are written then os.replace'd)."""
    import threading

    return f".{os.getpid()}-{threading.get_ident()}.tmp"


def _slug_value(v: Any) -> str:
    """Flatten a parameter value for a slug; negative numbers become ``m<abs>``."""
    if isinstance(v, list | tuple):
        return "-".join(_slug_value(x) for x in v)
    if isinstance(v, int | float) and not isinstance(v, bool) and v < 0:
        return f"m{-v}"
    return str(v)


def _hash_files(h: Any, paths: Iterable[Path], root: Path | None = None) -> None:
    for p in sorted(paths):
        if p.is_file():
            h.update(str(p.relative_to(root) if root else p.name).encode())
            h.update(p.read_bytes())


def _dataset_folder(dataset: str | None) -> Path | None:
    ds = dataset or os.environ.get("PIVOT_DATASET") or "demo"
    if ds == "demo":
        return config.synthetic_dir()
    if ds == "store":
        return config.store_dir()
    if ds.startswith("csv:"):
        return Path(ds[4:])
    return None


def fingerprint(notebook: Path, parameters: Mapping[str, Any]) -> str:
    """SHA-256 of everything a report depends on (see the module docstring)."""
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(json.dumps(jsonable(parameters), sort_keys=True).encode())
    h.update(__version__.encode())
    folder = _dataset_folder(parameters.get("dataset"))
    if folder is not None and folder.is_dir():
        _hash_files(h, [p for p in folder.iterdir()
                        if p.suffix in (".parquet", ".csv", ".json", ".md")])
    ev = config.events_dir()
    if ev.is_dir():
        _hash_files(h, [p for p in ev.rglob("*") if p.is_file()], ev)
    _hash_files(h, [p for p in config.PACKAGE_DIR.rglob("*.py")], config.PACKAGE_DIR)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# kernel and plotly.js
# ---------------------------------------------------------------------------------------------

def ensure_kernel(name: str = config.KERNEL_NAME) -> str:
    """Make sure the Jupyter kernel ``name`` exists (register it in this venv if missing).

    ``make demo``/``make test`` register it with
    ``python -m ipykernel install --sys-prefix --name pivotlib``; this does the same when a
    user runs ``pivot`` before ``make``.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (pivotlib)", prefix=sys.prefix)
    print(f"pivot: registered Jupyter kernel {name!r} in {sys.prefix}", file=sys.stderr)
    return name


def plotly_asset(reports_root: Path | None = None) -> Path:
    """Write (once) the shared offline copy ``reports/assets/plotly-<version>.min.js``."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    root = reports_root or config.reports_dir()
    path = root / "assets" / f"plotly-{get_plotlyjs_version()}.min.js"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(_tmp_suffix())
        tmp.write_text(get_plotlyjs(), encoding="utf-8")
        os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------
# HTML export
# ---------------------------------------------------------------------------------------------

_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
{{ resources.pivot_plotly_tag }}
{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
body.jp-Notebook { max-width: 1100px; margin: 0 auto; padding: 0 16px 32px 16px; }
.pivot-footer { color: #555; font-size: 12px; font-family: var(--jp-ui-font-family); border-top: 1px solid #ddd; margin-top: 24px;
  padding-top: 8px; }
.pivot-footer table { font-size: 12px; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
</style>
{% endblock extra_css %}
{% block body_footer %}
<footer class="pivot-footer">{{ resources.pivot_footer }}</footer>
</main>
</body>
{% endblock body_footer %}
"""


def _clean_for_html(nb: Any) -> Any:
    """Drop the injected-parameters cell, record outputs, stderr streams and empty code cells."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags or "parameters" in tags:
            continue
        if cell.cell_type == "code":
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                data = o.get("data", {})
                if RECORD_MIME in data:
                    continue
                if o.get("output_type") in ("display_data", "execute_result") and data and all(
                        k == "text/plain" and not str(v).strip() for k, v in data.items()):
                    continue
                outs.append(o)
            cell.outputs = outs
            if not outs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def _footer(meta: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(json.dumps(v) if not isinstance(v, str) else v)}</td></tr>"
        for k, v in sorted(meta.get("parameters", {}).items()))
    return (f"<p>Report <b>{html.escape(meta.get('name', ''))}</b> from notebook "
            f"<code>{html.escape(meta.get('notebook', ''))}</code>, run date "
            f"{html.escape(meta.get('date', ''))}, pivotlib {html.escape(__version__)}, "
            f"input fingerprint <code>{html.escape(meta.get('fingerprint', '')[:12])}</code>. "
            f"<a href='../index.html'>All reports</a></p>"
            f"<details><summary>Parameters</summary><table>{rows}</table></details>")


def export_html(nb_path: Path, html_path: Path | None = None, *, single_file: bool = False,
                meta: Mapping[str, Any] | None = None,
                reports_root: Path | None = None) -> Path:
    """Export an executed notebook to an offline HTML page (code hidden).

    Parameters
    ----------
    nb_path : Path
        The executed ``.ipynb``.
    html_path : Path, optional
        Output path (default: beside ``nb_path`` with ``.html``).
    single_file : bool, default False
        Inline plotly.js (about 4.8 MB) so the page is one self-contained file (for e-mail).
        Otherwise the page loads the shared ``reports/assets/plotly-<version>.min.js``
        through a relative path.
    meta : mapping, optional
        Sidecar metadata shown in the page footer (parameters, fingerprint).
    reports_root : Path, optional
        The reports folder holding ``assets/`` (default :func:`pivotlib.config.reports_dir`).

    Returns
    -------
    Path
        The HTML file written.
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    html_path = html_path or nb_path.with_suffix(".html")
    nb = _clean_for_html(nbformat.read(str(nb_path), as_version=4))
    root = reports_root or config.reports_dir()
    if single_file:
        from plotly.offline import get_plotlyjs

        tag = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    else:
        asset = plotly_asset(root)
        rel = os.path.relpath(asset, html_path.parent).replace(os.sep, "/")
        tag = f'<script type="text/javascript" src="{html.escape(rel)}"></script>'
    title = (meta or {}).get("title") or nb.metadata.get("title") or nb_path.stem
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab",
                            extra_loaders=[jinja2.DictLoader({"pivot.html.j2": _TEMPLATE})],
                            template_file="pivot.html.j2",
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(
        nb, resources={"pivot_plotly_tag": tag, "pivot_footer": _footer(meta or {}),
                       "metadata": {"name": nb_path.stem}})
    tmp = html_path.with_suffix(_tmp_suffix())
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, html_path)
    return html_path


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------

@dataclass
class ReportResult:
    """Outcome of one :func:`run_report` call."""

    notebook: str
    name: str
    parameters: dict[str, Any]
    status: str  # "ok", "failed" or "skipped" (identical inputs already reported)
    ipynb: str
    html: str | None
    sidecar: str
    elapsed: float = 0.0
    error: str | None = None
    records: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the report exists and succeeded (``ok`` or ``skipped``)."""
        return self.status in ("ok", "skipped")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (used by the sweep)."""
        return jsonable(asdict(self))


def _normalise_executed(nb: Any, nb_path: Path, meta: Mapping[str, Any]) -> None:
    """Strip timing/absolute-path metadata papermill writes, store the pivot metadata."""
    pm = nb.metadata.get("papermill", {})
    for k in (*_TIMING_KEYS, "input_path", "output_path"):
        pm.pop(k, None)
    pm.pop("environment_variables", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random id
        cpm = cell.metadata.get("papermill")
        if cpm:
            for k in _TIMING_KEYS:
                cpm.pop(k, None)
        cell.metadata.pop("execution", None)
    nb.metadata["pivot"] = jsonable(dict(meta))


def _choose_name(day_dir: Path, stem: str, fp: str, force: bool) -> tuple[str, dict | None]:
    """Return (name, existing sidecar to reuse or None). Caller holds the reports lock."""
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        side = day_dir / f"{name}.json"
        if not side.exists() and not (day_dir / f"{name}.ipynb").exists():
            return name, None
        if side.exists() and not force:
            try:
                meta = json.loads(side.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                meta = {}
            if (meta.get("fingerprint") == fp and meta.get("status") == "ok"
                    and (day_dir / f"{name}.ipynb").exists()
                    and (not meta.get("html") or (day_dir / meta["html"]).exists())):
                return name, meta
        n += 1


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_suffix(_tmp_suffix())
    tmp.write_text(json.dumps(jsonable(data), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run_report(notebook: str | os.PathLike[str], parameters: Mapping[str, Any] | None = None,
               *, date: str | None = None, reports_root: Path | None = None,
               timeout: int = DEFAULT_TIMEOUT, html_export: bool = True,
               single_file: bool = False, force: bool = False, update_index: bool = True,
               kernel_name: str = config.KERNEL_NAME, raise_on_error: bool = True,
               warm: WarmKernel | None = None) -> ReportResult:
    """Execute a notebook with parameters and export its HTML briefing.

    Parameters
    ----------
    notebook : str or path
        Notebook path, stem (``"02-event-study"``) or number (``"02"``).
    parameters : mapping, optional
        Parameter overrides (validated against :mod:`pivotlib.params` before any kernel
        starts). ``dataset`` defaults to ``PIVOT_DATASET`` when that is set.
    date : str, optional
        Report date folder (ISO); default today.
    reports_root : Path, optional
        Default :func:`pivotlib.config.reports_dir`.
    timeout : int
        Per-cell timeout in seconds.
    html_export, single_file : bool
        Write the HTML page; inline plotly.js into it.
    force : bool
        Run even when an identical report exists (the new one gets a suffix).
    update_index : bool
        Rebuild ``reports/index.html`` afterwards.
    kernel_name : str
        Jupyter kernel (default ``pivotlib``).
    raise_on_error : bool
        Raise :class:`~pivotlib.errors.RunError` when the notebook fails (after saving it).
    warm : WarmKernel, optional
        Run on this already started kernel (reset first) instead of starting a new one.

    Returns
    -------
    ReportResult

    Raises
    ------
    InputError
        Unknown notebook or bad parameters (before execution).
    PivotError
        The notebook raised; its executed copy (with the traceback) is kept. The class
        follows the notebook's exception (:func:`failure_class`): InputError (exit 2),
        DataError (3), SourceError (4), else RunError (5).
    """
    import nbformat
    from filelock import FileLock

    from . import params as _params

    nb_path = resolve_notebook(notebook)
    overrides = dict(parameters or {})
    defaults = notebook_parameters(nb_path)
    if "dataset" in defaults and "dataset" not in overrides and os.environ.get("PIVOT_DATASET"):
        overrides["dataset"] = os.environ["PIVOT_DATASET"]
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise InputError(f"notebook {nb_path.stem!r} has no parameter(s) {', '.join(unknown)}; "
                         f"its parameters are: {', '.join(defaults) or '(none)'}")
    _params.check_overrides(nb_path.stem, overrides, defaults)  # fail fast, before a kernel
    merged = {**defaults, **overrides}
    root = reports_root or config.reports_dir()
    day = _dt.date.fromisoformat(date).isoformat() if date else _dt.date.today().isoformat()
    day_dir = root / day
    day_dir.mkdir(parents=True, exist_ok=True)
    changed = {k: v for k, v in overrides.items()
               if jsonable(v) != jsonable(defaults.get(k, object()))}
    stem = f"{nb_path.stem}-{param_slug(changed)}"
    fp = fingerprint(nb_path, {**merged, "__html__": "single" if single_file else
                               ("shared" if html_export else "none")})

    with FileLock(str(root / ".reports.lock")):
        name, existing = _choose_name(day_dir, stem, fp, force)
        if existing is None:  # reserve the name
            _write_json(day_dir / f"{name}.json", {"status": "running", "name": name})
    ipynb = day_dir / f"{name}.ipynb"
    html_file = day_dir / f"{name}.html"
    side = day_dir / f"{name}.json"
    if existing is not None:
        return ReportResult(notebook=nb_path.stem, name=name, parameters=jsonable(overrides),
                            status="skipped", ipynb=str(ipynb),
                            html=str(day_dir / existing["html"]) if existing.get("html") else None,
                            sidecar=str(side), records=existing.get("records", {}))

    meta: dict[str, Any] = {
        "name": name, "notebook": nb_path.stem, "date": day, "parameters": jsonable(overrides),
        "merged_parameters": jsonable(merged), "fingerprint": fp,
        "pivotlib": __version__, "ipynb": ipynb.name, "html": None,
    }
    t0 = time.perf_counter()
    error: str | None = None
    try:
        _execute(nb_path, ipynb, overrides, kernel_name=kernel_name, timeout=timeout,
                 warm=warm)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then re-raised
        error = _error_text(exc)
    elapsed = time.perf_counter() - t0

    records: dict[str, Any] = {}
    if ipynb.exists():
        nb = nbformat.read(str(ipynb), as_version=4)
        records = read_records(nb)
        meta.update(status="failed" if error else "ok", error=error, records=records,
                    title=records.get("title") or nb_path.stem)
        _normalise_executed(nb, ipynb, meta)
        nbformat.write(nb, str(ipynb))
    else:
        meta.update(status="failed", error=error or "notebook was not executed", records={})
        error = meta["error"]

    if not error and html_export:
        try:
            export_html(ipynb, html_file, single_file=single_file, meta=meta, reports_root=root)
            meta["html"] = html_file.name
        except Exception as exc:  # noqa: BLE001
            error = f"HTML export failed: {_error_text(exc)}"
            meta.update(status="failed", error=error)
    _write_json(side, meta)
    if update_index:
        build_index(root)
    res = ReportResult(notebook=nb_path.stem, name=name, parameters=jsonable(overrides),
                       status=meta["status"], ipynb=str(ipynb),
                       html=str(html_file) if meta.get("html") else None, sidecar=str(side),
                       elapsed=round(elapsed, 3), error=error, records=records)
    if error and raise_on_error:
        cls = failure_class(error)
        raise cls(f"{nb_path.stem} failed: {error}; the executed notebook with the "
                  f"traceback is at {ipynb}")
    return res


def failure_class(error: str | None) -> type[PivotError]:
    """The pivotlib error class matching a failed notebook's exception, for the exit code.

    A notebook that stopped on an ``InputError`` (exit 2), ``DataError``/``OfflineError``
    (3) or ``SourceError`` (4) maps to that class, so a scheduler can act on the cause
    (fix the input, fetch data, retry later); any other failure is a :class:`RunError` (5).
    """
    from . import errors as _errors

    ename = (error or "").split(":", 1)[0].strip()
    cls = getattr(_errors, ename, None)
    if isinstance(cls, type) and issubclass(cls, PivotError) and cls is not PivotError:
        return cls
    return RunError


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
_RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import sys as _sys
_m = _sys.modules.get("pivotlib.reports")
if _m is not None:
    _m._RECORDED.clear()
del _sys, _m
get_ipython().execution_count = 1
"""


class WarmKernel:
    """A started Jupyter kernel reused across report runs (the sweep's per-worker kernel).

    Starting a kernel and importing pandas/scipy/plotly costs about 2 s per report on a
    2-core machine; a sweep worker keeps one kernel alive instead. Before every run the
    kernel's user namespace is wiped with ``%reset -f``, values recorded by
    :func:`record` are cleared and the execution counter is set back to 1, so the executed
    notebook matches a fresh-kernel run; imported modules stay loaded (that is the saving).
    After a failed run the kernel is shut down and the next run starts a new one.
    """

    def __init__(self, kernel_name: str = config.KERNEL_NAME, cwd: Path | None = None) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd or config.notebooks_dir()
        self.km: Any = None

    def manager(self) -> Any:
        """The running kernel manager (started on first use or after a failure)."""
        if self.km is not None and self.km.is_alive():
            return self.km
        from jupyter_client.manager import KernelManager

        ensure_kernel(self.kernel_name)
        # nbclient drives the kernel from an event loop: give it an *async* client, or a
        # blocking get_msg() starves nbclient's kernel-alive poll and a dead kernel hangs the run.
        km = KernelManager(kernel_name=self.kernel_name,
                           client_class="jupyter_client.asynchronous.AsyncKernelClient")
        km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=str(self.cwd))
        self.km = km
        return km

    def reset(self) -> None:
        """Wipe the user namespace and execution counter (imports stay warm)."""
        from jupyter_client.blocking import BlockingKernelClient

        km = self.manager()
        kc = BlockingKernelClient()
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(_RESET_CODE, store_history=False, timeout=60,
                                           output_hook=lambda msg: None)
            if reply["content"].get("status") != "ok":
                raise RunError(f"could not reset the warm kernel: {reply['content']}")
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        """Stop the kernel (idempotent)."""
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - already dead
                pass
            self.km = None


def _engine() -> str:
    """Register (once) and return papermill's ``pivot`` engine.

    nbclient as papermill runs it, plus two things: it can run on a given (warm) kernel
    manager (``km``), and when execution stops abnormally (the kernel died, a cell timed out,
    an interrupt) it writes the partially executed notebook to ``pivot_output`` before
    re-raising, so the analyst can read what ran up to the failure. Papermill itself only
    writes the output after a normal finish or a cell error, unless asked to save after every
    cell, which re-serialises the whole notebook (plotly payloads included) twice per cell and
    cost ~0.7 s per report.
    """
    import logging

    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class PivotEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, km=None, pivot_output=None,
                                     **kwargs):
            for k in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(k, None)
            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logging.getLogger("papermill"),
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                **kwargs)
            try:
                return client.execute()
            except BaseException:
                if pivot_output:
                    try:
                        write_ipynb(nb_man.nb, pivot_output)
                    except Exception:  # noqa: BLE001 - never mask the original failure
                        pass
                raise
            finally:
                if km is not None and client.kc is not None:
                    client.kc.stop_channels()  # a warm kernel outlives its client

    if "pivot" not in papermill_engines._engines:
        papermill_engines.register("pivot", PivotEngine)
    return "pivot"


def _execute(nb_path: Path, out: Path, parameters: Mapping[str, Any], *, kernel_name: str,
             timeout: int, warm: WarmKernel | None = None) -> None:
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    # the kernel inherits this process's environment (PIVOT_HOME, PIVOT_DATASET, ...); its
    # cwd is the notebooks folder, and pivotlib.config finds the project from the package
    ensure_kernel(kernel_name)
    extra: dict[str, Any] = {"engine_name": _engine(), "pivot_output": str(out)}
    if warm is not None:
        warm.reset()
        extra["km"] = warm.manager()
    try:
        pm.execute_notebook(
            str(nb_path), str(out), parameters=dict(parameters), kernel_name=kernel_name,
            language="python", cwd=str(nb_path.parent), progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=timeout,
            extra_arguments=list(_KERNEL_ARGS), **extra,
        )
    except BaseException:
        if warm is not None:
            warm.shutdown()  # unknown state after a failure or timeout: start afresh next time
        raise


# ---------------------------------------------------------------------------------------------
# index
# ---------------------------------------------------------------------------------------------

def list_reports(reports_root: Path | None = None) -> list[dict[str, Any]]:
    """Every report sidecar under ``reports/<date>/``, newest date first."""
    root = reports_root or config.reports_dir()
    out = []
    for side in sorted(root.glob("*/*.json")):
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", side.parent.name):
            continue
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if "notebook" not in meta:
            continue
        meta["_dir"] = side.parent.name
        out.append(meta)
    out.sort(key=lambda m: (m["_dir"], m.get("name", "")), reverse=False)
    out.sort(key=lambda m: m["_dir"], reverse=True)
    return out


def _fmt_pct(v: Any) -> str:
    return f"{v * 100:+.1f}%" if isinstance(v, int | float) and not isinstance(v, bool) else ""


def _fmt_p(rec: Mapping[str, Any]) -> str:
    p = rec.get("p_value")
    if not isinstance(p, int | float) or isinstance(p, bool):
        return ""
    stars = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""
    return f"p={p:.3f}{stars}"


_INDEX_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecea; }
.syn { background: #b00020; color: white; font-weight: bold; padding: 1px 5px; border-radius: 3px;
  font-size: 11px; }
"""


def build_index(reports_root: Path | None = None) -> Path:
    """Write ``reports/index.html`` listing every report (date, symbol, event, CAR, p, links).

    Built only from the JSON sidecars; every string from them is HTML-escaped.
    """
    root = reports_root or config.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in list_reports(root):
        rec = m.get("records") or {}
        d = m["_dir"]
        links = []
        if m.get("html"):
            links.append(f"<a href='{html.escape(d + '/' + m['html'])}'>html</a>")
        if m.get("ipynb"):
            links.append(f"<a href='{html.escape(d + '/' + m['ipynb'])}'>ipynb</a>")
        status = str(m.get("status", ""))
        syn = " <span class='syn'>SYNTHETIC</span>" if rec.get("synthetic") else ""
        event = rec.get("event_id") or rec.get("category") or ""
        headline = rec.get("headline") or ""
        title = rec.get("title") or m.get("notebook", "")
        err = f"<br><small>{html.escape(str(m.get('error') or ''))[:300]}</small>" if m.get(
            "error") else ""
        sig = rec.get("significant")
        sig_txt = _fmt_p(rec) + (" (significant)" if sig is True else "")
        rows.append(
            f"<tr class='{html.escape(status)}'><td>{html.escape(d)}</td>"
            f"<td>{html.escape(str(title))}{syn}<br><small>{html.escape(m.get('name', ''))}"
            f"</small></td>"
            f"<td>{html.escape(str(rec.get('symbol') or rec.get('symbols') or ''))}</td>"
            f"<td>{html.escape(str(event))}<br><small>{html.escape(str(headline))}</small></td>"
            f"<td class='num'>{html.escape(_fmt_pct(rec.get('car')))}"
            f"<br><small>{html.escape(str(rec.get('car_window') or ''))}</small></td>"
            f"<td>{html.escape(sig_txt)}</td>"
            f"<td>{html.escape(status)}{err}</td><td>{' '.join(links)}</td></tr>")
    body = "\n".join(rows) or "<tr><td colspan='8'>No reports yet: run <code>pivot demo</code>.</td></tr>"
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>pivot reports</title>"
        f"<style>{_INDEX_CSS}</style></head><body>"
        "<h1>pivot reports</h1>"
        "<p>Every executed report, newest first. Reports marked "
        "<span class='syn'>SYNTHETIC</span> were made from the embedded synthetic demo data and "
        "say nothing about real markets. CAR = cumulative abnormal return over the event window; "
        "p = two-sided p-value of the headline test (* 10%, ** 5%, *** 1%).</p>"
        "<table><thead><tr><th>date</th><th>report</th><th>symbol</th><th>event</th>"
        "<th>CAR</th><th>significance</th><th>status</th><th>files</th></tr></thead><tbody>\n"
        f"{body}\n</tbody></table></body></html>\n")
    path = root / "index.html"
    tmp = path.with_suffix(_tmp_suffix())
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------
# briefing set
# ---------------------------------------------------------------------------------------------

def run_briefing_set(parameters: Mapping[str, Any] | None = None, *, date: str | None = None,
                     reports_root: Path | None = None, workers: int = 1,
                     single_file: bool = False, force: bool = False,
                     progress: bool = False) -> list[dict[str, Any]]:
    """Run :data:`BRIEFING_SET` (optionally with common overrides such as ``dataset``).

    Failures are isolated (each item's result dict has ``ok``/``error``); the index is rebuilt
    once at the end. Returns one result dict per notebook (see :func:`pivotlib.sweep.run_sweep_item`).
    """
    from .sweep import run_items

    common = dict(parameters or {})
    items = []
    for nb, extra in BRIEFING_SET:
        nbp = resolve_notebook(nb)
        defaults = notebook_parameters(nbp)
        prm = {**{k: v for k, v in common.items() if k in defaults}, **extra}
        items.append({"notebook": nb, "parameters": prm, "date": date,
                      "reports_root": str(reports_root) if reports_root else None,
                      "single_file": single_file, "force": force})
    results = run_items(items, workers=workers, progress=progress)
    build_index(reports_root)
    return results


# ---------------------------------------------------------------------------------------------
# notebook helpers: thin glue between validated parameters and the analysis modules, so the
# notebooks hold no logic of their own
# ---------------------------------------------------------------------------------------------

def refresh_data(p: Mapping[str, Any]) -> str:
    """Fetch the requested symbols into the store when ``dataset == "store"`` and online.

    Returns a one-line message of what was done (nothing for demo/csv datasets or offline).
    """
    ds = p.get("dataset") or "demo"
    if ds != "store":
        return f"dataset {ds!r}: nothing to fetch (read-only)."
    if p.get("offline") or config.offline():
        return "offline: no fetch; showing the store as it is."
    from .data import fetch_symbols

    rep = fetch_symbols(list(p.get("symbols") or []) or None, p.get("start"), p.get("end"))
    msg = f"fetched {len(rep.written)} symbol(s), {sum(rep.new_rows.values())} new rows"
    if rep.errors:
        msg += "; errors: " + "; ".join(f"{k}: {v}" for k, v in sorted(rep.errors.items()))
    return msg + "."


def data_status(dataset: str | None = None, symbols: Iterable[str] | None = None):
    """Status table of the dataset's files (:meth:`pivotlib.store.PriceStore.status`).

    ``csv:`` datasets have no metadata files; their status is derived from the loaded prices.
    """
    import pandas as pd

    from .store import PriceStore

    ds = dataset or os.environ.get("PIVOT_DATASET") or "demo"
    folder = _dataset_folder(ds)
    if ds.startswith("csv:") or folder is None:
        from .data import load_prices

        px = load_prices(list(symbols) if symbols else None, dataset=ds)
        rows = [{"symbol": c, "source": "csv", "first": _day(px[c].first_valid_index()),
                 "last": _day(px[c].last_valid_index()), "rows": int(px[c].notna().sum())}
                for c in px.columns]
        return pd.DataFrame(rows)
    st = PriceStore(folder).status()
    if symbols:
        st = st[st["symbol"].isin(list(symbols))]
    return st.reset_index(drop=True)


def _day(d: Any) -> str:
    return "" if d is None else str(d)[:10]


def quality_flags(prices: Any, *, max_move: float = 0.60, frozen_run: int = 5):
    """Data-quality flags per symbol from a wide close frame.

    Flags: ``gaps`` (missing sessions after the first valid close, excluding the trailing
    end), ``frozen`` (``frozen_run`` or more identical consecutive closes), ``big moves``
    (absolute daily simple return above ``max_move``, with the largest and its date),
    ``non-positive`` (closes <= 0).

    Returns
    -------
    DataFrame
        Index symbol; columns first, last, sessions, missing, max_abs_return, max_move_date,
        flags (``""`` when clean).
    """
    import numpy as np
    import pandas as pd

    rows = []
    for sym in prices.columns:
        s = prices[sym]
        fv, lv = s.first_valid_index(), s.last_valid_index()
        if fv is None:
            rows.append({"symbol": sym, "first": "", "last": "", "sessions": 0, "missing": 0,
                         "max_abs_return": np.nan, "max_move_date": "", "flags": "no data"})
            continue
        span = s.loc[fv:lv]
        missing = int(span.isna().sum())
        ret = span.dropna().pct_change().dropna()
        flags = []
        if missing:
            flags.append(f"{missing} missing sessions")
        same = span.dropna().diff().eq(0)
        run = int(same.groupby((~same).cumsum()).sum().max() or 0) + 1 if len(same) else 0
        if run >= frozen_run:
            flags.append(f"frozen price for {run} sessions")
        big = ret[ret.abs() > max_move]
        if len(big):
            flags.append(f"{len(big)} daily move(s) beyond +-{max_move:.0%}")
        if (span.dropna() <= 0).any():
            flags.append("non-positive closes")
        imax = ret.abs().idxmax() if len(ret) else None
        rows.append({"symbol": sym, "first": _day(fv), "last": _day(lv),
                     "sessions": int(span.notna().sum()), "missing": missing,
                     "max_abs_return": float(ret.abs().max()) if len(ret) else np.nan,
                     "max_move_date": _day(imax), "flags": "; ".join(flags)})
    return pd.DataFrame(rows).set_index("symbol")


def _regressors(p: Mapping[str, Any]) -> list[str]:
    model = p.get("model", "market")
    if model == "factors":
        return list(p.get("factors") or [])
    if model in ("market", "market_adjusted"):
        return [p.get("market") or "SPY"]
    return []


def company_events(catalog: Any = None):
    """The catalog without SECTOR context rows (:func:`pivotlib.events.company_events`)."""
    from .events import company_events as _company_events

    return _company_events(catalog)


def ai_events(catalog: Any = None, symbol: str | None = None):
    """Company events whose category is an AI/HPC category (:func:`pivotlib.regimes.is_ai_category`),
    optionally of one symbol."""
    from .regimes import is_ai_category

    cat = company_events(catalog)
    cat = cat[cat["category"].map(is_ai_category)]
    if symbol:
        cat = cat[cat["symbol"] == symbol]
    return cat.reset_index(drop=True)


def headline_event(catalog: Any = None, *, dataset: str | None = None, window_end: int = 1,
                   estimation: int = 250) -> str:
    """The default headline event: the most recent large AI deal the data can study.

    Among company events whose category is an AI category
    (:func:`pivotlib.regimes.is_ai_category`) with a disclosed deal size and ``verified``
    confidence, keep those with ``estimation`` sessions of data before and the event window
    inside the data, and return the latest (ties: the largest deal).
    """
    from .data import load_prices
    from .regimes import is_ai_category

    cat = company_events(catalog)
    px = load_prices(["SPY"], dataset=dataset)
    idx = px["SPY"].dropna().index
    if len(idx) < estimation + 20:
        raise InputError("the dataset is too short for an event study; fetch more history")
    lo, hi = idx[estimation + 10], idx[-1 - max(window_end, 0)]
    c = cat[cat["category"].map(is_ai_category) & cat["deal_usd"].notna()
            & (cat["confidence"] == "verified")
            & (cat["event_date"] >= lo) & (cat["event_date"] <= hi)]
    if c.empty:
        c = cat[(cat["event_date"] >= lo) & (cat["event_date"] <= hi)]
    if c.empty:
        raise InputError("no catalog event falls inside the data; pass event_id explicitly")
    c = c.sort_values(["event_date", "deal_usd"], ascending=[False, False], na_position="last")
    return str(c["event_id"].iloc[0])


def resolve_event(p: Mapping[str, Any], catalog: Any = None):
    """One-row events frame for a notebook: ``event_id`` from the catalog, or an ad-hoc event
    from ``symbol`` + ``date`` (+ ``timing``), or the :func:`headline_event` when neither."""
    from .events import load_catalog, make_event

    cat = load_catalog() if catalog is None else catalog
    eid = p.get("event_id")
    if not eid and p.get("symbol") and p.get("date"):
        return make_event(p["symbol"], p["date"], p.get("timing") or "unknown",
                          headline=f"Ad-hoc event for {p['symbol']} on {p['date']}")
    if not eid:
        eid = headline_event(cat, dataset=p.get("dataset"),
                             window_end=int((p.get("window") or (-1, 1))[1]))
    row = cat[cat["event_id"] == eid]
    if row.empty:
        raise InputError(f"event_id {eid!r} is not in the catalog; `pivot events list` shows ids")
    return row.reset_index(drop=True)


def event_study(p: Mapping[str, Any], events: Any, *, catalog: Any = None,
                window: Sequence[int] | None = None, returns: Any = None,
                strict: bool = True, **engine_options: Any):
    """Run :func:`pivotlib.eventstudy.run_event_study` with a notebook's parameters.

    Loads the returns of the event symbols plus the model's regressors from ``p["dataset"]``
    (unless ``returns`` is given) and masks the catalog's other events of the same symbols.

    Catalog events are staggered in time, so the Kolari-Pynnonen correction weights each pair
    of events by the share of event-window days they share (``kp_weight="event_overlap"``);
    the engine's default (``"none"``) treats every pair as fully overlapping, the clustered
    case KP (2010) was built for, and would shrink the t statistic of staggered events by
    ``sqrt((1 - r) / (1 + (n - 1) r))`` for no reason. ``engine_options`` override this.

    With ``strict`` (the notebooks' case) a single event that cannot be studied raises
    :class:`~pivotlib.errors.InputError` with the engine's reason; otherwise the reason is
    left in ``res.events["status"]``.

    Returns
    -------
    (EventStudyResult, returns DataFrame)
    """
    from .data import load_returns
    from .eventstudy import run_event_study

    syms = sorted({str(s) for s in events["symbol"]})
    regs = _regressors(p)
    if returns is None:
        returns = load_returns(list(dict.fromkeys(syms + regs)), dataset=p.get("dataset"))
    other = company_events(catalog)
    res = run_event_study(returns, events, model=p.get("model", "market"),
                          market=p.get("market") or "SPY", factors=regs if p.get(
                              "model") == "factors" else None,
                          estimation=tuple(p.get("estimation") or (-250, -11)),
                          window=tuple(window or p.get("window") or (-1, 1)),
                          other_events=other,
                          **{"kp_weight": "event_overlap", **engine_options})
    if strict and len(events) == 1 and (res.events["status"] != "ok").all():
        status = str(res.events["status"].iloc[0])
        est = tuple(p.get("estimation") or (-250, -11))
        raise InputError(
            f"event {events['event_id'].iloc[0]} cannot be studied: {status}. If the stock has "
            f"too little history before the event, shorten the estimation window (now "
            f"{list(est)}), e.g. -p estimation '[-110, -11]' (the engine needs 100 "
            "observations); if it was not listed yet, there is nothing to measure")
    return res, returns


def car_band(res: Any, level: float = 0.95):
    """CAR (one event) or CAAR (several) path by event day with a normal confidence band.

    One event: ``CAR_k +- z * sigma * sqrt(sum of C_t up to k)`` (the engine's forecast-error
    factors ``C_t``; MacKinlay 1997 eq. 15 without the parameter-uncertainty cross terms).
    Several events: ``CAAR_k +- z * sd_i(CAR_ik) / sqrt(N)`` (cross-sectional).
    """
    from statistics import NormalDist

    import numpy as np
    import pandas as pd

    z = NormalDist().inv_cdf(0.5 + level / 2)
    ar = res.ar
    ok = res.events[res.events["status"] == "ok"]
    if len(ok) == 1:
        sigma = float(ok["sigma"].iloc[0])
        a = ar.sort_values("rel_day")
        se = sigma * np.sqrt(a["c_t"].cumsum().to_numpy())
        out = pd.DataFrame({"car": a["car"].to_numpy(), "se": se}, index=a["rel_day"].to_numpy())
    else:
        wide = ar.pivot(index="rel_day", columns="event_id", values="car")
        n = wide.notna().sum(axis=1)
        out = pd.DataFrame({"car": wide.mean(axis=1), "se": wide.std(axis=1, ddof=1) / np.sqrt(n)})
    out["lower"] = out["car"] - z * out["se"]
    out["upper"] = out["car"] + z * out["se"]
    out.index.name = "rel_day"
    return out


def headline_test(res: Any) -> tuple[str, float, float]:
    """(test name, statistic, p-value) to headline a result.

    One event: the CAR t-test (``car_t``, df = M - k). Several: Kolari-Pynnonen adjusted BMP
    t when available (robust to event-induced variance and cross-correlation), else BMP t,
    else the cross-sectional t.
    """
    import math

    ok = res.events[res.events["status"] == "ok"]
    if len(ok) == 1:
        r = ok.iloc[0]
        return "CAR t-test", float(r["car_t"]), float(r["car_p"])
    for name, label in (("kp_bmp_t", "BMP t, Kolari-Pynnonen adjusted"), ("bmp_t", "BMP t"),
                        ("cross_sectional_t", "cross-sectional t")):
        if name in res.tests.index and math.isfinite(float(res.tests.at[name, "p_value"])):
            return label, float(res.tests.at[name, "statistic"]), float(
                res.tests.at[name, "p_value"])
    return "none", float("nan"), float("nan")


def test_agreement(res: Any, alpha: float = 0.05) -> tuple[int, int]:
    """(number of tests significant at ``alpha``, number of tests with a p-value)."""
    import numpy as np

    pv = res.tests["p_value"].to_numpy(dtype=float)
    pv = pv[np.isfinite(pv)]
    return int((pv < alpha).sum()), int(len(pv))


def window_table(p: Mapping[str, Any], events: Any, returns: Any, catalog: Any = None):
    """CAR, t and p of one event over each window in ``p["windows"]`` (one run per window)."""
    import pandas as pd

    rows = []
    for w in p.get("windows") or [p.get("window")]:
        try:
            r, _ = event_study(p, events, catalog=catalog, window=w, returns=returns)
        except InputError as exc:
            rows.append({"window": f"[{w[0]}, {w[1]}]", "car": float("nan"), "t": float("nan"),
                         "p_value": float("nan"), "note": str(exc)[:80]})
            continue
        name, stat, pv = headline_test(r)
        rows.append({"window": f"[{w[0]}, {w[1]}]", "car": float(r.caar), "t": stat,
                     "p_value": pv, "note": ""})
    return pd.DataFrame(rows)


def residual_diagnostics(y: Any, X: Any, lags: int = 10):
    """OLS residual diagnostics with numpy (no statsmodels import, which costs ~2 s).

    ``X`` must include the constant column. Formulas (``e`` = OLS residuals, ``n`` obs):

    * Jarque-Bera (1980): ``JB = n/6 (S^2 + (K - 3)^2 / 4)`` with sample skewness ``S`` and
      kurtosis ``K`` (biased moments), ``p = P(chi2_2 > JB)``;
    * Durbin-Watson (1950): ``sum (e_t - e_{t-1})^2 / sum e_t^2`` (2 = no autocorrelation);
    * Ljung-Box (1978): ``Q = n (n + 2) sum_{k<=lags} r_k^2 / (n - k)``, ``p = P(chi2_lags > Q)``;
    * Breusch-Pagan (1979) in Koenker's (1981) studentised form: ``LM = n R^2`` of ``e^2`` on
      ``X``, ``p = P(chi2_{k-1} > LM)``.

    These match ``statsmodels`` (``jarque_bera``, ``durbin_watson``, ``acorr_ljungbox``,
    ``het_breuschpagan``); tests/test_reports.py checks it.

    Returns
    -------
    DataFrame
        Index = test; columns statistic, p_value, reading.
    """
    import numpy as np
    import pandas as pd
    from scipy.special import chdtrc

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ beta
    m2 = float(np.mean((e - e.mean()) ** 2))
    skew = float(np.mean((e - e.mean()) ** 3) / m2 ** 1.5)
    kurt = float(np.mean((e - e.mean()) ** 4) / m2 ** 2)
    jb = n / 6.0 * (skew ** 2 + (kurt - 3.0) ** 2 / 4.0)
    dw = float(np.sum(np.diff(e) ** 2) / np.sum(e ** 2))
    ec = e - e.mean()
    denom = float(np.sum(ec ** 2))
    r = np.array([np.sum(ec[j:] * ec[:-j]) / denom for j in range(1, lags + 1)])
    q = float(n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, lags + 1))))
    e2 = e ** 2
    b2, *_ = np.linalg.lstsq(X, e2, rcond=None)
    fitted = X @ b2
    r2 = 1.0 - float(np.sum((e2 - fitted) ** 2) / np.sum((e2 - e2.mean()) ** 2))
    lm = n * r2
    out = pd.DataFrame(columns=["statistic", "p_value", "reading"], dtype=object)
    out.loc["Jarque-Bera (normality)"] = [jb, float(chdtrc(2, jb)),
                                           f"skew {skew:.2f}, kurtosis {kurt:.1f}"]
    out.loc["Durbin-Watson"] = [dw, float("nan"), "2 = no autocorrelation"]
    out.loc[f"Ljung-Box Q({lags})"] = [q, float(chdtrc(lags, q)), "residual autocorrelation"]
    out.loc["Breusch-Pagan (Koenker)"] = [lm, float(chdtrc(k - 1, lm)) if k > 1 else float("nan"),
                                          "heteroskedasticity"]
    out["statistic"] = out["statistic"].astype(float)
    out["p_value"] = out["p_value"].astype(float)
    return out


def model_fit(res: Any, returns: Any, p: Mapping[str, Any]):
    """Normal-return model fit of a one-event study with residual diagnostics.

    Coefficients, sigma and R2 are the engine's (``res.events``); the diagnostics
    (:func:`residual_diagnostics`) come from an OLS refit on the same estimation window
    (other events not masked): Jarque-Bera, Durbin-Watson, Ljung-Box Q(10), Breusch-Pagan.

    Returns
    -------
    (coefficients DataFrame, diagnostics DataFrame)
    """
    import numpy as np
    import pandas as pd

    ok = res.events[res.events["status"] == "ok"]
    if ok.empty:
        raise InputError("the event was dropped by the event study: " +
                         "; ".join(map(str, res.events["status"])))
    r = ok.iloc[0]
    coef_cols = ["alpha"] + [c for c in ok.columns if str(c).startswith("beta_")]
    rows = [(c, f"{float(r[c]):.4f}") for c in coef_cols]
    rows += [("sigma (daily)", f"{float(r['sigma']):.2%}"), ("R2", f"{float(r['r2']):.3f}"),
             ("estimation sessions", f"{int(r['n_est'])}")]
    coefs = pd.DataFrame({"estimate": [v for _, v in rows]}, index=[k for k, _ in rows])
    regs = _regressors(p) if p.get("model") in ("factors", "market") else []
    if not regs:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    idx = returns.index
    pos = int(idx.searchsorted(pd.Timestamp(r["day0"])))
    e0, e1 = (p.get("estimation") or (-250, -11))
    sl = returns.iloc[max(0, pos + e0): max(0, pos + e1 + 1)]
    frame = sl[[str(r["symbol"])] + regs].dropna()
    if len(frame) < 30:
        return coefs, pd.DataFrame(columns=["statistic", "p_value", "reading"])
    X = np.column_stack([np.ones(len(frame)), frame[regs].to_numpy()])
    return coefs, residual_diagnostics(frame[str(r["symbol"])].to_numpy(), X)


def stats_table(res: Any):
    """The full test table with descriptions (``res.to_frame()``), trimmed for display."""
    t = res.to_frame()
    keep = ["test", "statistic", "p_value", "df", "distribution", "description"]
    return t[[c for c in keep if c in t.columns]].set_index("test")


def planted_effect(event_id: str | None, dataset: str | None = None) -> float | None:
    """The abnormal return planted on ``event_id`` in the SYNTHETIC demo data (else None)."""
    import pandas as pd

    ds = dataset or os.environ.get("PIVOT_DATASET") or "demo"
    path = config.synthetic_dir() / "planted_effects.csv"
    if ds != "demo" or not event_id or not path.is_file():
        return None
    pe = pd.read_csv(path)
    row = pe[pe["event_id"] == event_id]
    return None if row.empty else float(row["planted_ar"].iloc[0])


def select_sector_events(p: Mapping[str, Any], catalog: Any = None):
    """Company events matching a sector notebook's category / symbols / date range."""
    from .events import select_events

    cat = company_events(catalog)
    out = select_events(cat, categories=p.get("category") or None,
                        symbols=list(p.get("symbols") or []) or None,
                        start=p.get("start"), end=p.get("end"))
    if out.empty:
        raise InputError("no catalog events match category/symbols/start/end; widen the "
                         "selection (`pivot events list` shows the catalog)")
    return out


def event_forest(res: Any, catalog: Any = None, level: float = 0.95):
    """Per-event CAR with a normal interval from the CAR t statistic (``se = CAR / t``)."""
    from statistics import NormalDist

    import numpy as np

    z = NormalDist().inv_cdf(0.5 + level / 2)
    ev = res.events[res.events["status"] == "ok"].copy()
    se = (ev["car"] / ev["car_t"]).abs().replace([np.inf], np.nan)
    ev["lower"] = ev["car"] - z * se
    ev["upper"] = ev["car"] + z * se
    ev = ev.reset_index()
    if catalog is not None:
        ev = ev.merge(catalog[["event_id", "category", "headline", "deal_usd"]], on="event_id",
                      how="left")
    return ev


def cross_section(res: Any, catalog: Any, min_per_category: int = 3):
    """Cross-sectional regression of CAR on deal size and category (OLS, HC3 robust SE).

    ``CAR_i = a + b * log10(deal_usd_i) * disclosed_i + c * disclosed_i + sum_k d_k cat_ik + e``
    where undisclosed deals get ``disclosed = 0`` (and no size term); categories with fewer than
    ``min_per_category`` events are pooled into ``other`` (the base level is the most common
    category). White (1980) / MacKinnon-White (1985) HC3 standard errors.

    Returns
    -------
    (coefficient table DataFrame, info dict with n, r2, base category)
    """
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    ev = event_forest(res, catalog)
    ev = ev[np.isfinite(ev["car"])]
    if len(ev) < 6:
        raise InputError(f"only {len(ev)} events: too few for a cross-sectional regression "
                         "(need 6+); widen the selection")
    disclosed = ev["deal_usd"].notna() & (ev["deal_usd"] > 0)
    X = pd.DataFrame(index=ev.index)
    X["log10_deal_usd"] = np.where(disclosed, np.log10(ev["deal_usd"].where(disclosed, 1.0)), 0.0)
    X["deal_disclosed"] = disclosed.astype(float)
    cats = ev["category"].fillna("other")
    counts = cats.value_counts()
    cats = cats.where(cats.map(counts) >= min_per_category, "other")
    base = cats.value_counts().index[0]
    dummies = pd.get_dummies(cats, prefix="cat", dtype=float).drop(columns=f"cat_{base}")
    X = pd.concat([X, dummies], axis=1)
    X = X.loc[:, X.std(ddof=0) > 0]
    X = sm.add_constant(X, has_constant="add")
    if X.shape[1] >= len(ev):
        raise InputError("more regressors than events; select more events or fewer categories")
    fit = sm.OLS(ev["car"].to_numpy(), X).fit(cov_type="HC3")
    table = pd.DataFrame({"coef": fit.params, "se_hc3": fit.bse, "t": fit.tvalues,
                          "p_value": fit.pvalues})
    info = {"n": int(fit.nobs), "r2": float(fit.rsquared), "base_category": str(base),
            "cov": "HC3"}
    return table, info


# ---------------------------------------------------------------------------------------------
# regime helpers (notebook 04 and the briefing share them, so the numbers agree)
# ---------------------------------------------------------------------------------------------

REGIME_SYMBOLS: tuple[str, ...] = ("APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR")
REGIME_FACTORS: tuple[str, ...] = ("SPY", "BTC-USD", "SMH")


def regime_returns(p: Mapping[str, Any], symbols: Sequence[str] | None = None,
                   factors: Sequence[str] | None = None):
    """Returns of the regime symbols and factors (``p["start"]``/``p["end"]`` when given)."""
    from .data import load_returns

    syms = list(symbols or p.get("symbols") or REGIME_SYMBOLS)
    facs = list(factors or p.get("factors") or REGIME_FACTORS)
    return load_returns(list(dict.fromkeys(syms + facs)), p.get("start"), p.get("end"),
                        dataset=p.get("dataset"))


def regime_scores(returns: Any, symbols: Sequence[str], factors: Sequence[str],
                  date: str | None = None, catalog: Any = None):
    """:func:`pivotlib.regimes.pivot_scores` at ``date`` or each miner's first AI event.

    Factors are read as (market, BTC, AI) = (first, the one containing BTC, last). Windows are
    250 sessions each side, clipped to the data (``clip=True``; at least 60 each side);
    symbols without enough data stay as rows with a note (``errors="skip"``).
    """
    from .regimes import pivot_scores

    facs = list(factors)
    btc = next((f for f in facs if "BTC" in f.upper()), facs[1] if len(facs) > 1 else facs[0])
    ai = facs[-1]
    market = facs[0]
    target = date or company_events(catalog)
    return pivot_scores(returns, list(symbols), facs, target, btc_factor=btc, ai_factor=ai,
                        market=market, errors="skip", clip=True)


def regime_breaks(returns: Any, symbols: Sequence[str], factors: Sequence[str],
                  catalog: Any = None):
    """Break date per symbol beside the nearest catalog announcement of that symbol.

    :func:`pivotlib.regimes.break_table` with the notebook's factors read as (market, BTC, AI)
    = (first, ..., last) and its robust default (HAC sup-F, Bai 1997 95% interval), plus the
    ``event_id`` of the nearest company event. Columns: symbol, break_date, ci_low, ci_high,
    sup_f, p_value, nearest_event (event id), sessions_from_event, event_in_ci, note.
    """
    import pandas as pd

    from .regimes import break_table

    cat = company_events(catalog)
    facs = list(factors)
    bt = break_table(returns, list(symbols), facs, events=cat, market=facs[0],
                     ai_factor=facs[-1]).reset_index()
    ids = {(str(r.symbol), pd.Timestamp(r.event_date)): str(r.event_id)
           for r in cat[["symbol", "event_date", "event_id"]].itertuples()}
    bt["nearest_event"] = [
        ids.get((str(sym), pd.Timestamp(d)), "") if pd.notna(d) else ""
        for sym, d in zip(bt["symbol"], bt.get("nearest_event", pd.Series(pd.NaT, index=bt.index)))]
    cols = ["symbol", "break_date", "ci_low", "ci_high", "sup_f", "p_value", "nearest_event",
            "sessions_from_event", "event_in_ci", "note"]
    for c in cols:
        if c not in bt:
            bt[c] = pd.NA
    bt["note"] = bt["note"].fillna("").astype(str)
    return bt[cols]


def quarterly_correlations(returns: Any, symbols: Sequence[str], factor: str,
                           factors: Sequence[str] | None = None, min_obs: int = 20):
    """Correlation of each symbol with ``factor`` by calendar quarter, as a heatmap matrix.

    :func:`pivotlib.regimes.quarterly_correlations` pivoted to rows = symbols, columns =
    quarters (``2024Q3``). With ``factors`` = the notebook's (market, BTC, AI) list, an AI
    ``factor`` (the last one) is residualised on the market first, so its column measures
    co-movement with AI-specific moves, as the regime betas do.
    """
    from .regimes import quarterly_correlations as _qc

    facs = list(factors) if factors else [factor]
    market = facs[0] if len(facs) > 1 else "SPY"
    ai = facs[-1] if len(facs) > 1 else None
    tidy = _qc(returns, list(symbols), [factor], market=market, ai_factor=ai,
               orthogonalize="ai" if ai and market in returns else "none", min_obs=min_obs)
    if tidy.empty:
        import pandas as pd

        return pd.DataFrame(index=list(symbols))
    wide = tidy.pivot_table(index="symbol", columns="quarter", values="corr")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reindex([s for s in symbols if s in wide.index])


def briefing_numbers(ev: Any, row: Any, test_name: str, test_p: float,
                     p: Mapping[str, Any], scores: Any):
    """Key-numbers table of the briefing (label, value) from the event and regime results."""
    import pandas as pd

    from .narrative import pct, pval

    w = p.get("window") or (-1, 1)
    items = [
        ("Headline event", f"{ev['symbol']}: {ev['headline']}"),
        ("Day 0 (first session to react)", str(pd.Timestamp(row["day0"]).date())),
        (f"CAR over [{w[0]}, {w[1]}]", pct(row["car"])),
        ("Test", f"{test_name}, {pval(test_p)}"),
        ("Model", f"{p.get('model')} ({', '.join(p.get('factors') or [p.get('market')])}), "
                  f"R2 {float(row['r2']):.2f}, daily sigma {pct(row['sigma'], 2, False)}"),
    ]
    if ev.get("deal_usd") == ev.get("deal_usd") and ev.get("deal_usd"):
        items.append(("Deal size (reported)", f"${float(ev['deal_usd']) / 1e9:.2f} bn"))
    ok = scores.dropna(subset=["pivot_score"])
    if len(ok):
        top = ok.iloc[0]
        items.append(("Highest pivot score", f"{ok.index[0]}: score {top['pivot_score']:.2f} "
                      f"[{top['ci_low']:.2f}, {top['ci_high']:.2f}], {pval(top['p_value'])}"))
        n_sig = int(((ok["p_value"] < 0.05) & (ok["pivot_score"] > 0)).sum())
        items.append(("Miners with a significant pivot (5%)", f"{n_sig} of {len(ok)}"))
    return pd.DataFrame(items, columns=["", "value"])
