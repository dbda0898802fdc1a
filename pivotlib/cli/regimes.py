"""``pivot regimes ...``: pivot scores and break dates from the command line.

Exit codes (see :data:`pivotlib.errors.EXIT_CODES`): 0 success; 2 bad input (unknown symbol
or factor, date outside the data, windows that run off the data); 3 data missing or invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pivotlib.data.datasets import HELP as DATASET_HELP

DEFAULT_FACTORS = ["SPY", "BTC-USD", "SMH"]


def register(subparsers: Any) -> None:
    """Add the ``regimes`` command group to the ``pivot`` parser."""
    p = subparsers.add_parser(
        "regimes", help="pivot scores and break dates (bitcoin vs AI exposures)",
        description="Regime analytics: is each miner trading like bitcoin or like AI "
                    "infrastructure? Factor betas before/after an event with Newey-West "
                    "standard errors, and sup-F break dates.")
    sub = p.add_subparsers(dest="regimes_command", metavar="ACTION")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("symbols", nargs="*", metavar="SYMBOL",
                       help="miners to analyse (default: universe roles miner and ai_host)")
        q.add_argument("--factors", nargs="+", default=DEFAULT_FACTORS,
                       help="factor columns (default: SPY BTC-USD SMH)")
        q.add_argument("--dataset", help=DATASET_HELP)
        q.add_argument("--start", help="first session, YYYY-MM-DD")
        q.add_argument("--end", help="last session, YYYY-MM-DD")
        q.add_argument("--orthogonalize", choices=["ai", "all", "none"], default="ai",
                       help="residualise the AI factor (ai), every non-market factor (all) or "
                            "nothing (none) on the market (default ai)")
        q.add_argument("--format", choices=["table", "csv"], default="table")
        q.add_argument("--out", type=Path, help="write the table to this file instead of stdout")

    s = sub.add_parser("scores", help="rank miners by pivot score (change in AI minus BTC beta)")
    common(s)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--date", help="one date for every symbol (first session of the new regime)")
    g.add_argument("--events", type=Path,
                   help="events CSV (default: the catalog); each symbol's first AI event")
    s.add_argument("--before", type=int, default=250, help="sessions before the date (250)")
    s.add_argument("--after", type=int, default=250, help="sessions from the date on (250)")
    s.add_argument("--clip", action="store_true",
                   help="shorten windows that run off the data instead of failing")
    s.add_argument("--ai-factor", default="SMH", help="which factor is AI (default SMH)")
    s.add_argument("--btc-factor", default="BTC-USD", help="which factor is bitcoin (BTC-USD)")
    s.set_defaults(func=cmd_scores)

    b = sub.add_parser("breaks", help="most likely break date per symbol (sup-F)")
    common(b)
    b.add_argument("--trim", type=float, default=0.15, help="trimming fraction (0.15)")
    b.add_argument("--stat", choices=["F", "hac"], default="hac",
                   help="classical Chow F or HAC Wald/q (default hac)")
    b.set_defaults(func=cmd_breaks)


def _load(args: argparse.Namespace) -> tuple[Any, list[str]]:
    from pivotlib.data.loading import load_returns
    from pivotlib.data.universe import symbols_by_role

    symbols = list(args.symbols) or symbols_by_role(["miner", "ai_host"])
    rets = load_returns([*symbols, *[f for f in args.factors if f not in symbols]],
                        args.start, args.end, dataset=args.dataset)
    return rets, symbols


def _emit(table: Any, args: argparse.Namespace, header: str) -> None:
    import pandas as pd

    if args.format == "csv":
        text = table.to_csv(float_format="%.6g")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 40):
            text = header + "\n" + table.to_string(float_format=lambda v: f"{v:.3f}") + "\n"
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_scores(args: argparse.Namespace) -> int:
    """``pivot regimes scores``."""
    from pivotlib.analytics.regimes import pivot_scores

    rets, symbols = _load(args)
    if args.date:
        when: Any = args.date
    else:
        from pivotlib.events.catalog import load_catalog

        when = load_catalog(args.events) if args.events else load_catalog()
    out = pivot_scores(rets, symbols, args.factors, when, before=args.before, after=args.after,
                       btc_factor=args.btc_factor, ai_factor=args.ai_factor,
                       orthogonalize=args.orthogonalize, clip=args.clip, errors="skip")
    if out["pivot_score"].isna().all():
        from pivotlib.errors import InputError

        raise InputError("no symbol could be scored: " + "; ".join(
            f"{s}: {n}" for s, n in out["note"].items()))
    cols = ["rank", "date", "n_before", "n_after", "delta_btc_beta", "delta_ai_beta",
            "pivot_score", "ci_low", "ci_high", "p_value", "note"]
    synthetic = " [SYNTHETIC data]" if rets.attrs.get("synthetic") else ""
    _emit(out[cols] if args.format == "table" else out, args,
          f"Pivot score = {out.attrs['score']}; {out.attrs['interval']}; HAC lags "
          f"{out.attrs['hac_rule']}; dataset {rets.attrs.get('dataset')}{synthetic}")
    return 0


def cmd_breaks(args: argparse.Namespace) -> int:
    """``pivot regimes breaks``."""
    import pandas as pd

    from pivotlib.analytics.regimes import find_break
    from pivotlib.errors import InputError

    rets, symbols = _load(args)
    rows = []
    for s in symbols:
        try:
            r = find_break(rets, s, args.factors, trim=args.trim, stat=args.stat,
                           orthogonalize=args.orthogonalize)
        except InputError as exc:
            rows.append({"symbol": s, "note": str(exc)})
            continue
        rows.append({"symbol": s, "break_date": r.break_date.date(), "sup_f": r.sup_f,
                     "p_value": r.p_value, "ci_low": r.ci_low.date(), "ci_high": r.ci_high.date(),
                     "nobs": r.nobs, "start": r.start.date(), "end": r.end.date(), "note": ""})
    table = pd.DataFrame(rows).set_index("symbol")
    synthetic = " [SYNTHETIC data]" if rets.attrs.get("synthetic") else ""
    _emit(table, args, f"sup-{args.stat} break search (trim {args.trim}; Bai 1997 95% interval); "
                       f"dataset {rets.attrs.get('dataset')}{synthetic}")
    return 0
