"""No default factor is required (issue 17): each role's default series removed in turn.

Datasets are ``csv:`` folders made in a temp dir from the SYNTHETIC demo (equities as session
closes, BTC-USD with its weekend rows, as a real file has): ``full`` holds every demo symbol,
and each case folder links every file of ``full`` but the ones it removes.

* market: no SPY -> IWM stands in (event model, regimes, lifeboat);
* bitcoin: no BTC-USD -> the market model for events, AI-only regimes, no lifeboat section;
* AI factor: no SMH -> QQQ stands in; no AI proxy at all (no SMH, QQQ, NVDA) -> BTC-only
  regimes;
* lifeboat cohorts: no loyalist (no DiD, empty control portfolio) and no pivoter.

The fast tests call the studies in-process and check that the numbers of the parts that ran
equal those on the full dataset where they do not depend on the missing series. The ``slow``
tests run ``pivot brief`` / ``pivot report`` once per case (module-scoped) and read the report
sidecars; the CLI pre-checks (explicit ``-p`` naming a missing series, an empty dataset) start
no kernel.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _clikit import cli

from pivotlib.analytics.lifeboat.cohorts import pivot_cohorts
from pivotlib.defaults import LIFEBOAT_MINERS, FactorRoles, choose_role
from pivotlib.errors import DataError
from pivotlib.events.catalog import load_catalog

DATE = "2030-01-02"
_COHORTS = pivot_cohorts(load_catalog(), LIFEBOAT_MINERS)["cohort"]  # from the catalog, never listed
LOYALISTS = tuple(_COHORTS.index[_COHORTS == "loyalist"])
PIVOTERS = tuple(_COHORTS.index[_COHORTS == "pivoter"])
CASES: dict[str, tuple[str, ...]] = {
    "full": (),
    "no-SPY": ("SPY",),
    "no-BTC-USD": ("BTC-USD",),
    "no-SMH": ("SMH",),
    "no-ai": ("SMH", "QQQ", "NVDA"),
    "no-loyal": LOYALISTS,
    "no-pivot": PIVOTERS,
    "miners-only": ("SPY", "IWM", "QQQ", "SMH", "NVDA", "BTC-USD", "ETH-USD", "WGMI"),
    "no-miners": (*PIVOTERS, *LOYALISTS, "GLXY", "WGMI"),
}
ROLE_CASES = ("no-SPY", "no-BTC-USD", "no-SMH", "no-ai")


def _build(root: Path) -> dict[str, str]:
    """Write ``full`` from the demo store and link the case folders; return case -> spec."""
    from pivotlib.data.loading import load_prices, resolve_dataset

    demo = resolve_dataset("demo")
    syms = demo.available()
    px = load_prices(syms, dataset="demo")
    full = root / "full"
    full.mkdir(parents=True)
    for s in syms:
        sr = demo.read(s)[0]["close"] if s.endswith("-USD") else px[s]
        sr = sr.dropna()
        pd.DataFrame({"Date": sr.index.strftime("%Y-%m-%d"), "Close": sr.to_numpy()}).to_csv(
            full / f"{s}.csv", index=False, float_format="%.10g")
    out = {}
    for case, drop in CASES.items():
        if case != "full":
            (root / case).mkdir()
            for f in full.glob("*.csv"):
                if f.stem not in drop:
                    (root / case / f.name).symlink_to(f)
        out[case] = f"csv:{root / case}"
    return out


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> dict[str, str]:
    return _build(tmp_path_factory.mktemp("missing_factors"))


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    from pivotlib.events.catalog import load_catalog

    return load_catalog()


# ------------------------------------------------------------------------- the rule per role
def test_choose_role_default_stand_in_dropped_and_named():
    assert choose_role("market", ["SPY", "IWM"]).column == "SPY"
    c = choose_role("market", ["IWM", "QQQ"])
    assert (c.column, c.kind) == ("IWM", "stand-in") and "IWM stands in" in c.note
    assert "pivot data fetch SPY" in c.note
    assert choose_role("ai", ["QQQ", "NVDA"], taken=["QQQ"]).column == "NVDA"
    assert choose_role("bitcoin", ["SPY", "FBTC", "IBIT"]).column == "IBIT"
    d = choose_role("bitcoin", ["SPY"])
    assert d.column is None and d.kind == "dropped" and "nor any stand-in (IBIT, FBTC)" in d.note
    assert choose_role("ai", ["SPY"], "SMH").kind == "dropped"  # the default may degrade
    with pytest.raises(DataError, match=r"NVDA \(the AI factor you asked for\) is not in "
                                        r"csv:/x"):
        choose_role("ai", ["SPY", "QQQ"], "NVDA", where="csv:/x")


def test_fit_spec_stand_in_and_market_model():
    from pivotlib.studies.common import ModelSpec, fit_spec

    spec, notes = fit_spec(ModelSpec(), ["APLD", "IWM", "BTC-USD"])
    assert spec.factors == ("IWM", "BTC-USD") and spec.model == "factors"
    assert "IWM stands in" in notes[0]
    spec, notes = fit_spec(ModelSpec(), ["APLD", "SPY"])
    assert (spec.model, spec.market) == ("market", "SPY")
    assert any("market (SPY) instead of factors (SPY, BTC-USD)" in n for n in notes)
    same, none = fit_spec(ModelSpec(), ["SPY", "BTC-USD"])
    assert same == ModelSpec() and none == []
    with pytest.raises(DataError, match="NVDA"):
        fit_spec(ModelSpec(factors=("SPY", "NVDA")), ["SPY", "BTC-USD"], "csv:/x")


# ------------------------------------------------------ numbers equal where they do not depend
def test_event_numbers_without_each_role(ds, catalog):
    from pivotlib.studies.event import study_event

    def car(dataset, **kw):
        r = study_event(dataset=dataset, catalog=catalog, windows=(), robustness=False, **kw)
        return r, float(r.row["car"])

    full, car_full = car(ds["full"])
    eid = str(full.event["event_id"])
    no_smh, c = car(ds["no-SMH"])
    assert str(no_smh.event["event_id"]) == eid and c == car_full  # SMH plays no part
    no_spy, c = car(ds["no-SPY"], event_id=eid)
    assert no_spy.spec.factors == ("IWM", "BTC-USD")
    assert c == pytest.approx(car(ds["full"], event_id=eid, factors=["IWM", "BTC-USD"],
                                  market="IWM")[1], abs=1e-12)
    assert any("IWM stands in" in n for n in no_spy.notes)
    assert "IWM" in no_spy.summary().rows[1][1]  # the model row names the stand-in
    no_btc, c = car(ds["no-BTC-USD"], event_id=eid)
    assert no_btc.spec.model == "market"
    assert c == pytest.approx(car(ds["full"], event_id=eid, model="market")[1], abs=1e-12)


def test_regime_numbers_without_each_role(ds, catalog):
    from pivotlib.analytics.regimes import pivot_scores
    from pivotlib.events.catalog import company_events
    from pivotlib.studies.regime import study_regimes

    kw = dict(catalog=catalog, breaks=False, curve=False)  # numbers, not curves
    cols = ["pivot_score", "delta_btc_beta", "delta_ai_beta"]
    no_spy = study_regimes(dataset=ds["no-SPY"], **kw)
    assert no_spy.roles == FactorRoles("IWM", "BTC-USD", "SMH")
    ref = study_regimes(dataset=ds["full"], factors=["IWM", "BTC-USD", "SMH"], market="IWM",
                        **kw)
    pd.testing.assert_frame_equal(no_spy.scores[cols], ref.scores[cols])
    no_smh = study_regimes(dataset=ds["no-SMH"], **kw)
    assert no_smh.roles.ai == "QQQ" and "AI QQQ" in no_smh.summary().rows[1][1]
    ref = study_regimes(dataset=ds["full"], factors=["SPY", "BTC-USD", "QQQ"], ai="QQQ", **kw)
    pd.testing.assert_frame_equal(no_smh.scores[cols], ref.scores[cols])
    # no AI proxy at all: the BTC part only, equal to the BTC-only score on the full data
    no_ai = study_regimes(dataset=ds["no-ai"], **kw)
    assert no_ai.roles.ai is None and no_ai.scores.attrs["partial"] == "ai"
    assert any("bitcoin exposure only" in n for n in no_ai.notes)
    np.testing.assert_allclose(no_ai.top["pivot_score"], -no_ai.top["delta_btc_beta"])
    ref = pivot_scores(ref.returns, no_ai.symbols, ["SPY", "BTC-USD"], company_events(catalog),
                       btc_factor="BTC-USD", ai_factor=None, errors="skip", clip=True)
    pd.testing.assert_series_equal(no_ai.scores["pivot_score"],
                                   ref["pivot_score"].reindex(no_ai.scores.index))
    no_btc = study_regimes(dataset=ds["no-BTC-USD"], **kw)
    assert no_btc.roles.bitcoin is None and no_btc.scores.attrs["partial"] == "bitcoin"
    assert no_btc.top["delta_btc_beta"].isna().all() and len(no_btc.top) >= 4


def test_lifeboat_numbers_without_market_and_cohorts(ds, catalog):
    from pivotlib.studies.lifeboat import study_lifeboat

    kw = dict(catalog=catalog, n_boot=99, horizons=(20,), curve=False)  # numbers, not curves
    full = study_lifeboat(dataset=ds["full"], **kw)
    no_smh = study_lifeboat(dataset=ds["no-SMH"], **kw)
    assert no_smh.record()["did_downside_beta"] == full.record()["did_downside_beta"]
    no_spy = study_lifeboat(dataset=ds["no-SPY"], **kw)
    ref = study_lifeboat(dataset=ds["full"], market="IWM", **kw)
    assert no_spy.record()["market"] == "IWM"
    assert no_spy.record()["did_downside_beta"] == pytest.approx(
        ref.record()["did_downside_beta"], abs=1e-12)
    no_loyal = study_lifeboat(dataset=ds["no-loyal"], **kw)
    assert not no_loyal.has_did and no_loyal.record()["did_downside_beta"] is None
    assert any(n.startswith("No loyalist in this dataset") for n in no_loyal.notes)
    no_loyal.tables()  # display tables hold with the DiD missing
    piv = full.analysis.betas.table.set_index("symbol").loc["APLD", "down_change"]
    assert no_loyal.analysis.betas.table.set_index("symbol").loc["APLD", "down_change"] == piv
    no_piv = study_lifeboat(dataset=ds["no-pivot"], **kw)
    assert not no_piv.has_did and any(n.startswith("No pivoter") for n in no_piv.notes)
    # no bitcoin at all: no lifeboat test, no crash capture; the loyal-portfolio benchmark
    # does not use bitcoin, so its persistence numbers are the full dataset's
    no_btc = study_lifeboat(dataset=ds["no-BTC-USD"], **kw)
    assert no_btc.analysis.did is None and no_btc.analysis.capture is None
    assert not no_btc.has_did and any(n.startswith("No bitcoin series") for n in no_btc.notes)
    assert "market model" in no_btc.analysis.persistence.method
    no_btc.tables()

    def control(rep):
        t = rep.analysis.persistence.table
        return t[t["benchmark"] == "control"].reset_index(drop=True)[["measure", "horizon", "n",
                                                                       "mean"]]

    pd.testing.assert_frame_equal(control(no_btc), control(full))


def test_briefing_degrades_by_section(ds, catalog):
    from pivotlib.presentation import narrative, views
    from pivotlib.studies.briefing import study_briefing
    from pivotlib.studies.common import Missing

    b = study_briefing(dataset=ds["no-BTC-USD"], catalog=catalog)
    assert b.event and b.regimes and b.lifeboat and not b.missing
    assert "not tested, this dataset has no bitcoin" in str(views.lifeboat_headline(b.lifeboat))
    keys = narrative.key_numbers(b)[""].tolist()
    assert "Headline event" in keys and not any(k.startswith("Lifeboat") for k in keys)
    assert any(k.startswith("Highest pivot score (AI part only") for k in keys)
    # no market series at all: the lifeboat (which holds the market fixed) is one boxed line
    m = study_briefing(dataset=ds["miners-only"], catalog=catalog)
    assert isinstance(m.lifeboat, Missing) and "SPY" in m.lifeboat.reason
    box = str(views.lifeboat_headline(m.lifeboat))
    assert box.startswith("Lifeboat not shown") and "pivot data fetch SPY" in box
    assert m.notes[0].startswith("Regimes not shown: ")
    assert m.record()["sections_missing"]["lifeboat"] == m.lifeboat.reason
    # nothing but miners: the constant-mean event study runs, the rest is boxed
    bare = study_briefing(dataset=ds["miners-only"], catalog=catalog)
    assert bare.event.spec.model == "constant_mean"
    assert [m.section for m in bare.missing] == ["regimes", "lifeboat"]
    # no miner at all: every section is one boxed line, the page still renders
    none = study_briefing(dataset=ds["no-miners"], catalog=catalog)
    assert [m.section for m in none.missing] == ["headline event", "regimes", "lifeboat"]
    assert str(views.key_numbers(none)).startswith("Key numbers not shown")
    assert views.event_car_path(none.event) is None and views.score_table(none.regimes) is None
    assert none.record()["kind"] == "briefing"


def test_briefing_refuses_a_named_series_and_an_empty_dataset(ds, catalog, tmp_path):
    from pivotlib.studies.briefing import study_briefing

    with pytest.raises(DataError, match=r"QQQ \(parameter market\) is not in csv:.*no-ai"):
        study_briefing(dataset=ds["no-ai"], market="QQQ", catalog=catalog)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no price series"):
        study_briefing(dataset=f"csv:{tmp_path / 'empty'}", catalog=catalog)


# ----------------------------------------------------------------- the CLI before any kernel
@pytest.fixture
def private(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PIVOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("PIVOT_OFFLINE", "1")
    monkeypatch.delenv("PIVOT_DATASET", raising=False)
    (tmp_path / "data" / "store").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("argv, series", [
    (["report", "04-pivot-regimes", "-p", "ai", "SMH"], "SMH (parameter ai)"),
    (["report", "02", "-p", "market", "SMH"], "SMH (parameter market)"),
    (["report", "05-briefing", "-p", "regime_factors", "[SPY, BTC-USD, SMH]"],
     "SMH (parameter regime_factors[2])"),
])
def test_explicit_missing_series_fails_before_a_kernel(ds, private, argv, series):
    r = cli([*argv, "--dataset", ds["no-SMH"], "--date", DATE])
    assert r.rc == 3, r.err
    assert series in r.err and "no-SMH" in r.err and "pivot data fetch SMH" in r.err
    assert not (private / "reports").exists() or not any((private / "reports").rglob("*.ipynb"))


def test_empty_store_fails_fast_with_one_message(private):
    r = cli(["brief", "--dataset", "store", "--date", DATE])
    assert r.rc == 3
    assert r.err.count("holds no price series") == 1 and "pivot data fetch" in r.err
    assert r.seconds < 5 and not any((private / "reports").rglob("*.ipynb"))
    r = cli(["report", "06-lifeboat", "--dataset", "store", "--date", DATE])
    assert r.rc == 3 and "holds no price series" in r.err


# ------------------------------------------------------- every report, once per case (slow)
RUNS: dict[str, list[str]] = {
    **{f"brief/{c}": ["brief"] for c in ROLE_CASES},
    **{f"06/{c}": ["report", "06-lifeboat"] for c in ("no-SPY", "no-BTC-USD", "no-loyal",
                                                       "no-pivot")},
    "05/no-pivot": ["report", "05-briefing"],
}


@pytest.fixture(scope="module")
def runs(ds, tmp_path_factory) -> dict[str, tuple[int, str, list[dict]]]:
    """Each run of :data:`RUNS` once: (exit code, stdout + stderr, sidecars)."""
    mp = pytest.MonkeyPatch()
    out = {}
    try:
        mp.setenv("PIVOT_OFFLINE", "1")
        mp.delenv("PIVOT_DATASET", raising=False)
        for key, argv in RUNS.items():
            rep = tmp_path_factory.mktemp("reports")
            mp.setenv("PIVOT_REPORTS_DIR", str(rep))
            r = cli([*argv, "--dataset", ds[key.split("/")[1]], "--date", DATE])
            cars = [json.loads(p.read_text()).get("records") or {}
                    for p in sorted(rep.rglob("*.json")) if p.parent.name == DATE]
            out[key] = (r.rc, r.out + r.err, cars)
    finally:
        mp.undo()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case, gap", [
    ("no-SPY", "IWM stands in"), ("no-BTC-USD", "No bitcoin series"),
    ("no-SMH", "QQQ stands in"), ("no-ai", "bitcoin exposure only")])
def test_brief_five_of_five_with_the_gap_named(runs, case, gap):
    rc, text, _ = runs[f"brief/{case}"]
    assert rc == 0 and "5 of 5 reports ok" in text, text[-2000:]
    assert gap in text


@pytest.mark.slow
@pytest.mark.parametrize("key, gap", [
    ("06/no-SPY", "IWM stands in"), ("06/no-BTC-USD", "No bitcoin series"),
    ("06/no-loyal", "No loyalist"),
    ("06/no-pivot", "No pivoter"), ("05/no-pivot", "Regimes not shown")])
def test_lifeboat_and_briefing_reports_ok_with_the_note(runs, key, gap):
    rc, text, _ = runs[key]
    assert rc == 0 and "wrote" in text, text[-2000:]
    if gap:
        assert gap in text


@pytest.mark.slow
def test_brief_numbers_equal_the_full_dataset_where_independent(runs, ds, catalog):
    """The headline CAR of 02 without SMH (or any AI proxy) is the full dataset's."""
    from pivotlib.studies.event import study_event

    full = study_event(dataset=ds["full"], catalog=catalog, windows=(), robustness=False)
    for case in ("no-SMH", "no-ai"):
        cars = [c for c in runs[f"brief/{case}"][2] if c.get("kind") == "event"]
        assert cars and cars[0]["event_id"] == str(full.event["event_id"])
        assert cars[0]["car"] == pytest.approx(float(full.row["car"]), abs=1e-12)


