"""``pivot events``: list, validate, normalise and price-check the AI-pivot event catalog.

Examples::

    pivot events list --category ai_hosting_lease --symbol CIFR
    pivot events validate my_events.csv
    pivot events check --dataset csv:../shared/realdata/dsturdy__Factor_Attribution_5_csvs/data
    pivot events check --dataset demo --event APLD:2025-06-02:pre-market
    pivot events normalise          # rewrite the derived event_date column after an edit
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pivotlib.data.datasets import HELP as DATASET_HELP
from pivotlib.defaults import BITCOIN, MARKET
from pivotlib.errors import InputError

if TYPE_CHECKING:  # pandas is imported lazily so `pivot --help` stays fast
    import pandas as pd


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``events`` command group to the ``pivot`` parser."""
    p = subparsers.add_parser("events", help="the AI-pivot event catalog (list, validate, check)",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="events_command", metavar="ACTION")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--catalog", metavar="FILE", default=None,
                        help="catalog CSV (default data/events/ai_pivot_events.csv)")
        sp.add_argument("--events-file", metavar="FILE", action="append", default=[],
                        help="your own events CSV, merged with the catalog (repeatable)")
        sp.add_argument("--event", metavar="SYMBOL:DATE[:TIMING]", action="append", default=[],
                        help="a single ad-hoc event, e.g. APLD:2025-06-02:pre-market "
                             "(repeatable)")
        sp.add_argument("--only-events", action="store_true",
                        help="use only --event/--events-file events, not the catalog")
        sp.add_argument("--category", action="append", default=None,
                        help="keep these categories (repeatable)")
        sp.add_argument("--symbol", action="append", default=None,
                        help="keep these symbols (repeatable; SECTOR keeps sector rows)")
        sp.add_argument("--start", default=None, help="first event_date (YYYY-MM-DD)")
        sp.add_argument("--end", default=None, help="last event_date (YYYY-MM-DD)")

    lp = sub.add_parser("list", help="print the catalog (filtered)")
    common(lp)
    lp.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    lp.set_defaults(func=_cmd_list)

    vp = sub.add_parser("validate", help="validate the catalog and your events files")
    vp.add_argument("files", nargs="*", metavar="FILE", help="your events CSV files")
    vp.add_argument("--events-file", metavar="FILE", action="append", default=[],
                    dest="events_file", help="your events CSV (repeatable; same as FILE)")
    vp.add_argument("--catalog", metavar="FILE", default=None)
    vp.set_defaults(func=_cmd_validate)

    cp = sub.add_parser("check", help="measured day-0/[-1,+1] returns beside reported moves")
    common(cp)
    cp.add_argument("--dataset", default=None,
                    help=DATASET_HELP)
    cp.add_argument("--market", default=MARKET, help=f"market factor symbol (default {MARKET})")
    cp.add_argument("--factor", default=BITCOIN,
                    help=f"second factor symbol (default {BITCOIN}; 'none' for a market model)")
    cp.add_argument("--tolerance", type=float, default=5.0,
                    help="points of difference that count as a mismatch (default 5)")
    cp.add_argument("--flagged", action="store_true", help="print flagged rows only")
    cp.set_defaults(func=_cmd_check)

    np_ = sub.add_parser("normalise", help="rewrite the derived event_date column of a catalog")
    np_.add_argument("--catalog", metavar="FILE", default=None)
    np_.set_defaults(func=_cmd_normalise)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _parse_event(spec: str):
    from pivotlib.events.catalog import make_event

    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InputError(f"--event {spec!r} is not SYMBOL:DATE[:TIMING]; e.g. "
                         "APLD:2025-06-02:pre-market")
    timing = parts[2] if len(parts) == 3 else "unknown"
    return make_event(parts[0], parts[1], timing)


