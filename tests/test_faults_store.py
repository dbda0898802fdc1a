"""Fault injection in the price store: corrupt, truncated, killed writers, concurrency, disk.

Every test checks three things: the fault happens for real (a real SIGKILL, real concurrent
processes, a real corrupt file) or is simulated at the exact OS call that would fail; the
error names the problem and the fix; and nothing is lost (the previous file is byte-identical,
or - for a corrupt file - moved to the quarantine folder, not deleted).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _faultkit import PYTHON, ROOT, price_frame, run_pivot, seed, write_price_csv

from pivotlib.data.store import PriceStore, SymbolMeta
from pivotlib.errors import DataError


@pytest.fixture
def store(tmp_data_dir):
    return PriceStore()


def _tmp_files(store) -> list[Path]:
    return sorted(store.root.glob(".*.tmp"))


# ---- corrupt and truncated files -------------------------------------------------------------
def test_fault_store_corrupt_parquet_quarantined_with_clear_error(store):
    seed(store, "APLD")
    path = store.path("APLD")
    garbage = b"PAR1" + os.urandom(2000) + b"PAR1"
    path.write_bytes(garbage)
    with pytest.raises(DataError) as ei:
        store.read("APLD")
    msg = str(ei.value)
    assert "APLD" in msg and "unusable" in msg and "pivot data fetch APLD" in msg
    # nothing lost: the bad bytes are kept in quarantine for inspection, not deleted
    q = list(store.quarantine_dir.glob("APLD.*.parquet"))
    assert len(q) == 1 and q[0].read_bytes() == garbage and str(q[0]) in msg
    assert not path.exists()
    with pytest.raises(DataError, match="pivot data fetch APLD"):  # now plainly missing
        store.read("APLD")


def test_fault_store_truncated_parquet(store):
    good = seed(store, "APLD", price_frame(n=500))
    path = store.path("APLD")
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"APLD: APLD.parquet is unusable \(not a readable Parquet"):
        store.read("APLD")
    q = list(store.quarantine_dir.glob("APLD.*.parquet"))
    assert len(q) == 1 and q[0].read_bytes() == good[: len(good) // 2]


def test_fault_store_corrupt_file_via_loader_and_verify(store, capsys):
    """The dataset loader and `pivot data verify` report the corrupt file (exit 3)."""
    from pivotlib.cli import main
    from pivotlib.data.loading import load_prices

    seed(store, "APLD")
    hut = seed(store, "HUT")
    store.path("APLD").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="APLD.*unusable.*Refetch"):
        load_prices(["APLD", "HUT"], dataset="store")
    seed(store, "IREN")
    store.path("IREN").write_bytes(b"\x00" * 100)
    rc = main(["data", "verify", "--dataset", "store", "--quiet"])
    out = capsys.readouterr()
    assert rc == DataError.exit_code == 3
    assert "BAD store/IREN" in out.err and "1 bad" in out.out
    assert store.path("HUT").read_bytes() == hut  # the healthy file is untouched


def test_fault_store_metadata_disagrees_with_rows(store):
    """A file whose embedded metadata lies (rows edited by another tool) is not used."""
    import pyarrow.parquet as pq

    seed(store, "APLD")
    table = pq.read_table(store.path("APLD"))
    pq.write_table(table.slice(0, 10), store.path("APLD"))  # keeps the schema metadata
    with pytest.raises(DataError, match="metadata says .* rows but the file has 10"):
        store.read("APLD")


# ---- a writer that dies ------------------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    from pivotlib.data.store import PriceStore, SymbolMeta

    st = PriceStore(sys.argv[1])
    n = int(sys.argv[2])
    rng = np.random.default_rng(0)
    idx = pd.date_range("1678-01-01", periods=n, freq="D", name="date")
    k = 0
    while True:
        c = 100.0 + rng.random(n)
        df = pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c,
                           "volume": rng.random(n) * 1e6}, index=idx)
        print("writing", k, flush=True)
        st.write("APLD", df, SymbolMeta(symbol="APLD", source="csv", extra={"version": k}))
        k += 1
""")


