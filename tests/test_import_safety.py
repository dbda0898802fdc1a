"""`pivot data import` cannot lose or corrupt stored data (pivotlib.data.ingest, pivotlib.data.backups).

Every refusal is checked to leave the stored file byte-identical. Fast, deterministic, offline;
one `realdata` test imports the shared real files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pivotlib import config
from pivotlib.cli import main
from pivotlib.data.backups import list_backups, remove, restore
from pivotlib.data.calendar import sessions
from pivotlib.data.ingest import (
    LISTING_TOLERANCE_DAYS,
    MAX_DAY_RATIO,
    compare_overlap,
    import_prices,
    suggest_symbol,
)
from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError, InputError

UNIVERSE = """symbol,name,role,yahoo_symbol,calendar,listed_from,notes
IREN,IREN,miner,IREN,XNYS,2021-11-17,
WULF,TeraWulf,miner,WULF,XNYS,2021-12-14,Before 2021-12-14 the ticker history is IKONICS Corp
MARA,MARA,miner,MARA,XNYS,,
SPY,SPDR S&P 500,benchmark,SPY,XNYS,,
BTC-USD,Bitcoin,crypto,BTC-USD,24/7,,
"""


@pytest.fixture
def uni(tmp_path) -> Path:
    p = tmp_path / "universe.csv"
    p.write_text(UNIVERSE)
    return p


@pytest.fixture
def store(tmp_data_dir) -> PriceStore:
    return PriceStore(config.store_dir())


def _frame(start="2025-01-02", end="2025-03-31", base=10.0, cal="XNYS") -> pd.DataFrame:
    idx = sessions(start, end, cal)
    days = (idx - pd.Timestamp("2000-01-01")).days.to_numpy()
    c = base * (1 + 0.01 * np.sin(days))  # a function of the date: two frames agree on overlap
    return pd.DataFrame({"close": c}, index=idx)


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``Date,Close`` (full precision); line n+2 holds row n."""
    out = pd.DataFrame({"Date": frame.index.strftime("%Y-%m-%d"), "Close": frame["close"]})
    out.to_csv(path, index=False, float_format="%.10g")
    return path


def _seed(store: PriceStore, symbol: str, frame: pd.DataFrame, adjusted: bool = True) -> bytes:
    store.write(symbol, frame, SymbolMeta(symbol, "csv", adjusted=adjusted))
    return store.path(symbol).read_bytes()


def _refused(st, symbol, old: bytes, exc_type, match, *args, **kw):
    """Import must raise ``exc_type`` matching ``match`` and leave the stored bytes as they were."""
    with pytest.raises(exc_type, match=match) as ei:
        import_prices(*args, **kw)
    if old is None:
        assert not st.exists(symbol)
    else:
        assert st.path(symbol).read_bytes() == old
    assert list_backups(st, symbol) == []  # a refusal writes no backup either
    return str(ei.value)


# ---- symbols -------------------------------------------------------------------------------
@pytest.mark.parametrize("typo", ["iren", "IRNE", "Iren"])
def test_unknown_symbol_refused_with_suggestion(store, uni, tmp_path, typo):
    old = _seed(store, "IREN", _frame())
    f = _csv(tmp_path / "x.csv", _frame())
    msg = _refused(store, typo, None, InputError, "did you mean IREN", f, typo, adjusted=True,
                   store=store, universe=uni)
    assert "--allow-unknown-symbol" in msg and "--symbol IREN" in msg
    assert store.path("IREN").read_bytes() == old and store.symbols() == ["IREN"]


def test_suggest_symbol():
    assert suggest_symbol("iren", ["IREN", "MARA"]) == "IREN"
    assert suggest_symbol("IRNE", ["IREN", "MARA"]) == "IREN"
    assert suggest_symbol("ZZZZZZ", ["IREN", "MARA"]) is None


def test_unknown_symbol_accepted_with_flag(store, uni, tmp_path):
    f = _csv(tmp_path / "x.csv", _frame())
    res = import_prices(f, "NEWCO", adjusted=True, store=store, universe=uni,
                        allow_unknown_symbol=True)
    assert res.action == "created" and store.symbols() == ["NEWCO"]


def test_unknown_symbol_cli_exit_2(store, uni, tmp_path, capsys):
    f = _csv(tmp_path / "x.csv", _frame())
    assert main(["data", "import", str(f), "--symbol", "iren", "--adjusted",
                 "--universe", str(uni)]) == 2
    assert "did you mean IREN" in capsys.readouterr().err and not store.exists("iren")


