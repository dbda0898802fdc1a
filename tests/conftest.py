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