def test_sweep_screens_with_the_model_the_notebook_runs(ds):
    """Without BTC-USD the sweep's pre-screen uses the market model, as notebook 02 does, so
    events are run rather than all listed as 'regressor missing' (one studiability rule)."""
    from pivotlib.batch.sweep import screen_items, sweep_items

    items = sweep_items(dataset=ds["no-BTC-USD"], date=DATE, limit=None, extra={},
                        reports_root="/nonexistent", category=None, symbols=None)
    run, skipped = screen_items(items)
    assert len(run) > len(skipped) > 0
    assert not any("BTC-USD" in s["error"] for s in skipped)


def test_regimes_cli_follows_the_rule_per_role(ds, private):
    r = cli(["regimes", "scores", "--dataset", ds["no-ai"]])
    assert r.rc == 0 and "bitcoin exposure only" in r.err and "BTC part" in r.out, r.err
    r = cli(["regimes", "scores", "--dataset", ds["no-SMH"]])
    assert r.rc == 0 and "QQQ stands in" in r.err and "(QQQ minus BTC-USD)" in r.out
    r = cli(["regimes", "scores", "--ai-factor", "SMH", "--dataset", ds["no-SMH"]])
    assert r.rc == 3 and "SMH (parameter --ai-factor) is not in csv:" in r.err
