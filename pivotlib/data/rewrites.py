"""Fetched answers checked like imports, and rewrites that Yahoo's own events explain.

:func:`plan_fetch` is what ``pivot data fetch`` runs on every answer: the content checks and
overlap tolerances of :mod:`pivotlib.data.ingest` (one set of rules for both ways in), plus
:func:`explain_rewrite`, which accepts an answer that rewrites stored history only when the
answer's own split or dividend events explain the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.data.ingest import (
    MATCH_ABS_TOL,
    MATCH_REL_TOL,
    Overlap,
    compare_overlap,
    content_problems,
)
from pivotlib.errors import DataError

SPLIT_MATCH_TOL = 0.01
"""Relative tolerance between a re-adjustment ratio and the split ratio that explains it."""


def _segment_ratios(stored: pd.Series, new: pd.Series,
                    breaks: list[pd.Timestamp]) -> list[tuple[pd.Timestamp, pd.Timestamp, float, bool, int]]:
    """Ratios new/stored on common dates, cut at ``breaks`` (an event moves prices *before* it).

    Returns one ``(first, last, median ratio, constant?, n)`` per non-empty segment, oldest first.
    """
    a, b = stored.dropna(), new.dropna()
    common = a.index.intersection(b.index)
    common = common[(a.loc[common] > 0).to_numpy() & (b.loc[common] > 0).to_numpy()]
    if len(common) == 0:
        return []
    r = (b.loc[common] / a.loc[common]).astype("float64")
    edges = [pd.Timestamp.min, *sorted(set(breaks)), pd.Timestamp.max]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        seg = r[(r.index >= lo) & (r.index < hi)]
        if seg.empty:
            continue
        med = float(seg.median())
        x = a.loc[seg.index].to_numpy()
        const = bool((np.abs(seg.to_numpy() * x - med * x)
                      <= np.maximum(MATCH_REL_TOL * np.abs(med * x), MATCH_ABS_TOL)).all())
        out.append((seg.index[0], seg.index[-1], med, const, len(seg)))
    return out


def explain_rewrite(stored: pd.DataFrame, new: pd.DataFrame, events: dict[str, dict[str, float]],
                    *, adjusted: bool) -> tuple[bool, str]:
    """Whether ``new`` differs from ``stored`` only by Yahoo's own split/dividend re-adjustment.

    A provider re-adjusts history *before* an event's date: every earlier price is multiplied by
    one constant (``1/ratio`` for a split; ``1 - dividend/previous close`` per dividend for the
    dividend-adjusted series). So on the common dates the ratio ``new / stored`` must be
    piecewise constant with steps only at the events' dates, equal to 1 after the last event,
    and, for ``close`` (split-adjusted only, when ``adjusted`` is False), equal to the product
    of ``1/ratio`` of the later splits within :data:`SPLIT_MATCH_TOL`; dividend-adjusted series
    (``adj_close``, or ``close`` when ``adjusted``) may also step at dividends, by a factor in
    (0.5, 1] per segment beyond the splits'.

    Parameters
    ----------
    stored, new : DataFrame
        Store layout (``close``; ``adj_close`` is checked too when both have it).
    events : dict
        ``{"splits": {date: ratio}, "dividends": {date: amount}}`` from the same answer as ``new``.
    adjusted : bool
        Whether ``close`` is dividend-adjusted (``auto_adjust``).

    Returns
    -------
    (bool, str)
        Explained or not, and one line saying how (or why not).
    """
    splits = {pd.Timestamp(d): float(v) for d, v in (events.get("splits") or {}).items() if v}
    divs = {pd.Timestamp(d): float(v) for d, v in (events.get("dividends") or {}).items() if v}
    cols = [("close", adjusted)]
    if "adj_close" in stored.columns and "adj_close" in new.columns \
            and stored["adj_close"].notna().any() and new["adj_close"].notna().any():
        cols.append(("adj_close", True))
    said: list[str] = []
    for col, div_adj in cols:
        breaks = sorted(splits) + (sorted(divs) if div_adj else [])
        segs = _segment_ratios(stored[col], new[col], breaks)
        if all(abs(s[2] - 1) <= MATCH_REL_TOL and s[3] for s in segs):
            continue  # this column agrees
        if not breaks:
            return False, (f"{col} differs and the answer holds no split or dividend that "
                           "could explain it")
        for first, last, med, const, n in segs:
            later = [r for d, r in splits.items() if d > last]
            expect = float(np.prod([1.0 / r for r in later])) if later else 1.0
            later_div = [d for d in divs if d > last] if div_adj else []
            if not const:
                return False, (f"{col} on {first.date()}..{last.date()} is not one constant "
                               f"multiple of the stored values (median x{med:.6g}): not a "
                               "re-adjustment")
            if later_div:
                ok = 0.5 * expect < med <= expect * (1 + MATCH_REL_TOL)
            else:
                ok = abs(med / expect - 1) <= (SPLIT_MATCH_TOL if later else MATCH_REL_TOL)
            if not ok:
                return False, (f"{col} on {first.date()}..{last.date()} is x{med:.6g} the stored "
                               f"values, but Yahoo's events after it explain x{expect:.6g}"
                               + (" and dividends" if later_div else ""))
            if abs(med - 1) > MATCH_REL_TOL:
                why = ", ".join([f"split {r:g}:1 on {d.date()}" for d, r in sorted(splits.items())
                                 if d > last]
                                + [f"dividend {divs[d]:g} on {d.date()}" for d in sorted(later_div)])
                said.append(f"{col} x{med:.6g} on {n} stored rows {first.date()}..{last.date()} "
                            f"({why})")
    if not said:
        return False, "nothing to explain: the answer agrees with the stored rows"
    return True, "re-adjusted by Yahoo's own events: " + "; ".join(said)


@dataclass
class FetchPlan:
    """What a fetched answer does to the stored history (:func:`plan_fetch`)."""

    action: str  # created | merged | unchanged | rewritten | replaced | needs_full
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def plan_fetch(new: pd.DataFrame, stored: pd.DataFrame | None, *, symbol: str, info: dict[str, Any],
               where: str, adjusted: bool, stored_adjusted: bool | None,
               events: dict[str, dict[str, float]], full_answer: bool,
               replace: bool) -> FetchPlan:
    """Decide what a fetched answer does to the store, with the import's checks and merge rules.

    * Content (:func:`content_problems`, the import's checks) on the rows the answer adds or
      changes: a non-positive or absurd close, a one-day jump beyond x50, rows on non-sessions:
      refused, whatever ``replace`` says.
    * Overlap (:func:`compare_overlap`, the import's tolerances): when the answer agrees with
      the stored rows it is **merged** (stored rows kept, the answer's values win on common
      dates, new dates added; nothing is dropped).
    * When it disagrees: if Yahoo's own split/dividend events in the answer explain it
      (:func:`explain_rewrite`) and the answer is the full history (``full_answer``) covering
      every stored date, it is **rewritten** (the caller backs the old file up first); an
      incremental answer asks for the full history first (``needs_full``). Otherwise refused.
    * Adjustment: a stored series of the other convention (``auto_adjust``) is refused, as for
      an import. ``replace`` takes the answer as the history (backed up first) after the
      content checks.

    Raises
    ------
    DataError
        Refused; the message says what differs and how to accept it (``--replace``).
    """
    keep = (f"The store is unchanged. If Yahoo's answer is right, re-run with `pivot data fetch "
            f"{symbol} --full --replace` (the current file is kept as a backup: `pivot data "
            f"backups {symbol}`, `pivot data restore {symbol}`)")

    def refuse(what: str) -> DataError:
        return DataError(f"{symbol}: refused to store Yahoo's answer: {what}. {keep}")

    only = None
    if stored is not None and not replace:
        common = new.index.intersection(stored.index)
        moved = common[~np.isclose(new.loc[common, "close"].to_numpy(),
                                   stored.loc[common, "close"].to_numpy(), rtol=1e-9, atol=0)]
        only = new.index.difference(stored.index).union(moved)
    problems = content_problems(new, symbol, info, where=where, only=only)
    if problems:
        raise DataError(f"{symbol}: refused to store Yahoo's answer ({len(problems)} "
                        "problem(s)); the store is unchanged:\n  " + "\n  ".join(problems))
    if stored is None:
        return FetchPlan("created", new)
    span = f"{len(stored)} stored rows {stored.index[0].date()}..{stored.index[-1].date()}"
    if replace:
        if not full_answer:  # never replace a history by the few days an incremental fetch asked
            return FetchPlan("needs_full", new, ["--replace takes the full history"])
        ov = compare_overlap(stored["close"], new["close"])
        notes = [f"replaced {span} by Yahoo's {len(new)} rows {new.index[0].date()}.."
                 f"{new.index[-1].date()} (--replace)"]
        if ov.n and not ov.agrees:
            notes.append(f"the answer disagreed with the old file: {ov.summary()}")
        return FetchPlan("replaced", new, notes)
    if stored_adjusted is not None and bool(stored_adjusted) != bool(adjusted):
        def lab(b: bool) -> str:
            return "dividend-adjusted (--auto-adjust)" if b else "split-adjusted (default)"
        raise refuse(f"the stored closes are {lab(bool(stored_adjusted))} and this fetch asked "
                     f"for {lab(adjusted)}; a merge would splice two conventions")
    ov = compare_overlap(stored["close"], new["close"])
    ov_adj = (compare_overlap(stored["adj_close"], new["adj_close"])
              if "adj_close" in stored.columns and "adj_close" in new.columns else Overlap(0))
    if (ov.n and not ov.agrees) or (ov_adj.n and not ov_adj.agrees):
        ok, why = explain_rewrite(stored, new, events, adjusted=adjusted)
        if not ok:
            show = ov if (ov.n and not ov.agrees) else ov_adj
            col = "close" if show is ov else "adj_close"
            raise refuse(f"it rewrites stored history that Yahoo's own split/dividend events do "
                         f"not explain ({why}; {col}: {show.summary()})")
        if not full_answer:
            return FetchPlan("needs_full", new, [why])
        lost = stored.index[(stored.index < new.index[0]) | (stored.index > new.index[-1])]
        lost = lost.union(stored.index[(stored.index >= new.index[0])
                                       & (stored.index <= new.index[-1])].difference(new.index))
        if len(lost):
            raise refuse(f"{why}, but the re-adjusted history lacks {len(lost)} of the {span} "
                         f"(e.g. {lost[0].date()}): writing it would drop them")
        return FetchPlan("rewritten", new, [why])
    if ov.n == 0 and len(stored):
        raise refuse(f"its {len(new)} rows {new.index[0].date()}..{new.index[-1].date()} share "
                     f"no date with the {span}, so the level cannot be checked")
    added = new.index.difference(stored.index)
    merged = pd.concat([stored.loc[stored.index.difference(new.index)], new]).sort_index()
    if len(added) == 0:
        return FetchPlan("unchanged" if merged.equals(stored) else "merged", merged,
                         [f"no new dates; {ov.n} overlapping dates agree"])
    return FetchPlan("merged", merged, [f"kept all {len(stored)} stored rows, added "
                                        f"{len(added)} ({added[0].date()}..{added[-1].date()}); "
                                        f"{ov.n} overlapping dates agree"])