# ---- content of the file -------------------------------------------------------------------
def _with(frame: pd.DataFrame, i: int, value: float) -> pd.DataFrame:
    out = frame.copy()
    out.iloc[i, 0] = value
    return out


@pytest.mark.parametrize("value, match", [
    (0.0, r"x\.csv:12: close 0 on 2025-01-17 is not positive"),
    (1e9, r"x\.csv:12: close 1e\+09 .* is absurd"),
    (1000.0, r"x\.csv:12: close goes from .* to 1000 on 2025-01-17 \(x\d+"),   # slipped decimal
])
def test_bad_closes_refused_with_file_line(store, uni, tmp_path, value, match):
    old = _seed(store, "MARA", _frame("2024-10-01", "2024-12-31"))
    f = _csv(tmp_path / "x.csv", _with(_frame(), 10, value))  # row 10 -> line 12
    msg = _refused(store, "MARA", old, DataError, match, f, "MARA", adjusted=True, store=store,
                   universe=uni)
    assert "store is unchanged" in msg


def test_real_sized_jumps_and_reverse_splits_pass(store, uni, tmp_path):
    fr = _frame()
    fr.iloc[5:, 0] *= 1.789      # APLD 2023-05-16: +78.9%
    fr.iloc[20:, 0] *= 8.6       # HIVE 2017-09-19: x8.6
    fr.iloc[40:, 0] *= 20        # a 1:20 reverse split in an unadjusted file
    assert 20 < MAX_DAY_RATIO
    f = _csv(tmp_path / "x.csv", fr)
    assert import_prices(f, "MARA", adjusted=False, store=store, universe=uni).action == "created"


@pytest.mark.parametrize("day, name", [("2025-01-04", "Saturday"), ("2025-01-20", "Monday")])
def test_equity_row_on_non_session_refused(store, uni, tmp_path, day, name):
    """A Saturday, and Martin Luther King Day (an NYSE holiday)."""
    old = _seed(store, "IREN", _frame("2024-10-01", "2024-12-31"))
    fr = pd.concat([_frame(), pd.DataFrame({"close": [10.0]}, index=[pd.Timestamp(day)])])
    f = _csv(tmp_path / "x.csv", fr.sort_index())
    line = 2 + int(np.flatnonzero(fr.sort_index().index == pd.Timestamp(day))[0])
    _refused(store, "IREN", old, DataError,
             rf"x\.csv:{line}: IREN has 1 row\(s\) on days that are not XNYS sessions.*{name}",
             f, "IREN", adjusted=True, store=store, universe=uni)


def test_crypto_weekend_rows_accepted_etf_as_crypto_refused(store, uni, tmp_path):
    btc = _frame("2025-01-01", "2025-03-31", base=95000.0, cal="24/7")
    res = import_prices(_csv(tmp_path / "btc.csv", btc), "BTC-USD", adjusted=True, store=store,
                        universe=uni)
    assert res.action == "created"
    old = store.path("BTC-USD").read_bytes()
    etf = _csv(tmp_path / "etf.csv", _frame("2025-04-01", "2025-06-30", base=28.0))
    _refused(store, "BTC-USD", old, DataError, "no Saturday or Sunday.*exchange-traded", etf,
             "BTC-USD", adjusted=True, store=store, universe=uni)


# ---- history before listed_from ----------------------------------------------------------
def test_pre_listing_history_trimmed_with_note(store, uni, tmp_path):
    fr = _frame("2019-01-02", "2022-03-31", base=5.0)
    res = import_prices(_csv(tmp_path / "w.csv", fr), "WULF", adjusted=True, store=store,
                        universe=uni)
    df, _ = store.read("WULF")
    assert df.index[0] == pd.Timestamp("2021-12-14")
    n_pre = int((fr.index < "2021-12-14").sum())
    note = next(n for n in res.notes if n.startswith("dropped"))
    assert f"dropped {n_pre} row(s) 2019-01-02..2021-12-13" in note and "IKONICS" in note


