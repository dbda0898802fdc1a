"""Run one report: :func:`run_report` executes a notebook with papermill, exports its HTML and
writes its sidecar; never overwrites an earlier report.

Layout of ``reports/`` (``PIVOT_REPORTS_DIR``)::

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
``div`` ids are content hashes (:mod:`pivotlib.presentation.charts`), tables are plain ``DataFrame.to_html``,
and the HTML page carries no timestamp beyond the report date; so the same inputs produce
byte-identical ``.ipynb``, ``.html`` and ``.json`` files.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pivotlib import __version__, config
from pivotlib.defaults import REPORT_TIMEOUT
from pivotlib.errors import InputError, PivotError, RunError
from pivotlib.runner.engine import WarmKernel, _execute
from pivotlib.runner.export import export_html, warm_exporter_soon
from pivotlib.runner.files import _write_json
from pivotlib.runner.index import build_index
from pivotlib.runner.notebooks import fingerprint, notebook_parameters, param_slug, resolve_notebook
from pivotlib.runner.recorder import jsonable, read_records

DEFAULT_TIMEOUT = REPORT_TIMEOUT


"""Per-cell execution timeout in seconds."""


_TIMING_KEYS = ("start_time", "end_time", "duration")


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


def run_report(notebook: str | os.PathLike[str], parameters: Mapping[str, Any] | None = None,
               *, date: str | None = None, reports_root: Path | None = None,
               timeout: int = DEFAULT_TIMEOUT, html_export: bool = True,
               single_file: bool = False, force: bool = False, update_index: bool = True,
               kernel_name: str = config.KERNEL_NAME, raise_on_error: bool = True,
               warm: WarmKernel | None = None,
               timings: dict[str, float] | None = None) -> ReportResult:
    """Execute a notebook with parameters and export its HTML briefing.

    Parameters
    ----------
    notebook : str or path
        Notebook path, stem (``"02-event-study"``) or number (``"02"``).
    parameters : mapping, optional
        Parameter overrides (validated against :mod:`pivotlib.studies.params` before any kernel
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
    timings : dict, optional
        Filled with the seconds of each phase (:data:`pivotlib.runner.timings.PHASES`) and
        ``total``. Without ``warm`` the report then runs on a kernel started for it (as cold
        as the default path) whose loaders are timed; the outputs do not change.

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

    from pivotlib.studies import params as _params

    t_start = time.perf_counter()
    parent: dict[str, float] = {}
    nb_path = resolve_notebook(notebook)
    overrides = dict(parameters or {})
    defaults = notebook_parameters(nb_path)
    if "dataset" in defaults and "dataset" not in overrides and os.environ.get("PIVOT_DATASET"):
        overrides["dataset"] = os.environ["PIVOT_DATASET"]
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise InputError(f"notebook {nb_path.stem!r} has no parameter(s) {', '.join(unknown)}; "
                         f"its parameters are: {', '.join(defaults) or '(none)'}")
    checked = _params.check_overrides(nb_path.stem, overrides, defaults)  # fail fast
    if "dataset" in overrides and "dataset" in checked:
        overrides["dataset"] = checked["dataset"]  # the normalised spec (absolute csv folders)
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
        "pivotlib": __version__, "versions": package_versions(), "ipynb": ipynb.name,
        "html": None,
    }
    t0 = time.perf_counter()
    parent["prepare"] = t0 - t_start
    error: str | None = None
    own: WarmKernel | None = None
    kernel_t: dict[str, float] = {}
    t_exec = t0
    warming = warm_exporter_soon() if html_export else None
    try:
        if timings is not None:
            if warm is None:  # a kernel of its own, started here so its start is measured
                own = warm = WarmKernel(kernel_name=kernel_name, cwd=nb_path.parent)
                parent["kernel start"] = warm.start()
            warm.preload(instrument=True)
            t_exec = time.perf_counter()
        _execute(nb_path, ipynb, overrides, kernel_name=kernel_name, timeout=timeout,
                 warm=warm, reset_after=None if own is None else False)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then re-raised
        error = _error_text(exc)
    t_done = time.perf_counter()
    elapsed = t_done - t0
    if timings is not None:
        try:
            if warm is not None and warm.km is not None:
                kernel_t = warm.collect()
        except Exception:  # noqa: BLE001 - timings are informative, never fatal
            kernel_t = {}
        if own is not None:
            own.shutdown(wait=False)

    records: dict[str, Any] = {}
    saved = None
    t1 = time.perf_counter()
    cells = (0.0, 0.0)
    if ipynb.exists():
        nb = nbformat.read(str(ipynb), as_version=4)
        if timings is not None:
            from pivotlib.runner.timings import cell_split

            cells = cell_split(nb)
        records = read_records(nb)
        meta.update(status="failed" if error else "ok", error=error, records=records,
                    title=records.get("title") or nb_path.stem)
        _normalise_executed(nb, ipynb, meta)
        nbformat.write(nb, str(ipynb))
        saved = nb
    else:
        meta.update(status="failed", error=error or "notebook was not executed", records={})
        error = meta["error"]
    t2 = time.perf_counter()
    parent["save notebook"] = t2 - t1

    if not error and html_export:
        try:
            export_html(ipynb, html_file, single_file=single_file, meta=meta, reports_root=root,
                        nb=saved)
            meta["html"] = html_file.name
        except Exception as exc:  # noqa: BLE001
            error = f"HTML export failed: {_error_text(exc)}"
            meta.update(status="failed", error=error)
    t3 = time.perf_counter()
    parent["HTML export"] = t3 - t2
    _write_json(side, meta)
    t4 = time.perf_counter()
    parent["sidecar"] = t4 - t3
    if update_index:
        build_index(root)
    parent["index"] = time.perf_counter() - t4
    if timings is not None:
        from pivotlib.runner.timings import split

        timings.update(split(parent, kernel_t, cells, t_done - t_exec))
        timings["total"] = round(time.perf_counter() - t_start, 4)
    if warming is not None:
        warming.join()  # no thread left importing when the caller exits
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
    from pivotlib import errors as _errors

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


PROVENANCE_PACKAGES = ("pivotlib", "pandas", "numpy", "statsmodels", "yfinance", "plotly")
"""Packages whose versions every report's provenance lists (``versions`` in the sidecar JSON)."""


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PROVENANCE_PACKAGES` (``"not installed"`` when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for name in PROVENANCE_PACKAGES:
        try:
            out[name] = __version__ if name == "pivotlib" else version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
