"""Report runner pieces that need no kernel: slugs, records, names, HTML export, index, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics import diagnostics
from pivotlib.batch import sweep
from pivotlib.errors import InputError
from pivotlib.presentation import charts, narrative
from pivotlib.runner import execute, export, recorder
from pivotlib.runner import index as rindex
from pivotlib.runner import notebooks as nbs


def test_param_slug_readable_and_bounded():
    assert nbs.param_slug({}) == "default"
    s = nbs.param_slug({"window": [-1, 1], "event_id": "APLD-2024-09-05-nvidia-placement"})
    assert s == "apld-2024-09-05-nvidia-placement_window-m1-1"
    long = nbs.param_slug({"symbols": ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR"] * 3,
                               "factors": ["SPY", "BTC-USD", "SMH"], "start": "2021-01-01"})
    assert len(long) <= 80 and re.fullmatch(r"[a-z0-9._-]+", long)
    assert nbs.param_slug({"x": "../../etc/passwd"}) == "x-etc-passwd"


def test_jsonable_handles_numpy_pandas_nan():
    v = recorder.jsonable({"a": np.float64(0.5), "b": np.int64(3), "c": float("nan"),
                          "d": pd.Timestamp("2024-06-03"), "e": (1, 2), "f": np.bool_(True),
                          "g": pd.NaT})
    assert v == {"a": 0.5, "b": 3, "c": None, "d": "2024-06-03", "e": [1, 2], "f": True,
                 "g": None}
    json.dumps(v, allow_nan=False)


def _executed_nb(tmp_path: Path, headline: str = "<script>alert(1)</script>") -> Path:
    """A hand-made 'executed' notebook with a chart, a record and an injected cell."""
    fig_df = pd.DataFrame({"APLD": [1.0, 2.0, 3.0], "BTC-USD": [1.0, 1.2, 1.1]},
                          index=pd.date_range("2024-01-02", periods=3, name="date"))
    fig_df.attrs["synthetic"] = True
    chart = charts.normalised_prices(fig_df)
    nb = nbformat.v4.new_notebook()
    inj = nbformat.v4.new_code_cell("x = 'SECRET-INJECTED'")
    inj.metadata["tags"] = ["injected-parameters"]
    inj.outputs = [nbformat.v4.new_output("stream", name="stdout", text="SECRET-INJECTED\n")]
    code = nbformat.v4.new_code_cell("charts.normalised_prices(df)  # CODE-MARKER")
    code.outputs = [nbformat.v4.new_output("display_data", data=chart._repr_mimebundle_())]
    rec = nbformat.v4.new_code_cell("recorder.record(...)")
    rec.outputs = [nbformat.v4.new_output("display_data", data={
        recorder.RECORD_MIME: {"car": 0.12, "headline": headline, "synthetic": True},
        "text/plain": ""})]
    prose = nbformat.v4.new_code_cell("narrative.event_verdict(...)")
    prose.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": narrative.Prose(title=headline, paragraphs=["**bold** & co"])._repr_html_(),
        "text/plain": "x"})]
    err = nbformat.v4.new_code_cell("import warnings")
    err.outputs = [nbformat.v4.new_output("stream", name="stderr", text="Traceback-ish warning\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), inj, code, rec, prose, err]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_export_html_offline_and_clean(tmp_path):
    root = tmp_path / "reports"
    day = root / "2026-01-02"
    day.mkdir(parents=True)
    src = _executed_nb(tmp_path)
    nbp = day / "x.ipynb"
    nbp.write_bytes(src.read_bytes())
    out = export.export_html(nbp, meta={"name": "x<y>", "parameters": {"k": "<b>"}},
                              reports_root=root)
    page = out.read_text()
    # plotly.js from the shared relative asset; no CDN, require.js or MathJax
    assert re.search(r'<script[^>]+src="\.\./assets/plotly-[0-9.]+\.min\.js"', page)
    assert (root / "assets").is_dir() and list((root / "assets").glob("plotly-*.min.js"))
    for bad in ("cdn.plot.ly", "cdnjs", "require.min.js", "mathjax.js", "unpkg"):
        assert bad not in page.lower(), bad
    # no MathJax script (the only "mathjax" left is the ignore class on pivotlib's blocks)
    assert not re.search(r"<script[^>]*>[^<]*mathjax|<script[^>]+mathjax", page, re.I)
    assert "mathjax" not in re.sub(r'class="[^"]*"', "", page).lower()
    assert "Plotly.newPlot" in page and "plotly-graph-div" in page
    # code hidden, injected parameters removed, stderr dropped, record hidden
    assert "CODE-MARKER" not in page and "SECRET-INJECTED" not in page
    assert "Traceback-ish" not in page and recorder.RECORD_MIME not in page
    # user strings escaped
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x&lt;y&gt;" in page and "<b>&amp;" not in page
    # deterministic
    again = export.export_html(nbp, tmp_path / "again.html", meta={
        "name": "x<y>", "parameters": {"k": "<b>"}}, reports_root=root)
    assert again.read_text() != page  # other folder: other relative asset path
    assert export.export_html(nbp, meta={"name": "x<y>", "parameters": {"k": "<b>"}},
                               reports_root=root).read_text() == page


def test_single_file_inlines_plotly(tmp_path):
    src = _executed_nb(tmp_path)
    out = export.export_html(src, tmp_path / "one.html", single_file=True,
                              reports_root=tmp_path / "r")
    page = out.read_text()
    assert "src=" not in re.findall(r"<script[^>]*>", page)[0]
    assert len(page) > 3_000_000
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page)


def test_records_read_back(tmp_path):
    nb = nbformat.read(str(_executed_nb(tmp_path, headline="h")), as_version=4)
    assert recorder.read_records(nb) == {"car": 0.12, "headline": "h", "synthetic": True}


def test_choose_name_suffix_and_skip(tmp_path):
    day = tmp_path
    name, existing = execute._choose_name(day, "02-x", "fp1", force=False)
    assert (name, existing) == ("02-x", None)
    (day / "02-x.ipynb").write_text("{}")
    (day / "02-x.html").write_text("")
    (day / "02-x.json").write_text(json.dumps({"fingerprint": "fp1", "status": "ok",
                                               "html": "02-x.html"}))
    name, existing = execute._choose_name(day, "02-x", "fp1", force=False)
    assert name == "02-x" and existing["fingerprint"] == "fp1"  # identical inputs: skip
    assert execute._choose_name(day, "02-x", "fp2", force=False) == ("02-x-2", None)
    assert execute._choose_name(day, "02-x", "fp1", force=True) == ("02-x-2", None)
    (day / "02-x-2.json").write_text(json.dumps({"fingerprint": "fp3", "status": "failed"}))
    assert execute._choose_name(day, "02-x", "fp3", force=False) == ("02-x-3", None)


def test_index_lists_reports_escaped(tmp_reports_dir):
    day = tmp_reports_dir / "2026-01-02"
    day.mkdir()
    meta = {"name": "02-event-study-a", "notebook": "02-event-study", "status": "ok",
            "html": "02-event-study-a.html", "ipynb": "02-event-study-a.ipynb",
            "records": {"symbol": "APLD", "event_id": "E<1>", "headline": "<img src=x>",
                        "car": 0.153, "p_value": 0.004, "significant": True,
                        "car_window": "[-1, 1]", "synthetic": True, "title": "Event study"}}
    (day / "02-event-study-a.json").write_text(json.dumps(meta))
    bad = {**meta, "name": "b", "status": "failed", "error": "KeyError: <x>", "html": None,
           "records": {}}
    (day / "b.json").write_text(json.dumps(bad))
    page = rindex.build_index().read_text()
    assert "2026-01-02/02-event-study-a.html" in page
    assert "+15.3%" in page and "p=0.004***" in page and "SYNTHETIC" in page
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page
    assert "E&lt;1&gt;" in page and "KeyError: &lt;x&gt;" in page
    assert "class='failed'" in page


def test_resolve_notebook_errors():
    assert nbs.resolve_notebook("01").name == "01-data-refresh.ipynb"
    assert nbs.resolve_notebook("01-data-refresh").stem == "01-data-refresh"
    with pytest.raises(InputError, match="not found"):
        nbs.resolve_notebook("99-nothing")


def test_run_report_rejects_bad_parameters_before_kernel(tmp_reports_dir):
    with pytest.raises(InputError, match="has no parameter"):
        execute.run_report("01-data-refresh", {"colour": "red"})
    with pytest.raises(InputError, match="reversed"):
        execute.run_report("01-data-refresh", {"start": "2024-01-01", "end": "2023-01-01"})
    assert not list(tmp_reports_dir.glob("*/*.ipynb"))


def test_cli_report_bad_parameter_exit_code(tmp_reports_dir, capsys):
    from pivotlib.cli import main

    assert main(["report", "01-data-refresh", "-p", "symbols", "[ZZZZ]"]) == 2
    assert "not in the universe" in capsys.readouterr().err
    assert main(["report", "nope-notebook"]) == 2


def test_sweep_item_isolates_failures(tmp_reports_dir):
    out = sweep.run_sweep_item({"notebook": "99-missing", "parameters": {}})
    assert out["ok"] is False and out["exit_code"] == 2 and "not found" in out["error"]
    table = sweep.summary_table([out])
    assert "0 of 1 reports ok" in table


def test_sweep_items_cover_company_events():
    from pivotlib.events.catalog import load_catalog

    cat = load_catalog()
    items = sweep.sweep_items(dataset="demo")
    assert len(items) == int((cat["symbol"] != "SECTOR").sum())
    assert all(i["notebook"] == "02-event-study" and i["parameters"]["dataset"] == "demo"
               for i in items)


def test_charts_label_synthetic():
    df = pd.DataFrame({"A": [1.0, 2.0]}, index=pd.date_range("2024-01-02", periods=2))
    df.attrs["synthetic"] = True
    c = charts.normalised_prices(df)
    assert c.title.startswith("SYNTHETIC DATA")
    assert any(a.text == "SYNTHETIC" for a in c.figure.layout.annotations)
    df.attrs["synthetic"] = False
    c2 = charts.normalised_prices(df)
    assert "SYNTHETIC" not in c2.title and not c2.figure.layout.annotations
    assert c2.div_id() == charts.normalised_prices(df).div_id()  # deterministic ids


def test_narrative_wording_follows_p_value():
    kw = dict(symbol="APLD", headline="H", event_date="2024-09-05", car=0.2,
              window=(-1, 1), model="factor")
    assert "significant" in str(narrative.event_verdict(p_value=0.03, **kw))
    assert "weak evidence" in str(narrative.event_verdict(p_value=0.07, **kw))
    assert "No evidence" in str(narrative.event_verdict(p_value=0.4, **kw))
    assert narrative.pct(0.1234) == "+12.3%" and narrative.pval(0.0001) == "p < 0.001"
    banner = narrative.synthetic_banner(True, "demo")
    assert "SYNTHETIC" in str(banner) and "pivot-synthetic" in banner._repr_html_()


def test_residual_diagnostics_match_statsmodels():
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import acorr_ljungbox, het_breuschpagan
    from statsmodels.stats.stattools import durbin_watson, jarque_bera

    rng = np.random.default_rng(3)
    n = 240
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ [0.001, 1.5, 0.4] + rng.standard_t(4, n) * (1 + np.abs(X[:, 1]))
    got = diagnostics.residual_diagnostics(y, X)
    e = sm.OLS(y, X).fit().resid
    jb, jbp, _, _ = jarque_bera(e)
    lb = acorr_ljungbox(e, lags=[10], return_df=True)
    bp = het_breuschpagan(e, X)
    assert got.loc["Jarque-Bera (normality)", "statistic"] == pytest.approx(jb)
    assert got.loc["Jarque-Bera (normality)", "p_value"] == pytest.approx(jbp)
    assert got.loc["Durbin-Watson", "statistic"] == pytest.approx(durbin_watson(e))
    assert got.loc["Ljung-Box Q(10)", "statistic"] == pytest.approx(lb["lb_stat"].iloc[0])
    assert got.loc["Ljung-Box Q(10)", "p_value"] == pytest.approx(lb["lb_pvalue"].iloc[0])
    assert got.loc["Breusch-Pagan (Koenker)", "statistic"] == pytest.approx(bp[0])
    assert got.loc["Breusch-Pagan (Koenker)", "p_value"] == pytest.approx(bp[1])


def test_failure_class_maps_notebook_exceptions_to_exit_codes():
    from pivotlib.errors import DataError, InputError, OfflineError, RunError, SourceError

    assert execute.failure_class("InputError: bad window") is InputError
    assert execute.failure_class("DataError: APLD missing") is DataError
    assert execute.failure_class("OfflineError: offline") is OfflineError
    assert execute.failure_class("SourceError: 429") is SourceError
    assert execute.failure_class("KeyError: 'x'") is RunError
    assert execute.failure_class("PivotError: x") is RunError
    assert execute.failure_class(None) is RunError
    assert [c.exit_code for c in (InputError, DataError, SourceError, RunError)] == [2, 3, 4, 5]


def test_data_summary_does_not_call_a_fixed_synthetic_sample_fresh():
    rows = [dict(symbol="APLD", first="2022-04-13", last="2026-06-30", rows=10, stale=False,
                 synthetic=True)]
    text = str(narrative.data_summary(pd.DataFrame(rows)))
    assert "Stale" not in text and "fixed sample ending 2026-06-30" in text
    rows[0].update(synthetic=False, stale=True)
    text = str(narrative.data_summary(pd.DataFrame(rows)))
    assert "Stale (last date more than 5 days old): APLD." in text


def test_screen_items_splits_off_events_the_engine_cannot_study():
    items = [{"notebook": "02-event-study", "key": k,
              "parameters": {"event_id": k, "dataset": "demo"}}
             for k in ("CORZ-2024-06-03-coreweave-200mw", "HUT-2026-05-06-beacon-point-lease")]
    run, skipped = sweep.screen_items(items)
    assert [r["key"] for r in run] == ["HUT-2026-05-06-beacon-point-lease"]
    (s,) = skipped
    assert s["status"] == sweep.NOT_STUDIABLE and s["exit_code"] == 0 and s["ok"] is False
    assert s["error"].startswith("too few observations (80 < min_est=100)")
    # alone in its parameter group (a single-event study) it is screened just the same
    items[0]["parameters"]["estimation"] = [-80, -11]
    run, skipped = sweep.screen_items(items)
    assert [r["key"] for r in run] == ["HUT-2026-05-06-beacon-point-lease"]
    assert skipped[0]["error"].startswith("too few observations (70 < min_est=100)")
