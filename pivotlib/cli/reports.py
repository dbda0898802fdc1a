"""``pivot report``, ``pivot brief``, ``pivot sweep`` and ``pivot demo``.

Exit codes (see :data:`pivotlib.errors.EXIT_CODES`): 0 success, 2 bad parameters or notebook
name, 3 data missing, 5 a notebook run (or any sweep item) failed -- its executed notebook with
the traceback is kept under ``reports/<date>/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pivotlib.data.datasets import HELP as DATASET_HELP
from pivotlib.defaults import REPORT_TIMEOUT
from pivotlib.errors import InputError, RunError

BRIEF_WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Default parallel runs of the briefing set: the five notebooks are independent."""


def _param_pairs(pairs: list[list[str]] | None) -> dict[str, Any]:
    from pivotlib.studies.params import parse_cli_value

    out: dict[str, Any] = {}
    for key, value in pairs or []:
        if not key.isidentifier():
            raise InputError(f"parameter name {key!r} is not a valid identifier; "
                             "use the names from the notebook's parameters cell")
        out[key] = parse_cli_value(value)
    return out


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", help="report date folder (ISO; default today)")
    p.add_argument("--single-file", action="store_true",
                   help="inline plotly.js in each HTML page (self-contained, for e-mail)")
    p.add_argument("--force", action="store_true",
                   help="run even if an identical report exists (new -2, -3 suffix)")


def register(subparsers: Any) -> None:
    """Add the report commands to the ``pivot`` parser."""
    p = subparsers.add_parser(
        "report", help="run one notebook with parameters and export its HTML",
        description="Execute NOTEBOOK with papermill and export reports/<date>/<name>.html. "
                    "Values are YAML/JSON literals (never executed): -p window '[-1, 1]'.")
    p.add_argument("notebook", help="path, stem (02-event-study) or number (02)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   dest="parameters", help="parameter override (repeatable)")
    p.add_argument("--dataset", help=DATASET_HELP)
    p.add_argument("--timeout", type=int, default=REPORT_TIMEOUT,
                   help=f"per-cell timeout in seconds ({REPORT_TIMEOUT})")
    p.add_argument("--no-html", action="store_true", help="only execute, no HTML")
    p.add_argument("--timings", action="store_true",
                   help="print where the report's time went (kernel start, imports, data "
                        "load, study, charts, HTML export, sidecar, index) on stderr")
    _add_common(p)
    p.set_defaults(func=cmd_report)

    b = subparsers.add_parser("brief", help="run the default briefing set and the index",
                              description="Run notebooks 01-05 (the briefing set) and rebuild "
                                          "reports/index.html.")
    b.add_argument("--dataset", help=DATASET_HELP)
    b.add_argument("--workers", type=int, default=BRIEF_WORKERS,
                   help=f"parallel notebook runs (default {BRIEF_WORKERS}: one per core, at most 2)")
    _add_common(b)
    b.set_defaults(func=cmd_brief)

    s = subparsers.add_parser("sweep", help="every catalog event to its own event-study report",
                              description="Run 02-event-study once per company event of the "
                                          "catalog, in parallel, failures isolated.")
    s.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    s.add_argument("--category", help="only this catalog category")
    s.add_argument("--symbols", nargs="+", help="only these symbols")
    s.add_argument("--dataset", help=DATASET_HELP)
    s.add_argument("--limit", type=int, help="at most this many events")
    s.add_argument("--robustness", action="store_true",
                   help="add each event's CAR specification curve and its verdict (robust, "
                        "fragile, no effect) to its report and the index")
    s.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   dest="parameters", help="extra parameter for every report (repeatable)")
    s.add_argument("--no-progress", action="store_true",
                   help="no progress bar (there is none anyway when stderr is not a terminal)")
    _add_common(s)
    from pivotlib.batch.executors import add_scheduler_argument

    add_scheduler_argument(s)  # --scheduler local|tcp://host:port|processes|serial, --retries, --deadline
    s.set_defaults(func=cmd_sweep)

    d = subparsers.add_parser("demo", help="the briefing set on the SYNTHETIC demo data",
                              description="Run the briefing set on the embedded SYNTHETIC "
                                          "data, rebuild the index, print the files written.")
    d.add_argument("--workers", type=int, default=BRIEF_WORKERS,
                   help=f"parallel notebook runs (default {BRIEF_WORKERS})")
    _add_common(d)
    d.set_defaults(func=cmd_demo)


