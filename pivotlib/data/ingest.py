"""Safe price imports: checks that keep a CSV import from losing or corrupting stored data.

:func:`import_prices` is what ``pivot data import`` (and :func:`pivotlib.data.import_csv`)
runs. It reads the file, checks it, and then, holding the symbol's store lock, compares it
with what is stored and writes only when nothing would be lost. Every refusal raises before
the store is touched, so the stored file stays byte-identical.

Checks on the file (each refusal names the file, the line and the fix)
-----------------------------------------------------------------------
symbol
    Must be in the universe (case-sensitive; ``iren`` and ``IRNE`` are refused with the
    suggestion ``IREN``) unless ``allow_unknown_symbol`` (``--allow-unknown-symbol``).
    :class:`~pivotlib.errors.InputError` (exit 2).
non-positive or absurd closes
    ``close <= 0`` or ``close > MAX_CLOSE`` (1e7: bitcoin peaked near 1.25e5 and the dearest
    US share, BRK-A, is below 1e6, so anything above 1e7 is a unit or parsing error).
one-day jumps
    ``close[t] / close[t-1]`` above :data:`MAX_DAY_RATIO` (50) or below 1/50. The largest
    real moves in the shared real data are x8.6 (HIVE 2017-09-19, then a penny stock) and
    x0.29 (MARA 2012-09-10); miners' big AI-news days are +40% to +79% (x1.8). An unadjusted
    file carries reverse splits as one-day jumps (1:10 and 1:20 are the usual ratios; 1:50
    still passes), while a slipped decimal point or a cents/dollars mix is x100 and is caught.
non-sessions
    A symbol whose universe calendar is not ``24/7`` (equities, ``XNYS``) may have rows only
    on that calendar's sessions: a Saturday or an exchange holiday means a crypto file or
    another instrument. Conversely a ``24/7`` symbol (BTC-USD) whose file spans at least
    :data:`MIN_WEEKEND_SPAN_DAYS` days with no Saturday or Sunday row is an exchange-traded
    product (e.g. a bitcoin ETF priced at $28), not the crypto pair, and is refused.
history before ``listed_from``
    Rows before the universe's ``listed_from`` belong to another issuer (WULF before
    2021-12-14 is IKONICS; CIFR and BTDR start as SPAC shells). A real analyst's Yahoo export
    contains them, so they are not refused: when the file starts more than
    :data:`LISTING_TOLERANCE_DAYS` (30) calendar days before ``listed_from`` they are dropped
    and the note says how many rows and which dates; within the tolerance (a listing date
    known to a few days, when-issued trading) they are kept, and the loaders mask them anyway.

Checks against the stored file
------------------------------
level (wrong-symbol file)
    Closes on overlapping dates must agree within :data:`MATCH_REL_TOL` (0.2%) or
    :data:`MATCH_ABS_TOL` (0.006, i.e. two-decimal rounding of a cheap share). Otherwise the
    import is refused with a summary (overlap dates, median ratio, max abs difference). When
    the file is a constant multiple of the stored closes (within the same tolerance) the
    message says it looks like the same series adjusted at a different date (dividends or
    splits since); it is still refused unless ``replace``.
adjustment
    Merging an ``--adjusted`` file into an unadjusted stored series (or the reverse) would
    splice two conventions: refused unless ``replace``.
shrink
    The default is a **merge**: every stored row is kept, the file's new dates are added, and
    the overlap must agree (at least one overlapping date, or the level cannot be checked). A
    file that adds no date and covers fewer dates than stored would, as a replacement, drop
    stored rows: refused unless ``replace``. Re-importing the same dates is a no-op.

``replace`` (``--replace``) writes the file as the new history after saving the current file
as a backup (:mod:`pivotlib.data.backups`); the content checks still apply. A merge keeps the
stored metadata (source, adjustment) and records the import under ``extra["last_import"]``.

:func:`content_problems` is also what ``pivot data verify`` applies to stored files.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.data.store import PriceStore, SymbolMeta, check_symbol, utc_now_iso
from pivotlib.errors import DataError, InputError

MAX_CLOSE = 1e7
"""Closes above this are refused (a unit or parsing error, not a price)."""
MAX_DAY_RATIO = 50.0
"""One-day close ratios above this (or below its inverse) are refused."""
LISTING_TOLERANCE_DAYS = 30
"""Rows before ``listed_from`` are dropped when the file starts more than this many days early."""
MATCH_REL_TOL = 2e-3
"""Relative tolerance for stored and imported closes on the same date."""
MATCH_ABS_TOL = 0.006
"""Absolute tolerance (two-decimal rounding) for stored and imported closes on the same date."""
MIN_WEEKEND_SPAN_DAYS = 28
"""A 24/7 symbol's file spanning this many days must have weekend rows."""
_SHOW = 3


