"""The HTML exporter warmed in a background thread (while a report's kernel runs) exports the
same bytes as one built on the spot."""

from __future__ import annotations

import nbformat

from pivotlib.runner import export


def _nb(path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 1")
    code.outputs = [nbformat.v4.new_output("display_data",
                                           data={"text/html": "<b>CAR +4.2%</b>",
                                                 "text/plain": "CAR +4.2%"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# Event study\nSome *narrative*."), code]
    nbformat.write(nb, str(path))
    return path


def test_warm_exporter_gives_the_same_html(tmp_path):
    ipynb = _nb(tmp_path / "r.ipynb")
    meta = {"title": "t", "parameters": {"a": 1}, "fingerprint": "abc"}
    export._exporter.cache_clear()
    cold = export.export_html(ipynb, tmp_path / "cold.html", meta=meta,
                              reports_root=tmp_path).read_bytes()
    export._exporter.cache_clear()
    t = export.warm_exporter_soon()
    assert t is not None
    t.join(timeout=120)
    assert not t.is_alive() and export._exporter.cache_info().currsize == 1
    assert export.warm_exporter_soon() is None  # built once per process
    warm = export.export_html(ipynb, tmp_path / "warm.html", meta=meta,
                              reports_root=tmp_path).read_bytes()
    assert warm == cold and b"CAR +4.2%" in warm


def test_one_warm_up_at_a_time():
    export._exporter.cache_clear()
    with export._EXPORT_LOCK:  # hold the warm-up thread before it builds anything
        first = export.warm_exporter_soon()
        assert first is not None
        assert export.warm_exporter_soon() is None  # a second report's call: no second thread
    first.join(timeout=120)
    assert not first.is_alive() and export._exporter.cache_info().currsize == 1
    assert not export._WARMING
