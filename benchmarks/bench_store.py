"""Benchmark: the price store and the wide loaders.

Writes N symbols x ~8 years of daily bars into a temporary store (atomic, locked, validated
writes), reads them back (validated), then times ``load_returns`` over all of them as a
notebook would (crypto aligned to sessions, listed_from masks). Synthetic numbers, no files
kept, no network. The last line printed is

    write_ms_per_symbol=<a> read_ms_per_symbol=<b> load_returns_s=<c>

Run: ``.venv/bin/python benchmarks/bench_store.py [--symbols 100] [--years 8]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--years", type=int, default=8)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIVOT_DATA_DIR"] = str(Path(tmp) / "data")
        from pivotlib import config
        from pivotlib.data.calendar import sessions
        from pivotlib.data.loading import load_returns
        from pivotlib.data.store import PriceStore, SymbolMeta

        store = PriceStore(config.store_dir())
        start = pd.Timestamp("2026-01-01") - pd.DateOffset(years=args.years)
        idx = sessions(start, "2025-12-31")
        days = pd.date_range(start, "2025-12-31", freq="D")
        rng = np.random.default_rng(1)
        syms = [f"S{i:03d}" for i in range(args.symbols - 1)] + ["BTC-USD"]
        uni = pd.DataFrame({"symbol": syms, "name": syms,
                            "role": ["miner"] * (len(syms) - 1) + ["crypto"],
                            "yahoo_symbol": syms,
                            "calendar": ["XNYS"] * (len(syms) - 1) + ["24/7"],
                            "listed_from": pd.NaT, "notes": ""})
        frames = {}
        for s in syms:
            ix = days if s == "BTC-USD" else idx
            c = 20 * np.exp(np.cumsum(rng.normal(0, 0.03, len(ix))))
            frames[s] = pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99,
                                      "close": c, "volume": rng.uniform(1e5, 1e6, len(ix))},
                                     index=ix)
        t0 = time.perf_counter()
        for s, f in frames.items():
            store.write(s, f, SymbolMeta(s, "yahoo"))
        t_write = (time.perf_counter() - t0) / len(syms)
        t0 = time.perf_counter()
        for s in syms:
            store.read(s)
        t_read = (time.perf_counter() - t0) / len(syms)
        load_returns(syms[:2], dataset="store", universe=uni)  # warm the calendar
        t0 = time.perf_counter()
        r = load_returns(syms, dataset="store", universe=uni)
        t_load = time.perf_counter() - t0
        print(f"{len(syms)} symbols x {len(idx)} sessions; returns frame {r.shape}")
        print(f"write_ms_per_symbol={1000 * t_write:.1f} read_ms_per_symbol={1000 * t_read:.1f} "
              f"load_returns_s={t_load:.2f}")


if __name__ == "__main__":
    main()