@dataclass
class ImportResult:
    """What :func:`import_prices` did.

    Attributes
    ----------
    path : Path
        The stored file.
    meta : SymbolMeta
        Its metadata after the import.
    action : {"created", "merged", "replaced", "unchanged"}
    notes : list of str
        Things the user should know (rows dropped before the listing, rows added...).
    backup : Path or None
        The backup of the previous file (``replaced`` only).
    added : int
        Rows added to the stored history (``merged``), or rows written (``created``/``replaced``).
    """

    path: Path
    meta: SymbolMeta
    action: str
    notes: list[str] = field(default_factory=list)
    backup: Path | None = None
    added: int = 0


# ----------------------------------------------------------------------------------------
# symbol
# ----------------------------------------------------------------------------------------
def suggest_symbol(symbol: str, known: list[str]) -> str | None:
    """Return the universe symbol ``symbol`` was probably meant to be, or None.

    A case-insensitive match wins (``iren`` -> ``IREN``); otherwise the closest spelling by
    :func:`difflib.get_close_matches` (``IRNE`` -> ``IREN``).
    """
    upper = {k.upper(): k for k in known}
    if symbol.upper() in upper:
        return upper[symbol.upper()]
    hits = difflib.get_close_matches(symbol.upper(), known, n=1, cutoff=0.6)
    return hits[0] if hits else None


def resolve_symbol(symbol: str, universe: pd.DataFrame | None, *,
                   allow_unknown: bool = False) -> dict[str, Any]:
    """Return the universe row of ``symbol`` (calendar, listed_from...), refusing unknown ones.

    Parameters
    ----------
    symbol : str
        Exactly as the user typed it (the universe is case-sensitive).
    universe : DataFrame or None
        From :func:`pivotlib.data.universe.load_universe`; None when there is no universe file.
    allow_unknown : bool
        Accept a symbol outside the universe (defaults of :func:`~pivotlib.data.universe.symbol_info`:
        ``24/7`` for ``*-USD``, else ``XNYS``; no ``listed_from``).

    Raises
    ------
    InputError
        The symbol is not in the universe and ``allow_unknown`` is False.
    """
    from pivotlib.data.universe import symbol_info

    check_symbol(symbol)
    known = [] if universe is None else [str(s) for s in universe["symbol"]]
    if symbol in known:
        return symbol_info(symbol, universe)
    if allow_unknown:
        return symbol_info(symbol, None)
    where = (universe.attrs.get("path", "the universe") if universe is not None
             else "the universe (no universe file found)")
    hint = suggest_symbol(symbol, known)
    did = f"did you mean {hint}? Pass --symbol {hint}. " if hint else ""
    raise InputError(f"{symbol!r} is not in {where}; {did}If {symbol} really is another "
                     "instrument, add a row for it to the universe file or pass "
                     "--allow-unknown-symbol")


# ----------------------------------------------------------------------------------------
# content checks (files and stored frames)
# ----------------------------------------------------------------------------------------
def _locator(where: str, lines: pd.Series | None):
    def loc(d: pd.Timestamp) -> str:
        if lines is not None and d in lines.index:
            return f"{where}:{int(lines.loc[d])}"
        return f"{where} ({d.date()})"
    return loc


def _listed_from(info: dict[str, Any]) -> pd.Timestamp | None:
    lf = info.get("listed_from")
    if lf is None or (not isinstance(lf, pd.Timestamp) and not lf) or pd.isna(lf):
        return None
    return pd.Timestamp(lf).normalize()


