"""Trading calendar: NYSE sessions from ``exchange_calendars`` and 24/7 alignment of crypto.

Equities trade on NYSE sessions (calendar ``XNYS``); bitcoin and ether trade every day.
To put both on one timeline, crypto closes are **aligned to equity sessions**: for each
session we take the last crypto close on or before that session's date. Returns computed
from aligned closes fold Saturday's and Sunday's moves into Monday's return, so nothing is
lost and nothing is double counted.

Timing caveat (documented for day 0 of every event study): Yahoo's daily ``BTC-USD`` bar is a
UTC calendar day, so its "close" is the 00:00 UTC print that ends the day, i.e. 19:00 or 20:00
New York time (EST/EDT), three to four hours **after** the 16:00 NYSE close. A BTC return dated
session *D* therefore includes the first hours of after-hours trading on *D*. For an
after-close announcement on *D* (event day 0 = *D*+1), BTC's day-0 return starts 3-4 hours into
the reaction, so a factor model attributes slightly less of the overnight move to bitcoin than
an exact 16:00 alignment would. The effect is small for daily studies and is stated in reports.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pivotlib.config import cache_dir
from pivotlib.errors import InputError

Policy = Literal["next", "previous", "raise"]
Timing = Literal["pre-market", "intraday", "after-close", "unknown"]

DEFAULT_CALENDAR = "XNYS"
_CAL_START = "1990-01-02"


@lru_cache(maxsize=4)
def _calendar(name: str = DEFAULT_CALENDAR):
    import warnings

    import exchange_calendars as xcals

    end = (pd.Timestamp.today().normalize() + pd.DateOffset(years=1)).strftime("%Y-%m-%d")
    with warnings.catch_warnings():
        # exchange_calendars 4.13 calls Series.values on tz-aware data (deprecated in pandas 3.1);
        # the sessions it builds are correct, the warning is not ours to fix.
        warnings.filterwarnings("ignore", message=".*Series.values returning an ndarray.*")
        return xcals.get_calendar(name, start=_CAL_START, end=end)


@lru_cache(maxsize=4)
def _all_sessions(name: str = DEFAULT_CALENDAR) -> pd.DatetimeIndex:
    cached = _read_session_cache(name)
    if cached is not None:
        return cached
    s = _calendar(name).sessions
    out = pd.DatetimeIndex(s.tz_localize(None) if s.tz is not None else s).as_unit("ns")
    _write_session_cache(name, out)
    return out


def _session_cache_file(name: str) -> Path | None:
    """``<cache>/sessions-<name>-xcals<version>.npy``; None when the version is unknown.

    Keyed by the exchange_calendars version, so a release that adds a closure (a national day
    of mourning, say) rebuilds the cache. Building the calendar costs ~0.3 s per process
    (every notebook kernel pays it); reading the cached sessions costs ~1 ms.
    """
    try:
        from importlib.metadata import version

        ver = version("exchange-calendars")
    except Exception:  # noqa: BLE001 - no metadata: do not cache
        return None
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return cache_dir() / f"sessions-{safe}-xcals{ver}.npy"


def _read_session_cache(name: str) -> pd.DatetimeIndex | None:
    path = _session_cache_file(name)
    if path is None or not path.is_file():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
        idx = pd.DatetimeIndex(arr.astype("datetime64[ns]"))
    except Exception:  # noqa: BLE001 - unreadable cache: rebuild it
        return None
    horizon = pd.Timestamp.today().normalize() + pd.DateOffset(months=6)
    if len(idx) == 0 or idx[-1] < horizon or not idx.is_monotonic_increasing:
        return None  # too short for today's needs: rebuild
    return idx


def _write_session_cache(name: str, idx: pd.DatetimeIndex) -> None:
    path = _session_cache_file(name)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, idx.to_numpy().astype("datetime64[ns]"), allow_pickle=False)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
    except OSError:
        pass  # a read-only home is fine: the calendar is simply rebuilt next time


def sessions(start: str | pd.Timestamp, end: str | pd.Timestamp,
             calendar: str = DEFAULT_CALENDAR) -> pd.DatetimeIndex:
    """Return the exchange sessions between ``start`` and ``end`` inclusive.

    Parameters
    ----------
    start, end : str or Timestamp
        Inclusive bounds (dates; any time part is ignored).
    calendar : str, default "XNYS"
        An ``exchange_calendars`` code. ``"24/7"`` returns every calendar day.

    Returns
    -------
    pandas.DatetimeIndex
        Tz-naive session dates, ascending, named ``date``.
    """
    start_ts, end_ts = _day(start), _day(end)
    if end_ts < start_ts:
        raise InputError(f"end {end_ts.date()} is before start {start_ts.date()}; swap them")
    if calendar == "24/7":
        idx = pd.date_range(start_ts, end_ts, freq="D")
    else:
        alls = _all_sessions(calendar)
        idx = alls[(alls >= start_ts) & (alls <= end_ts)]
    return pd.DatetimeIndex(idx, name="date").as_unit("ns")


def is_session(date: str | pd.Timestamp, calendar: str = DEFAULT_CALENDAR) -> bool:
    """Return True if ``date`` is a trading session of ``calendar``."""
    ts = _day(date)
    return bool(ts in _all_sessions(calendar))


def to_session(date: str | pd.Timestamp, policy: Policy = "next",
               calendar: str = DEFAULT_CALENDAR) -> pd.Timestamp:
    """Map a calendar date to a session under a non-trading-day policy.

    Parameters
    ----------
    date : str or Timestamp
        The date to map.
    policy : {"next", "previous", "raise"}, default "next"
        What to do when ``date`` is not a session: the next session, the previous one, or
        raise :class:`~pivotlib.errors.InputError`.
    calendar : str, default "XNYS"

    Returns
    -------
    pandas.Timestamp
    """
    ts = _day(date)
    alls = _all_sessions(calendar)
    if ts in alls:
        return ts
    if policy == "raise":
        raise InputError(
            f"{ts.date()} ({ts.day_name()}) is not a {calendar} session; pass a trading day "
            "or use policy 'next' or 'previous'"
        )
    if policy == "next":
        pos = alls.searchsorted(ts, side="left")
        if pos >= len(alls):
            raise InputError(f"{ts.date()} is after the last known {calendar} session")
        return alls[pos]
    if policy == "previous":
        pos = alls.searchsorted(ts, side="right") - 1
        if pos < 0:
            raise InputError(f"{ts.date()} is before the first known {calendar} session")
        return alls[pos]
    raise InputError(f"unknown non-trading-day policy {policy!r}; use 'next', 'previous' or 'raise'")


def event_session(announced: str | pd.Timestamp, timing: str = "unknown",
                  calendar: str = DEFAULT_CALENDAR) -> pd.Timestamp:
    """Return the first session on which the market could react to an announcement.

    Parameters
    ----------
    announced : str or Timestamp
        Calendar date of the announcement, New York time.
    timing : {"pre-market", "intraday", "after-close", "unknown"}
        ``pre-market``/``intraday``/``unknown``: the announcement day if it is a session,
        otherwise the next session. ``after-close``: the next session strictly after the
        announcement day.
    calendar : str, default "XNYS"

    Returns
    -------
    pandas.Timestamp
    """
    ts = _day(announced)
    t = (timing or "unknown").strip().lower()
    if t in {"pre-market", "intraday", "unknown"}:
        return to_session(ts, "next", calendar)
    if t == "after-close":
        return to_session(ts + pd.Timedelta(days=1), "next", calendar)
    raise InputError(
        f"unknown timing {timing!r}; use one of pre-market, intraday, after-close, unknown"
    )


def shift_sessions(date: str | pd.Timestamp, n: int, calendar: str = DEFAULT_CALENDAR) -> pd.Timestamp:
    """Return the session ``n`` trading days after (``n`` < 0: before) the session ``date``."""
    ts = to_session(date, "raise", calendar)
    alls = _all_sessions(calendar)
    pos = int(alls.get_loc(ts)) + int(n)
    if pos < 0 or pos >= len(alls):
        raise InputError(f"{n} sessions from {ts.date()} falls outside the {calendar} calendar")
    return alls[pos]


FOLD_DAYS = 4
"""Calendar days a 24/7 close may be carried to a session (a long weekend); older is a gap."""


def align_to_sessions(close: pd.Series, session_index: pd.DatetimeIndex) -> pd.Series:
    """Align a 7-day (crypto) close series to equity sessions.

    For each session date, the value is the last close on or before that date, so returns
    computed from the result fold weekend and holiday moves into the next session's return.

    Parameters
    ----------
    close : pandas.Series
        Daily closes indexed by calendar date (tz-naive or tz-aware; tz is dropped).
    session_index : pandas.DatetimeIndex
        Target session dates.

    Returns
    -------
    pandas.Series
        Closes on ``session_index``; NaN before the first and after the last available close,
        and inside gaps longer than :data:`FOLD_DAYS`.
    """
    s = close.dropna().sort_index()
    idx = pd.DatetimeIndex(s.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    s = pd.Series(s.to_numpy(), index=idx.normalize().as_unit("ns"), name=close.name)
    s = s[~s.index.duplicated(keep="last")]
    full = s.index.union(session_index)
    out = s.reindex(full).ffill().reindex(session_index)
    # The last close on or before a session, taken only when it is newer than the previous
    # session (and at most FOLD_DAYS old): weekends and holidays fold into the next session,
    # while a gap in the file (or the days after its last close) stays a gap, never a run of
    # invented 0.0% returns.
    stamp = pd.DatetimeIndex(pd.Series(s.index, index=s.index).reindex(full).ffill()
                             .reindex(session_index))
    prev = pd.DatetimeIndex([pd.NaT, *session_index[:-1]]) if len(session_index) else \
        session_index
    age = np.asarray((session_index - stamp).days)
    fresh = (age <= FOLD_DAYS) & (np.asarray(prev.isna()) | np.asarray(stamp > prev))
    out[~fresh] = np.nan
    return out


def simple_returns(closes: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Simple returns ``P_t / P_{t-1} - 1`` of aligned closes; the first row is dropped.

    Missing closes are not filled, so a gap yields NaN returns rather than a fake zero.
    """
    return closes.pct_change(fill_method=None).iloc[1:]


def parse_day(date: str | pd.Timestamp, what: str = "date") -> pd.Timestamp:
    """Parse a date into a tz-naive midnight Timestamp, or raise a clear InputError.

    Parameters
    ----------
    date : str or Timestamp
        ISO date (``YYYY-MM-DD``) or anything :class:`pandas.Timestamp` accepts; a time part
        and a time zone are dropped.
    what : str, default "date"
        How the error message names the value (e.g. ``"event date"``).
    """
    try:
        ts = pd.Timestamp(date)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what} {date!r} is not a date; use ISO format YYYY-MM-DD") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise InputError(f"{what} {date!r} is not a date; use ISO format YYYY-MM-DD")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize().as_unit("ns")


_day = parse_day