def test_pre_listing_within_tolerance_kept(store, uni, tmp_path):
    start = pd.Timestamp("2021-12-14") - pd.Timedelta(days=LISTING_TOLERANCE_DAYS - 5)
    fr = _frame(start, "2022-03-31")
    res = import_prices(_csv(tmp_path / "w.csv", fr), "WULF", adjusted=True, store=store,
                        universe=uni)
    assert store.read("WULF")[0].index[0] == fr.index[0]
    assert any(n.startswith("kept") and "just before" in n for n in res.notes)


def test_file_entirely_before_listing_refused(store, uni, tmp_path):
    f = _csv(tmp_path / "w.csv", _frame("2019-01-02", "2019-06-28"))
    _refused(store, "WULF", None, DataError, "every row .* is before WULF's listed_from", f,
             "WULF", adjusted=True, store=store, universe=uni)


# ---- against the stored file -------------------------------------------------------------
def test_wrong_symbol_level_mismatch_refused_with_summary(store, uni, tmp_path):
    old = _seed(store, "IREN", _frame("2024-01-02", "2025-03-31", base=10.0))
    spy = _frame("2024-06-03", "2025-06-30", base=550.0)
    spy["close"] *= 1 + 0.001 * np.arange(len(spy))  # not a constant multiple
    msg = _refused(store, "IREN", old, DataError, "levels disagree.*another symbol",
                   _csv(tmp_path / "spy.csv", spy), "IREN", adjusted=True, store=store,
                   universe=uni)
    assert "overlapping dates 2024-06-03..2025-03-31" in msg and "median ratio" in msg
    assert "max abs difference" in msg and "--replace" in msg


def test_constant_ratio_reported_as_other_adjustment_date(store, uni, tmp_path):
    old = _seed(store, "SPY", _frame("2024-01-02", "2025-03-31", base=500.0))
    fr = _frame("2024-06-03", "2025-06-30", base=500.0)
    fr["close"] *= 0.986
    msg = _refused(store, "SPY", old, DataError, "constant 0.986.*adjusted at a different date",
                   _csv(tmp_path / "s.csv", fr), "SPY", adjusted=True, store=store,
                   universe=uni)
    assert "--replace" in msg


def test_adjustment_mismatch_refused(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame("2025-01-02", "2025-02-28"), adjusted=False)
    f = _csv(tmp_path / "m.csv", _frame("2025-01-02", "2025-03-31"))
    _refused(store, "MARA", old, DataError, "stored closes are unadjusted", f, "MARA",
             adjusted=True, store=store, universe=uni)


def test_shrink_refused(store, uni, tmp_path):
    """The reported bug: a 124-row file over a long history used to leave 124 rows."""
    old = _seed(store, "MARA", _frame("2012-05-04", "2025-03-31"))
    short = _frame("2024-12-12", "2025-03-31")
    msg = _refused(store, "MARA", old, DataError, "would drop .* stored rows",
                   _csv(tmp_path / "m.csv", short), "MARA", adjusted=True, store=store,
                   universe=uni)
    assert "nothing new to merge" in msg


def test_no_overlap_refused(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame("2025-01-02", "2025-02-28"))
    f = _csv(tmp_path / "m.csv", _frame("2025-04-01", "2025-05-30"))
    _refused(store, "MARA", old, DataError, "share no date", f, "MARA", adjusted=True,
             store=store, universe=uni)


def test_one_revised_close_refused(store, uni, tmp_path):
    full = _frame("2025-01-02", "2025-03-31")
    old = _seed(store, "MARA", full.loc[:"2025-02-28"])
    f = _csv(tmp_path / "m.csv", _with(full, 30, full["close"].iloc[30] * 1.05))
    _refused(store, "MARA", old, DataError, "1 of its closes disagree.*--drop-after", f, "MARA",
             adjusted=True, store=store, universe=uni)


def test_extension_is_merged_stored_rows_kept(store, uni, tmp_path):
    full = _frame("2025-01-02", "2025-03-31")
    stored = full.loc[:"2025-02-28"].copy()
    stored["volume"] = 7.0  # something the CSV does not have: must survive the merge
    store.write("MARA", stored, SymbolMeta("MARA", "yahoo", adjusted=True))
    before = store.read("MARA")[0]
    # a CSV rounded to 2 decimals (as exported by a terminal) still agrees
    f = tmp_path / "m.csv"
    pd.DataFrame({"Date": full.index.strftime("%Y-%m-%d"), "Close": full["close"].round(2)}).to_csv(
        f, index=False)
    res = import_prices(f, "MARA", adjusted=True, store=store, universe=uni)
    after, meta = store.read("MARA")
    assert res.action == "merged" and res.added == int((full.index > "2025-02-28").sum())
    pd.testing.assert_frame_equal(after.loc[before.index], before)
    assert after.index[-1] == full.index[-1] and len(after) == len(full)
    assert meta.source == "yahoo" and meta.extra["last_import"]["action"] == "merged"
    assert list_backups(store, "MARA") == []  # a merge drops nothing, so no backup


