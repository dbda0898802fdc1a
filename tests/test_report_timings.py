"""Where a report's time goes (``pivot report --timings``), and reuse that changes no byte.

What is reused (the HTML exporter of the process, the executed notebook exported from memory,
a warm kernel with pivotlib and plotly pre-imported, the timing wrappers around the loaders)
must leave the report byte-identical to a cold run: the ``.ipynb``, ``.html`` and ``.json`` are
compared as bytes with nothing normalised (the runner already strips what is run-specific:
papermill's timestamps and durations, absolute paths; the report date is fixed here).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from test_reports import _executed_nb

from pivotlib.runner import execute, export, timings

DATE = "2030-01-02"
EVENT = "IREN-2024-09-16-h200-purchase"


def _same_files(a: str, b: str) -> None:
    for ext in ("ipynb", "html", "json"):
        pa, pb = Path(a).with_suffix(f".{ext}"), Path(b).with_suffix(f".{ext}")
        assert pa.name == pb.name
        assert pa.read_bytes() == pb.read_bytes(), ext


def test_export_from_memory_and_reused_exporter_same_bytes(tmp_path):
    nb_path = _executed_nb(tmp_path)
    meta = {"name": "nb", "notebook": "nb", "date": DATE, "fingerprint": "f" * 64,
            "parameters": {"event_id": "x"}}
    export._exporter.cache_clear()
    first = export.export_html(nb_path, tmp_path / "a.html", meta=meta,
                               reports_root=tmp_path).read_bytes()
    node = nbformat.read(str(nb_path), as_version=4)
    again = export.export_html(nb_path, tmp_path / "a.html", meta=meta, reports_root=tmp_path,
                               nb=node).read_bytes()
    assert again == first
    assert node == nbformat.read(str(nb_path), as_version=4)  # the node is not modified
    assert export._exporter.cache_info().hits >= 1


def test_timings_split_and_table():
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell("p = 1"), nbformat.v4.new_code_cell("p = 2"),
             nbformat.v4.new_code_cell("study = study_event(p)"),
             nbformat.v4.new_code_cell("views.chart(study)")]
    cells[0].metadata["tags"] = ["parameters"]
    cells[1].metadata["tags"] = ["injected-parameters"]
    for c, d in zip(cells, (0.01, 0.02, 1.5, 0.7), strict=True):
        c.metadata["papermill"] = {"duration": d}
    nb.cells = cells
    assert timings.cell_split(nb) == (1.5, 0.7)
    got = timings.split({"prepare": 0.1, "kernel start": 0.5, "HTML export": 0.2},
                        {"imports": 0.4, "data_load": 0.3}, (1.5, 0.7), 2.5)
    assert list(got) == list(timings.PHASES)
    assert got["study"] == pytest.approx(1.2) and got["data load"] == 0.3
    assert got["notebook overhead"] == pytest.approx(0.3)
    table = timings.format_timings(got, 5.0)
    assert "kernel start" in table and "other" in table and table.endswith("5.000")
    assert timings.parse_collected('noise\n{"imports": 1, "data_load": 2}\n') == {
        "imports": 1.0, "data_load": 2.0}


@pytest.mark.slow
def test_timed_and_warm_reports_are_byte_identical_to_a_cold_run(tmp_path):
    from pivotlib.runner.kernels import WarmKernel

    cold = execute.run_report("02-event-study", {"event_id": EVENT}, date=DATE,
                              reports_root=tmp_path / "cold", update_index=False)
    assert cold.status == "ok", cold.error

    split: dict[str, float] = {}
    timed = execute.run_report("02-event-study", {"event_id": EVENT}, date=DATE,
                               reports_root=tmp_path / "timed", timings=split)
    assert timed.status == "ok", timed.error
    _same_files(cold.ipynb, timed.ipynb)
    assert set(timings.PHASES) <= set(split)
    for phase in ("kernel start", "imports in kernel", "data load", "study",
                  "charts and tables", "HTML export"):
        assert split[phase] > 0, phase
    assert split["total"] >= sum(split[p] for p in timings.PHASES) - 1e-3

    warm = WarmKernel()
    try:
        warm.preload()  # the pool's kernel: pivotlib and plotly imported before any report
        other = execute.run_report("02-event-study", {"event_id": "APLD-2025-06-02-coreweave-"
                                                      "leases"}, date=DATE,
                                   reports_root=tmp_path / "warm", update_index=False,
                                   warm=warm)
        assert other.status == "ok", other.error
        again = execute.run_report("02-event-study", {"event_id": EVENT}, date=DATE,
                                   reports_root=tmp_path / "warm", update_index=False,
                                   warm=warm)
    finally:
        warm.shutdown()
    assert again.status == "ok", again.error
    _same_files(cold.ipynb, again.ipynb)
