"""What an analyst sees (issue 21): the table style, the error box, event-day axes, the crash
heatmap, the briefing's provenance and 06's day-0 reasons. Fast; no notebook runs except one
failing report (papermill still fails with the right error class under the box)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pivotlib.analytics.lifeboat as lb
from pivotlib.errors import DataError, InputError
from pivotlib.presentation import charts, errorbox, lifeboat_charts, narrative, tables

ROOT = Path(__file__).resolve().parents[1]


def _text(h: str) -> str:
    return errorbox.plain_text(h)


def _events_table() -> pd.DataFrame:
    """The shape of 06's per-event table (15 columns) with 23 rows."""
    n = 23
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "event_id": [f"APLD-2023-06-{i:02d}-second-ai-customer" for i in range(n)],
        "deal_usd": [460_000_000.0, np.nan, 3.5e9] + [1.23e9] * (n - 3),
        "ar0_model": rng.normal(0, 0.2, n), "car20_model": rng.normal(0, 0.3, n),
        "car60_model": rng.normal(0, 0.3, n), "car120_model": rng.normal(0, 0.3, n),
        "kept20_model": [-22.8] + list(rng.normal(0, 2, n - 1)),
        "kept60_model": [-56.41] + list(rng.normal(0, 2, n - 1)),
        "kept120_model": rng.normal(0, 2, n),
        "verdict20": ["unclear"] * n, "verdict60": ["persists"] * n, "verdict120": ["reverts"] * n,
        "truncated": [False] * n, "h_avail": [120] * n,
        "confounders": ["8-K on an audit-committee investigation involving the CEO filed the "
                        "same day"] + [""] * (n - 1),
    })
    return df


def test_units_headers_and_tooltips_of_the_per_event_table():
    t = charts.table(_events_table(), caption="Per event", index=False, floatfmt="{:.2f}")
    h = t._repr_html_()
    text = _text(h)
    assert "$0.46bn" in text and "$3.50bn" in text and "460,000,000" not in text
    assert "-2280%" in text and "-5641%" in text          # ratios read as a share of day 0
    assert re.search(r"[+-]\d+\.\d%", text)                # returns in signed percent
    # short human headers, never an underscore, never a break inside a header
    heads = re.findall(r"<th [^>]*>(.*?)</th>", h.split("</thead>")[0])
    assert heads[:4] == ["event", "deal", "AR day 0", "CAR +20"], heads
    assert not any("_" in _text(x) for x in heads) and "<wbr>" not in h
    assert all("white-space:nowrap" in th for th in re.findall(r"<th [^>]*>", h))
    # the meaning and the data name in the tooltip, and in the folded legend
    assert 'title="reported deal size, US dollars (deal_usd)"' in h
    assert "What the columns mean" in text and "CAR to +20 / day-0 AR" in text


def test_wide_table_scrolls_in_its_box_with_the_first_column_frozen():
    h = charts.table(_events_table(), index=False)._repr_html_()
    assert h.count('class="pivot-table-box') == 2  # top rows + folded rest, each scrolls
    assert all("overflow-x:auto" in b and "max-width:100%" in b
               for b in re.findall(r'<div class="pivot-table-box[^>]*>', h))
    first_cells = re.findall(r"<tr><t[dh] style=\"([^\"]*)\"", h)
    assert first_cells and all("position:sticky" in s and "left:0" in s for s in first_cells)
    # with an index, the index column is the frozen one
    hi = charts.table(pd.DataFrame({"a": [1.0]}, index=pd.Index(["x"], name="sym")))._repr_html_()
    assert re.search(r'<th style="[^"]*position:sticky[^"]*"[^>]*>sym</th>', hi)


def test_long_table_shows_top_rows_and_folds_the_rest():
    df = _events_table()
    h = charts.table(df, index=False)._repr_html_()
    top, rest = h.split("<details class=\"pivot-table-more\">", 1)
    assert top.count("<tr>") == tables.TOP_ROWS + 1          # header + top rows
    assert f"Show the other {len(df) - tables.TOP_ROWS} rows (of {len(df)})" in rest
    assert rest.split("</details>")[0].count("<tr>") == len(df) - tables.TOP_ROWS + 1
    # every row is somewhere, once
    for eid in df["event_id"]:
        assert h.count(eid) == 1
    # a short table is not folded, nor one just over the limit (never fold 1-2 rows)
    assert "pivot-table-more" not in charts.table(df.head(tables.TOP_ROWS + 2))._repr_html_()


@pytest.mark.parametrize("kind, value, text", [
    ("pct", 0.1234, "+12.3%"), ("share", 0.84, "84%"), ("usd", 4.6e8, "$0.46bn"),
    ("usd", 4.4e7, "$0.044bn"), ("beta", -1.158, "-1.16"), ("p", 0.0123, "0.012"),
    ("p", 1e-9, "<0.001"), ("int", 1716.0, "1,716"), ("x", 1.0821, "1.08x"),
    ("signed_int", -19.0, "-19"),
])
def test_kinds(kind, value, text):
    assert tables.fmt_value(value, kind) == text
    assert tables.fmt_value(np.nan, kind) == "" and tables.fmt_value(None, kind) == ""


