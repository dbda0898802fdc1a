"""The robustness verdict travels: study record, chart, briefing lines, index, sweep (process
pool and Dask) -- on the SYNTHETIC demo data."""

from __future__ import annotations

import argparse
import json

import pytest

from pivotlib.batch.sweep import run_sweep, summary_table, sweep_items
from pivotlib.presentation.robustness_charts import curve_view, robustness_lines, spec_curve
from pivotlib.runner.index import build_index, robustness_words

VERDICTS = {"robust", "fragile", "no effect", "not assessed"}


@pytest.fixture(scope="module")
def demo_event():
    from pivotlib.studies.event import study_event

    return study_event(dataset="demo", robustness=True)


def test_study_event_carries_the_curve_and_its_verdict(demo_event):
    rec = demo_event.record()
    assert rec["verdict"] in VERDICTS
    assert rec["robustness"]["n_specs"] == 288
    assert rec["robustness_line"].startswith(rec["verdict"] + ":")
    head = demo_event.curve.frame[demo_event.curve.frame["is_headline"]].iloc[0]
    # the headline row is the study's own number
    assert head["estimate"] == pytest.approx(rec["car"], abs=1e-10)
    assert head["p"] == pytest.approx(rec["p_value"], abs=1e-10)
    json.dumps(rec["robustness"])  # sidecar-safe


def test_chart_has_two_panels_headline_and_synthetic_label(demo_event):
    c = spec_curve(demo_event.curve, synthetic=demo_event.synthetic)
    names = [t.name for t in c.figure.data]
    assert "headline" in names
    assert c.title.startswith("SYNTHETIC DATA")
    assert c.figure.layout.yaxis2 is not None and "model: factors" in str(c.figure.layout.yaxis2)
    # the dot matrix: every specification that ran marks one value of each choice shown, and
    # the headline's diamonds mark one value of each choice
    f = demo_event.curve.frame
    ran = int(f["estimate"].notna().sum())
    shown = [ch for ch in demo_event.curve.choices if f[ch].astype(str).nunique() > 1]
    matrix = [t for t in c.figure.data if t.yaxis == "y2"]
    squares = [t for t in matrix if t.marker.symbol == "square"]
    diamonds = [t for t in matrix if t.marker.symbol == "diamond"]
    assert sum(len(t.x) for t in squares) == ran * len(shown)
    assert sum(len(t.x) for t in diamonds) == len(shown)
    small = spec_curve(demo_event.curve, synthetic=True, small=True)
    assert small.figure.layout.height < c.figure.layout.height
    assert "robustness = True" in curve_view(None)._repr_html_()
    html = robustness_lines({"event CAR": ("robust", "robust: 1 of 1")})._repr_html_()
    assert "event CAR" in html and "robust: 1 of 1" in html


def test_index_shows_the_word_beside_each_report(tmp_path):
    day = tmp_path / "2026-01-02"
    day.mkdir()
    recs = {"a": {"verdict": "fragile", "robustness": {"verdict": "fragile"}},
            "b": {"verdicts": {"event CAR": "robust", "lifeboat DiD": "no effect"}},
            "c": {"car": 0.1}}
    for name, rec in recs.items():
        (day / f"{name}.json").write_text(json.dumps({"notebook": "x", "name": name,
                                                      "records": rec}))
    page = build_index(tmp_path).read_text()
    assert "robustness: fragile" in page
    assert "robustness: event CAR: robust; lifeboat DiD: no effect" in page
    assert robustness_words(recs["c"]) == ""


def test_sweep_items_robustness_flag():
    assert all(i["parameters"]["robustness"] is True
               for i in sweep_items(dataset="demo", limit=2, robustness=True))
    assert all(i["parameters"]["robustness"] is False for i in sweep_items(dataset="demo",
                                                                            limit=2))


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["processes", "local"])
def test_sweep_robustness_on_pool_and_dask(tmp_reports_dir, scheduler):
    from pivotlib.batch.executors import scheduler_options

    items = sweep_items(dataset="demo", date="2026-01-02", limit=2,
                        reports_root=str(tmp_reports_dir), robustness=True)
    ns = argparse.Namespace(scheduler=scheduler, workers=2, retries=1, no_progress=True)
    res = run_sweep(items, **scheduler_options(ns))
    assert all(r["ok"] for r in res), summary_table(res)
    for r in res:
        assert r["records"]["verdict"] in VERDICTS
        assert r["records"]["robustness"]["n_specs"] == 288
    assert "[" in summary_table(res)
    index = (tmp_reports_dir / "index.html").read_text()
    assert index.count("robustness: ") >= 2


def test_rows_equal_study_event_for_the_choices_it_takes(demo_event):
    """study_event (model, estimation, window; catalogued timing, masking on) gives each
    matching row's CAR and p to 1e-10."""
    from pivotlib.studies.event import study_event

    f = demo_event.curve.frame
    sub = f[(f["timing"] == "catalogued") & f["mask"] & f["est_start"].isin([-250, -120])
            & (f["est_end"] == -11)]
    assert len(sub) == 3 * 2 * 4
    for _, row in sub.iterrows():
        one = study_event(dataset="demo", event_id=str(demo_event.event["event_id"]),
                          model=row["model"], estimation=(row["est_start"], row["est_end"]),
                          window=row["window"], windows=(), returns=demo_event.returns,
                          prices=demo_event.prices, robustness=False)  # the CAR, not its curve
        assert row["estimate"] == pytest.approx(float(one.row["car"]), abs=1e-10, rel=0)
        assert row["p"] == pytest.approx(one.p_value, abs=1e-10, rel=0)


def test_cli_sweep_has_the_robustness_flag():
    from pivotlib.cli import build_parser

    args = build_parser().parse_args(["sweep", "--robustness", "--limit", "1"])
    assert args.robustness is True
    assert build_parser().parse_args(["sweep"]).robustness is False


def test_terminal_summary_shows_every_headline_word():
    """The brief/sweep table carries the same robustness words as the index: a regime report's
    own verdict, and all three of the briefing's (not only its event CAR's)."""
    from pivotlib.batch.sweep import summary_table

    rows = [{"key": "04-pivot-regimes", "status": "ok", "ok": True, "elapsed": 1.0,
             "html": "r04.html", "records": {"robustness": {"verdict": "no effect"}}},
            {"key": "05-briefing", "status": "ok", "ok": True, "elapsed": 1.0,
             "html": "r05.html", "records": {"verdict": "robust", "verdicts": {
                 "event CAR": "fragile", "pivot score": "no effect",
                 "lifeboat DiD": "robust"}}}]
    table = summary_table(rows)
    assert "[no effect] r04.html" in table
    assert "[event CAR: fragile; pivot score: no effect; lifeboat DiD: robust] r05.html" in table
