"""Bad input: every mistake an analyst can make is refused (or flagged) with the fix named.

Unknown symbols, weekend and pre-listing event dates, reversed or overlapping windows, an
estimation window that runs off the data, non-numeric parameters, hostile strings (HTML/JS in
headlines and parameters, code in papermill parameters), and events files with bad rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _faultkit import ROOT, code_notebook

from pivotlib.analytics.eventstudy import run_event_study
from pivotlib.errors import DataError, InputError
from pivotlib.events.catalog import load_catalog, make_event
from pivotlib.studies import params

HOSTILE_HTML = "<script>alert(1)</script>"
HOSTILE_CODE = "\"; import os; os.system('touch PWNED') #"
HOSTILE_CODE2 = "'''\nimport os\nos.system('touch PWNED2')\n'''"


@pytest.fixture(scope="module")
def demo_returns():
    from pivotlib.data.loading import load_returns

    return load_returns(["APLD", "CORZ", "SPY", "BTC-USD"], dataset="demo")


def _ev(rows):
    return pd.DataFrame(rows, columns=["event_id", "symbol", "event_date"])


# ---- unknown symbol --------------------------------------------------------------------------
def test_input_unknown_symbol_loader_names_fetch_and_import(tmp_data_dir):
    from pivotlib.data.loading import load_prices

    with pytest.raises(DataError) as ei:
        load_prices(["NOPEZZ"], dataset="store")
    msg = str(ei.value)
    assert "NOPEZZ is not in the store" in msg
    assert "pivot data fetch NOPEZZ" in msg and "pivot data import FILE --symbol NOPEZZ" in msg


def test_input_unknown_symbol_parameter_lists_universe():
    with pytest.raises(InputError, match=r"'symbol' = 'NOPEZZ' is not in the universe.*use one of: APLD"):
        params.check_overrides("02-event-study", {"symbol": "NOPEZZ", "date": "2024-06-03"},
                               _defaults("02-event-study"))


def test_input_unknown_symbol_event_and_study(demo_returns):
    with pytest.raises(InputError, match="NOPEZZ"):
        make_event("NOPEZZ", "2024-06-03")
    res = run_event_study(demo_returns, _ev([("e1", "APLD", "2024-06-03"),
                                             ("e2", "NOPEZZ", "2024-06-03")]),
                          model="market", n_boot=0)
    st = res.events.set_index("event_id")["status"] if "event_id" in res.events.columns \
        else res.events["status"]
    assert st["e2"] == "symbol not in returns" and st["e1"] == "ok"


@pytest.mark.parametrize("sym", ["../../etc/passwd", "APLD/../x", "", "A B", "APLD;rm"])
def test_input_symbol_cannot_escape_the_store(sym, tmp_data_dir):
    from pivotlib.data.store import PriceStore

    with pytest.raises(InputError, match="not a valid symbol"):
        PriceStore().path(sym)


# ---- weekend and pre-listing event dates -----------------------------------------------------
def test_input_weekend_event_date_moves_to_next_session_or_raises(demo_returns):
    ev = _ev([("sat", "APLD", "2024-06-01")])  # a Saturday
    res = run_event_study(demo_returns, ev, model="market", n_boot=0)
    row = res.events.reset_index().set_index("event_id").loc["sat"]
    assert row["status"] == "ok"
    assert row["day0"] == pd.Timestamp("2024-06-03")  # the Monday
    with pytest.raises(InputError, match=r"\['sat'\] fall on non-trading days.*nontrading="):
        run_event_study(demo_returns, ev, model="market", nontrading="raise", n_boot=0)


def test_input_weekend_announcement_in_events_file_needs_timing(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("event_id,symbol,announced,timing,category,headline,sources,confidence\n"
                 "MY-1,APLD,2024-06-01,,ai_hosting_lease,x,https://example.com/a,verified\n")
    with pytest.raises(InputError, match=r"mine.csv line 2: announced 2024-06-01 is a Saturday \(no NYSE session\).*'unknown'"):
        load_catalog(extra=p)


def test_input_pre_listing_event_is_dropped_with_reason(demo_returns):
    ev = _ev([("pre", "CORZ", "2023-06-01"), ("ok", "APLD", "2024-06-03")])
    res = run_event_study(demo_returns, ev, model="market", n_boot=0)
    st = res.events.reset_index().set_index("event_id")["status"]
    assert st["pre"].startswith("not listed yet (first return 2024-01-25")
    assert st["ok"] == "ok"
    assert "Events dropped:" in res.summary() and "not listed yet" in res.summary()


def test_input_event_outside_data(demo_returns):
    res = run_event_study(demo_returns, _ev([("late", "APLD", "2030-01-02"),
                                             ("ok", "APLD", "2024-06-03")]),
                          model="market", n_boot=0)
    st = res.events.reset_index().set_index("event_id")["status"]
    assert st["late"].startswith("event date outside data (2021-01-05 to 2026-06-30")


# ---- windows -----------------------------------------------------------------------------------
def test_input_reversed_windows(demo_returns):
    ev = _ev([("e", "APLD", "2024-06-03")])
    with pytest.raises(InputError, match=r"window=\(1, -1\) is reversed; pass \(-1, 1\)"):
        run_event_study(demo_returns, ev, window=(1, -1))
    with pytest.raises(InputError, match="is reversed"):
        run_event_study(demo_returns, ev, estimation=(-11, -250))
    with pytest.raises(InputError, match=r"'window' = \[2, -1\] is reversed.*pass e.g. window = \[-1, 2\]"):
        params.check_overrides("02-event-study", {"window": [2, -1]}, _defaults("02-event-study"))


def test_input_overlapping_windows(demo_returns):
    ev = _ev([("e", "APLD", "2024-06-03")])
    with pytest.raises(InputError, match=r"overlaps the event window"):
        run_event_study(demo_returns, ev, estimation=(-250, 0), window=(-1, 1))
    with pytest.raises(InputError, match=r"estimation window \[-250, 0\] overlaps the event window"
                                         r" \[-1, 1\].*e.g. estimation = \[-250, -11\]"):
        params.check_overrides("02-event-study", {"estimation": [-250, 0]},
                               _defaults("02-event-study"))


def test_input_estimation_window_runs_off_the_data(demo_returns):
    ev = _ev([("early", "SPY", "2021-03-01"), ("ok", "APLD", "2024-06-03")])
    res = run_event_study(demo_returns, ev, model="constant_mean", n_boot=0)
    st = res.events.reset_index().set_index("event_id")["status"]
    assert "estimation runs off the data" in st["early"]
    assert "load history before" in st["early"] and "shorten" not in st["early"]
    assert st["ok"] == "ok"


def test_input_every_event_dropped_is_not_a_silent_empty_result(demo_returns):
    """All events unusable: the result says so (status per event), it does not crash."""
    ev = _ev([("a", "CORZ", "2022-01-03"), ("b", "NOPEZZ", "2024-01-02")])
    res = run_event_study(demo_returns, ev, model="market", n_boot=0)
    st = res.events.reset_index().set_index("event_id")["status"]
    assert (st != "ok").all()
    assert "Events dropped:" in res.summary()


# ---- non-numeric parameters ------------------------------------------------------------------
@pytest.mark.parametrize("key,value,expect", [
    ("window", ["a", 1], r"'window\[0\]' = 'a' is not a whole number"),
    ("window", "abc", r"'window' = 'abc' is not a \[start, end\] pair"),
    ("window", [1.5, 2], r"is not a whole number"),
    ("estimation", [-250, "x"], r"'estimation\[1\]' = 'x' is not a whole number"),
    ("window", [True, 1], r"is not a whole number"),
])
def test_input_non_numeric_parameters(key, value, expect):
    with pytest.raises(InputError, match=expect):
        params.check_overrides("02-event-study", {key: value}, _defaults("02-event-study"))


def test_input_non_numeric_window_in_engine(demo_returns):
    with pytest.raises(InputError, match=r"window=\('a', 1\) is not a pair of integers.*\(-1, 1\)"):
        run_event_study(demo_returns, _ev([("e", "APLD", "2024-06-03")]), window=("a", 1))


def test_input_non_numeric_parameter_cli_exit_2_before_kernel(tmp_reports_dir):
    r = subprocess.run([sys.executable, "-m", "pivotlib", "report", "02", "-p", "window",
                        "abc"], capture_output=True, text=True, cwd=str(ROOT), timeout=120)
    assert r.returncode == 2, r.stderr
    assert "'window' = 'abc'" in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_reports_dir.rglob("*.ipynb"))  # no kernel was started


@pytest.mark.parametrize("text,expected", [
    ("[-1, 1]", [-1, 1]), ("120", 120), ("2024-06-03", "2024-06-03"), ("APLD", "APLD"),
    (HOSTILE_CODE, None), ("x; import os; os.system('touch PWNED')",
                           "x; import os; os.system('touch PWNED')"),
    ("!!python/object/apply:os.system ['touch PWNED']", None),
    ("__import__('os').system('touch PWNED')", "__import__('os').system('touch PWNED')"),
])
def test_input_cli_parameter_values_are_literals_never_code(text, expected, tmp_path,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    if expected is None:
        with pytest.raises(InputError, match="cannot parse parameter value"):
            params.parse_cli_value(text)
    else:
        assert params.parse_cli_value(text) == expected
    assert not (tmp_path / "PWNED").exists()


def test_input_cli_parameter_name_must_be_identifier(tmp_reports_dir):
    from pivotlib.cli import main

    rc = main(["report", "02", "-p", "x=1;import os", "1"])
    assert rc == 2


# ---- hostile strings in HTML -----------------------------------------------------------------
def test_input_hostile_strings_escaped_in_index(tmp_reports_dir):
    from pivotlib.runner.index import build_index

    day = tmp_reports_dir / "2026-01-02"
    day.mkdir()
    side = {"name": "02-event-study-x", "notebook": "02-event-study", "date": "2026-01-02",
            "status": "failed", "error": HOSTILE_HTML + " in error",
            "parameters": {"event_id": HOSTILE_HTML},
            "records": {"title": HOSTILE_HTML, "headline": HOSTILE_HTML,
                        "symbol": "<img src=x onerror=alert(2)>", "event": HOSTILE_HTML},
            "ipynb": "02-event-study-x.ipynb", "html": None}
    (day / "02-event-study-x.json").write_text(json.dumps(side))
    (day / "02-event-study-x.ipynb").write_text("{}")
    html = build_index(tmp_reports_dir).read_text()
    assert HOSTILE_HTML not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_input_hostile_strings_escaped_in_report_footer():
    from pivotlib.runner.export import _footer

    html = _footer({"name": HOSTILE_HTML, "notebook": HOSTILE_HTML, "date": "2026-01-02",
                    "fingerprint": "0" * 64,
                    "parameters": {"label": HOSTILE_HTML, "x": [HOSTILE_HTML]},
                    "merged_parameters": {"label": HOSTILE_HTML}})
    assert HOSTILE_HTML not in html and "&lt;script&gt;" in html


def test_input_hostile_headline_in_events_file_is_plain_text(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("event_id,symbol,announced,timing,category,headline,sources,confidence\n"
                 f"MY-1,APLD,2024-06-03,pre-market,ai_hosting_lease,\"{HOSTILE_HTML}\","
                 "https://example.com/a,verified\n")
    cat = load_catalog(extra=p)
    assert cat.set_index("event_id").loc["MY-1", "headline"] == HOSTILE_HTML


def test_input_hostile_slug_stays_inside_reports_folder():
    from pivotlib.runner.notebooks import param_slug

    slug = param_slug({"event_id": "../../../etc/passwd", "label": HOSTILE_HTML})
    assert "/" not in slug and ".." not in slug and "<" not in slug


@pytest.mark.slow
def test_input_papermill_parameter_cannot_execute_code(tmp_path, tmp_reports_dir, monkeypatch):
    """Hostile parameter values arrive in the kernel as plain strings; nothing is executed,
    and the HTML report shows them escaped."""
    from pivotlib.runner.execute import run_report

    work = tmp_path / "cwd"
    work.mkdir()
    nb = code_notebook(
        tmp_path / "echo.ipynb",
        ["import os\nfrom pivotlib.runner import recorder\n"
         "recorder.record(t1=type(label).__name__, v1=label, t2=type(other).__name__, v2=other,"
         " cwd=os.getcwd())\nprint(label)"],
        parameters="label = ''\nother = ''")
    monkeypatch.chdir(work)
    res = run_report(nb, {"label": HOSTILE_CODE, "other": HOSTILE_CODE2 + HOSTILE_HTML},
                     date="2026-01-02", timeout=120)
    assert res.ok, res.error
    rec = res.records
    assert rec["t1"] == "str" and rec["v1"] == HOSTILE_CODE
    assert rec["t2"] == "str" and rec["v2"] == HOSTILE_CODE2 + HOSTILE_HTML
    for d in {Path(rec["cwd"]), work, tmp_path, ROOT / "notebooks"}:
        assert not (d / "PWNED").exists() and not (d / "PWNED2").exists()
    html = Path(res.html).read_text()
    assert HOSTILE_HTML not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # parameters are in the notebook metadata and sidecar (no secrets belong there)
    side = json.loads(Path(res.sidecar).read_text())
    assert side["parameters"]["label"] == HOSTILE_CODE


# ---- events files with bad rows ------------------------------------------------------------
def test_input_events_file_bad_rows_all_listed_with_line_numbers(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "event_id,symbol,announced,timing,category,headline,deal_usd,sources,confidence\n"
        "B-1,NOPEZZ,2024-06-03,pre-market,ai_hosting_lease,x,,https://e.com/1,verified\n"
        "B-2,APLD,2024-13-45,pre-market,ai_hosting_lease,x,,https://e.com/2,verified\n"
        "B-3,APLD,2024-06-03,lunchtime,ai_hosting_lease,x,,https://e.com/3,verified\n"
        "B-3,APLD,2024-06-04,pre-market,ai_hosting_lease,x,,https://e.com/4,verified\n"
        "B-5,APLD,2024-06-03,pre-market,not_a_category,x,,https://e.com/5,verified\n"
        "B-6,APLD,2024-06-03,pre-market,ai_hosting_lease,x,lots,https://e.com/6,verified\n"
        "B-7,APLD,2024-06-03,pre-market,ai_hosting_lease,x,,not a url,verified\n")
    with pytest.raises(InputError) as ei:
        load_catalog(extra=p)
    msg = str(ei.value)
    for line in range(2, 9):
        assert f"bad.csv line {line}" in msg, f"line {line} not reported:\n{msg}"
    assert "NOPEZZ" in msg and "duplicate event_id 'B-3'" in msg


def test_input_events_file_ragged_row(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("event_id,symbol,announced,category,sources,confidence\n"
                 "R-1,APLD,2024-06-03,ai_hosting_lease,https://e.com/1,verified,EXTRA\n")
    with pytest.raises(InputError, match="ragged.csv line 2: 7 fields, header has 6; quote"):
        load_catalog(extra=p)


def test_input_events_file_missing_columns_and_empty(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text("event_id,symbol\nX,APLD\n")
    with pytest.raises(InputError, match="missing column.*announced"):
        load_catalog(extra=p)
    e = tmp_path / "empty.csv"
    e.write_text("")
    with pytest.raises(InputError, match="is empty; add a header row"):
        load_catalog(extra=e)


# ---- helpers -----------------------------------------------------------------------------------
def _defaults(stem):
    from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook

    return notebook_parameters(resolve_notebook(stem))


@pytest.mark.slow
def test_input_hostile_headline_escaped_in_real_event_study_report(tmp_path, monkeypatch):
    """End to end: a catalog headline carrying HTML/JS (``</script><script>alert(1)</script>``)
    goes through the real 02-event-study notebook; the HTML report shows it as text only."""
    import csv

    from pivotlib.runner.execute import run_report

    home = tmp_path / "home"
    (home / "data" / "events").mkdir(parents=True)
    (home / "notebooks").symlink_to(ROOT / "notebooks")
    (home / "data" / "universe.csv").symlink_to(ROOT / "data" / "universe.csv")
    (home / "data" / "synthetic").symlink_to(ROOT / "data" / "synthetic")
    src = ROOT / "data" / "events" / "ai_pivot_events.csv"
    rows = list(csv.DictReader(src.open(newline="", encoding="utf-8")))
    hostile = "</script><script>alert(1)</script><img src=x onerror=alert(2)> & \"q\""
    target = next(r for r in rows if r["symbol"] == "APLD" and r["announced"] >= "2024-01-01")
    target["headline"] = hostile
    with (home / "data" / "events" / "ai_pivot_events.csv").open("w", newline="",
                                                                  encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    reports_dir = tmp_path / "reports"
    monkeypatch.setenv("PIVOT_HOME", str(home))
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(reports_dir))
    monkeypatch.delenv("PIVOT_DATA_DIR", raising=False)
    res = run_report("02-event-study", {"event_id": target["event_id"], "dataset": "demo"},
                     date="2026-01-02", timeout=300)
    assert res.ok, res.error
    assert res.records["headline"] == hostile
    page = Path(res.html).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror" not in page
    assert page.count("alert(1)") >= 1  # the headline is shown (as text), not dropped
    index = (reports_dir / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in index and "<img src=x" not in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
