"""Shared helpers of the fault-injection suite (tests/test_faults_*.py, tests/test_distributed.py).

Nothing here touches the network. The Yahoo stub is the one ``tests/test_yahoo.py`` uses
(``tests/fixtures/yahoo/charts.py``: chart-v8 bodies turned into ``yf.download`` frames), imported
from the same module, so a fault test exercises exactly the code path a real fetch takes below the
yfinance boundary.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from fixtures.yahoo import charts  # chart-v8 bodies + fake yfinance downloader

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable

TODAY = "2025-07-01"
"""Reference "today" for stubbed fetches (the partial-history check needs one)."""


class Sleeps(list):
    """An injected ``sleep`` that records the delays instead of sleeping."""

    def __call__(self, s: float) -> None:
        self.append(s)


def go_online(monkeypatch) -> None:
    """Allow the (stubbed) Yahoo path: conftest sets PIVOT_OFFLINE=1 for every test."""
    monkeypatch.delenv("PIVOT_OFFLINE", raising=False)


def chart(symbol: str, start: str = "2025-05-01", end: str = "2025-06-30", base: float = 10.0):
    """Chart-v8 body of XNYS sessions ``start..end`` with closes ``base + 0.1 k``."""
    idx, closes = charts.sessions_closes(start, end, base=base)
    return charts.build_chart(symbol, idx, closes, adj_factor=0.98)


def price_frame(start: str = "2025-01-02", end: str = "2025-04-30", base: float = 10.0,
                n: int | None = None) -> pd.DataFrame:
    """A valid store-layout frame on XNYS sessions (``n`` rows from ``start`` if given)."""
    from pivotlib.data.calendar import sessions

    if n is not None:
        idx = pd.bdate_range(start, periods=n, name="date")
    else:
        idx = sessions(start, end)
    c = base + 0.01 * np.arange(len(idx))
    return pd.DataFrame({"open": c * 0.99, "high": c * 1.02, "low": c * 0.97, "close": c,
                         "volume": np.full(len(idx), 1e6)}, index=pd.DatetimeIndex(idx, name="date"))


def seed(store, symbol: str, frame: pd.DataFrame | None = None, source: str = "yahoo") -> bytes:
    """Write ``frame`` (default :func:`price_frame`) for ``symbol``; return the file's bytes."""
    from pivotlib.data.store import SymbolMeta

    frame = price_frame() if frame is None else frame
    meta = SymbolMeta(symbol=symbol, source=source, adjusted=False,
                      extra={"yahoo_symbol": symbol, "auto_adjust": False})
    path = store.write(symbol, frame, meta)
    return path.read_bytes()


def digest(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_price_csv(path: Path, start: str = "2025-01-02", end: str = "2025-04-30",
                    base: float = 10.0) -> Path:
    """Write a Yahoo-export style CSV (``Date,Open,High,Low,Close,Adj Close,Volume``)."""
    df = price_frame(start, end, base)
    out = pd.DataFrame({"Date": df.index.strftime("%Y-%m-%d"), "Open": df["open"],
                        "High": df["high"], "Low": df["low"], "Close": df["close"],
                        "Adj Close": df["close"], "Volume": df["volume"]})
    out.to_csv(path, index=False)
    return path


def run_pivot(args: list[str], env_extra: dict[str, str] | None = None, timeout: float = 120,
              cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m pivotlib ARGS`` in a subprocess (offline, with ``env_extra``)."""
    env = dict(os.environ)
    env["PIVOT_OFFLINE"] = "1"
    env.update(env_extra or {})
    return subprocess.run([PYTHON, "-m", "pivotlib", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=str(cwd or ROOT))


def code_notebook(path: Path, cells: list[str], parameters: str | None = None) -> Path:
    """Write a small notebook: an optional tagged ``parameters`` cell, then ``cells``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "pivotlib", "display_name": "Python (pivotlib)",
                                 "language": "python"}
    if parameters is not None:
        c = nbformat.v4.new_code_cell(parameters)
        c.metadata["tags"] = ["parameters"]
        nb.cells.append(c)
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in cells)
    nbformat.write(nb, str(path))
    return path


# ---- task functions for the runners (module level: workers import them by reference) -------
def square_item(item: dict) -> dict:
    """A sweep-item stand-in. ``item["mode"]``: ``ok``; ``raise`` (ValueError); ``exit`` (the
    worker process dies with os._exit(1) every time); ``exit_once`` (dies the first time, marker
    file ``item["marker"]``, then succeeds); ``sleep`` (sleeps ``item["seconds"]`` first)."""
    import time as _time

    mode = item.get("mode", "ok")
    if mode == "raise":
        raise ValueError(f"bad item {item['key']}: cannot square {item.get('n')!r}")
    if mode == "exit":
        os._exit(1)
    if mode == "exit_once":
        marker = Path(item["marker"])
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
    if mode == "sleep":
        _time.sleep(float(item.get("seconds", 0.5)))
    return {"key": item["key"], "ok": True, "status": "ok", "value": item["n"] ** 2,
            "pid": os.getpid()}