def content_problems(frame: pd.DataFrame, symbol: str, info: dict[str, Any], *, where: str,
                     lines: pd.Series | None = None, only: pd.DatetimeIndex | None = None,
                     check_listing: bool = False) -> list[str]:
    """Return one message per content problem of ``frame`` (empty list: looks fine).

    Parameters
    ----------
    frame : DataFrame
        Store layout (index ``date``, a ``close`` column).
    symbol : str
    info : dict
        The symbol's universe row (``calendar``, ``listed_from``), see :func:`resolve_symbol`.
    where : str
        The file, for messages.
    lines : Series, optional
        File line number per date: messages then say ``file:line``.
    only : DatetimeIndex, optional
        Report only problems at these dates (e.g. the rows a merge adds).
    check_listing : bool
        Also report rows more than :data:`LISTING_TOLERANCE_DAYS` before ``listed_from``
        (``pivot data verify``; an import trims them instead).

    Notes
    -----
    Checks: closes ``<= 0`` or above :data:`MAX_CLOSE`; one-day ratios beyond
    :data:`MAX_DAY_RATIO`; rows on non-sessions of a non-``24/7`` calendar; no weekend rows
    for a ``24/7`` symbol. See the module docstring for why these bounds.
    """
    out: list[str] = []
    c = frame["close"].dropna()
    if c.empty:
        return [f"{where}: {symbol} has no close prices"]
    loc = _locator(where, lines)
    keep = (np.ones(len(c), dtype=bool) if only is None else np.asarray(c.index.isin(only)))

    def _first(mask: np.ndarray) -> tuple[int, list[pd.Timestamp]]:
        m = mask & keep
        return int(m.sum()), list(c.index[m][:_SHOW])

    v = c.to_numpy()
    n, ds = _first(v <= 0)
    if n:
        out.append(f"{loc(ds[0])}: close {c[ds[0]]:g} on {ds[0].date()} is not positive "
                   f"({n} such row(s)); a price must be > 0: fix the row or blank its close "
                   "(rows without a close are skipped)")
    n, ds = _first(v > MAX_CLOSE)
    if n:
        out.append(f"{loc(ds[0])}: close {c[ds[0]]:g} on {ds[0].date()} is absurd (above "
                   f"{MAX_CLOSE:g}; {n} such row(s)): a unit or parsing error; fix the file")
    pos = c[c > 0]
    if len(pos) > 1:
        ratio = (pos / pos.shift(1)).iloc[1:]
        r = ratio.to_numpy()
        bad = (r > MAX_DAY_RATIO) | (r < 1 / MAX_DAY_RATIO)
        if only is not None:
            bad &= np.asarray(ratio.index.isin(only))
        if bad.any():
            d = ratio.index[bad][0]
            prev = pos.index[pos.index.get_loc(d) - 1]
            out.append(
                f"{loc(d)}: close goes from {pos[prev]:g} on {prev.date()} to {pos[d]:g} on "
                f"{d.date()} (x{r[bad][0]:.4g} in one day; {int(bad.sum())} such jump(s), the "
                f"bound is x{MAX_DAY_RATIO:g} either way): a slipped decimal point, a "
                "cents/dollars mix or rows of another instrument; fix those rows (an "
                "unadjusted file with a bigger reverse split: import an adjusted export)")
    cal = str(info.get("calendar") or "XNYS")
    if cal == "24/7":
        span = (c.index[-1] - c.index[0]).days
        if only is None and span >= MIN_WEEKEND_SPAN_DAYS and not (c.index.day_of_week >= 5).any():
            out.append(
                f"{where}: {symbol} trades every day (calendar 24/7) but the file's {len(c)} "
                f"rows {c.index[0].date()}..{c.index[-1].date()} have no Saturday or Sunday: "
                "it looks like an exchange-traded product (e.g. a bitcoin ETF), not the "
                f"crypto pair; import it under its own ticker, not {symbol}")
    else:
        from pivotlib.data.calendar import _all_sessions

        try:
            sess = _all_sessions(cal)
        except Exception as exc:  # noqa: BLE001 - unknown calendar code
            out.append(f"{where}: {symbol}'s calendar {cal!r} is unknown ({exc}); fix the "
                       "universe file")
            sess = None
        if sess is not None and len(sess):
            inside = (c.index >= sess[0]) & (c.index <= sess[-1])
            n, ds = _first(np.asarray(inside & ~c.index.isin(sess)))
            if n:
                days = ", ".join(f"{d.date()} ({d.day_name()})" for d in ds)
                out.append(
                    f"{loc(ds[0])}: {symbol} has {n} row(s) on days that are not {cal} "
                    f"sessions (weekends or exchange holidays), e.g. {days}; an equity has no "
                    "price then: this looks like a crypto (24/7) file or another instrument. "
                    f"Use the right file, or give {symbol} calendar 24/7 in the universe file")
    lf = _listed_from(info)
    if check_listing and lf is not None:
        early = c.index < lf - pd.Timedelta(days=LISTING_TOLERANCE_DAYS)
        if early.any():
            out.append(
                f"{where}: {int(early.sum())} row(s) {c.index[0].date()}..{c.index[early][-1].date()} "
                f"are more than {LISTING_TOLERANCE_DAYS} days before {symbol}'s listed_from "
                f"{lf.date()} (another issuer's history; the loaders mask them); re-import "
                "the file with --replace to trim them")
    return out