def cmd_report(args: argparse.Namespace) -> int:
    """``pivot report NOTEBOOK -p key value ...``."""
    from pivotlib.runner.execute import run_report

    prm = _param_pairs(args.parameters)
    if args.dataset:
        if "dataset" in prm and prm["dataset"] != args.dataset:
            raise InputError("--dataset and -p dataset disagree; give the dataset once")
        prm["dataset"] = args.dataset
    _say_changes(args.notebook, prm)
    _check_data(args.notebook, prm)
    timings: dict[str, float] | None = {} if getattr(args, "timings", False) else None
    res = run_report(args.notebook, prm, date=args.date,
                     timeout=args.timeout, html_export=not args.no_html,
                     single_file=args.single_file, force=args.force, timings=timings)
    if timings:
        from pivotlib.runner.timings import format_timings

        print(f"timings of {res.name} (seconds):", file=sys.stderr)
        print(format_timings(timings, timings.get("total")), file=sys.stderr)
    elif timings is not None and res.status == "skipped":
        print("no timings: the report was skipped (identical inputs already reported); "
              "add --force to run it", file=sys.stderr)
    if res.status == "skipped":
        print(f"unchanged (identical inputs already reported): {res.html or res.ipynb}")
    else:
        print(f"wrote {res.ipynb}")
        if res.html:
            print(f"wrote {res.html}")
        notes = [str(n) for n in (res.records or {}).get("notes") or []]
        if notes:  # the report's notes box, repeated on the terminal
            print("notes (what the report left out or changed, and why):")
            for n in notes:
                print(f"  {n}")
    return 0


ROLE_PARAMETERS: tuple[str, ...] = ("market", "bitcoin", "ai", "btc", "factors",
                                    "regime_factors")
"""Notebook parameters that name factor series: given with ``-p`` they are the analyst's
explicit request, checked against the dataset before any kernel starts (never a stand-in)."""


def _dataset_of(prm: dict[str, Any], defaults: dict[str, Any] | None = None) -> str:
    """The dataset a run will use: ``-p dataset``/``--dataset``, else ``PIVOT_DATASET``, else
    the notebook's own default."""
    from pivotlib.data.datasets import default_spec_text

    if prm.get("dataset"):
        return str(prm["dataset"])
    if os.environ.get("PIVOT_DATASET", "").strip():
        return default_spec_text()
    return str((defaults or {}).get("dataset") or default_spec_text())


def check_dataset(dataset: str | None) -> list[str]:
    """One check before any kernel starts: the dataset holds at least one series (else a
    :class:`~pivotlib.errors.DataError` naming it and how to fill it). Returns its symbols."""
    from pivotlib.studies.common import dataset_symbols

    return dataset_symbols(dataset or None)


def _check_data(notebook: str, prm: dict[str, Any]) -> None:
    """Before the kernel starts: the dataset is not empty, and every factor series named with
    ``-p`` (:data:`ROLE_PARAMETERS`) is in it; either failure is a DataError (exit 3)."""
    from pivotlib.defaults import require_named
    from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook

    try:
        defaults = notebook_parameters(resolve_notebook(notebook))
    except InputError:
        return  # run_report raises the same error with its fix
    if "dataset" not in defaults:
        return
    ds = _dataset_of(prm, defaults)
    have = check_dataset(ds)
    named: dict[str, str | None] = {}
    for key in ROLE_PARAMETERS:
        v = prm.get(key)
        if isinstance(v, str) and v.strip():
            named[key] = v.strip().upper()
        elif isinstance(v, list | tuple):
            named.update({f"{key}[{i}]": str(x).strip().upper() for i, x in enumerate(v)})
    from pivotlib.data.datasets import DatasetSpec

    require_named(named, have, str(DatasetSpec.parse(ds, must_exist=False)))


def _say_dataset(dataset: str | None) -> None:
    """Tell the terminal which data a command runs on (loudly when it is the SYNTHETIC demo)."""
    from pivotlib.data.datasets import DatasetSpec

    spec = DatasetSpec.parse(dataset or None)
    if spec.synthetic:
        print("running on the SYNTHETIC demo dataset (not real prices); pass --dataset store "
              "or --dataset csv:<folder> for real data", file=sys.stderr)
    else:
        print(f"dataset: {spec.describe()}", file=sys.stderr)


