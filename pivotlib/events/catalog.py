"""AI-pivot event catalog: load, validate, derive event dates (measured against prices in
:mod:`pivotlib.studies.check`).

The catalog ``data/events/ai_pivot_events.csv`` (schema: ``data/events/SCHEMA.md``) holds one
row per public announcement. Its ``event_date`` column -- the first NYSE session on which the
market could react -- is **derived in code** from ``announced`` + ``timing`` with
:func:`pivotlib.data.calendar.event_session`; the file stores it for readability only, and
:func:`validate_events` rejects a stored value that disagrees with the derivation. Rewrite the
column with :func:`write_catalog` (``pivot events normalise``) after editing a row.

Rows whose ``symbol`` is ``SECTOR`` are sector-context events (the Ethereum Merge, ChatGPT,
the halving, ...). They belong to no single stock; :func:`expand_sector_events` copies them
onto a list of symbols for an event study.

:func:`check_events` keeps the catalog honest: for every event it measures the day-0 and
[-1, +1] returns, raw and abnormal against a market + bitcoin OLS model, beside the move the
source reported, and flags disagreements.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pivotlib.config import events_dir, universe_file
from pivotlib.data import calendar as cal
from pivotlib.data.filecache import FileCache, file_identity
from pivotlib.errors import InputError

COLUMNS: list[str] = ["event_id", "symbol", "announced", "timing", "event_date", "category",
                      "headline", "counterparty", "deal_usd", "reported_move", "sources",
                      "confidence", "confounders", "notes"]
"""Catalog columns, in file order."""

REQUIRED_COLUMNS: tuple[str, ...] = ("event_id", "symbol", "announced", "category", "sources",
                                     "confidence")
"""Columns a user's events file must have (the others are optional and default to blank)."""

TIMINGS: tuple[str, ...] = ("pre-market", "intraday", "after-close", "unknown")
CONFIDENCES: tuple[str, ...] = ("verified", "approximate")
SECTOR = "SECTOR"
"""Pseudo-symbol of sector-context rows (they apply to every name, see expand_sector_events)."""

CATEGORIES: dict[str, str] = {
    "ai_hosting_lease": "long-term lease/colocation of data-centre capacity to an AI tenant",
    "ai_cloud_contract": "GPU/AI cloud services contract (the company runs the GPUs)",
    "ai_cloud_launch": "launch of an AI cloud business or partner status",
    "ai_capex": "GPU or AI data-centre equipment purchase",
    "capacity_expansion": "new sites/power capacity earmarked for AI/HPC",
    "strategic_pivot": "announced change of strategy (into AI/HPC, or away from mining)",
    "financing": "equity, debt or preferred financing tied to the AI build-out",
    "m_and_a": "definitive merger/acquisition news, bids, votes",
    "m_and_a_rumor": "press report of talks",
    "spin_off": "spin-off/IPO of a subsidiary",
    "earnings": "results release carrying AI news",
    "short_report": "short-seller report",
    "governance": "governance/legal disclosure (8-K, investigation)",
    "corporate_action": "merger completion, rename, listing change",
    "sector_context": "sector-wide event (symbol SECTOR)",
    "ad_hoc": "a single user-supplied event (make_event)",
}
"""Allowed ``category`` values and their meaning."""

MOVE_BASES: tuple[str, ...] = ("close", "intraday", "premarket", "afterhours")
_MOVE_RE = re.compile(r"^\s*(?P<num>[+\-\u2212]?\d+(?:\.\d+)?)\s*%\s*(?P<basis>[a-z\-]+)",
                      re.IGNORECASE)