def trim_pre_listing(frame: pd.DataFrame, symbol: str, info: dict[str, Any],
                     where: str) -> tuple[pd.DataFrame, str | None]:
    """Drop another issuer's history before ``listed_from``; return (frame, note or None).

    Rows are dropped only when the first row is more than :data:`LISTING_TOLERANCE_DAYS`
    calendar days before ``listed_from``; rows within the tolerance are kept (and noted).

    Raises
    ------
    DataError
        Every row is before ``listed_from``.
    """
    lf = _listed_from(info)
    if lf is None or len(frame) == 0 or frame.index[0] >= lf:
        return frame, None
    pre = frame.index < lf
    first, last_pre = frame.index[0].date(), frame.index[pre][-1].date()
    if pre.all():
        raise DataError(f"{where}: every row ({first}..{frame.index[-1].date()}) is before "
                        f"{symbol}'s listed_from {lf.date()}: this is another issuer's history "
                        "or the wrong file; nothing to import")
    if (lf - frame.index[0]).days <= LISTING_TOLERANCE_DAYS:
        return frame, (f"kept {int(pre.sum())} row(s) {first}..{last_pre} just before "
                       f"{symbol}'s listed_from {lf.date()} (within {LISTING_TOLERANCE_DAYS} "
                       "days; the loaders mask them)")
    why = str(info.get("notes") or "").strip()
    note = (f"dropped {int(pre.sum())} row(s) {first}..{last_pre} before {symbol}'s "
            f"listed_from {lf.date()} (another issuer's history"
            + (f": {why}" if why else "") + f"); kept {int((~pre).sum())} rows from "
            f"{frame.index[~pre][0].date()}")
    return frame.loc[~pre], note


# ----------------------------------------------------------------------------------------
# overlap with the stored file
# ----------------------------------------------------------------------------------------
@dataclass
class Overlap:
    """Comparison of stored and imported closes on their common dates."""

    n: int
    n_bad: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    median_ratio: float = float("nan")
    max_abs_diff: float = 0.0
    worst: pd.Timestamp | None = None
    constant_ratio: bool = False
    worst_values: tuple[float, float] = (float("nan"), float("nan"))

    @property
    def agrees(self) -> bool:
        """True if every overlapping close agrees within the tolerances."""
        return self.n_bad == 0

    def summary(self) -> str:
        """One line: overlap dates, how many disagree, median ratio, max abs difference."""
        if self.n == 0:
            return "no overlapping dates"
        assert self.first is not None and self.last is not None
        w = (f", worst on {self.worst.date()} (file {self.worst_values[0]:g}, stored "
             f"{self.worst_values[1]:g})" if self.worst is not None else "")
        return (f"{self.n} overlapping dates {self.first.date()}..{self.last.date()}, "
                f"{self.n_bad} disagree; median ratio file/stored {self.median_ratio:.6g}, "
                f"max abs difference {self.max_abs_diff:.6g}{w}")


def compare_overlap(stored: pd.Series, new: pd.Series) -> Overlap:
    """Compare two close series on their common dates (positive closes only)."""
    a, b = stored.dropna(), new.dropna()
    common = a.index.intersection(b.index)
    common = common[(a.loc[common] > 0).to_numpy() & (b.loc[common] > 0).to_numpy()]
    if len(common) == 0:
        return Overlap(0)
    x, y = a.loc[common].to_numpy(), b.loc[common].to_numpy()
    diff = np.abs(y - x)
    bad = diff > np.maximum(MATCH_REL_TOL * np.abs(x), MATCH_ABS_TOL)
    med = float(np.median(y / x))
    const = False
    if bad.any() and abs(med - 1) > MATCH_REL_TOL:
        const = bool((np.abs(y - med * x) <= np.maximum(MATCH_REL_TOL * y, MATCH_ABS_TOL)).all())
    i = int(np.argmax(diff))
    return Overlap(len(common), int(bad.sum()), common[0], common[-1], med, float(diff[i]),
                   common[i] if bad.any() else None, const, (float(y[i]), float(x[i])))