def _say_changes(notebook: str, prm: dict[str, Any]) -> None:
    """Print the dataset a notebook runs on and what parameter validation normalised (the
    report's notes box says it too)."""
    from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook
    from pivotlib.studies.params import check_overrides

    try:
        nb = resolve_notebook(notebook)
        defaults = notebook_parameters(nb)
        if "dataset" in defaults:
            _say_dataset(prm.get("dataset"))
        checked = check_overrides(nb.stem, prm, defaults)
    except InputError:
        return  # run_report raises the same error with its fix
    for c in getattr(checked, "changes", []):
        if any(f"parameter {k} " in c for k in prm):
            print(f"note: {c}", file=sys.stderr)


def _print_results(results: list[dict[str, Any]]) -> int:
    from pivotlib.batch.sweep import summary_table
    from pivotlib.config import reports_dir

    print(summary_table(results))
    print(f"index: {reports_dir() / 'index.html'}")
    from pivotlib.batch.sweep import NOT_STUDIABLE

    failed = [r for r in results if not r.get("ok") and r.get("status") != NOT_STUDIABLE]
    if failed:
        # one cause for every failure (bad input 2, data missing 3, source down 4): say so;
        # a mix, or any other failure: 5
        codes = {int(r.get("exit_code") or RunError.exit_code) for r in failed}
        return codes.pop() if len(codes) == 1 and codes <= {2, 3, 4} else RunError.exit_code
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    """``pivot brief``: the default briefing set, then the index."""
    from pivotlib.batch.briefing import run_briefing_set

    common = {"dataset": args.dataset} if args.dataset else {}
    _say_dataset(args.dataset)
    check_dataset(args.dataset)
    results = run_briefing_set(common, date=args.date, workers=args.workers,
                               single_file=args.single_file, force=args.force,
                               progress=sys.stderr.isatty())
    return _print_results(results)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``pivot sweep``: every catalog event to its own event-study report."""
    from pivotlib.batch.executors import scheduler_options
    from pivotlib.batch.sweep import run_sweep, screen_items, sweep_items
    from pivotlib.config import reports_dir

    extra = _param_pairs(args.parameters)
    _say_dataset(args.dataset or extra.get("dataset"))
    check_dataset(args.dataset or extra.get("dataset"))
    items = sweep_items(category=args.category, symbols=args.symbols, dataset=args.dataset,
                        date=args.date, limit=args.limit, extra=extra,
                        reports_root=str(reports_dir()), robustness=args.robustness)
    if not items:
        raise InputError("no catalog events match the filters; check --category/--symbols "
                         "(`pivot events list` shows the catalog)")
    for it in items:
        it["single_file"] = args.single_file
        it["force"] = args.force
    # events the engine cannot study on this dataset are reported, not run (screen_items);
    # the price store is read-only from here on: workers never fetch (prepare it upstream)
    items, not_studiable = screen_items(items)
    results = (run_sweep(items, **scheduler_options(args)) if items else []) + not_studiable
    return _print_results(results)


def cmd_demo(args: argparse.Namespace) -> int:
    """``pivot demo``: the briefing set on the SYNTHETIC demo data, printing what it wrote."""
    from pivotlib.batch.briefing import run_briefing_set
    from pivotlib.config import reports_dir, synthetic_dir

    os.environ["PIVOT_DATASET"] = "demo"
    if not any(synthetic_dir().glob("*.parquet")):
        from pivotlib.data.synthetic import write_default_dataset

        print(f"generating the SYNTHETIC demo dataset in {synthetic_dir()}")
        write_default_dataset()
    print("running the briefing set on the SYNTHETIC demo data (not real prices) ...")
    results = run_briefing_set({"dataset": "demo"}, date=args.date, workers=args.workers,
                               single_file=args.single_file, force=args.force,
                               progress=sys.stderr.isatty())
    rc = _print_results(results)
    print("files under reports/:")
    for r in results:
        for k in ("html", "ipynb"):
            if r.get(k):
                print(f"  {r[k]}")
    print(f"  {reports_dir() / 'index.html'}")
    return rc
