"""Two price sources reconciled: per symbol, where they agree, and by what constant they differ.

``pivot data compare A B`` and ``pivot data verify --reference B`` run :func:`compare_datasets`
on two dataset specs (:mod:`pivotlib.data.datasets`: ``store``, ``demo``, ``csv:<folder>``).
Each symbol's closes are compared on the dates both sources hold (their own dates: no calendar
alignment, no forward fill), with the import's tolerances (:data:`pivotlib.data.ingest.
MATCH_REL_TOL` 0.2% or :data:`~pivotlib.data.ingest.MATCH_ABS_TOL` 0.006): a date *agrees*
when ``|b - a| <= max(0.002 |a|, 0.006)``.

When the sources disagree on most dates but ``b / a`` is one constant on every date (within
the same tolerance around the median ratio), they hold the same history adjusted at another
date (dividends or splits since one of them was made, e.g. ``benda931`` against ``dsturdy`` in
the shared real data); the ratio is reported as ``constant_ratio``. Otherwise the dates where
they disagree are listed (a wrong-symbol file, a revised close, an intraday last row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pivotlib.data.ingest import MATCH_ABS_TOL, MATCH_REL_TOL
from pivotlib.errors import DataError, InputError

_SHOW_DATES = 5


@dataclass
class SymbolComparison:
    """One symbol in two sources.

    Attributes
    ----------
    symbol : str
    rows_a, rows_b : int
        Rows with a positive close in each source.
    overlap : int
        Dates both hold.
    first, last : str
        Overlap range (ISO dates; "" without overlap).
    agree : int
        Overlapping dates that agree within the tolerance.
    constant_ratio : float or None
        ``b / a`` when every overlapping date fits one constant ratio other than 1 (same
        history adjusted at another date); None otherwise.
    disagree_dates : list of str
        Dates that disagree (empty when they all agree or a constant ratio explains them).
    worst : str
        The largest relative difference and its date.
    note : str
        Why the symbol could not be compared (missing in one source...), else "".
    """

    symbol: str
    rows_a: int = 0
    rows_b: int = 0
    overlap: int = 0
    first: str = ""
    last: str = ""
    agree: int = 0
    constant_ratio: float | None = None
    disagree_dates: list[str] = field(default_factory=list)
    worst: str = ""
    note: str = ""

    @property
    def share(self) -> float:
        """Share of overlapping dates that agree (NaN without overlap)."""
        return self.agree / self.overlap if self.overlap else float("nan")

    @property
    def verdict(self) -> str:
        """``agree``, ``constant ratio``, ``disagree`` or ``not compared``."""
        if self.note or not self.overlap:
            return "not compared"
        if self.agree == self.overlap:
            return "agree"
        return "constant ratio" if self.constant_ratio is not None else "disagree"

    def line(self) -> str:
        """One line for the terminal."""
        if self.verdict == "not compared":
            return f"{self.symbol:10s} not compared: {self.note or 'no common dates'}"
        out = (f"{self.symbol:10s} {self.overlap:5d} common days {self.first}..{self.last}: "
               f"{self.agree}/{self.overlap} agree ({100 * self.share:.1f}%)")
        if self.constant_ratio is not None and self.agree < self.overlap:
            out += (f"; B = A x {self.constant_ratio:.6f} on every day (the same history "
                    "adjusted at another date)")
        elif self.disagree_dates:
            more = len(self.disagree_dates) - _SHOW_DATES
            out += (f"; disagree on {', '.join(self.disagree_dates[:_SHOW_DATES])}"
                    + (f" (+{more} more)" if more > 0 else "") + f"; worst {self.worst}")
        return out


def compare_series(symbol: str, a: pd.Series, b: pd.Series) -> SymbolComparison:
    """Compare two close series of ``symbol`` on their common dates (positive closes only)."""
    a = a[a.notna() & (a > 0)]
    b = b[b.notna() & (b > 0)]
    out = SymbolComparison(symbol, rows_a=len(a), rows_b=len(b))
    common = a.index.intersection(b.index).sort_values()
    if len(common) == 0:
        out.note = "no common dates" if len(a) and len(b) else "no closes in one source"
        return out
    x, y = a.loc[common].to_numpy(float), b.loc[common].to_numpy(float)
    diff = np.abs(y - x)
    ok = diff <= np.maximum(MATCH_REL_TOL * np.abs(x), MATCH_ABS_TOL)
    out.overlap, out.agree = len(common), int(ok.sum())
    out.first, out.last = str(common[0].date()), str(common[-1].date())
    rel = diff / x
    i = int(np.argmax(rel))
    out.worst = f"{100 * rel[i]:.3g}% on {common[i].date()} (A {x[i]:g}, B {y[i]:g})"
    if ok.all():
        return out
    med = float(np.median(y / x))
    if abs(med - 1) > MATCH_REL_TOL and bool(
            (np.abs(y - med * x) <= np.maximum(MATCH_REL_TOL * np.abs(y), MATCH_ABS_TOL)).all()):
        out.constant_ratio = med
    else:
        out.disagree_dates = [str(d.date()) for d in common[~ok]]
    return out


def compare_datasets(a: str, b: str, symbols: list[str] | None = None) -> list[SymbolComparison]:
    """Compare the closes of every symbol two datasets share (or of ``symbols``).

    Parameters
    ----------
    a, b : str
        Dataset specs (``store``, ``demo``, ``csv:<folder>[,<folder>...]``).
    symbols : list of str, optional
        Default: the symbols both datasets hold.

    Returns
    -------
    list of SymbolComparison
        One per symbol, sorted by symbol; a symbol missing from one side (only when named in
        ``symbols``) or unreadable is listed with a ``note``.

    Raises
    ------
    InputError
        A bad dataset spec.
    DataError
        The datasets share no symbol (and none was named).
    """
    from pivotlib.data.loading import resolve_dataset
    from pivotlib.errors import PivotError

    da, db = resolve_dataset(a), resolve_dataset(b)
    have_a, have_b = set(da.available()), set(db.available())
    if symbols:
        syms = list(dict.fromkeys(symbols))
    else:
        syms = sorted(have_a & have_b)
        if not syms:
            raise DataError(f"{da.name} and {db.name} share no symbol ({len(have_a)} and "
                            f"{len(have_b)} symbols); name the files the same (<SYMBOL>.csv) "
                            "or pass symbols")
    out: list[SymbolComparison] = []
    for s in syms:
        missing = [n for n, have in ((da.name, have_a), (db.name, have_b)) if s not in have]
        if missing:
            out.append(SymbolComparison(s, note=f"not in {' and '.join(missing)}"))
            continue
        try:
            fa, _ = da.read(s)
            fb, _ = db.read(s)
        except (PivotError, InputError) as exc:
            out.append(SymbolComparison(s, note=f"unreadable: {exc}"))
            continue
        out.append(compare_series(s, fa["close"], fb["close"]))
    return out
