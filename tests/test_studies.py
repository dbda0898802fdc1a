"""The studies layer without a kernel: each notebook's one study function, on the SYNTHETIC demo
and on small degraded csv: datasets made here (fast tier; the notebooks run in test_notebooks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pivotlib.analytics.eventstudy import run_event_study
from pivotlib.data.loading import load_prices, load_returns
from pivotlib.defaults import FactorRoles
from pivotlib.errors import DataError, InputError
from pivotlib.events.catalog import company_events, load_catalog
from pivotlib.studies.common import ModelSpec
from pivotlib.studies.datarefresh import study_data
from pivotlib.studies.event import headline_event, screen_events, study_event
from pivotlib.studies.regime import study_regimes
from pivotlib.studies.sector import study_sector

EID = "APLD-2025-06-02-coreweave-leases"


def _csv_dataset(folder: Path, symbols: list[str], *, cut: dict[str, str] | None = None) -> str:
    """Write demo closes as Date,Close files; ``cut`` ends a symbol early (its last date)."""
    folder.mkdir(parents=True, exist_ok=True)
    px = load_prices(symbols, dataset="demo")
    for s in symbols:
        sr = px[s].dropna()
        if cut and s in cut:
            sr = sr[sr.index <= pd.Timestamp(cut[s])]
        sr.rename("Close").rename_axis("Date").to_csv(folder / f"{s}.csv")
    return f"csv:{folder}"


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return load_catalog()


# ----------------------------------------------------------------------------------- events
def test_study_event_equals_the_engine(catalog):
    rep = study_event(dataset="demo", event_id=EID, catalog=catalog)
    rets = load_returns(["APLD", "SPY", "BTC-USD"], dataset="demo")
    ref = run_event_study(rets, catalog[catalog["event_id"] == EID], model="factors",
                          factors=["SPY", "BTC-USD"], estimation=(-250, -11), window=(-1, 1),
                          other_events=company_events(catalog), kp_weight="event_overlap")
    assert rep.row["car"] == pytest.approx(float(ref.events["car"].iloc[0]), abs=1e-12)
    assert rep.synthetic and rep.test_name == "CAR t-test"
    assert list(rep.windows["window"]) == ["[0, 0]", "[-1, 1]", "[0, 5]", "[-5, 5]"]
    rec = rep.record()
    assert rec["event_id"] == EID and rec["synthetic"] is True and rec["planted_ar"] is not None
    assert "Event study" in str(rep.summary()) and "<table>" in rep._repr_html_()


def test_default_event_is_the_latest_the_data_supports(tmp_path, catalog):
    """BTC-USD stops early: the headline skips newer deals and says which and why."""
    ds = _csv_dataset(tmp_path / "d", ["APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR", "GLXY",
                                       "SPY", "BTC-USD"], cut={"BTC-USD": "2025-08-01"})
    eid, notes = headline_event(catalog, dataset=ds)
    day = pd.Timestamp(catalog.set_index("event_id").at[eid, "event_date"])
    assert day <= pd.Timestamp("2025-08-01")
    assert any("Passed over" in n and "BTC-USD" in n and "2025-08-01" in n for n in notes)
    rep = study_event(dataset=ds, catalog=catalog)
    assert rep.event["event_id"] == eid and any("Passed over" in n for n in rep.notes)


def test_one_studiability_rule(catalog):
    """screen_events is the engine's status, event for event."""
    spec = ModelSpec()
    ev = company_events(catalog)
    scr = screen_events(ev, spec, dataset="demo", catalog=catalog)
    rets = load_returns(sorted(set(ev["symbol"])) + ["SPY", "BTC-USD"], dataset="demo")
    res = run_event_study(rets, ev, model="factors", factors=["SPY", "BTC-USD"],
                          other_events=ev, kp_weight="event_overlap", n_boot=0)
    assert (scr["studiable"] == (res.events["status"] == "ok").reindex(scr.index)).all()
    bad = scr[~scr["studiable"]]
    assert len(bad) and (bad["reason"] != "").all()


def test_unstudiable_event_names_the_limiting_series(tmp_path, catalog):
    ds = _csv_dataset(tmp_path / "d", ["HUT", "SPY", "BTC-USD"], cut={"BTC-USD": "2026-02-05"})
    late = company_events(catalog)
    late = late[(late["symbol"] == "HUT") & (late["event_date"] > "2026-02-10")]
    assert len(late)
    with pytest.raises(InputError, match=r"BTC-USD .*end 2026-02-05") as exc:
        study_event(dataset=ds, event_id=str(late["event_id"].iloc[0]), catalog=catalog)
    assert "shorten" not in str(exc.value)