def _events(args: argparse.Namespace):
    import pandas as pd

    from pivotlib.events.catalog import load_catalog, select_events, validate_events

    adhoc = [_parse_event(s) for s in args.event]
    if args.only_events:
        frames = list(adhoc)
        if args.events_file:
            from pivotlib.events.catalog import read_events_file

            frames.append(validate_events(pd.concat([read_events_file(f)
                                                     for f in args.events_file],
                                                    ignore_index=True),
                                          source=", ".join(args.events_file)))
        if not frames:
            raise InputError("--only-events needs --event or --events-file")
        cat = pd.concat(frames, ignore_index=True)
    else:
        cat = load_catalog(args.catalog, extra=args.events_file or None)
        if adhoc:
            cat = pd.concat([cat, *adhoc], ignore_index=True)
    if cat["event_id"].duplicated().any():
        dup = cat.loc[cat["event_id"].duplicated(), "event_id"].iloc[0]
        raise InputError(f"duplicate event_id {dup!r}; pass each ad-hoc event once")
    return select_events(cat, categories=args.category, symbols=args.symbol,
                         start=args.start, end=args.end)


def _cmd_list(args: argparse.Namespace) -> int:
    from pivotlib.events.catalog import company_events

    cat = _events(args)
    if args.csv:
        cat.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
        return 0
    for _, r in cat.iterrows():
        print(f"{r['event_id']:44.44s} {r['event_date']:%Y-%m-%d} {r['timing']:11s} "
              f"{r['category']:17s} {r['confidence']:11s} {r['headline'][:70]}")
    comp = company_events(cat)
    print(f"-- {len(cat)} events: {len(comp)} company events across "
          f"{comp['symbol'].nunique()} symbols, {len(cat) - len(comp)} sector rows")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from pivotlib.events.catalog import company_events, load_catalog

    files = [*args.files, *args.events_file]
    cat = load_catalog(args.catalog, extra=files or None)
    comp = company_events(cat)
    print(f"OK: {len(cat)} events valid ({len(comp)} company events across "
          f"{comp['symbol'].nunique()} symbols, {len(cat) - len(comp)} sector rows) in "
          f"{', '.join(cat.attrs.get('files', []))}")
    return 0


def _load_returns(dataset: str | None, events: pd.DataFrame) -> pd.DataFrame:
    """Returns for the check: enough history before the first event for the estimation
    window, and nothing after the last event's [-1,+1] window (which also drops a partial
    last row such as an intraday print)."""

    import pandas as pd

    from pivotlib.data.loading import load_returns

    dates = pd.DatetimeIndex(events["event_date"])
    start = dates.min() - pd.Timedelta(days=420)
    end = dates.max() + pd.Timedelta(days=7)
    return load_returns(start=start, end=end, dataset=dataset)


def _cmd_check(args: argparse.Namespace) -> int:
    from pivotlib.studies.check import check_events, format_check

    cat = _events(args)
    rets = _load_returns(args.dataset, cat)
    factor = None if str(args.factor).lower() == "none" else args.factor
    table = check_events(rets, cat, market=args.market, factor=factor,
                         tolerance=args.tolerance, all_events=_events(args))
    synthetic = bool(getattr(rets, "attrs", {}).get("synthetic", False))
    if synthetic:
        print("NOTE: SYNTHETIC demo data - measured moves are simulated, not market history")
    shown = table[table["flag"] != ""] if args.flagged else table
    print(format_check(shown))
    flagged = table[table["flag"] != ""]
    unexplained = flagged[~flagged["explained"]]
    print(f"-- {len(table)} events, {int((table['status'] == 'measured').sum())} measured "
          f"with abnormal returns ({table.attrs.get('model', '')}); {len(flagged)} flagged, "
          f"{len(unexplained)} unexplained")
    for _, r in unexplained.iterrows():
        print(f"UNEXPLAINED {r['flag']}: {r['event_id']} reported {r['reported']:+.1f}% "
              f"{r['basis']} vs measured close-to-close {r['raw_d0']:+.1f}%; fix the date at "
              "its source or explain it in notes with 'CHECK: ...'")
    return 0


def _cmd_normalise(args: argparse.Namespace) -> int:
    from pivotlib.events.catalog import catalog_path, read_events_file, write_catalog

    path = args.catalog or catalog_path()
    df = read_events_file(path)
    before = df["event_date"].tolist()
    out = write_catalog(df.drop(columns=["_line", "_file"]), path)
    after = read_events_file(out)["event_date"].tolist()
    changed = sum(a != b for a, b in zip(before, after))
    print(f"wrote {out}: {len(after)} events, {changed} event_date value(s) updated")
    return 0