_SUBJECT_RE = re.compile(r"\(([A-Z][A-Z0-9.\-]{0,9})\)\s*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_RE = re.compile(r"^https?://\S+$")
_EXPLAINED_RE = re.compile(r"\bcheck\s*:", re.IGNORECASE)


# ----------------------------------------------------------------------------- paths, I/O
def catalog_path() -> Path:
    """Return the path of the shipped catalog, ``data/events/ai_pivot_events.csv``."""
    return events_dir() / "ai_pivot_events.csv"


def known_symbols(universe: pd.DataFrame | Path | str | None = None) -> set[str]:
    """Return the symbols an events file may use: the universe's symbols plus ``SECTOR``.

    Uses :func:`pivotlib.data.universe.load_universe` when available, else reads
    ``data/universe.csv`` with pandas.
    """
    if isinstance(universe, pd.DataFrame):
        syms = universe["symbol"]
    else:
        try:
            from pivotlib.data.universe import load_universe
        except ImportError:  # pragma: no cover - universe module absent
            syms = pd.read_csv(universe or universe_file(), dtype=str)["symbol"]
        else:
            syms = load_universe(universe)["symbol"]
    return {str(s).strip().upper() for s in syms} | {SECTOR}


def read_events_file(path: Path | str) -> pd.DataFrame:
    """Read an events CSV as strings, keeping each record's line number.

    Returns
    -------
    pandas.DataFrame
        All cells as ``str`` (blank = ``""``), plus ``_line`` (1-based line of the record in
        the file; the header is line 1) and ``_file`` (the file name).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"events file {p} not found; check the path (a CSV with columns "
                         f"{', '.join(REQUIRED_COLUMNS)}, ...)")
    rows: list[dict[str, str]] = []
    with open(p, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(f"events file {p} is empty; add a header row "
                             f"({','.join(COLUMNS)})") from None
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputError(f"{p.name}: missing column(s) {', '.join(missing)}; the header "
                             f"must include {', '.join(REQUIRED_COLUMNS)}")
        unknown = [c for c in header if c not in COLUMNS]
        if unknown:
            raise InputError(f"{p.name}: unknown column(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(COLUMNS)}")
        prev_end = reader.line_num
        for rec in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                raise InputError(f"{p.name} line {start}: {len(rec)} fields, header has "
                                 f"{len(header)}; quote fields that contain commas")
            row = {c: "" for c in COLUMNS}
            row.update({h: v.strip() for h, v in zip(header, rec)})
            row["_line"] = start
            row["_file"] = p.name
            rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "_line", "_file"])


# ----------------------------------------------------------------------------- parsing
def parse_reported_move(text: str | None) -> tuple[float, str]:
    """Parse a reported move such as ``"+48.5% close ($10.14)"``.

    Parameters
    ----------
    text : str or None
        ``<signed number>% <basis>[ free text]`` where basis is one of :data:`MOVE_BASES`
        (``close``, ``intraday``, ``premarket``, ``afterhours``). Blank means "not reported".

    Returns
    -------
    (float, str)
        The move in percent and its basis; ``(nan, "")`` for a blank value.

    Raises
    ------
    InputError
        When the text does not start with a percentage and a known basis.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return float("nan"), ""
    m = _MOVE_RE.match(str(text))
    basis = m.group("basis").lower().replace("-", "") if m else ""
    if basis == "premarket" or basis == "pre":
        basis = "premarket"
    if not m or basis not in MOVE_BASES:
        raise InputError(f"reported_move {text!r} is not '<+/-number>% <basis> ...'; write e.g. "
                         f"'+48.5% close' with basis one of {', '.join(MOVE_BASES)}")
    return float(m.group("num").replace("\u2212", "-")), basis


def move_subject(text: str | None) -> str:
    """Return the symbol a reported move refers to when it ends in ``(SYMBOL)``, else ``""``.

    Sector rows use this: ``"-29% close (CORZ)"`` is CORZ's move on the DeepSeek day.
    """
    if not text:
        return ""
    m = _SUBJECT_RE.search(str(text))
    return m.group(1) if m else ""


def derive_event_dates(df: pd.DataFrame) -> pd.Series:
    """Return ``event_date`` derived from ``announced`` + ``timing`` (ISO date strings).

    The rule is :func:`pivotlib.data.calendar.event_session`: pre-market, intraday and unknown
    announcements react on the announcement day if it is a session (else the next session);
    after-close announcements react on the next session.
    """
    out = [cal.event_session(a, t or "unknown").strftime("%Y-%m-%d")
           for a, t in zip(df["announced"], df["timing"])]
    return pd.Series(out, index=df.index, name="event_date", dtype=object)


# ----------------------------------------------------------------------------- validation
def validate_events(df: pd.DataFrame, *, symbols: Iterable[str] | None = None,
                    require_sources: bool = True, source: str = "events") -> pd.DataFrame:
    """Validate an events frame and return it normalised.

    Every problem of every row is collected; one :class:`~pivotlib.errors.InputError` lists
    them all, each with its file and line number (columns ``_file``/``_line`` from
    :func:`read_events_file`; frames without them report the row position).

    Checks: unknown symbol (not in the universe, not ``SECTOR``); announced date missing,
    not ``YYYY-MM-DD`` or not a real date; a non-trading (weekend/holiday) announced date with
    an empty ``timing`` (write ``unknown`` to accept the next-session rule); timing not one of
    :data:`TIMINGS`; stored ``event_date`` differing from the derived one; duplicate
    ``event_id``; missing or non-URL ``sources``; bad ``confidence`` or ``category``;
    non-numeric ``deal_usd``; unparseable ``reported_move``.

    Parameters
    ----------
    df : DataFrame
        Events as strings (see :func:`read_events_file`).
    symbols : iterable of str, optional
        Allowed symbols; default :func:`known_symbols` (universe + ``SECTOR``).
    require_sources : bool, default True
        False for ad-hoc events (:func:`make_event`).
    source : str
        Name used in messages when the frame has no ``_file`` column.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``announced`` and ``event_date`` are datetime64,
        ``deal_usd`` float, the rest strings.
    """
    allowed = {s.upper() for s in symbols} if symbols is not None else known_symbols()
    work = df.reset_index(drop=True).copy()
    for c in COLUMNS:
        if c not in work.columns:
            work[c] = ""
        elif pd.api.types.is_datetime64_any_dtype(work[c]):
            work[c] = work[c].dt.strftime("%Y-%m-%d")
    work[COLUMNS] = work[COLUMNS].fillna("").astype(str).apply(lambda s: s.str.strip())
    if "_line" not in work.columns:
        work["_line"] = [None] * len(work)
    if "_file" not in work.columns:
        work["_file"] = source

    errors: list[str] = []
    seen: dict[str, str] = {}
    derived: list[str] = []
    fixed: dict[str, list[str]] = {"timing": [], "confidence": [], "symbol": []}
    for pos, r in enumerate(work.to_dict("records")):
        where = (f"{r['_file']} line {int(r['_line'])}" if r["_line"] not in (None, "")
                 and not pd.isna(r["_line"]) else f"{r['_file']} row {pos + 1}")
        problems: list[str] = []
        eid = r["event_id"]
        if not eid:
            problems.append("event_id is empty; give each event a unique id")
        elif eid in seen:
            problems.append(f"duplicate event_id {eid!r} (first at {seen[eid]}); ids must be "
                            "unique across the catalog and your files")
        else:
            seen[eid] = where
        sym = r["symbol"].upper()
        if not sym:
            problems.append("symbol is empty")
        elif sym not in allowed:
            problems.append(f"unknown symbol {r['symbol']!r}; use a symbol of the universe "
                            f"(data/universe.csv) or {SECTOR} for sector-context events")
        ann = r["announced"]
        ann_ts = None
        if not ann:
            problems.append("announced date is empty")
        elif not _DATE_RE.match(ann):
            problems.append(f"announced {ann!r} is not a date in YYYY-MM-DD form")
        else:
            try:
                ann_ts = pd.Timestamp(ann)
            except ValueError:
                problems.append(f"announced {ann!r} is not a real calendar date")
        timing = r["timing"].lower()
        if timing and timing not in TIMINGS:
            problems.append(f"timing {r['timing']!r} is not one of {', '.join(TIMINGS)}")
            timing = "?"
        dd = ""
        if ann_ts is not None and timing != "?":
            if not timing:
                if not cal.is_session(ann_ts):
                    problems.append(
                        f"announced {ann} is a {ann_ts.day_name()} (no NYSE session) and timing "
                        "is empty; set timing (write 'unknown' to use the next session)")
                else:
                    timing = "unknown"
            if timing:
                try:
                    dd = cal.event_session(ann_ts, timing).strftime("%Y-%m-%d")
                except InputError as exc:
                    problems.append(str(exc))
        if dd and r["event_date"] and r["event_date"] != dd:
            problems.append(f"event_date {r['event_date']} differs from the date derived from "
                            f"announced + timing ({dd}); never type it by hand: leave it blank "
                            "or run `pivot events normalise`")
        fixed["timing"].append(timing if timing != "?" else r["timing"])
        derived.append(dd)
        cat_ = r["category"]
        if cat_ not in CATEGORIES:
            problems.append(f"category {cat_!r} is not one of {', '.join(CATEGORIES)}"
                            if cat_ else "category is empty")
        conf = r["confidence"].lower()
        if conf not in CONFIDENCES:
            problems.append(f"confidence {r['confidence']!r} is not one of "
                            f"{', '.join(CONFIDENCES)}" if conf else "confidence is empty")
        fixed["confidence"].append(conf)
        srcs = source_urls(r["sources"])
        if require_sources:
            if not r["sources"]:
                problems.append("missing source: give at least one URL in sources "
                                "(several separated by ' ; ')")
            else:
                bad = [s for s in srcs if not _URL_RE.match(s)]
                if bad:
                    problems.append(f"sources must be http(s) URLs separated by ' ; ', got "
                                    f"{bad[0]!r}")
        if r["deal_usd"]:
            try:
                v = float(r["deal_usd"])
                if v < 0 or not math.isfinite(v):
                    raise ValueError
            except ValueError:
                problems.append(f"deal_usd {r['deal_usd']!r} is not a non-negative number "
                                "(plain USD, e.g. 460000000)")
        try:
            parse_reported_move(r["reported_move"])
        except InputError as exc:
            problems.append(str(exc))
        errors.extend(f"{where}: {p}" for p in problems)
        fixed["symbol"].append(sym)
    if errors:
        raise InputError(f"{len(errors)} problem(s) in {source}:\n  " + "\n  ".join(errors))
    for c, v in fixed.items():
        work[c] = pd.Series(v, index=work.index, dtype=work[c].dtype)
    out = work[COLUMNS].copy()
    out["event_date"] = pd.to_datetime(pd.Series(derived, index=work.index)).astype(
        "datetime64[ns]")
    out["announced"] = pd.to_datetime(out["announced"]).astype("datetime64[ns]")
    out["deal_usd"] = pd.to_numeric(out["deal_usd"].replace("", np.nan))
    out = out.reset_index(drop=True)
    out.attrs["files"] = sorted(set(work["_file"]))
    return out


def source_urls(text: str) -> list[str]:
    """Split a ``sources`` cell (URLs separated by ``' ; '``) into a list."""
    return [s.strip() for s in re.split(r"\s;\s|\s+;|;\s+", text or "") if s.strip()]


# ----------------------------------------------------------------------------- loading
def load_catalog(path: Path | str | None = None,
                 extra: Path | str | pd.DataFrame | Sequence[Path | str | pd.DataFrame] | None
                 = None, *, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Load the event catalog, optionally merged with a user's events file(s).

    Parameters
    ----------
    path : path, optional
        The catalog; default ``data/events/ai_pivot_events.csv``.
    extra : path, DataFrame, or a list of them, optional
        The user's own events, validated the same way as the catalog (same columns; ids
        must not collide with the catalog's).
    symbols : iterable of str, optional
        Allowed symbols; default the universe + ``SECTOR``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` (``announced``/``event_date`` datetime64), catalog rows
        first; ``attrs["files"]`` names the files read.

    Raises
    ------
    InputError
        Listing every bad row with its file and line number.
    """
    key = _catalog_key(path or catalog_path(), extra, symbols)
    hit = _CATALOG_CACHE.get(key)
    if hit is not None:
        return hit
    frames = [read_events_file(path or catalog_path())]
    if extra is not None:
        items = [extra] if isinstance(extra, (str, Path, pd.DataFrame)) else list(extra)
        for i, item in enumerate(items):
            if isinstance(item, pd.DataFrame):
                f = item.copy()
                for c in ("announced", "event_date"):
                    if c in f.columns and pd.api.types.is_datetime64_any_dtype(f[c]):
                        f[c] = f[c].dt.strftime("%Y-%m-%d")
                f["_file"] = f.get("_file", f"extra[{i}]")
                frames.append(f)
            else:
                frames.append(read_events_file(item))
    allf = pd.concat(frames, ignore_index=True)
    names = ", ".join(dict.fromkeys(str(x) for x in allf["_file"]))
    out = validate_events(allf, symbols=symbols, source=names)
    _CATALOG_CACHE.put(key, out)
    return out


_CATALOG_CACHE: FileCache[pd.DataFrame] = FileCache(pd.DataFrame.copy, maxsize=16)
"""Validated catalogs by the identity of the files they were read from (the parameter check
and the study of one report, and every report of a warm kernel, load the same catalog)."""


def _catalog_key(path: Path | str, extra: object, symbols: Iterable[str] | None) -> tuple | None:
    """The cache key of a :func:`load_catalog` call: the identity of every file read (and of
    the universe file when ``symbols`` is not given); None (not cached) when a file cannot be
    identified or an extra events frame is given."""
    items = [] if extra is None else (
        [extra] if isinstance(extra, (str, Path, pd.DataFrame)) else list(extra))
    if any(isinstance(i, pd.DataFrame) for i in items):
        return None
    files = [file_identity(f) for f in (path, *items)]
    allowed: object = (file_identity(universe_file()) if symbols is None
                       else frozenset(str(s) for s in symbols))
    if any(f is None for f in files) or allowed is None:
        return None
    return (*files, allowed)


def make_event(symbol: str, date: str | pd.Timestamp, timing: str = "unknown",
               event_id: str | None = None, headline: str = "", *,
               symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Build a validated one-row events frame for a single ad-hoc event.

    Parameters
    ----------
    symbol : str
        A universe symbol (or ``SECTOR``).
    date : str or Timestamp
        The announcement date (New York), ``YYYY-MM-DD``.
    timing : str, default "unknown"
        One of :data:`TIMINGS`.
    event_id : str, optional
        Default ``"<SYMBOL>-<date>-adhoc"``.
    headline : str
        Free text.

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`load_catalog`; category ``ad_hoc``, confidence
        ``approximate``, no source required.
    """
    try:
        d = pd.Timestamp(date).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        raise InputError(f"date {date!r} is not a date; use YYYY-MM-DD") from None
    sym = str(symbol).strip().upper()
    row = {c: "" for c in COLUMNS}
    row.update(event_id=event_id or f"{sym}-{d}-adhoc", symbol=sym, announced=d,
               timing=timing or "unknown", category="ad_hoc", headline=headline,
               confidence="approximate", notes="ad-hoc event supplied by the user")
    return validate_events(pd.DataFrame([row]), symbols=symbols, require_sources=False,
                           source="ad-hoc event")


def write_catalog(df: pd.DataFrame, path: Path | str | None = None) -> Path:
    """Fill ``event_date`` in code (from announced + timing) and write the catalog CSV.

    ``df`` may hold strings or the frame :func:`load_catalog` returns; it is validated first.
    """
    f = df.copy()
    for c in ("announced", "event_date"):
        if c in f.columns and pd.api.types.is_datetime64_any_dtype(f[c]):
            f[c] = f[c].dt.strftime("%Y-%m-%d")
    if "deal_usd" in f.columns:
        f["deal_usd"] = f["deal_usd"].map(_fmt_usd)
    f["event_date"] = ""
    out = validate_events(f.astype({c: str for c in COLUMNS if c in f.columns}),
                          source=str(path or "catalog"))
    f = out.copy()
    f["announced"] = f["announced"].dt.strftime("%Y-%m-%d")
    f["event_date"] = f["event_date"].dt.strftime("%Y-%m-%d")
    f["deal_usd"] = f["deal_usd"].map(_fmt_usd)
    p = Path(path) if path else catalog_path()
    f[COLUMNS].to_csv(p, index=False, lineterminator="\n")
    return p


def _fmt_usd(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return ""
    try:
        return str(int(float(v)))
    except (TypeError, ValueError):
        return str(v)


# ----------------------------------------------------------------------------- selection
def company_events(catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalog's company events: every row but the ``SECTOR`` context rows.

    Parameters
    ----------
    catalog : DataFrame, optional
        A loaded catalog; default :func:`load_catalog`.
    """
    cat = load_catalog() if catalog is None else catalog
    return cat[cat["symbol"].astype(str) != SECTOR].reset_index(drop=True)


def select_events(catalog: pd.DataFrame, categories: Iterable[str] | str | None = None,
                  symbols: Iterable[str] | str | None = None,
                  start: str | pd.Timestamp | None = None,
                  end: str | pd.Timestamp | None = None,
                  confidence: Iterable[str] | str | None = None) -> pd.DataFrame:
    """Filter a catalog by category, symbol, ``event_date`` range and confidence.

    ``symbols`` keeps only those symbols (add ``"SECTOR"`` to keep sector rows). Unknown
    categories raise :class:`InputError` (a typo would otherwise silently select nothing).
    """
    out = catalog
    if categories is not None:
        cats = [categories] if isinstance(categories, str) else list(categories)
        bad = [c for c in cats if c not in CATEGORIES]
        if bad:
            raise InputError(f"unknown category {bad[0]!r}; use one of {', '.join(CATEGORIES)}")
        out = out[out["category"].isin(cats)]
    if symbols is not None:
        syms = [symbols] if isinstance(symbols, str) else list(symbols)
        out = out[out["symbol"].isin([s.upper() for s in syms])]
    if start is not None:
        out = out[out["event_date"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["event_date"] <= pd.Timestamp(end)]
    if confidence is not None:
        conf = [confidence] if isinstance(confidence, str) else list(confidence)
        out = out[out["confidence"].isin(conf)]
    return out.reset_index(drop=True)


def expand_sector_events(catalog: pd.DataFrame, symbols: Iterable[str], *,
                         keep_company: bool = True) -> pd.DataFrame:
    """Apply each ``SECTOR`` row to every symbol in ``symbols``.

    Each copy gets ``symbol`` set and ``event_id`` suffixed ``":<SYMBOL>"``
    (``SECTOR-2022-09-15-eth-merge:HUT``). Company rows are kept unless ``keep_company`` is
    False.
    """
    syms = [s.upper() for s in symbols if s.upper() != SECTOR]
    sector = catalog[catalog["symbol"] == SECTOR]
    parts = [catalog[catalog["symbol"] != SECTOR]] if keep_company else []
    for s in syms:
        c = sector.copy()
        c["symbol"] = s
        c["event_id"] = c["event_id"] + ":" + s
        parts.append(c)
    if not parts:
        return catalog.iloc[0:0].copy()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["event_date", "symbol", "event_id"], kind="stable").reset_index(
        drop=True)


def confounding_flags(catalog: pd.DataFrame, window: int = 3, *,
                      include_sector: bool = True) -> pd.Series:
    """For each event, the ids of other events of the same symbol within ``window`` sessions.

    A ``SECTOR`` event counts as nearby for every symbol (when ``include_sector``). Returns a
    Series of ``"; "``-joined ids (``""`` when clean), aligned with ``catalog``.
    """
    dates = pd.DatetimeIndex(catalog["event_date"])
    lo, hi = dates.min(), dates.max()
    sess = cal.sessions(lo - pd.Timedelta(days=10), hi + pd.Timedelta(days=10))
    pos = sess.searchsorted(dates)
    syms = list(catalog["symbol"])
    ids = list(catalog["event_id"])
    out = []
    for i, sym in enumerate(syms):
        near = []
        for j, sym2 in enumerate(syms):
            related = sym2 == sym or (include_sector and sym2 == SECTOR)
            if j != i and related and abs(int(pos[i]) - int(pos[j])) <= window:
                near.append(ids[j])
        out.append("; ".join(near))
    return pd.Series(out, index=catalog.index, name="nearby_events", dtype=object)