def test_kind_wins_over_formats_and_context_sets_ambiguous_units():
    df = pd.DataFrame({"p_value": [0.01234], "mean": [0.0123], "low": [-0.01], "odd": [1.23456]})
    plain = _text(charts.table(df, formats={"p_value": "{:.4f}"}, index=False)._repr_html_())
    assert "0.012" in plain and "0.0123 " not in plain and "1.2346" in plain  # floatfmt default
    ret = _text(charts.table(df, context="returns", index=False)._repr_html_())
    assert "+1.2%" in ret and "-1.0%" in ret
    with pytest.raises(ValueError, match="unknown table context"):
        charts.table(df, context="nope")
    with pytest.raises(ValueError, match="unknown column kind"):
        charts.table(df, kinds={"odd": "furlongs"})


def test_bool_and_int_and_text_columns_untouched():
    df = pd.DataFrame({"truncated": [True, False], "n": [3, 4], "note": ["a", "b"]})
    text = _text(charts.table(df, index=False)._repr_html_())
    assert "True" in text and "False" in text and "note" in text


# ------------------------------------------------------------------------------- error box
def test_box_html_message_fix_and_folded_traceback():
    exc = InputError("parameter 'event_id' = 'x' is not in the event catalog; run `pivot "
                     "events list` to see the ids ($9.8B)")
    h = errorbox.box_html(exc, "Traceback (most recent call last):\n  File \x1b[0;32m<x>\x1b[0m")
    text = _text(h)
    assert text.startswith("Bad input (parameters, files, symbols, dates) (InputError)")
    assert "run `pivot events list`" in text and "$9.8B" in text
    assert "<details" in h and "Traceback (for a bug report)" in text and "\x1b" not in h
    assert "pivot-error" in h and "mathjax_ignore" in h
    assert "Data missing or invalid" in _text(errorbox.box_html(DataError("no prices")))


def test_handler_in_an_ipython_shell_shows_box_and_error_output():
    from IPython.core.interactiveshell import InteractiveShell

    existed = InteractiveShell.initialized()
    shell = InteractiveShell.instance()
    shown, errors = [], []
    pub = shell.display_pub
    orig_publish, orig_show = pub.publish, shell._showtraceback
    pub.publish = lambda data, metadata=None, **kw: shown.append(data)
    shell._showtraceback = lambda et, ev, stb: errors.append((et.__name__, str(ev), stb))
    try:
        assert errorbox.install(shell)
        res = shell.run_cell("from pivotlib.errors import InputError\n"
                             "raise InputError('window [-20, 20] overlaps the estimation "
                             "window; pick a shorter window')")
        assert not res.success and isinstance(res.error_in_exec, InputError)
        assert len(shown) == 1 and "pick a shorter window" in shown[0]["text/plain"]
        assert "<details" in shown[0]["text/html"]
        assert len(errors) == 1 and errors[0][0] == "InputError" and len(errors[0][2]) == 1
        # an unexpected error keeps IPython's own full traceback (no box)
        shown.clear()
        errors.clear()
        res = shell.run_cell("1/0")
        assert not res.success and not shown
    finally:
        errorbox.uninstall(shell)
        pub.publish, shell._showtraceback = orig_publish, orig_show
        if not existed:
            InteractiveShell.clear_instance()
    if not existed:
        assert errorbox.install(None) is False  # outside IPython: nothing to do


def test_every_notebook_setup_installs_the_error_box():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        src = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                      if c["cell_type"] == "code")
        assert "errorbox.install()" in src, nb.name
        assert src.index("errorbox.install()") < src.index("params.validate("), nb.name


@pytest.mark.slow
def test_failed_report_keeps_exit_class_and_shows_the_box(tmp_path, monkeypatch):
    from pivotlib.runner.execute import failure_class, run_report

    monkeypatch.setenv("PIVOT_OFFLINE", "1")
    res = run_report("02-event-study", {"symbol": "HUT", "date": "2019-01-02"},
                     reports_root=tmp_path, raise_on_error=False, update_index=False)
    assert res.status == "failed" and res.error.startswith("InputError: ")
    assert failure_class(res.error) is InputError  # pivot report exits 2, as documented
    nb = json.loads(Path(res.ipynb).read_text())
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    html_of = [(o, "".join(o.get("data", {}).get("text/html", ""))) for o in outs]
    boxes = [h for o, h in html_of if "pivot-error" in h]
    errs = [o for o in outs if o["output_type"] == "error"]
    assert len(boxes) == 1 and "event date outside data" in boxes[0]
    assert len(errs) == 1 and errs[0]["ename"] == "InputError" and len(errs[0]["traceback"]) == 1


