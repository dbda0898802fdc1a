"""Export an executed notebook to an offline HTML page (template: ``templates/report.html.j2``).

Offline HTML
------------
Pages never load anything from a CDN: the nbconvert ``lab`` template's require.js, MathJax,
mermaid and widget scripts are removed, and plotly.js is loaded from the shared
``reports/assets`` copy through a relative path (``single_file=True`` inlines it instead, for
e-mail).
"""

from __future__ import annotations

import functools
import html
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pivotlib import __version__, config
from pivotlib.runner.files import _tmp_suffix
from pivotlib.runner.recorder import RECORD_MIME


def plotly_asset(reports_root: Path | None = None) -> Path:
    """Write (once) the shared offline copy ``reports/assets/plotly-<version>.min.js``."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    root = reports_root or config.reports_dir()
    path = root / "assets" / f"plotly-{get_plotlyjs_version()}.min.js"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(_tmp_suffix())
        tmp.write_text(get_plotlyjs(), encoding="utf-8")
        os.replace(tmp, path)
    return path


_TEMPLATE_FILE = Path(__file__).with_name("templates") / "report.html.j2"
"""The nbconvert template (extends ``lab/index.html.j2``): plotly tag, no CDN scripts, footer."""


_EXPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """The HTML exporter, built once per process: its jinja environment keeps the compiled
    templates, so later reports skip reading and compiling them (about 0.1 s each). The
    exporter holds no per-report state; the plotly tag, footer and name go in ``resources``."""
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab",
                        extra_loaders=[jinja2.DictLoader(
                            {"pivot.html.j2": _TEMPLATE_FILE.read_text(encoding="utf-8")})],
                        template_file="pivot.html.j2",
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


_WARM_START = threading.Lock()
_WARMING: list[bool] = []  # non-empty while a warm-up thread runs


def warm_exporter_soon() -> threading.Thread | None:
    """Build the exporter and compile its templates in a background thread, so a report's
    HTML export does not pay them after its notebook ran (0.3-0.4 s of the first export in a
    process: importing nbconvert, loading and compiling the lab template).

    A report calls it before executing its notebook: the host process only waits on the
    kernel meanwhile, so the work runs beside the kernel instead of after it. The thread
    holds the export lock while it works (an export that comes first waits for it, never
    builds a second exporter). Returns the thread, or None when the exporter is built or
    another thread is building it.
    """
    with _WARM_START:
        if _exporter.cache_info().currsize or _WARMING:
            return None  # built, or being built by another report's thread (a sweep)
        _WARMING.append(True)

    def work() -> None:
        import nbformat

        with _EXPORT_LOCK:
            try:
                _exporter().from_notebook_node(
                    nbformat.v4.new_notebook(),
                    resources={"pivot_plotly_tag": "", "pivot_footer": "",
                               "metadata": {"name": "warm-up"}})
            except Exception:  # noqa: BLE001 - the real export will raise it, with context
                pass
            finally:
                _WARMING.clear()

    t = threading.Thread(target=work, name="pivot-warm-exporter", daemon=True)
    t.start()
    return t


def _clean_for_html(nb: Any) -> Any:
    """Drop the injected-parameters cell, record outputs, stderr streams and empty code cells.

    Returns a new notebook sharing the kept outputs with ``nb`` (nothing is modified in
    place: the notebook, its metadata and every kept cell are shallow copies, so the plotly
    payloads are not deep-copied for every report)."""
    from nbformat import NotebookNode

    src = nb
    nb = NotebookNode({k: v for k, v in src.items() if k != "cells"})
    nb.metadata = NotebookNode(dict(src.get("metadata", {})))
    cells = []
    for cell in (NotebookNode(dict(c)) for c in src.cells):
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags or "parameters" in tags:
            continue
        if cell.cell_type == "code":
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                data = o.get("data", {})
                if RECORD_MIME in data:
                    continue
                if o.get("output_type") in ("display_data", "execute_result") and data and all(
                        k == "text/plain" and not str(v).strip() for k, v in data.items()):
                    continue
                outs.append(o)
            cell.outputs = outs
            if not outs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def _footer(meta: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(json.dumps(v) if not isinstance(v, str) else v)}</td></tr>"
        for k, v in sorted(meta.get("parameters", {}).items()))
    versions = ", ".join(f"{k} {v}" for k, v in (
        meta.get("versions") or {"pivotlib": __version__}).items())
    return (f"<p>Report <b>{html.escape(meta.get('name', ''))}</b> from notebook "
            f"<code>{html.escape(meta.get('notebook', ''))}</code>, run date "
            f"{html.escape(meta.get('date', ''))}, {html.escape(versions)}, "
            f"input fingerprint <code>{html.escape(meta.get('fingerprint', '')[:12])}</code>. "
            f"<a href='../index.html'>All reports</a></p>"
            f"<details><summary>Parameters</summary><table>{rows}</table></details>")


def export_html(nb_path: Path, html_path: Path | None = None, *, single_file: bool = False,
                meta: Mapping[str, Any] | None = None,
                reports_root: Path | None = None, nb: Any = None) -> Path:
    """Export an executed notebook to an offline HTML page (code hidden).

    Parameters
    ----------
    nb_path : Path
        The executed ``.ipynb``.
    html_path : Path, optional
        Output path (default: beside ``nb_path`` with ``.html``).
    single_file : bool, default False
        Inline plotly.js (about 4.8 MB) so the page is one self-contained file (for e-mail).
        Otherwise the page loads the shared ``reports/assets/plotly-<version>.min.js``
        through a relative path.
    meta : mapping, optional
        Sidecar metadata shown in the page footer (parameters, fingerprint).
    reports_root : Path, optional
        The reports folder holding ``assets/`` (default :func:`pivotlib.config.reports_dir`).
    nb : NotebookNode, optional
        The executed notebook already in memory (as saved at ``nb_path``), so it is not read
        again; it is not modified.

    Returns
    -------
    Path
        The HTML file written.
    """
    import nbformat

    html_path = html_path or nb_path.with_suffix(".html")
    if nb is None:
        nb = nbformat.read(str(nb_path), as_version=4)
    nb = _clean_for_html(nb)
    root = reports_root or config.reports_dir()
    if single_file:
        from plotly.offline import get_plotlyjs

        tag = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    else:
        asset = plotly_asset(root)
        rel = os.path.relpath(asset, html_path.parent).replace(os.sep, "/")
        tag = f'<script type="text/javascript" src="{html.escape(rel)}"></script>'
    title = (meta or {}).get("title") or nb.metadata.get("title") or nb_path.stem
    nb.metadata["title"] = title
    with _EXPORT_LOCK:  # one shared exporter; sweep threads take turns (the GIL would anyway)
        body, _ = _exporter().from_notebook_node(
            nb, resources={"pivot_plotly_tag": tag, "pivot_footer": _footer(meta or {}),
                           "metadata": {"name": nb_path.stem}})
    tmp = html_path.with_suffix(_tmp_suffix())
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, html_path)
    return html_path