def test_same_file_again_is_a_no_op(store, uni, tmp_path):
    f = _csv(tmp_path / "m.csv", _frame())
    import_prices(f, "MARA", adjusted=True, store=store, universe=uni)
    old = store.path("MARA").read_bytes()
    res = import_prices(f, "MARA", adjusted=True, store=store, universe=uni)
    assert res.action == "unchanged" and store.path("MARA").read_bytes() == old


def test_merge_junction_jump_refused(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame("2025-01-02", "2025-02-28"))
    fr = _frame("2025-02-20", "2025-03-31")
    fr.loc[fr.index > "2025-02-28", "close"] *= 100  # new rows in cents
    _refused(store, "MARA", old, DataError, "close goes from", _csv(tmp_path / "m.csv", fr),
             "MARA", adjusted=True, store=store, universe=uni)


def test_compare_overlap_summary():
    a = pd.Series([10.0, 11.0, 12.0], index=pd.to_datetime(["2025-01-02", "2025-01-03",
                                                            "2025-01-06"]))
    ov = compare_overlap(a, a * 2)
    assert ov.n == 3 and ov.n_bad == 3 and ov.median_ratio == 2 and ov.constant_ratio
    assert compare_overlap(a, a.round(2)).agrees


# ---- replace, backups, restore, remove -----------------------------------------------------
def test_replace_keeps_restorable_backup(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame("2012-05-04", "2025-03-31"))
    old_rows = store.read("MARA")[0]
    f = _csv(tmp_path / "m.csv", _frame("2024-12-12", "2025-06-30", base=20.0))
    res = import_prices(f, "MARA", adjusted=True, store=store, universe=uni, replace=True)
    assert res.action == "replaced" and res.backup is not None
    assert res.backup.read_bytes() == old  # the backup is the exact old file
    assert res.backup.parent == store.root / ".backups" / "MARA"
    assert store.symbols() == ["MARA"]  # backups are not symbols
    assert any("disagrees with the old file" in n for n in res.notes)
    new = store.path("MARA").read_bytes()
    bk, saved = restore(store, "MARA")
    assert bk.path == res.backup and store.path("MARA").read_bytes() == old
    pd.testing.assert_frame_equal(store.read("MARA")[0], old_rows)
    assert saved is not None and saved.read_bytes() == new  # the restore backed up too
    assert [b.reason for b in list_backups(store, "MARA")] == ["replace", "restore"]
    restore(store, "MARA", saved.stem)  # and that one restores as well
    assert store.path("MARA").read_bytes() == new
    with pytest.raises(InputError, match="no backup named 'nope'; available"):
        restore(store, "MARA", "nope")


def test_replace_still_applies_content_checks(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame())
    f = _csv(tmp_path / "m.csv", _with(_frame(), 3, 0.0))
    _refused(store, "MARA", old, DataError, "not positive", f, "MARA", adjusted=True,
             store=store, universe=uni, replace=True)


def test_remove_moves_to_backups_and_restore_brings_back(store, uni, tmp_path):
    old = _seed(store, "MARA", _frame())
    dest = remove(store, "MARA")
    assert not store.exists("MARA") and store.symbols() == [] and dest.read_bytes() == old
    restore(store, "MARA", dest.name)
    assert store.path("MARA").read_bytes() == old
    with pytest.raises(DataError, match="nothing to remove"):
        remove(store, "IREN")
    with pytest.raises(InputError, match="no backups"):
        restore(store, "IREN")