@pytest.mark.slow
def test_fault_store_writer_killed_mid_write_old_file_intact(store, tmp_path):
    """SIGKILL a real process while it writes a large frame: the old file survives intact.

    The parent waits until the child's temporary file exists (the write is in progress, before
    ``os.replace``), then kills it with SIGKILL. Retried in a fresh process if the kill landed
    after the rename (the temporary file was gone by then).
    """
    old = seed(store, "APLD", price_frame(n=300))
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    killed_mid_write = False
    for _attempt in range(6):
        assert store.path("APLD").read_bytes() == old
        proc = subprocess.Popen([PYTHON, str(script), str(store.root), "200000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not _tmp_files(store):
                if proc.poll() is not None:
                    pytest.fail(f"writer died on its own: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.0005)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        leftovers = _tmp_files(store)
        if leftovers:  # killed while the temporary file was being written
            killed_mid_write = True
            break
        # the kill landed just after os.replace: put the old version back and try again
        seed(store, "APLD", price_frame(n=300))
        old = store.path("APLD").read_bytes()
    assert killed_mid_write, "could not hit the write window in 6 tries"
    # the old file is byte-identical and reads back
    assert store.path("APLD").read_bytes() == old
    df, meta = store.read("APLD")
    assert len(df) == 300 and meta.rows == 300
    # the half-written temporary is not picked up as data, and the lock was released by the
    # kernel when the process died: the next write goes through at once
    assert store.symbols() == ["APLD"]
    quick = PriceStore(store.root, lock_timeout=5)
    quick.write("APLD", price_frame(n=10), SymbolMeta(symbol="APLD", source="csv"))
    assert quick.read("APLD")[1].rows == 10


def test_fault_store_crash_before_os_replace_keeps_old_file(store, monkeypatch):
    """The process dies (here: an exception) after the temp file is complete but before
    ``os.replace``: the old file is byte-identical and the temp file is removed."""
    import pivotlib.data.store as store_mod

    old = seed(store, "APLD")

    def boom(src, dst):
        raise KeyboardInterrupt("simulated crash before os.replace")

    monkeypatch.setattr(store_mod.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write("APLD", price_frame(n=50), SymbolMeta(symbol="APLD", source="csv"))
    monkeypatch.undo()
    assert store.path("APLD").read_bytes() == old
    assert _tmp_files(store) == []
    assert store.read("APLD")[1].rows == len(price_frame())


# ---- concurrency -------------------------------------------------------------------------------
_FETCHER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import os
    import _faultkit
    from pivotlib.cli import main
    from pivotlib.data.sources import yahoo

    base = float(sys.argv[1])
    syms = sys.argv[2:]
    fake = _faultkit.charts.FakeYahoo(
        {{s: _faultkit.chart(s, start="2025-01-02", end="2025-06-30", base=base) for s in syms}})
    yahoo.yfinance_downloader = fake
    sys.exit(main(["data", "fetch", *syms, "--start", "2025-01-02", "--end", "2025-06-30",
                   "--full", "--replace", "--pause", "0", "--quiet"]))
""")


@pytest.mark.slow
def test_fault_store_concurrent_cli_fetch_and_import_same_symbols(tmp_path):
    """Six real `pivot data fetch` / `pivot data import` processes on the same three symbols.

    Each process writes its own version (a distinct price level). Afterwards every file must
    be valid and hold exactly one process's version - never a mix - and no temp file is left.
    """
    data = tmp_path / "data"
    data.mkdir()
    syms = ["APLD", "HUT", "IREN"]
    fetch_script = tmp_path / "fetch.py"
    fetch_script.write_text(_FETCHER.format(tests=str(Path(__file__).parent)))
    csvs = {b: write_price_csv(tmp_path / f"p{int(b)}.csv", "2025-01-02", "2025-06-30", base=b)
            for b in (20.0, 40.0, 60.0)}
    env = dict(os.environ, PIVOT_DATA_DIR=str(data))
    procs = []
    for b in (10.0, 30.0, 50.0):  # fetchers (stubbed Yahoo), online in their own process;
        # --replace for the same reason as the importers below (a fetch that disagrees with
        # the stored closes is refused by default)
        e = dict(env)
        e.pop("PIVOT_OFFLINE", None)
        procs.append(("fetch", b, subprocess.Popen(
            [PYTHON, str(fetch_script), str(b), *syms], env=e, cwd=str(ROOT),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for b, csv in csvs.items():  # importers: one shell loop per CSV over the same symbols
        # --replace: each importer's level differs from the stored one (a default import
        # would be refused by the level check); replace also writes a backup under the lock
        cmd = " && ".join(f"{sys.executable} -m pivotlib data import {csv} --symbol {s} "
                          "--adjusted --replace" for s in syms)
        procs.append(("import", b, subprocess.Popen(
            ["sh", "-c", cmd], env=dict(env, PIVOT_OFFLINE="1"), cwd=str(ROOT),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for kind, b, p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, f"{kind} {b} failed ({p.returncode}): {err[-2000:]}"
    st = PriceStore(data / "store")
    allowed = {10.0, 20.0, 30.0, 40.0, 50.0, 60.0}
    for s in syms:
        df, meta = st.read(s)
        first = df["close"].iloc[0]
        assert first in allowed, f"{s}: unexpected first close {first}"
        # one version only: every close follows that version's own path
        if meta.source == "csv":
            expect = price_frame("2025-01-02", "2025-06-30", base=first)["close"]
        else:
            expect = pd.Series(first + 0.1 * np.arange(len(df)), index=df.index)
        np.testing.assert_allclose(df["close"].to_numpy(), expect.to_numpy())
    assert not list((data / "store").glob(".*.tmp"))


def test_fault_store_lock_held_by_another_process_is_clear_error(store, tmp_path):
    """A writer that cannot get the lock in time gets a DataError naming the lock file."""
    old = seed(store, "APLD")
    holder = subprocess.Popen(
        [PYTHON, "-c", "import sys, time; from filelock import FileLock; "
         "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); time.sleep(60)",
         str(store.path("APLD")) + ".lock"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        impatient = PriceStore(store.root, lock_timeout=0.3)
        with pytest.raises(DataError, match=r"APLD.*APLD.parquet.lock.*delete the .lock file"):
            impatient.write("APLD", price_frame(n=5), SymbolMeta(symbol="APLD", source="csv"))
    finally:
        holder.kill()
        holder.wait()
    assert store.path("APLD").read_bytes() == old


# ---- read-only directory and full disk -----------------------------------------------------
def _fail_tmp_open(monkeypatch, err: OSError):
    """Make opening the store's temporary file fail with ``err`` (as the OS would)."""
    import builtins

    import pivotlib.data.store as store_mod

    real_open = builtins.open

    def fake_open(file, mode="r", *a, **k):
        if str(file).endswith(".tmp") and "w" in mode:
            raise err
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(store_mod, "open", fake_open, raising=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores chmod; the simulated test covers it")
def test_fault_store_read_only_directory_real_chmod(store):
    old = seed(store, "APLD")
    os.chmod(store.root, 0o555)
    try:
        with pytest.raises((DataError, PermissionError)) as ei:
            store.write("APLD", price_frame(n=20), SymbolMeta(symbol="APLD", source="csv"))
        assert "ermission" in str(ei.value)
    finally:
        os.chmod(store.root, 0o755)
    assert store.path("APLD").read_bytes() == old


def test_fault_store_read_only_directory_simulated(store, monkeypatch):
    """EACCES when creating the temporary file (a read-only data folder, as seen by non-root)."""
    old = seed(store, "APLD")
    _fail_tmp_open(monkeypatch, PermissionError(errno.EACCES, "Permission denied",
                                                str(store.root / ".APLD.tmp")))
    with pytest.raises(OSError) as ei:
        store.write("APLD", price_frame(n=20), SymbolMeta(symbol="APLD", source="csv"))
    assert "Permission denied" in str(ei.value)
    monkeypatch.undo()
    assert store.path("APLD").read_bytes() == old and _tmp_files(store) == []
    assert store.read("APLD")[1].rows == len(price_frame())


def _enospc_after_some_bytes(monkeypatch):
    """pq.write_table writes part of the file, then the disk is full (ENOSPC)."""
    import pyarrow.parquet as pq

    def full_disk(table, where, *a, **k):
        where.write(b"PAR1" + b"\x00" * 4096)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)


def test_fault_store_full_disk_simulated(store, monkeypatch):
    old = seed(store, "APLD")
    _enospc_after_some_bytes(monkeypatch)
    with pytest.raises(OSError) as ei:
        store.write("APLD", price_frame(n=20), SymbolMeta(symbol="APLD", source="csv"))
    assert ei.value.errno == errno.ENOSPC and "No space left" in str(ei.value)
    monkeypatch.undo()
    assert store.path("APLD").read_bytes() == old  # old file intact
    assert _tmp_files(store) == []  # the partial temporary file was removed
    assert store.read("APLD")[1].rows == len(price_frame())


def test_fault_store_full_disk_on_fsync(store, monkeypatch):
    """ENOSPC surfacing at fsync (delayed allocation on ext4/xfs): old file intact."""
    import pivotlib.data.store as store_mod

    old = seed(store, "APLD")

    def bad_fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.os, "fsync", bad_fsync)
    with pytest.raises(OSError, match="No space left"):
        store.write("APLD", price_frame(n=20), SymbolMeta(symbol="APLD", source="csv"))
    monkeypatch.undo()
    assert store.path("APLD").read_bytes() == old and _tmp_files(store) == []


def test_fault_store_read_only_directory_is_data_error_naming_fix(store, monkeypatch):
    seed(store, "APLD")
    _fail_tmp_open(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(DataError, match=r"(?i)APLD.*permission denied.*(writable|PIVOT_DATA_DIR)"):
        store.write("APLD", price_frame(n=20), SymbolMeta(symbol="APLD", source="csv"))


def test_fault_store_full_disk_cli_exit_code(store, monkeypatch, tmp_path, capsys):
    from pivotlib.cli import main

    csv = write_price_csv(tmp_path / "p.csv")
    old = seed(store, "APLD")
    _enospc_after_some_bytes(monkeypatch)
    try:
        # --replace: the CSV has the stored dates (a default import would be a no-op/refusal)
        rc = main(["data", "import", str(csv), "--symbol", "APLD", "--adjusted", "--replace"])
    finally:
        monkeypatch.undo()
        assert store.path("APLD").read_bytes() == old
    err = capsys.readouterr().err
    assert rc == DataError.exit_code and "No space left" in err and "free" in err


def _import_into_file_data_dir(tmp_path):
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("oops")
    csv = write_price_csv(tmp_path / "p.csv")
    r = run_pivot(["data", "import", str(csv), "--symbol", "APLD", "--adjusted"],
                  env_extra={"PIVOT_DATA_DIR": str(not_a_dir)})
    return not_a_dir, r


def test_fault_store_data_dir_is_a_file_nothing_written(tmp_path):
    """Real subprocess: PIVOT_DATA_DIR points at a *file* (a broken setup): non-zero exit,
    the message names the path, the file is not touched."""
    not_a_dir, r = _import_into_file_data_dir(tmp_path)
    assert r.returncode != 0
    assert str(not_a_dir) in r.stderr
    assert not_a_dir.read_text() == "oops"


def test_fault_store_data_dir_is_a_file_clean_message(tmp_path):
    """Same fault: a one-line `pivot: error:` message and exit 3, not a traceback (exit 1)."""
    _, r = _import_into_file_data_dir(tmp_path)
    assert "Traceback" not in r.stderr and r.returncode == 3, r.stderr[-500:]
