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
from pivotlib.defaults import AI, BITCOIN, MARKET, REGIME_COHORT, REGIME_FACTORS, FactorRoles


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
                       help="miners to analyse (default: the pivot cohort "
                            f"{' '.join(REGIME_COHORT)})")
        q.add_argument("--factors", nargs="+", default=list(REGIME_FACTORS),
                       help=f"factor columns (default: {' '.join(REGIME_FACTORS)})")
        q.add_argument("--market", default=None,
                       help=f"which factor is the market (default {MARKET})")
        q.add_argument("--ai-factor", default=None, help=f"which factor is AI (default {AI})")
        q.add_argument("--btc-factor", default=None,
                       help=f"which factor is bitcoin (default {BITCOIN})")
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
    s.set_defaults(func=cmd_scores)

    b = sub.add_parser("breaks", help="most likely break date per symbol (sup-F)")
    common(b)
    b.add_argument("--trim", type=float, default=0.15, help="trimming fraction (0.15)")
    b.add_argument("--stat", choices=["F", "hac"], default="hac",
                   help="classical Chow F or HAC Wald/q (default hac)")
    b.set_defaults(func=cmd_breaks)


def _load(args: argparse.Namespace) -> tuple[Any, list[str], FactorRoles]:
    """Returns of the miners and factors; miners the dataset lacks are left out with a note on
    stderr. A role's default factor the dataset lacks follows the rule per role (a stand-in,
    else the role is dropped: :func:`pivotlib.studies.regime.fit_roles`, noted on stderr); a
    factor named with ``--market/--btc-factor/--ai-factor`` must be there."""
    from pivotlib.data.datasets import DatasetSpec
    from pivotlib.data.loading import load_returns
    from pivotlib.defaults import require_named
    from pivotlib.errors import DataError
    from pivotlib.studies.common import dataset_symbols
    from pivotlib.studies.regime import fit_roles

    ds = str(DatasetSpec.parse(args.dataset))
    have = dataset_symbols(ds)
    require_named({"--market": args.market, "--btc-factor": args.btc_factor,
                   "--ai-factor": args.ai_factor}, have, ds)
    roles, facs, notes = fit_roles(args.factors, have, market=args.market,
                                   bitcoin=args.btc_factor, ai=args.ai_factor, where=ds)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    args.factors = facs
    if roles.market not in facs:  # no market series: nothing to orthogonalise on
        args.orthogonalize = "none"
    symbols = [s for s in (list(args.symbols) or list(REGIME_COHORT)) if s not in args.factors]
    rets = load_returns([*symbols, *args.factors], args.start, args.end, dataset=args.dataset,
                        on_missing="skip")
    left = dict(rets.attrs.get("left_out") or {})
    missing_f = [f for f in args.factors if f in left]
    if missing_f:
        raise DataError("; ".join(left[f] for f in missing_f))
    for s, why in left.items():
        print(f"note: {s} left out: {why}", file=sys.stderr)
    return rets, [s for s in symbols if s not in left], roles


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

    rets, symbols, roles = _load(args)
    if args.date:
        when: Any = args.date
    else:
        from pivotlib.events.catalog import load_catalog

        when = load_catalog(args.events) if args.events else load_catalog()
    out = pivot_scores(rets, symbols, args.factors, when, before=args.before, after=args.after,
                       btc_factor=roles.bitcoin, ai_factor=roles.ai, market=roles.market,
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

    rets, symbols, roles = _load(args)
    rows = []
    for s in symbols:
        try:
            r = find_break(rets, s, args.factors, trim=args.trim, stat=args.stat,
                           market=roles.market, ai_factor=roles.ai,
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
