"""End to end on real closes: import the shared real files, then brief, sweep, check, regimes.

Every command runs in-process through :func:`pivotlib.cli.main` on a private store and reports
folder (``PIVOT_DATA_DIR`` / ``PIVOT_REPORTS_DIR`` under a module temp dir), once per module
(:func:`e2e`); the tests then assert on the recorded exit codes and output. The real files are
read in place from ``../shared/realdata`` (never copied into the repository) and the module
skips when that folder is absent.

Inputs: every ``dsturdy__Factor_Attribution_5_csvs/data/*.csv`` except ``BTC.csv`` (the
Grayscale Bitcoin Mini Trust ETF, not bitcoin), with the intraday 2026-07-14 row dropped;
``SAToptunov.../BTC-USD.csv`` (ends 2026-02-05) as BTC-USD; ``bdesia.../BITF.csv`` (yfinance
layout with the stray second header row) as BITF when present. GLXY and ETH-USD are absent.

Run with ``pytest -m realdata tests/test_realdata_e2e.py -s`` to see the headline numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _clikit import Run
from _clikit import cli as _cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

DSTURDY = "dsturdy__Factor_Attribution_5_csvs/data"
BTC_FILE = "SAToptunov__2526-dzi-ai-SAToptunov21/data/BTC-USD.csv"
BITF_FILE = "bdesia__MSTGAM-4trading/data/BITF.csv"
DROP_AFTER = "2026-07-13"       # the 2026-07-14 row of the dsturdy files is an intraday price
BTC_LAST = "2026-02-05"         # last close of the BTC-USD file
DATE = "2030-01-02"             # fixed report date folder (inside the temp reports dir)

# events whose CAR[-1,+1] is recomputed independently: a clean APLD event, CORZ's first
# studiable 2024 event, and a CORZ 2025 event whose estimation window holds the DeepSeek
# sector day (a sector row whose reported move names CORZ)
CHECKED_EVENTS = (
    "APLD-2025-06-02-coreweave-leases",
    "CORZ-2024-10-22-coreweave-final-option",
    "CORZ-2025-07-07-coreweave-deal",
)


@dataclass
class World:
    """The module's shared store, reports folder and every command's outcome.

    A module-scoped temp dir stands in for ``tmp_data_dir``/``tmp_reports_dir`` (those are
    function-scoped); the :func:`e2e` fixture points the same environment variables at it.
    """

    root: Path
    data: Path
    reports: Path
    csv_a: Path | None = None   # symlinks to the dsturdy files without BTC.csv
    csv_b: Path | None = None   # the folder holding BTC-USD.csv
    imports: dict[str, Run] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    built: bool = False
    error: BaseException | None = None


def _import_all(w: World, realdata: Path) -> None:
    from pivotlib.data.universe import load_universe

    known = set(load_universe()["symbol"])
    files = [(p, p.stem) for p in sorted((realdata / DSTURDY).glob("*.csv")) if p.stem != "BTC"]
    files.append((realdata / BTC_FILE, "BTC-USD"))
    if (realdata / BITF_FILE).is_file():
        files.append((realdata / BITF_FILE, "BITF"))
    for path, sym in files:
        argv = ["data", "import", str(path), "--symbol", sym, "--adjusted",
                "--drop-after", DROP_AFTER]
        if sym not in known:
            argv.append("--allow-unknown-symbol")
        w.imports[sym] = _cli(argv)


def _symlink_folders(w: World, realdata: Path) -> None:
    """csv: dataset = a folder of symlinks to the dsturdy files without BTC.csv, plus the
    folder that holds BTC-USD.csv."""
    w.csv_a = w.root / "dsturdy-links"
    w.csv_a.mkdir()
    for p in sorted((realdata / DSTURDY).glob("*.csv")):
        if p.stem != "BTC":
            (w.csv_a / p.name).symlink_to(p)
    w.csv_b = (realdata / BTC_FILE).parent


def _build(w: World, realdata: Path) -> None:
    _import_all(w, realdata)
    _symlink_folders(w, realdata)
    csv_ds = f"csv:{w.csv_a},{w.csv_b}"
    cmds = {
        "brief_store": ["brief", "--dataset", "store", "--date", DATE],
        "brief_csv": ["brief", "--dataset", csv_ds, "--date", DATE],
        "sweep": ["sweep", "--dataset", "store", "--workers", "2", "--date", DATE,
                  "--no-progress"],
        "check": ["events", "check", "--dataset", "store"],
        "scores": ["regimes", "scores", "--dataset", "store"],
        "breaks": ["regimes", "breaks", "--dataset", "store"],
        "scores_missing": ["regimes", "scores", "APLD", "IREN", "BITF", "GLXY",
                           "--dataset", "store"],
        "breaks_missing": ["regimes", "breaks", "APLD", "BITF", "GLXY", "--dataset", "store"],
    }
    for name, argv in cmds.items():
        w.runs[name] = _cli(argv)


@pytest.fixture(scope="module")
def _world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("realdata_e2e")
    (root / "data").mkdir()
    (root / "reports").mkdir()
    return World(root=root, data=root / "data", reports=root / "reports")


@pytest.fixture
def e2e(realdata, _world, monkeypatch) -> World:
    """The imported store and every command's outcome (built once, on first use)."""
    monkeypatch.setenv("PIVOT_DATA_DIR", str(_world.data))
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(_world.reports))
    monkeypatch.delenv("PIVOT_DATASET", raising=False)
    if not _world.built:
        _world.built = True
        try:
            _build(_world, realdata)
        except BaseException as exc:  # noqa: BLE001 - reported by every test
            _world.error = exc
    if _world.error is not None:
        raise _world.error
    return _world