# ---------------------------------------------------------------------------------- charts
def test_event_day_axes_tick_on_whole_days():
    ar = pd.Series([0.01, 0.05, -0.02], index=[-1, 0, 1])
    for fig in (charts.ar_bars(ar).figure, charts.car_path(ar.cumsum()).figure):
        ax = fig.layout.xaxis
        assert ax.tickmode == "linear" and ax.dtick == 1 and ax.tick0 == 0
    wide = charts.event_day_axis(range(-250, 21))
    assert float(wide["dtick"]).is_integer() and 270 / wide["dtick"] <= 20
    assert charts.event_day_axis([0, 120])["dtick"] == 10


def test_crash_heatmap_labels_miners_on_both_axes_for_many_episodes():
    class Cap:
        def __init__(self, n):
            starts = pd.date_range("2014-01-01", periods=n, freq="90D")
            self.w = pd.DataFrame({"start": starts, "trough": starts + pd.Timedelta(days=20),
                                   "btc_drawdown": -0.3, "APLD": -0.2, "IREN": 0.1})
            self.ph = self.w.assign(APLD="before", IREN="after")

        def wide(self, what):
            return self.w if what == "miner_move" else self.ph

    fig = lifeboat_charts.capture_table(Cap(40)).figure
    assert fig.layout.xaxis2.side == "top" and fig.layout.xaxis.side == "bottom"
    assert fig.layout.xaxis2.matches == "x" and list(fig.data[-1].x) == ["APLD", "IREN"]
    assert fig.layout.height >= 40 * 20  # every row tall enough to read its label


def test_provenance_of_several_frames_lists_every_series():
    a = pd.DataFrame({"HUT": [1.0], "SPY": [1.0]}, index=pd.to_datetime(["2025-01-02"]))
    a.attrs = {"dataset": "demo", "sources": {"HUT": "yahoo", "SPY": "yahoo"}, "missing": ["X"]}
    b = pd.DataFrame({"IREN": [1.0], "SMH": [1.0]}, index=pd.to_datetime(["2025-01-03"]))
    b.attrs = {"dataset": "demo", "sources": {"IREN": "csv", "SMH": "csv"}, "missing": []}
    text = str(narrative.provenance(a, b, None))
    assert "4 symbols" in text and "2025-01-02 to 2025-01-03" in text
    assert "Source yahoo: HUT, SPY." in text and "Source csv: IREN, SMH." in text
    assert "absent from the dataset: X" in text


# ----------------------------------------------------------------------------------- 06
def test_no_day0_return_names_the_limiting_series_and_date():
    idx = pd.bdate_range("2022-01-03", periods=400)
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"SPY": 0.01 * rng.standard_normal(400),
                       "BTC-USD": 0.03 * rng.standard_normal(400),
                       "AAA": 0.03 * rng.standard_normal(400)}, index=idx)
    df.loc[idx[350]:, "BTC-USD"] = np.nan  # bitcoin's file ends before the event
    ev = pd.DataFrame({"event_id": ["late"], "symbol": ["AAA"], "event_date": [idx[360]]})
    info = lb.event_paths(df, ev, market="SPY", btc="BTC-USD", horizon=20)["info"]
    note = info["note"].iloc[0]
    assert note.startswith(f"no return on day 0 ({idx[360].date()}): BTC-USD data end "
                           f"{idx[349].date()}"), note
    assert "extend BTC-USD" in note


def test_every_number_in_06s_tables_has_a_unit():
    """Each table notebook 06 shows (with the context its cell passes) formats every numeric
    column by a kind: no bare ratio like -22.80 and no raw 460,000,000."""
    from pivotlib.runner import notebooks as nbs
    from pivotlib.studies import params
    from pivotlib.studies.lifeboat import study_lifeboat

    nb = json.loads((ROOT / "notebooks" / "06-lifeboat.ipynb").read_text())
    shown: dict[str, str | None] = {}
    for c in nb["cells"]:
        src = "".join(c["source"])
        m = re.search(r'charts\.table\(t\["(\w+)"\]', src)
        if m:
            ctx = re.search(r'context="(\w+)"', src)
            shown[m.group(1)] = ctx.group(1) if ctx else None
    assert {"betas", "did", "capture", "persistence", "events", "spillover"} <= set(shown)
    p = params.validate("06-lifeboat", **nbs.notebook_parameters(
        nbs.resolve_notebook("06-lifeboat")))
    t = study_lifeboat(**p).tables()
    for name, ctx in shown.items():
        tbl = charts.table(t[name], context=ctx, index=False)
        bare = [c for c in t[name].columns if t[name][c].dtype.kind in "fi"
                and tbl.column(c).kind is None]
        assert not bare, (name, bare)
        assert not any("_" in tbl.column(c).label for c in t[name].columns), name