def test_cli_refusal_replace_backups_restore_remove(store, uni, tmp_path, capsys):
    old = _seed(store, "IREN", _frame("2024-01-02", "2025-03-31"))
    spy = _csv(tmp_path / "spy.csv", _frame("1993-01-29", "2025-03-31", base=450.0) * 1.0001)
    args = ["data", "import", str(spy), "--symbol", "IREN", "--adjusted", "--universe", str(uni)]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "IREN: refused" in err and "store is unchanged" in err
    assert store.path("IREN").read_bytes() == old
    assert main(args + ["--replace"]) == 0
    out = capsys.readouterr().out
    assert "note: dropped" in out and "[replaced]" in out and "kept as" in out
    assert main(["data", "backups"]) == 0
    out = capsys.readouterr().out
    assert "IREN" in out and "replace" in out and "1 backup(s)" in out
    assert main(["data", "restore", "IREN"]) == 0
    assert store.path("IREN").read_bytes() == old
    assert main(["data", "remove", "IREN"]) == 0 and not store.exists("IREN")
    assert "pivot data restore IREN --backup" in capsys.readouterr().out
    assert main(["data", "status", "--dataset", "store"]) == 3  # empty: backups are not data


# ---- verify --------------------------------------------------------------------------------
def test_verify_reports_content_problems_without_quarantine(store, uni, capsys):
    good = _frame()
    store.write("MARA", good, SymbolMeta("MARA", "csv"))
    bad = pd.concat([good, pd.DataFrame({"close": [10.0]}, index=[pd.Timestamp("2025-01-04")])])
    store.write("IREN", bad.sort_index(), SymbolMeta("IREN", "csv"))
    store.write("WULF", _frame("2019-01-02", "2022-03-31"), SymbolMeta("WULF", "csv"))
    before = store.path("IREN").read_bytes()
    assert main(["data", "verify", "-q", "--dataset", "store", "--universe", str(uni)]) == 3
    cap = capsys.readouterr()
    assert "verified 3 files, 0 bad, 2 with content problems" in cap.out
    assert "CHECK store/IREN" in cap.err and "Saturday" in cap.err
    assert "CHECK store/WULF" in cap.err and "before WULF's listed_from" in cap.err
    assert "store/MARA" not in cap.err
    assert store.path("IREN").read_bytes() == before  # reported, not quarantined
    store.write("IREN", good, SymbolMeta("IREN", "csv"))
    remove(store, "WULF")
    assert main(["data", "verify", "-q", "--dataset", "store", "--universe", str(uni)]) == 0


# ---- real files ------------------------------------------------------------------------------
@pytest.mark.realdata
def test_realdata_files_import_and_spy_as_iren_refused(realdata, tmp_data_dir):
    """Every dsturdy file (bar the ETF `BTC.csv`) and SAToptunov's BTC-USD are accepted, with
    notes for the pre-listing history they carry; SPY as IREN over a stored IREN is refused."""
    d = realdata / "dsturdy__Factor_Attribution_5_csvs/data"
    store = PriceStore(config.store_dir())
    from pivotlib.data.universe import load_universe

    known = set(load_universe()["symbol"])
    files = {p.stem: p for p in sorted(d.glob("*.csv")) if p.stem != "BTC"}
    files["BTC-USD"] = realdata / "SAToptunov__2526-dzi-ai-SAToptunov21/data/BTC-USD.csv"
    notes = {}
    for sym, f in files.items():
        # the last dsturdy row (2026-07-14) is intraday: drop it, as the README says
        res = import_prices(f, sym, adjusted=True, store=store, drop_after="2026-07-13",
                            allow_unknown_symbol=sym not in known)
        assert res.action == "created", sym
        notes[sym] = res.notes
    assert store.symbols() == sorted(files)
    for sym in ["WULF", "CIFR", "BTDR", "HUT", "RIOT"]:  # another issuer's history, trimmed
        assert any(n.startswith("dropped") for n in notes[sym]), sym
    assert any("IKONICS" in n for n in notes["WULF"])
    assert store.read("WULF")[0].index[0] == pd.Timestamp("2021-12-14")
    assert any("--drop-after" in n for n in notes["SPY"])
    old = store.path("IREN").read_bytes()
    with pytest.raises(DataError, match="levels disagree"):
        import_prices(d / "SPY.csv", "IREN", adjusted=True, store=store, drop_after="2026-07-13")
    assert store.path("IREN").read_bytes() == old
    with pytest.raises(DataError, match="no Saturday or Sunday"):
        import_prices(d / "BTC.csv", "BTC-USD", adjusted=True, store=store)
    assert list_backups(store) == []


