"""Outputs never land in the repository: Lab's pre-save hook and the git filter strip them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from pivotlib.runner import nbstrip

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _with_outputs(path: Path) -> nbformat.NotebookNode:
    """The notebook as JupyterLab saves it after running: outputs, counts, Lab metadata."""
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.2"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            c.execution_count = i + 1
            c.metadata["execution"] = {"iopub.status.busy": "2026-12-01T10:00:00Z"}
            c.metadata["scrolled"] = True
            c.outputs = [nbformat.v4.new_output(
                "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
                nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_a_fixed_point(path):
    text = path.read_text(encoding="utf-8")
    assert nbstrip.strip_text(text) == text


@pytest.mark.parametrize("path", NOTEBOOKS[:2], ids=[p.name for p in NOTEBOOKS[:2]])
def test_lab_save_hook_writes_the_committed_bytes(path, tmp_path):
    """Run the jupyter_server save path with the hook: the file equals the committed one."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    (tmp_path / path.name).write_text("{}", encoding="utf-8")
    cm = FileContentsManager(root_dir=str(tmp_path),
                             pre_save_hook="pivotlib.runner.nbstrip.pre_save_hook")
    cm.save({"type": "notebook", "format": "json", "content": _with_outputs(path)}, path.name)
    assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def test_git_filter_command_strips_stdin():
    nb = _with_outputs(NOTEBOOKS[0])
    out = subprocess.run([sys.executable, "-m", "pivotlib.runner.nbstrip"],
                         input=nbformat.writes(nb).encode(), capture_output=True, check=True)
    assert out.stdout == NOTEBOOKS[0].read_bytes()


def test_gitattributes_and_makefile_wire_the_filter():
    attrs = (ROOT / ".gitattributes").read_text()
    assert "notebooks/*.ipynb filter=nbstripout" in attrs
    make = (ROOT / "Makefile").read_text()
    assert "-m pivotlib.runner.nbstrip" in make and "filter.nbstripout.clean" in make
    assert "pivotlib.runner.nbstrip.pre_save_hook" in make
    assert "install: $(STAMP_RUN) kernel git-filter" in make
    assert '--allow-root' in make and 'id -u' in make
