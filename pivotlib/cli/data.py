"""``pivot data ...``: fetch, status, import, backups, restore, remove, verify, synthesize.

Exit codes (see :data:`pivotlib.errors.EXIT_CODES`): 0 success; 2 bad input (including an
unknown symbol); 3 data missing or invalid (including offline mode, refused imports, a fetched
answer refused because it would corrupt or shrink stored history, and files that failed
``verify``); 4 the source failed for at least one symbol (the others were written; cannot reach
Yahoo, rate limits that outlasted the retries).
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
    f.add_argument("--full", action="store_true",
                   help="fetch the whole history even when some is stored (still checked "
                        "against the stored rows; also checks and merges over a CSV import)")
    f.add_argument("--replace", action="store_true",
                   help="take Yahoo's answer as the history even when it rewrites or shortens "
                        "the stored one (the old file is kept as a backup); content checks "
                        "still apply")
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
    i.add_argument("--replace", action="store_true",
                   help="replace the stored history by the file (the old file is kept as a "
                        "backup); default: merge, refusing files that disagree or would drop rows")
    i.add_argument("--allow-unknown-symbol", action="store_true",
                   help="accept a symbol that is not in the universe")
    i.add_argument("--universe", type=Path, help="universe CSV (default data/universe.csv)")
    i.set_defaults(func=cmd_import)

    b = sub.add_parser("backups", help="list the backups kept by import/fetch --replace, "
                                       "rewrites, restore, remove; --prune old ones")
    b.add_argument("symbol", nargs="?", metavar="SYMBOL", help="one symbol (default: all)")
    b.add_argument("--prune", action="store_true",
                   help="delete old backups: keep the --keep newest per symbol, every one "
                        "younger than --max-age-days, and never the only copy of a history")
    b.add_argument("--keep", type=int, default=None, help="newest backups kept per symbol (5)")
    b.add_argument("--max-age-days", type=float, default=None,
                   help="backups younger than this are kept (30)")
    b.add_argument("--dry-run", action="store_true", help="with --prune: only list what would go")
    b.set_defaults(func=cmd_backups)

    c = sub.add_parser("compare", help="compare two datasets' closes symbol by symbol")
    c.add_argument("a", metavar="A", help="dataset A: store, demo or csv:<folder>")
    c.add_argument("b", metavar="B", help="dataset B (same forms)")
    c.add_argument("--symbols", nargs="+", metavar="SYMBOL", help="default: every common symbol")
    c.add_argument("--format", choices=["table", "json"], default="table")
    c.set_defaults(func=cmd_compare)

    r = sub.add_parser("restore", help="put a backup back as the stored file (backs up the current one)")
    r.add_argument("symbol", metavar="SYMBOL")
    r.add_argument("--backup", metavar="NAME", help="backup name from `pivot data backups` "
                                                    "(default: the newest)")
    r.set_defaults(func=cmd_restore)

    m = sub.add_parser("remove", help="move a symbol's stored file to its backups (never deleted)")
    m.add_argument("symbol", metavar="SYMBOL")
    m.set_defaults(func=cmd_remove)

    v = sub.add_parser("verify", help="read and check every file; quarantine unreadable ones, "
                                      "report content problems (exit 3 if any)")
    v.add_argument("--dataset", choices=["store", "demo", "all"], default="all")
    v.add_argument("--universe", type=Path, help="universe CSV (default data/universe.csv)")
    v.add_argument("--reference", metavar="DATASET",
                   help="also compare the store's closes with this dataset (csv:<folder>, "
                        "demo): a symbol that disagrees is a CHECK (exit 3); one constant "
                        "ratio (adjusted at another date) is a note")
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
                            batch_size=args.batch_size, full=args.full,
                            replace=args.replace, pause=args.pause,
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
    for s, msg in rep.refused.items():
        print(f"{s:10s} REFUSED: {msg}", file=sys.stderr)
    print(f"fetched {len(rep.written)}, up to date {len(rep.up_to_date)}, "
          f"failed {len(rep.errors)}"
          + (f", refused {len(rep.refused)} (stored files unchanged)" if rep.refused else "")
          + f" -> {store.root}")
    if rep.refused:  # a human must look: the answer would have corrupted or shrunk history
        return DataError.exit_code
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
    """``pivot data import FILE --symbol S --adjusted|--unadjusted [--replace]``."""
    from pivotlib.data.loading import import_csv

    if args.adjusted is None:  # pragma: no cover - argparse enforces the group
        raise InputError("say whether the file is adjusted: --adjusted or --unadjusted")
    path, meta = import_csv(args.file, args.symbol, adjusted=args.adjusted,
                            drop_after=args.drop_after, replace=args.replace,
                            allow_unknown_symbol=args.allow_unknown_symbol,
                            universe=args.universe)
    last = meta.extra.get("last_import") or {}
    for note in last.get("notes", []):
        print(f"note: {note}")
    print(f"{meta.symbol}: {meta.rows} rows {meta.first}..{meta.last} (layout "
          f"{last.get('layout', meta.extra.get('layout'))}, adjusted={meta.adjusted}) -> {path} "
          f"[{last.get('action', 'imported')}]")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``pivot data compare A B``: exit 0 when every compared symbol agrees (or differs by one
    constant ratio), 3 when some disagree."""
    from pivotlib.data.compare import compare_datasets

    res = compare_datasets(args.a, args.b, args.symbols)
    if args.format == "json":
        print(json.dumps([dict(vars(r), share=r.share, verdict=r.verdict) for r in res],
                         indent=1, default=str))
    else:
        print(f"A = {args.a}\nB = {args.b}")
        for r in res:
            print(r.line())
        counts: dict[str, int] = {}
        for r in res:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        print(", ".join(f"{n} {k}" for k, n in counts.items()))
    return DataError.exit_code if any(r.verdict == "disagree" for r in res) else 0