def plan_import(new: pd.DataFrame, stored: pd.DataFrame | None, stored_meta: SymbolMeta | None,
                *, symbol: str, where: str, adjusted: bool,
                replace: bool) -> tuple[str, pd.DataFrame, list[str]]:
    """Decide what an import does; return (action, frame to write, notes).

    ``action`` is ``created`` (nothing stored), ``replaced`` (``replace``), ``merged``
    (stored rows kept, the file's new dates added) or ``unchanged`` (same dates, agreeing).

    Raises
    ------
    DataError
        Level mismatch, adjustment mismatch, no overlap, or a shrink, without ``replace``.
    """
    if stored is None or stored_meta is None:
        return "created", new, []
    ov = compare_overlap(stored["close"], new["close"])
    span = (f"the store holds {len(stored)} rows {stored.index[0].date()}.."
            f"{stored.index[-1].date()}")
    keep = (f"The store is unchanged. If the file is right, pass --replace (the current file is "
            f"kept as a backup: `pivot data backups {symbol}`, `pivot data restore {symbol}`)")
    if replace:
        notes = [f"replaced {len(stored)} stored rows {stored.index[0].date()}.."
                 f"{stored.index[-1].date()} by {len(new)} rows {new.index[0].date()}.."
                 f"{new.index[-1].date()}"]
        if ov.n and not ov.agrees:
            notes.append(f"the file disagrees with the old file: {ov.summary()}")
        return "replaced", new, notes
    if ov.n and not ov.agrees:
        if ov.constant_ratio:
            what = (f"the file is the stored series times a constant {ov.median_ratio:.6g}: it "
                    "looks like the same prices adjusted at a different date (dividends or "
                    "splits since), or adjusted vs unadjusted")
        elif ov.n_bad <= max(1, 0.05 * ov.n) and abs(ov.median_ratio - 1) <= MATCH_REL_TOL:
            what = (f"{ov.n_bad} of its closes disagree with the stored ones on the same dates "
                    "(a revised close, or an intraday last row: see --drop-after)")
        else:
            what = "the levels disagree: this looks like another symbol's file"
        raise DataError(f"{symbol}: refused to import {where}: {what} ({ov.summary()}). {keep}")
    if bool(stored_meta.adjusted) != bool(adjusted):
        def lab(b: bool) -> str:
            return "adjusted" if b else "unadjusted"
        raise DataError(f"{symbol}: refused to import {where} as {lab(adjusted)}: the stored "
                        f"closes are {lab(stored_meta.adjusted)} and a merge would splice two "
                        f"conventions; if the file is {lab(stored_meta.adjusted)}, say "
                        f"--{lab(stored_meta.adjusted)}. {keep}")
    if ov.n == 0:
        raise DataError(f"{symbol}: refused to import {where}: its {len(new)} rows "
                        f"{new.index[0].date()}..{new.index[-1].date()} share no date with "
                        f"the stored ones ({span}), so the level cannot be checked; export a "
                        f"file that overlaps the stored dates by a few sessions. {keep}")
    added = new.index.difference(stored.index)
    if len(added) == 0:
        if len(new) == len(stored):
            return "unchanged", stored, [f"nothing new: the file's {len(new)} rows are stored "
                                         "already and agree"]
        raise DataError(f"{symbol}: refused to import {where}: its {len(new)} rows "
                        f"{new.index[0].date()}..{new.index[-1].date()} are all stored already "
                        f"(and agree), but {span}; as the history it would drop "
                        f"{len(stored) - len(new)} stored rows, and there is nothing new to "
                        f"merge. {keep}")
    merged = pd.concat([stored, new.loc[added]]).sort_index()
    return "merged", merged, [f"merged: kept all {len(stored)} stored rows, added {len(added)} "
                              f"({added[0].date()}..{added[-1].date()}); {ov.n} overlapping "
                              "dates agree"]


# ----------------------------------------------------------------------------------------
# the import
# ----------------------------------------------------------------------------------------
def universe_or_none(universe: pd.DataFrame | Path | str | None) -> pd.DataFrame | None:
    """Return the universe (a frame, a path, or the default file); None if there is no default file.

    Raises
    ------
    InputError
        A universe file given explicitly is missing or invalid.
    """
    from pivotlib.data.universe import load_universe

    if isinstance(universe, pd.DataFrame):
        return universe
    try:
        return load_universe(universe)
    except InputError:
        if universe is not None:
            raise  # the user named a bad file: say so
        return None  # no default universe (custom install): every symbol is unknown