def _sidecars(reports: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((reports / DATE).glob("*.json"))]


def _say(run: Run) -> str:
    return f"pivot {' '.join(run.argv)} -> {run.rc}\n--- stdout\n{run.out[-3000:]}\n--- stderr\n{run.err[-3000:]}"


# ---------------------------------------------------------------------------------------
def test_imports(e2e):
    for sym, run in e2e.imports.items():
        assert run.rc == 0, _say(run)
        assert f"{sym}: " in run.out and "[created]" in run.out, _say(run)
    assert "BTC" not in e2e.imports and "BTC-USD" in e2e.imports
    assert f"..{BTC_LAST} " in e2e.imports["BTC-USD"].out
    assert f"..{DROP_AFTER} " in e2e.imports["SPY"].out  # the intraday row is gone
    if "BITF" in e2e.imports:
        assert "yfinance" in e2e.imports["BITF"].out  # the stray second header row is parsed
    print("\nimport seconds: " + ", ".join(f"{s} {r.seconds:.1f}" for s, r in
                                          e2e.imports.items()))
    print("command seconds: " + ", ".join(f"{k} {r.seconds:.1f}" for k, r in e2e.runs.items()))


@pytest.mark.parametrize("which", ["brief_store", "brief_csv"])
def test_brief(e2e, which):
    run = e2e.runs[which]
    assert run.rc == 0, _say(run)
    assert "5 of 5 reports ok" in run.out, _say(run)


def test_sweep_lists_not_studiable_with_reasons(e2e):
    from pivotlib.events.catalog import company_events

    run = e2e.runs["sweep"]
    assert run.rc == 0, _say(run)
    comp = company_events()
    m = re.search(r"(\d+) of (\d+) reports ok, 0 failed, (\d+) not studiable", run.out)
    assert m, _say(run)
    assert int(m.group(2)) == len(comp) and int(m.group(3)) > 0
    lines = {ln.split()[0]: ln for ln in run.out.splitlines()
             if ln.split()[1:3] == ["not", "studiable"]}
    assert len(lines) == int(m.group(3))
    late = comp[(comp["event_date"] > pd.Timestamp(BTC_LAST)) & (comp["symbol"] != "GLXY")]
    assert len(late), "the catalog has events after BTC-USD's last close"
    for eid in late["event_id"]:
        ln = lines.get(eid[:34])  # the summary shows the first 34 characters of the id
        assert ln is not None, f"{eid} not listed as not studiable\n{_say(run)}"
        assert "BTC-USD" in ln and BTC_LAST in ln, ln
    for eid in comp.loc[comp["symbol"] == "GLXY", "event_id"]:
        assert "GLXY not in the dataset" in lines[eid[:34]], lines


