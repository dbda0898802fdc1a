"""Event catalog: loader errors, event_date derivation, merging, ad-hoc events, targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pivotlib.data.calendar import event_session
from pivotlib.errors import InputError
from pivotlib.events import catalog as ev
from pivotlib.studies import check as chk

HEADER = ",".join(ev.COLUMNS)
URL = "https://example.com/pr"


def _row(**kw) -> str:
    base = {c: "" for c in ev.COLUMNS}
    base.update(event_id="X-1", symbol="APLD", announced="2025-06-02", timing="pre-market",
                category="ai_hosting_lease", headline="h", sources=URL, confidence="verified")
    base.update(kw)
    return ",".join(f'"{base[c]}"' if "," in str(base[c]) else str(base[c])
                    for c in ev.COLUMNS)


def _write(tmp_path, *rows: str, name: str = "mine.csv"):
    p = tmp_path / name
    p.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return p


# ------------------------------------------------------------------ loader error cases
def _errors(tmp_path, *rows) -> str:
    p = _write(tmp_path, *rows)
    with pytest.raises(InputError) as exc:
        ev.validate_events(ev.read_events_file(p))
    return str(exc.value)


def test_unknown_symbol_names_line(tmp_path):
    msg = _errors(tmp_path, _row(), _row(event_id="X-2", symbol="NOPE"))
    assert "mine.csv line 3" in msg and "unknown symbol 'NOPE'" in msg


def test_bad_date(tmp_path):
    msg = _errors(tmp_path, _row(announced="2025-02-30"), _row(event_id="X-2",
                                                              announced="06/02/2025"))
    assert "line 2" in msg and "not a real calendar date" in msg
    assert "line 3" in msg and "YYYY-MM-DD" in msg


def test_weekend_date_without_timing_fails_but_unknown_is_mapped(tmp_path):
    msg = _errors(tmp_path, _row(announced="2025-06-01", timing=""))  # a Sunday
    assert "line 2" in msg and "Sunday" in msg and "timing is empty" in msg
    ok = ev.validate_events(ev.read_events_file(
        _write(tmp_path, _row(announced="2025-06-01", timing="unknown"), name="ok.csv")))
    assert ok.loc[0, "event_date"] == pd.Timestamp("2025-06-02")
    # a blank timing on a trading day is accepted as unknown
    ok2 = ev.validate_events(ev.read_events_file(
        _write(tmp_path, _row(announced="2025-06-03", timing=""), name="ok2.csv")))
    assert ok2.loc[0, "timing"] == "unknown"


def test_holiday_without_timing_fails(tmp_path):
    msg = _errors(tmp_path, _row(announced="2025-07-04", timing=""))
    assert "Friday" in msg and "no NYSE session" in msg


def test_duplicate_id(tmp_path):
    msg = _errors(tmp_path, _row(), _row(), _row(event_id="X-3"))
    assert "line 3" in msg and "duplicate event_id 'X-1'" in msg and "first at" in msg
    assert "line 4" not in msg


def test_missing_source(tmp_path):
    msg = _errors(tmp_path, _row(sources=""), _row(event_id="X-2", sources="Reuters"))
    assert "line 2: missing source" in msg
    assert "line 3" in msg and "http(s) URLs" in msg


def test_bad_timing_confidence_category(tmp_path):
    msg = _errors(tmp_path, _row(timing="morning"),
                  _row(event_id="X-2", confidence="sure"),
                  _row(event_id="X-3", category="rumour"),
                  _row(event_id="X-4", reported_move="up a lot"))
    assert "line 2: timing 'morning'" in msg
    assert "line 3: confidence 'sure'" in msg
    assert "line 4: category 'rumour'" in msg
    assert "line 5: reported_move 'up a lot'" in msg


def test_every_bad_row_is_listed(tmp_path):
    msg = _errors(tmp_path, _row(symbol="ZZZ"), _row(event_id="X-2", announced="bad"),
                  _row(event_id="X-3", sources=""))
    assert msg.startswith("3 problem(s)")
    for line in (2, 3, 4):
        assert f"line {line}:" in msg


def test_line_numbers_count_multiline_fields(tmp_path):
    p = tmp_path / "ml.csv"
    p.write_text(HEADER + "\n" + _row(headline='"two\nlines"').replace('""two', '"two')
                 .replace('lines""', 'lines"') + "\n" + _row(event_id="X-2", symbol="BAD")
                 + "\n")
    with pytest.raises(InputError, match="ml.csv line 4: unknown symbol"):
        ev.validate_events(ev.read_events_file(p))


def test_missing_column_and_hand_typed_event_date(tmp_path):
    p = tmp_path / "nocol.csv"
    p.write_text("event_id,symbol,announced\nA,APLD,2025-06-02\n")
    with pytest.raises(InputError, match="missing column"):
        ev.read_events_file(p)
    msg = _errors(tmp_path, _row(timing="after-close", event_date="2025-06-02"))
    assert "differs from the date derived" in msg and "2025-06-03" in msg


# ------------------------------------------------------------------ derivation
@pytest.mark.parametrize("announced,timing,expected", [
    ("2025-06-02", "pre-market", "2025-06-02"),
    ("2025-06-02", "intraday", "2025-06-02"),
    ("2025-06-02", "after-close", "2025-06-03"),
    ("2024-04-19", "after-close", "2024-04-22"),   # Friday evening -> Monday
    ("2025-07-03", "after-close", "2025-07-07"),   # Independence Day + weekend
    ("2025-01-25", "unknown", "2025-01-27"),       # Saturday -> Monday
])
def test_event_date_derivation(announced, timing, expected):
    df = pd.DataFrame({"announced": [announced], "timing": [timing]})
    assert ev.derive_event_dates(df).iloc[0] == expected


def test_catalog_event_dates_are_derived_not_typed():
    raw = ev.read_events_file(ev.catalog_path())
    derived = ev.derive_event_dates(raw)
    bad = raw.loc[raw["event_date"] != derived, "event_id"].tolist()
    assert bad == [], f"stored event_date differs from derived for {bad}"
    cat = ev.load_catalog()
    for _, r in cat.iterrows():
        assert r["event_date"] == event_session(r["announced"], r["timing"])


def test_write_catalog_fills_event_date(tmp_path):
    p = _write(tmp_path, _row(announced="2024-01-10", timing="after-close"))
    df = ev.read_events_file(p).drop(columns=["_line", "_file"])
    out = ev.write_catalog(df, tmp_path / "out.csv")
    assert ev.read_events_file(out).loc[0, "event_date"] == "2024-01-11"


# ------------------------------------------------------------------ merge, ad-hoc, select
def test_user_file_is_merged_and_validated(tmp_path):
    p = _write(tmp_path, _row(event_id="MY-1", symbol="IREN", announced="2025-11-03"))
    cat = ev.load_catalog(extra=p)
    base = ev.load_catalog()
    assert len(cat) == len(base) + 1 and "MY-1" in set(cat["event_id"])
    assert cat.attrs["files"] == sorted({"ai_pivot_events.csv", "mine.csv"})
    clash = _write(tmp_path, _row(event_id=base.loc[0, "event_id"]), name="clash.csv")
    with pytest.raises(InputError, match=r"clash\.csv line 2: duplicate event_id"):
        ev.load_catalog(extra=clash)
    bad = _write(tmp_path, _row(event_id="MY-2", symbol="FOO"), name="bad.csv")
    with pytest.raises(InputError, match=r"bad\.csv line 2: unknown symbol"):
        ev.load_catalog(extra=[p, bad])


def test_user_dataframe_is_merged():
    extra = pd.DataFrame([{"event_id": "DF-1", "symbol": "hut", "announced": "2025-08-26",
                           "category": "capacity_expansion", "sources": URL,
                           "confidence": "approximate"}])
    cat = ev.load_catalog(extra=extra)
    row = cat[cat["event_id"] == "DF-1"].iloc[0]
    assert row["symbol"] == "HUT" and row["timing"] == "unknown"


def test_single_ad_hoc_event():
    e = ev.make_event("apld", "2025-08-30", timing="unknown", headline="test")  # Saturday
    assert len(e) == 1 and list(e.columns) == ev.COLUMNS
    assert e.loc[0, "event_id"] == "APLD-2025-08-30-adhoc"
    assert e.loc[0, "event_date"] == pd.Timestamp("2025-09-02")  # Labor Day Monday skipped
    with pytest.raises(InputError, match="unknown symbol"):
        ev.make_event("NOPE", "2025-06-02")
    with pytest.raises(InputError, match="timing"):
        ev.make_event("APLD", "2025-06-02", timing="lunch")


def test_select_events():
    cat = ev.load_catalog()
    sel = ev.select_events(cat, categories="ai_hosting_lease", symbols=["cifr"],
                           start="2025-06-01", end="2025-12-31")
    assert len(sel) >= 3
    assert set(sel["symbol"]) == {"CIFR"} and set(sel["category"]) == {"ai_hosting_lease"}
    assert sel["event_date"].min() >= pd.Timestamp("2025-06-01")
    with pytest.raises(InputError, match="unknown category"):
        ev.select_events(cat, categories="leases")


def test_expand_sector_events():
    cat = ev.load_catalog()
    n_sector = int((cat["symbol"] == "SECTOR").sum())
    out = ev.expand_sector_events(cat, ["APLD", "HUT"])
    assert (out["symbol"] == "SECTOR").sum() == 0
    assert len(out) == len(cat) - n_sector + 2 * n_sector
    assert "SECTOR-2022-09-15-eth-merge:HUT" in set(out["event_id"])
    assert not out["event_id"].duplicated().any()


def test_confounding_flags():
    cat = ev.load_catalog()
    flags = ev.confounding_flags(cat, window=3)
    by_id = dict(zip(cat["event_id"], flags))
    # the $460M contract and the CEO 8-K share a day
    assert "APLD-2023-06-23-ceo-8k" in by_id["APLD-2023-06-23-second-ai-customer"]
    # WULF 08-14 and 08-18 are two sessions apart
    assert "WULF-2025-08-18-fluidstack-cb5" in by_id["WULF-2025-08-14-fluidstack-google"]
    assert "WULF-2025-08-18-fluidstack-cb5" not in ev.confounding_flags(cat, window=1)[
        cat.index[cat["event_id"] == "WULF-2025-08-14-fluidstack-google"][0]]
    # sector news counts for companies (RIOT 01-21, Stargate reacts 01-22)
    assert "SECTOR-2025-01-21-stargate" in by_id["RIOT-2025-01-21-corsicana-ai-review"]


@pytest.mark.parametrize("text,expected", [
    ("+48.5% close ($10.14)", (48.5, "close")),
    ("-7% intraday", (-7.0, "intraday")),
    ("+30% premarket", (30.0, "premarket")),
    ("+24% afterhours (NVDA)", (24.0, "afterhours")),
    ("\u221215% close", (-15.0, "close")),
])
def test_parse_reported_move(text, expected):
    assert ev.parse_reported_move(text) == expected


def test_parse_reported_move_blank_and_bad():
    pct, basis = ev.parse_reported_move("")
    assert np.isnan(pct) and basis == ""
    with pytest.raises(InputError, match="basis"):
        ev.parse_reported_move("+5% sometime")
    assert ev.move_subject("-29% close (CORZ)") == "CORZ"


# ------------------------------------------------------------------ check logic (synthetic)
def test_check_events_flags_and_abnormal_returns():
    rng = np.random.default_rng(0)
    idx = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=400), name="date")
    spy = rng.normal(0, 0.01, len(idx))
    btc = rng.normal(0, 0.03, len(idx))
    x = 0.001 + 1.5 * spy + 0.8 * btc + rng.normal(0, 0.002, len(idx))
    day = idx[300]
    x[300] += 0.20
    rets = pd.DataFrame({"SPY": spy, "BTC-USD": btc, "APLD": x}, index=idx)
    d0 = 100 * x[300]
    rows = []
    for i, (move, note) in enumerate([
        (f"{d0:+.1f}% close", ""),                      # agrees
        (f"{-d0:+.1f}% close", "CHECK: sign error at the source"),  # sign differs, explained
        (f"{d0 + 9:+.1f}% intraday", ""),               # basis differs, unexplained
    ]):
        rows.append({"event_id": f"T-{i}", "symbol": "APLD", "announced": day.date().isoformat(),
                     "timing": "pre-market", "category": "ad_hoc", "sources": URL,
                     "confidence": "verified", "reported_move": move, "notes": note})
    cat = ev.validate_events(pd.DataFrame(rows), symbols={"APLD"})
    t = chk.check_events(rets, cat, all_events=cat.iloc[:0])
    assert t.loc[0, "flag"] == ""
    assert t.loc[1, "flag"] == "MISMATCH" and t.loc[1, "explained"]
    assert t.loc[2, "flag"] == "basis differs" and not t.loc[2, "explained"]
    assert t.loc[0, "raw_d0"] == pytest.approx(d0)
    # the factor model removes the market/BTC part: AR close to the planted 20%
    assert t.loc[0, "ar_d0"] == pytest.approx(20.0, abs=1.5)
    assert t.loc[0, "n_est"] == 240
    assert "UNEXPLAINED" in chk.format_check(t)


def test_check_events_uses_the_engine_and_its_rule():
    """events check = the engine: same AR/CAR as a direct run_event_study, and an event the
    engine refuses (BTC ends before it; too little history) is raw-only with the reason."""
    from pivotlib.analytics.eventstudy import run_event_study

    rng = np.random.default_rng(1)
    idx = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=400), name="date")
    spy = rng.normal(0, 0.01, len(idx))
    btc = rng.normal(0, 0.03, len(idx))
    x = 1.2 * spy + 0.5 * btc + rng.normal(0, 0.01, len(idx))
    x[350] += 0.3
    rets = pd.DataFrame({"SPY": spy, "BTC-USD": btc, "IREN": x}, index=idx)
    cat = ev.make_event("IREN", idx[350], timing="intraday")
    t = chk.check_events(rets, cat, all_events=cat.iloc[:0])
    ref = run_event_study(rets, cat, model="factors", factors=["SPY", "BTC-USD"],
                          estimation=(-250, -11), window=(-1, 1), n_boot=0)
    assert t.loc[0, "status"] == "measured" and t.loc[0, "model"] == "SPY + BTC-USD"
    assert t.loc[0, "car_m1p1"] == pytest.approx(100 * ref.events["car"].iloc[0], abs=1e-9)
    ar0 = ref.ar.set_index("rel_day")["ar"].loc[0]
    assert t.loc[0, "ar_d0"] == pytest.approx(100 * ar0, abs=1e-9)
    ended = rets.copy()
    ended.loc[ended.index[320:], "BTC-USD"] = np.nan   # the BTC series ends before the event
    t2 = chk.check_events(ended, cat, all_events=cat.iloc[:0])
    assert t2.loc[0, "status"].startswith("raw only: no valid returns in the event window")
    assert "BTC-USD" in t2.loc[0, "status"] and np.isnan(t2.loc[0, "ar_d0"])
    assert np.isfinite(t2.loc[0, "raw_d0"])
    short = chk.check_events(rets.iloc[300:], cat, all_events=cat.iloc[:0])
    assert short.loc[0, "status"].startswith("raw only: estimation runs off the data")
    assert np.isnan(short.loc[0, "ar_d0"])


# ------------------------------------------------------------------ targets
REQUIRED = [
    ("APLD", "2023-06-23", "460"),     # $460M AI cloud deal
    ("APLD", "2023-05-16", "180"),     # first AI cloud customer
    ("IREN", "2023-06-20", "HPC"),     # HPC expansion
    ("HUT", "2024-06-24", "AI"),       # move into AI data centres
    ("SECTOR", "2022-09-15", "Merge"),
    ("CORZ", "2024-06-04", "CoreWeave"),
    ("APLD", "2025-06-02", "CoreWeave"),
    ("WULF", "2025-08-14", "Fluidstack"),
    ("CIFR", "2025-09-25", "Fluidstack"),
    ("IREN", "2025-11-03", "Microsoft"),
    ("CIFR", "2025-11-03", "Amazon"),
    ("HUT", "2025-12-17", "Anthropic"),
]


def test_catalog_meets_targets():
    cat = ev.load_catalog()
    comp = cat[cat["symbol"] != "SECTOR"]
    assert len(comp) >= 40
    assert comp["symbol"].nunique() >= 10
    sector = cat[cat["symbol"] == "SECTOR"]
    for word in ("Merge", "ChatGPT", "halving", "spot bitcoin ETF", "DeepSeek", "Stargate"):
        assert sector["headline"].str.contains(word, case=False).any(), word
    for sym, date, word in REQUIRED:
        hit = cat[(cat["symbol"] == sym) & (cat["event_date"] == pd.Timestamp(date))
                  & (cat["headline"] + " " + cat["counterparty"]).str.contains(word)]
        assert len(hit) >= 1, (sym, date, word)
    assert set(cat["timing"]) <= set(ev.TIMINGS)
    assert set(cat["confidence"]) <= set(ev.CONFIDENCES)
    # every approximate row says why
    approx = cat[cat["confidence"] == "approximate"]
    assert (approx["notes"].str.len() > 20).all()


# ------------------------------------------------------------------ CLI
def test_cli_validate_list_and_errors(tmp_path, capsys):
    from pivotlib.cli import main

    assert main(["events", "validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK:") and "company events across" in out
    bad = _write(tmp_path, _row(), _row(event_id="X-2", symbol="NOPE", sources=""))
    assert main(["events", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "mine.csv line 3: unknown symbol 'NOPE'" in err and "mine.csv line 3: missing source" in err
    assert main(["events", "list", "--symbol", "WULF", "--category", "ai_hosting_lease"]) == 0
    out = capsys.readouterr().out
    assert "WULF-2025-08-14-fluidstack-google" in out and "CIFR-" not in out
    assert main(["events", "list", "--only-events", "--event", "HUT:2025-12-13"]) == 0
    out = capsys.readouterr().out  # a Saturday, timing unknown -> Monday
    assert "HUT-2025-12-13-adhoc" in out and "2025-12-15" in out
    assert main(["events", "list", "--event", "HUT-2025-12-13"]) == 2
    assert "SYMBOL:DATE" in capsys.readouterr().err


def test_cli_normalise_rewrites_event_date(tmp_path, capsys):
    from pivotlib.cli import main

    p = _write(tmp_path, _row(announced="2024-04-19", timing="after-close"))
    assert main(["events", "normalise", "--catalog", str(p)]) == 0
    assert "1 event_date value(s) updated" in capsys.readouterr().out
    assert ev.read_events_file(p).loc[0, "event_date"] == "2024-04-22"