def _refused(symbol: str, where: str, problems: list[str]) -> DataError:
    body = "\n  ".join(problems)
    return DataError(f"{symbol}: refused to import {where} ({len(problems)} problem(s)); the "
                     f"store is unchanged:\n  {body}")


def import_prices(path: Path | str, symbol: str, *, adjusted: bool,
                  store: PriceStore | None = None, drop_after: str | pd.Timestamp | None = None,
                  replace: bool = False, allow_unknown_symbol: bool = False,
                  universe: pd.DataFrame | Path | str | None = None) -> ImportResult:
    """Check a price CSV and merge it into (or, with ``replace``, replace) the stored history.

    Parameters
    ----------
    path : path
        The CSV (any layout :func:`~pivotlib.data.sources.csvimport.read_price_csv` reads).
    symbol : str
        The universe symbol to store it under (case-sensitive).
    adjusted : bool
        Whether the file's Close is split- and dividend-adjusted.
    store : PriceStore, optional
        Default ``data/store``.
    drop_after : date, optional
        Ignore rows after this day (an intraday last row).
    replace : bool
        Replace the stored history by the file, after backing up the current file.
    allow_unknown_symbol : bool
        Accept a symbol outside the universe.
    universe : DataFrame or path, optional
        Default ``data/universe.csv``.

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        Unreadable file or unknown symbol (exit 2).
    DataError
        A check failed (exit 3); the stored file is untouched.
    """
    from pivotlib.data.backups import make_backup
    from pivotlib.data.sources.csvimport import read_price_csv

    check_symbol(symbol)
    store = store or PriceStore()
    where = str(path)
    df = read_price_csv(path, adjusted=adjusted, symbol=symbol, drop_after=drop_after,
                        keep_lines=True)
    attrs = dict(df.attrs)
    lines = pd.Series(list(attrs.pop("lines", ())) or np.nan, index=df.index)
    df.attrs = {}
    info = resolve_symbol(symbol, universe_or_none(universe), allow_unknown=allow_unknown_symbol)
    notes: list[str] = []
    if attrs.get("dropped_after"):
        notes.append(f"ignored {attrs['dropped_after']} row(s) after --drop-after {drop_after}")
    if attrs.get("dropped_missing_close"):
        notes.append(f"skipped {attrs['dropped_missing_close']} row(s) without a close")
    df, note = trim_pre_listing(df, symbol, info, where)
    if note:
        notes.append(note)
    problems = content_problems(df, symbol, info, where=where, lines=lines)
    if problems:
        raise _refused(symbol, where, problems)
    record = {"file": str(Path(path).resolve()), "layout": attrs.get("layout"),
              "ignored_columns": attrs.get("ignored_columns", []), "at": utc_now_iso(),
              "adjusted": bool(adjusted)}
    with store.locked(symbol):
        stored, stored_meta = store.read(symbol) if store.exists(symbol) else (None, None)
        action, frame, more = plan_import(df, stored, stored_meta, symbol=symbol, where=where,
                                          adjusted=adjusted, replace=replace)
        notes += more
        if action == "unchanged":
            assert stored_meta is not None
            return ImportResult(store.path(symbol), stored_meta, action, notes)
        if action == "merged":
            assert stored is not None and stored_meta is not None
            added = frame.index.difference(stored.index)
            problems = content_problems(frame, symbol, info, where=where, lines=lines, only=added)
            if problems:
                raise _refused(symbol, where, problems)
            meta = dataclasses.replace(stored_meta, fetched_at=utc_now_iso(), extra={
                **stored_meta.extra, "last_import": dict(record, action=action, notes=notes)})
        else:
            added = frame.index
            meta = SymbolMeta(symbol=symbol, source="csv", adjusted=bool(adjusted),
                              extra={"path": record["file"], "layout": record["layout"],
                                     "ignored_columns": record["ignored_columns"]})
        backup = None
        if action == "replaced":  # keep the old file first (a merge keeps every stored row)
            backup = make_backup(store, symbol, "replace")
            notes.append(f"the previous file is kept as {backup}")
        if action != "merged":
            meta.extra["last_import"] = dict(record, action=action, notes=notes)
        out = store.write(symbol, frame, meta)
        return ImportResult(out, store.read_meta(symbol), action, notes, backup, len(added))
