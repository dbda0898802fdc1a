"""``pivot data ...``: fetch, status, import, verify, synthesize.

Exit codes (see :data:`pivotlib.errors.EXIT_CODES`): 0 success; 2 bad input; 3 data missing
or invalid (including offline mode and files that failed ``verify``); 4 the source failed for
at least one symbol (the others were written).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pivotlib.data.datasets import HELP as DATASET_HELP
from pivotlib.errors import DataError, InputError, SourceError


def register(subparsers: Any) -> None:
    """Add the ``data`` command group to the ``pivot`` parser."""
    p = subparsers.add_parser("data", help="fetch, import, check and list price data",
                              description="Price data: fetch from Yahoo, import CSV, status, "
                                          "verify, synthesize the SYNTHETIC demo dataset.")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    f = sub.add_parser("fetch", help="fetch daily bars from Yahoo into data/store (incremental)")
    f.add_argument("symbols", nargs="*", metavar="SYMBOL",
                   help="symbols to fetch (default: the whole universe)")
    f.add_argument("--start", help="first date, YYYY-MM-DD (default: listed_from or 2018-01-01)")
    f.add_argument("--end", help="last date, YYYY-MM-DD (default: today)")
    f.add_argument("--universe", type=Path, help="universe CSV (default data/universe.csv)")
    f.add_argument("--batch-size", type=int, default=10, help="tickers per Yahoo request (10)")
    f.add_argument("--pause", type=float, default=1.0, help="seconds between batches (1.0)")
    f.add_argument("--retries", type=int, default=4, help="retries on rate limits/timeouts (4)")
    f.add_argument("--overlap", type=int, default=5,
                   help="sessions re-fetched before the stored last date (5)")
    f.add_argument("--auto-adjust", action="store_true",
                   help="store dividend-adjusted OHLC (default: raw Close + Adj Close)")
    f.add_argument("--full", action="store_true", help="ignore stored data and refetch everything (also replaces CSV imports)")
    f.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    f.set_defaults(func=cmd_fetch)

    s = sub.add_parser("status", help="list a dataset: symbol, source, first, last, rows, stale")
    s.add_argument("--dataset", help=DATASET_HELP)
    s.add_argument("--universe", type=Path, help="universe CSV (to list missing symbols)")
    s.add_argument("--stale-days", type=int, default=5,
                   help="a file is stale if its last date is older than this (5 days)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=cmd_status)

    i = sub.add_parser("import", help="import a price CSV into data/store")
    i.add_argument("file", type=Path, metavar="FILE")
    i.add_argument("--symbol", required=True, help="symbol to store it under, e.g. APLD")
    adj = i.add_mutually_exclusive_group(required=True)
    adj.add_argument("--adjusted", dest="adjusted", action="store_true", default=None,
                     help="the file's Close is split- and dividend-adjusted")
    adj.add_argument("--unadjusted", dest="adjusted", action="store_false",
                     help="the file's Close is as traded (or split-adjusted only)")
    i.add_argument("--drop-after", help="ignore rows after this date (e.g. an intraday last row)")
    i.set_defaults(func=cmd_import)

    v = sub.add_parser("verify", help="read every file; quarantine bad ones (exit 3 if any)")
    v.add_argument("--dataset", choices=["store", "demo", "all"], default="all")
    v.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    v.set_defaults(func=cmd_verify)

    y = sub.add_parser("synthesize", help="(re)generate the SYNTHETIC demo dataset")
    y.add_argument("--out", type=Path, help="output folder (default data/synthetic)")
    y.add_argument("--seed", type=int, help="random seed (default: the documented one)")
    y.set_defaults(func=cmd_synthesize)


# ----------------------------------------------------------------------------------------
def _progress(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="sym", file=sys.stderr,
                disable=quiet or total < 2 or not sys.stderr.isatty())


def cmd_fetch(args: argparse.Namespace) -> int:
    """``pivot data fetch``."""
    from pivotlib import config
    from pivotlib.data.loading import fetch_symbols
    from pivotlib.data.sources.yahoo import offline_message
    from pivotlib.data.store import PriceStore
    from pivotlib.data.universe import load_universe

    uni = load_universe(args.universe)
    syms = args.symbols or uni["symbol"].tolist()
    if config.offline():
        from pivotlib.errors import OfflineError

        raise OfflineError(offline_message(syms))
    store = PriceStore()
    bar = _progress(len(syms), "fetch", args.quiet)
    try:
        rep = fetch_symbols(syms, args.start, args.end, store, universe=uni,
                            overlap=args.overlap, auto_adjust=args.auto_adjust,
                            batch_size=args.batch_size, full=args.full, pause=args.pause,
                            retries=args.retries, progress=bar.update)
    finally:
        bar.close()
    for s in rep.up_to_date:
        print(f"{s:10s} up to date")
    for s, n in rep.written.items():
        note = f"  ({rep.notes[s]})" if s in rep.notes else ""
        print(f"{s:10s} {rep.new_rows[s]:6d} rows fetched, {n} stored{note}")
    for s, msg in rep.errors.items():
        print(f"{s:10s} FAILED: {msg}", file=sys.stderr)
    print(f"fetched {len(rep.written)}, up to date {len(rep.up_to_date)}, "
          f"failed {len(rep.errors)} -> {store.root}")
    if rep.errors:
        return SourceError.exit_code
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """``pivot data status``."""
    from pivotlib.data.quality import dataset_status

    ds, st, missing = dataset_status(args.dataset, stale_days=args.stale_days,
                                     universe=args.universe)
    synthetic = bool(len(st)) and bool(st["synthetic"].all())
    if args.format == "json":
        print(json.dumps({"dataset": ds.name, "synthetic": synthetic, "missing": missing,
                          "symbols": st.to_dict(orient="records")}, indent=1, default=str))
    elif args.format == "csv":
        st.to_csv(sys.stdout, index=False)
    else:
        label = ("  *** SYNTHETIC: generated by a factor model, NOT market prices ***"
                 if ds.kind == "demo" or synthetic else "")
        print(f"dataset: {ds.name} ({ds.store.root if ds.store else ', '.join(map(str, ds.folders))})"
              + label)
        if len(st):
            show = st[["symbol", "source", "first", "last", "rows", "stale", "synthetic"]].copy()
            show["stale"] = show["stale"].map({True: "STALE", False: ""})
            show["synthetic"] = show["synthetic"].map({True: "SYNTHETIC", False: ""})
            print(show.to_string(index=False))
        for _, r in st[st["problem"] != ""].iterrows():
            print(f"{r['symbol']}: PROBLEM: {r['problem']}")
        if missing:
            print(f"missing from this dataset ({len(missing)}): {' '.join(missing)}")
    if len(st) == 0:
        hint = ("create it with `pivot data synthesize`" if ds.kind == "demo" else
                "use `pivot data fetch` or `pivot data import FILE --symbol SYM`")
        raise DataError(f"dataset {ds.name} is empty; {hint}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``pivot data import FILE --symbol S --adjusted|--unadjusted``."""
    from pivotlib.data.loading import import_csv

    if args.adjusted is None:  # pragma: no cover - argparse enforces the group
        raise InputError("say whether the file is adjusted: --adjusted or --unadjusted")
    path, meta = import_csv(args.file, args.symbol, adjusted=args.adjusted,
                            drop_after=args.drop_after)
    print(f"{meta.symbol}: {meta.rows} rows {meta.first}..{meta.last} "
          f"(layout {meta.extra.get('layout')}, adjusted={meta.adjusted}) -> {path}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``pivot data verify``: full read of every file; bad ones are quarantined."""
    from pivotlib import config
    from pivotlib.data.store import PriceStore

    stores = []
    if args.dataset in ("store", "all"):
        stores.append(("store", PriceStore(config.store_dir())))
    if args.dataset in ("demo", "all"):
        stores.append(("demo", PriceStore(config.synthetic_dir())))
    leftovers = [p for _, st in stores for p in st.remove_stale_tmp()]
    if leftovers:
        print(f"removed {len(leftovers)} temporary file(s) left by interrupted writes")
    jobs = [(name, st, sym) for name, st in stores for sym in st.symbols()]
    bad: list[str] = []
    bar = _progress(len(jobs), "verify", args.quiet)
    try:
        for name, st, sym in jobs:
            try:
                st.read(sym)
            except DataError as exc:
                bad.append(f"{name}/{sym}: {exc}")
            bar.update(1)
    finally:
        bar.close()
    for b in bad:
        print(f"BAD {b}", file=sys.stderr)
    print(f"verified {len(jobs)} files, {len(bad)} bad"
          + (" (moved to quarantine)" if bad else ""))
    return DataError.exit_code if bad else 0


def cmd_synthesize(args: argparse.Namespace) -> int:
    """``pivot data synthesize``: call :func:`pivotlib.data.synthetic.write_default_dataset`."""
    try:
        from pivotlib.data.synthetic import write_default_dataset
    except ImportError as exc:
        raise DataError(f"the synthetic-data generator is not available ({exc}); update "
                        "pivotlib") from exc
    kwargs: dict[str, Any] = {}
    if args.out is not None:
        kwargs["out_dir"] = args.out
    if args.seed is not None:
        kwargs["seed"] = args.seed
    out = write_default_dataset(**kwargs)
    if isinstance(out, dict):
        syms = out.get("symbols") or []
        print(f"SYNTHETIC demo dataset written to {out.get('out_dir')}: {len(syms)} symbols "
              f"{out.get('start', '')}..{out.get('end', '')} (seed {out.get('seed')}), "
              f"{out.get('planted_events', 0)} planted events - generated, NOT market prices")
    else:
        print(f"SYNTHETIC demo dataset written: {out}")
    return 0