def cmd_backups(args: argparse.Namespace) -> int:
    """``pivot data backups [SYMBOL] [--prune]``."""
    from pivotlib.data.backups import (
        KEEP_DAYS,
        KEEP_NEWEST,
        backup_root,
        list_backups,
        prune,
    )
    from pivotlib.data.store import PriceStore

    store = PriceStore()
    if args.prune:
        keep = KEEP_NEWEST if args.keep is None else args.keep
        days = KEEP_DAYS if args.max_age_days is None else args.max_age_days
        gone = prune(store, args.symbol, keep=keep, max_age_days=days, dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        for bk in gone:
            print(f"{verb} {bk.symbol}/{bk.name} ({bk.rows} rows {bk.first}..{bk.last})")
        print(f"{verb} {len(gone)} backup(s); kept the {keep} newest per symbol, every one "
              f"younger than {days:g} days, and the only copy of any history")
        return 0
    have = list_backups(store, args.symbol)
    if not have:
        print(f"no backups in {backup_root(store)}" + (f" for {args.symbol}" if args.symbol else ""))
        return 0
    for bk in have:
        what = bk.problem or f"{bk.rows} rows {bk.first}..{bk.last} ({bk.source})"
        print(f"{bk.symbol:10s} {bk.name:40s} {bk.reason:8s} {what}")
    print(f"{len(have)} backup(s) in {backup_root(store)}; restore with "
          "`pivot data restore SYMBOL --backup NAME`")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """``pivot data restore SYMBOL [--backup NAME]``."""
    from pivotlib.data.backups import restore
    from pivotlib.data.store import PriceStore

    store = PriceStore()
    bk, saved = restore(store, args.symbol, args.backup)
    meta = store.read(args.symbol)[1]
    if saved is not None:
        print(f"note: the file it replaced is kept as {saved}")
    print(f"{args.symbol}: restored {bk.name}: {meta.rows} rows {meta.first}..{meta.last} "
          f"-> {store.path(args.symbol)}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """``pivot data remove SYMBOL``: move the file to the backups (restore brings it back)."""
    from pivotlib.data.backups import remove
    from pivotlib.data.store import PriceStore

    dest = remove(PriceStore(), args.symbol)
    print(f"{args.symbol}: moved to {dest}; bring it back with `pivot data restore "
          f"{args.symbol} --backup {dest.name}`")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``pivot data verify``: full read and content check of every file.

    Unreadable or schema-invalid files are quarantined (``BAD``). Readable files whose content
    fails :func:`pivotlib.data.ingest.content_problems` (non-positive or absurd closes, impossible
    one-day jumps, equity rows on non-sessions, no weekend rows for 24/7 crypto, history long
    before ``listed_from``) are reported (``CHECK``) but left in place: the data may still be
    partly usable and only the user can decide. Either makes the exit code 3.
    """
    from pivotlib import config
    from pivotlib.data.ingest import content_problems, resolve_symbol, universe_or_none
    from pivotlib.data.store import PriceStore

    uni = universe_or_none(args.universe)
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
    checks: list[str] = []
    bar = _progress(len(jobs), "verify", args.quiet)
    try:
        for name, st, sym in jobs:
            try:
                df, _ = st.read(sym)
            except DataError as exc:
                bad.append(f"{name}/{sym}: {exc}")
            else:
                info = resolve_symbol(sym, uni, allow_unknown=True)
                checks += [f"{name}/{sym}: {p}" for p in
                           content_problems(df, sym, info, where=str(st.path(sym)),
                                            check_listing=True)]
            bar.update(1)
    finally:
        bar.close()
    if args.reference:
        from pivotlib.data.compare import compare_datasets

        store_syms = set(PriceStore(config.store_dir()).symbols())
        from pivotlib.data.loading import resolve_dataset

        ref_syms = set(resolve_dataset(args.reference).available())
        both = sorted(store_syms & ref_syms)
        if not both:
            print(f"note: the store and {args.reference} share no symbol; nothing compared")
        for r in compare_datasets("store", args.reference, both) if both else []:
            if r.verdict == "disagree":
                checks.append(f"store/{r.symbol}: differs from {args.reference}: {r.line().strip()}")
            else:
                print(f"reference {r.line()}")
    for b in bad:
        print(f"BAD {b}", file=sys.stderr)
    for c in checks:
        print(f"CHECK {c}", file=sys.stderr)
    n_check = len({c.split(":", 1)[0] for c in checks})
    print(f"verified {len(jobs)} files, {len(bad)} bad"
          + (" (moved to quarantine)" if bad else "")
          + (f", {n_check} with content problems (kept in place; fix or re-import them)"
             if checks else ""))
    return DataError.exit_code if bad or checks else 0


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