def _check_table(e2e) -> pd.DataFrame:
    """The table ``pivot events check --dataset store`` prints, unrounded: the same call as
    :func:`pivotlib.cli.events._cmd_check` (catalog, returns window, all_events)."""
    from pivotlib.data.loading import load_returns
    from pivotlib.events.catalog import load_catalog
    from pivotlib.studies.check import check_events

    cat = load_catalog()
    d = pd.DatetimeIndex(cat["event_date"])
    rets = load_returns(start=d.min() - pd.Timedelta(days=420), end=d.max() + pd.Timedelta(days=7),
                        dataset="store")
    return check_events(rets, cat, all_events=load_catalog()).set_index("event_id")


def _printed_car(check_out: str, eid: str) -> float:
    ln = next(ln for ln in check_out.splitlines() if ln.startswith(eid[:44]))
    # columns: id date [rep basis] d0 [-1,1] AR0 CAR flag; the fixed-width CAR field
    return float(ln[45 + 11 + 8 + 10 + 8 + 8 + 8: 45 + 11 + 8 + 10 + 8 + 8 + 8 + 7])


def _sweep_sidecar(reports: Path, eid: str) -> dict:
    for side in _sidecars(reports):
        rec = side.get("records") or {}
        if side.get("notebook") == "02-event-study" and rec.get("event_id") == eid \
                and side.get("parameters", {}).get("event_id") == eid:
            return side
    raise AssertionError(f"no notebook-02 sidecar for {eid}")


def independent_car(rets: pd.DataFrame, catalog: pd.DataFrame, event_id: str,
                    factors=("SPY", "BTC-USD"), estimation=(-250, -11),
                    window=(-1, 1)) -> tuple[float, int]:
    """CAR over ``window`` from an OLS of the stock on ``factors`` (numpy lstsq), written
    from the method, not the engine.

    Day 0 is the event's session in the returns index (positions count sessions). The
    estimation days are sessions ``estimation`` relative to day 0 where the stock and every
    factor have a return, minus the ``window`` days around the other catalog company events
    of the same symbol (sector rows are not company events). Returns (CAR, estimation
    observations used).
    """
    from pivotlib.events.catalog import company_events

    comp = company_events(catalog)
    ev = comp.set_index("event_id").loc[event_id]
    sym, idx = str(ev["symbol"]), rets.index

    def pos(day) -> int:
        day = pd.Timestamp(day)
        if not (idx[0] <= day <= idx[-1]):
            return -1
        return int(idx.searchsorted(day, side="left"))  # a non-session moves to the next

    p = pos(ev["event_date"])
    masked: set[int] = set()
    others = comp[(comp["symbol"] == sym) & (comp["event_id"] != event_id)]
    for d in others["event_date"]:
        q = pos(d)
        if q >= 0:
            masked.update(range(q + window[0], q + window[1] + 1))
    y = rets[sym].to_numpy(float)
    x = rets[list(factors)].to_numpy(float)
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    est = [t for t in range(p + estimation[0], p + estimation[1] + 1) if ok[t] and t not in masked]
    design = np.column_stack([np.ones(len(est)), x[est]])
    beta, *_ = np.linalg.lstsq(design, y[est], rcond=None)
    evt = [t for t in range(p + window[0], p + window[1] + 1) if ok[t]]
    ar = y[evt] - np.column_stack([np.ones(len(evt)), x[evt]]) @ beta
    return float(ar.sum()), len(est)