def test_import_waits_for_the_lock_and_leaves_store_unchanged(store, uni, tmp_path):
    """Read, check and write happen under one lock: a writer holding it blocks the import."""
    old = _seed(store, "MARA", _frame("2025-01-02", "2025-02-28"))
    f = _csv(tmp_path / "m.csv", _frame("2025-01-02", "2025-03-31"))
    impatient = PriceStore(store.root, lock_timeout=0.2)
    with store.locked("MARA"):  # another writer (a separate lock object, as another process)
        with pytest.raises(DataError, match=r"MARA.*MARA.parquet.lock"):
            import_prices(f, "MARA", adjusted=True, store=impatient, universe=uni)
    assert store.path("MARA").read_bytes() == old
    assert import_prices(f, "MARA", adjusted=True, store=impatient, universe=uni).action == "merged"


# ---- fetched answers: rewrites only when Yahoo's own events explain them --------------------
def _px(n=60, start="2024-01-02"):
    from pivotlib.data.calendar import sessions as _sessions

    idx = _sessions(start, "2024-12-31")[:n]
    c = 20 + np.sin(np.arange(n)) + 0.05 * np.arange(n)
    return pd.DataFrame({"close": c, "adj_close": c * 0.99}, index=idx)


def test_explain_rewrite_accepts_only_what_the_events_explain():
    from pivotlib.data.rewrites import explain_rewrite

    old = _px()
    day = old.index[40]
    new = old.copy()
    new.loc[new.index < day, ["close", "adj_close"]] /= 2
    ok, why = explain_rewrite(old, new, {"splits": {str(day.date()): 2.0}}, adjusted=False)
    assert ok and f"split 2:1 on {day.date()}" in why and "x0.5" in why
    # the same rewrite, but the answer says 3:1: not explained
    ok, why = explain_rewrite(old, new, {"splits": {str(day.date()): 3.0}}, adjusted=False)
    assert not ok and "explain x0.333" in why
    # no event at all
    ok, why = explain_rewrite(old, new, {}, adjusted=False)
    assert not ok and "no split or dividend" in why
    # the step is 10 sessions away from the event's date: not one constant ratio before it
    ok, _ = explain_rewrite(old, new, {"splits": {str(old.index[30].date()): 2.0}},
                            adjusted=False)
    assert not ok
    # a dividend may re-adjust adj_close, never the split-adjusted close
    div = old.copy()
    div.loc[div.index < day, "adj_close"] *= 0.99
    ok, why = explain_rewrite(old, div, {"dividends": {str(day.date()): 0.2}}, adjusted=False)
    assert ok and "adj_close x0.99" in why
    bad = div.copy()
    bad.loc[bad.index < day, "close"] *= 0.99
    ok, _ = explain_rewrite(old, bad, {"dividends": {str(day.date()): 0.2}}, adjusted=False)
    assert not ok
    assert explain_rewrite(old, old, {}, adjusted=False)[0] is False  # nothing to explain


def test_plan_fetch_merges_agreeing_answers_and_refuses_shrinks():
    from pivotlib.data.rewrites import plan_fetch

    old = _px(40)
    full = _px(60)
    info = {"calendar": "XNYS"}
    fp = plan_fetch(full.iloc[35:], old, symbol="APLD", info=info, where="w", adjusted=False,
                    stored_adjusted=False, events={}, full_answer=False, replace=False)
    assert fp.action == "merged" and fp.frame.index.equals(full.index)
    # an explained rewrite whose "full" history starts later than the stored one: refused
    day = full.index[50]
    split = full.copy()
    split.loc[split.index < day, ["close", "adj_close"]] /= 2
    with pytest.raises(DataError, match="drop them"):
        plan_fetch(split.iloc[10:], old, symbol="APLD", info=info, where="w", adjusted=False,
                   stored_adjusted=False, events={"splits": {str(day.date()): 2.0}},
                   full_answer=True, replace=False)
    fp = plan_fetch(split, old, symbol="APLD", info=info, where="w", adjusted=False,
                    stored_adjusted=False, events={"splits": {str(day.date()): 2.0}},
                    full_answer=True, replace=False)
    assert fp.action == "rewritten"
    fp = plan_fetch(split.iloc[35:], old, symbol="APLD", info=info, where="w", adjusted=False,
                    stored_adjusted=False, events={"splits": {str(day.date()): 2.0}},
                    full_answer=False, replace=False)
    assert fp.action == "needs_full"
