"""Shared fixtures. Tests never touch the network: non-loopback connections are refused.

Hypothesis runs the ``ci`` profile (``derandomize=True``, no example database), so property
tests pick the same examples on every run; ``HYPOTHESIS_PROFILE=explore`` searches randomly.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PIVOT_SHARED", ROOT.parent / "shared")).resolve()
REALDATA = SHARED / "realdata"
VALIDATION = SHARED / "validation"

try:  # deterministic property tests everywhere: same examples on every run and machine
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", derandomize=True, database=None, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass

_real_connect = socket.socket.connect


def _guarded_connect(self, address):  # pragma: no cover - exercised only on violation
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in {"localhost", "::1", "0.0.0.0"} or host.startswith("/")
    ) and self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError(f"tests must not touch the network (tried to connect to {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Refuse non-loopback connections and force offline mode in every test."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setenv("PIVOT_OFFLINE", "1")
    yield


@pytest.fixture
def tmp_data_dir(tmp_path, monkeypatch) -> Path:
    """A private, empty data folder (``PIVOT_DATA_DIR``) for tests that write to the store."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("PIVOT_DATA_DIR", str(d))
    return d


@pytest.fixture
def tmp_reports_dir(tmp_path, monkeypatch) -> Path:
    """A private reports folder (``PIVOT_REPORTS_DIR``)."""
    d = tmp_path / "reports"
    d.mkdir()
    monkeypatch.setenv("PIVOT_REPORTS_DIR", str(d))
    return d


@pytest.fixture
def realdata() -> Path:
    """``../shared/realdata`` or skip (a user's machine does not have it)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is absent (only developer and CI machines have it)")
    return REALDATA


@pytest.fixture
def validation() -> Path:
    """``../shared/validation`` or skip."""
    if not VALIDATION.is_dir():
        pytest.skip("../shared/validation is absent (only developer and CI machines have it)")
    return VALIDATION


# ---------------------------------------------------------------------------------------------
# pytest-xdist (`make test` runs `-n auto --dist loadfile`; rules in tests/README.md)
# ---------------------------------------------------------------------------------------------
BRIEF_DATE = "2030-01-02"
"""Report date folder of the shared demo briefing (:func:`demo_briefing`)."""


class Briefing:
    """The outputs of one ``pivot demo --date BRIEF_DATE`` run (read them, never modify them).

    Attributes: ``reports`` (its reports folder), ``day`` (``reports / BRIEF_DATE``), ``rc``
    (the CLI's exit code), ``out`` (its stdout), and :meth:`sidecar` / :meth:`html`.
    """

    def __init__(self, reports: Path, rc: int, out: str) -> None:
        self.reports, self.rc, self.out = reports, rc, out
        self.day = reports / BRIEF_DATE

    def sidecar(self, stem: str) -> dict:
        """The sidecar of ``<stem>-default`` (``records`` hold the notebook's recorded values)."""
        import json

        return json.loads((self.day / f"{stem}-default.json").read_text(encoding="utf-8"))

    def html(self, stem: str) -> Path:
        """The HTML page of ``<stem>-default``."""
        return self.day / f"{stem}-default.html"


@pytest.fixture(scope="session")
def demo_briefing(tmp_path_factory) -> Briefing:
    """One executed demo briefing (``pivot demo``: notebooks 01-05 on the SYNTHETIC data and the
    index), shared by every test that only reads its outputs, and by every xdist worker: the
    first worker to need it runs it under a file lock in the session's common temp folder, the
    others read the result. Tests that change reports must run their own (``tmp_reports_dir``).
    """
    import contextlib
    import io
    import json

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session
    root = base / "demo-briefing"
    done = root / "done.json"
    with FileLock(str(base / "demo-briefing.lock")):
        if not done.is_file():
            reports = root / "reports"
            reports.mkdir(parents=True, exist_ok=True)
            keep = {k: os.environ.get(k) for k in ("PIVOT_REPORTS_DIR", "PIVOT_DATASET",
                                                    "PIVOT_OFFLINE")}
            os.environ.update(PIVOT_REPORTS_DIR=str(reports), PIVOT_OFFLINE="1")
            buf = io.StringIO()
            try:
                from pivotlib.cli import main

                with contextlib.redirect_stdout(buf):
                    rc = main(["demo", "--date", BRIEF_DATE])
            finally:
                for k, v in keep.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            done.write_text(json.dumps({"rc": rc, "out": buf.getvalue()}), encoding="utf-8")
    got = json.loads(done.read_text(encoding="utf-8"))
    return Briefing(root / "reports", got["rc"], got["out"])


# Files whose tests take longest in total (``--durations`` of a full ``make test``), longest
# first. ``--dist loadfile`` hands whole files to the workers in collection order, the next file
# to whichever worker is nearly done; starting the long files first (longest-processing-time
# first) keeps both workers busy to the end instead of one running a 3-minute file alone while
# the other idles. Files not listed keep pytest's order after these. Only the order changes:
# every test still runs.
LONGEST_FIRST: tuple[str, ...] = (
    "test_realdata_roles.py",
    "test_missing_factors.py",
    "test_distributed.py",
    "test_realdata_e2e.py",
    "test_lab_browser.py",
    "test_messy_data.py",
    "test_notebooks.py",
    "test_benchmarks.py",
    "test_robustness_reports.py",
    "test_faults_runs.py",
    "test_merge.py",
    "test_eventstudy_size_power.py",
    "test_yahoo_replay.py",
    "test_report_timings.py",
    "test_robustness_lifeboat.py",
    "test_browser.py",
    "test_robustness_car.py",
    "test_faults_input.py",
    "test_regimes.py",
)


def pytest_xdist_auto_num_workers(config) -> int | None:
    """``-n auto``: one worker more than the cores (``make test`` on 2 cores runs 3 workers).

    The suite waits a good share of its time (kernels and Lab starting, Dask workers joining,
    deadline and timeout tests sleeping, the browser rendering), so with one worker per core
    the cores idle: measured on the 2-core machine, ``-n 2`` took 467 s wall at 164 % CPU and
    ``-n 3`` 373 s at 186 %, same tests. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` (xdist's own
    setting) still wins; ``-n N`` is never changed.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return cores + 1


def pytest_configure(config) -> None:
    """With xdist, hand out files in collection order (see :data:`LONGEST_FIRST`), not sorted
    by their number of tests (xdist's default ``loadscopereorder``)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(session, config, items) -> None:
    """Run the files of :data:`LONGEST_FIRST` first, in that order (a stable sort by file:
    the tests of a file stay together and in their own order)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    last = len(rank)
    items.sort(key=lambda it: rank.get(it.path.name, last))