def test_missing_regressor_degrades_if_default_and_fails_if_named(tmp_path, catalog):
    """The default BTC-USD missing: the market model, with a note naming it; a regressor the
    analyst named and the data lack: a DataError naming it (issue 17)."""
    ds = _csv_dataset(tmp_path / "d", ["APLD", "SPY"])
    rep = study_event(dataset=ds, event_id=EID, catalog=catalog, windows=())
    assert rep.spec.model == "market" and any("BTC-USD" in n for n in rep.notes)
    with pytest.raises(DataError, match="QQQ"):
        study_event(dataset=ds, event_id=EID, factors=["SPY", "QQQ"], catalog=catalog)


def test_study_sector_leaves_out_missing_symbols_with_a_note(tmp_path, catalog):
    ds = _csv_dataset(tmp_path / "d", ["APLD", "IREN", "WULF", "CIFR", "SPY", "BTC-USD"])
    rep = study_sector(dataset=ds, catalog=catalog)
    assert set(rep.selected["symbol"]) <= {"APLD", "IREN", "WULF", "CIFR"}
    assert any(n.startswith("GLXY left out:") for n in rep.notes)
    assert rep.result.n_ok >= 5 and np.isfinite(rep.p_value)
    assert rep.record()["n_events"] == rep.result.n_ok


# ---------------------------------------------------------------------------------- regimes
def test_study_regimes_roles_are_named_not_positional(catalog):
    a = study_regimes(dataset="demo", symbols=["APLD", "WULF"],
                      factors=["SPY", "BTC-USD", "SMH"], catalog=catalog, breaks=False)
    b = study_regimes(dataset="demo", symbols=["APLD", "WULF"],
                      factors=["SMH", "SPY", "BTC-USD"], catalog=catalog, breaks=False)
    assert b.roles == FactorRoles("SPY", "BTC-USD", "SMH")
    pd.testing.assert_series_equal(a.scores["pivot_score"], b.scores["pivot_score"],
                                   atol=1e-10)
    with pytest.raises(InputError, match="distinct"):
        study_regimes(dataset="demo", symbols=["APLD"], factors=["SPY", "SMH", "BTC-USD"],
                      ai="BTC-USD", catalog=catalog)


def test_study_regimes_degrades_on_messy_data(tmp_path, catalog):
    ds = _csv_dataset(tmp_path / "d", ["APLD", "IREN", "WULF", "SPY", "BTC-USD", "SMH"],
                      cut={"BTC-USD": "2026-01-30"})
    rep = study_regimes(dataset=ds, catalog=catalog)
    assert rep.symbols == ["APLD", "IREN", "WULF"]
    notes = " ".join(rep.notes)
    assert "HUT left out" in notes and "BTC-USD ends 2026-01-30" in notes
    assert len(rep.breaks) == 3 and rep.record()["symbols"] == "APLD,IREN,WULF"
    ds = _csv_dataset(tmp_path / "e", ["APLD", "SPY", "BTC-USD"])
    btc_only = study_regimes(dataset=ds, catalog=catalog, breaks=False)  # default SMH: degrades
    assert btc_only.roles.ai is None and any("SMH" in n for n in btc_only.notes)
    with pytest.raises(DataError, match="NVDA"):  # a named AI series must be there
        study_regimes(dataset=ds, factors=["SPY", "BTC-USD", "NVDA"], ai="NVDA",
                      catalog=catalog)


# ------------------------------------------------------------------------------------- data
def test_study_data_on_csv_has_the_full_status_table(tmp_path):
    ds = _csv_dataset(tmp_path / "d", ["APLD", "SPY", "BTC-USD"])
    rep = study_data(dataset=ds)
    assert {"stale", "synthetic", "problem"} <= set(rep.status.columns)
    assert not rep.synthetic and "HUT" in rep.missing
    assert any("Not in this dataset" in n and "<SYMBOL>.csv" in n for n in rep.notes)
    from pivotlib.presentation.narrative import data_summary

    assert "Stale" in str(data_summary(rep.status, rep.flags))  # no KeyError on csv data