@pytest.fixture
def store_returns(e2e) -> pd.DataFrame:
    from pivotlib.data.loading import load_returns

    return load_returns(dataset="store")


def test_events_check_runs(e2e):
    run = e2e.runs["check"]
    assert run.rc == 0, _say(run)
    assert "measured with abnormal returns" in run.out
    for eid in CHECKED_EVENTS:
        assert any(ln.startswith(eid) for ln in run.out.splitlines()), eid


@pytest.mark.parametrize("eid", CHECKED_EVENTS)
def test_independent_ols_equals_engine_and_notebook(e2e, store_returns, eid):
    """numpy lstsq on SPY + BTC-USD == study_event == the notebook-02 sidecar, to 1e-6."""
    from pivotlib.events.catalog import load_catalog
    from pivotlib.studies.event import study_event

    car, n_est = independent_car(store_returns, load_catalog(), eid)
    row = study_event(dataset="store", event_id=eid).row
    assert int(row["n_est"]) == n_est
    assert float(row["car"]) == pytest.approx(car, abs=1e-6)
    rec = _sweep_sidecar(e2e.reports, eid)["records"]
    assert rec["car"] == pytest.approx(car, abs=1e-6)


@pytest.mark.parametrize("eid", CHECKED_EVENTS)
def test_events_check_car_equals_notebook(e2e, store_returns, eid):
    """``pivot events check`` prints the notebook's CAR[-1,+1] (its module docstring: "exactly
    notebook 02's numbers"): the unrounded table to 1e-6, the printed column to its rounding."""
    from pivotlib.events.catalog import load_catalog

    car, n_est = independent_car(store_returns, load_catalog(), eid)
    printed = _printed_car(e2e.runs["check"].out, eid)
    assert printed == pytest.approx(100 * car, abs=0.05 + 1e-9), (eid, printed, 100 * car)
    tab = _check_table(e2e)
    assert int(tab.at[eid, "n_est"]) == n_est, (eid, tab.at[eid, "n_est"], n_est)
    assert tab.at[eid, "car_m1p1"] / 100 == pytest.approx(car, abs=1e-6)


@pytest.mark.parametrize("which, header", [("scores", "Pivot score ="),
                                           ("breaks", "break search")])
def test_regimes(e2e, which, header):
    from pivotlib.defaults import REGIME_COHORT

    run = e2e.runs[which]
    assert run.rc == 0, _say(run)
    assert header in run.out and "dataset store" in run.out
    rows = {ln.split()[0] for ln in run.out.splitlines()[2:] if ln.strip()}
    assert set(REGIME_COHORT) <= rows, run.out


@pytest.mark.parametrize("which", ["scores_missing", "breaks_missing"])
def test_regimes_missing_symbol_is_a_note(e2e, which):
    run = e2e.runs[which]
    assert run.rc == 0, _say(run)
    assert "note: GLXY left out" in run.err, _say(run)
    assert "APLD" in run.out and "GLXY" not in run.out
    if "BITF" in e2e.imports:
        assert "BITF" in run.out


def test_print_headlines(e2e):
    """Each report's headline numbers, for the lead to quote (visible with ``-s``)."""
    sides = _sidecars(e2e.reports)
    assert len(sides) >= 10
    print()
    for s in sides:
        r = s.get("records") or {}
        car, p = r.get("car"), r.get("p_value")
        print(f"{s['name'][:60]:60s} {s.get('status', ''):7s} {str(r.get('kind')):9s} "
              f"{str(r.get('symbol') or ''):6s} {str(r.get('event_id') or ''):44s} "
              f"car={'' if car is None else f'{car:+.6f}':10s} "
              f"p={'' if p is None else f'{p:.6f}'}")
        assert s.get("status") == "ok", s.get("error")
