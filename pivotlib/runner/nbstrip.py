"""Keep notebook outputs out of the repository (nbstripout with the project's options).

Two doors, one set of options (:data:`EXTRA_KEYS`, cell ids kept), both calling
``nbstripout.strip_output``:

* **JupyterLab** (``make lab`` and the Lab browser test) runs the server with
  ``--ContentsManager.pre_save_hook=pivotlib.runner.nbstrip.pre_save_hook``: saving a notebook writes
  it without outputs, execution counts or the ``language_info`` details Lab adds, so the file on
  disk is byte-identical to the committed one and ``git status`` stays clean. The outputs stay
  on screen; scheduled runs keep theirs under ``reports/`` (``pivot report``).
* **git** (other editors, ``nbconvert --inplace``): the committed ``.gitattributes`` names a
  ``nbstripout`` clean filter that ``make install`` points at ``python -m pivotlib.runner.nbstrip``, so
  outputs never reach a commit or a diff. (git may still list such a file as modified until
  ``git add`` refreshes its size in the index; ``git diff`` shows nothing.)

Command line: ``python -m pivotlib.runner.nbstrip < in.ipynb > out.ipynb`` (git clean filter),
``python -m pivotlib.runner.nbstrip -t FILE`` (git textconv), ``python -m pivotlib.runner.nbstrip --check
FILE...`` (exit 1 when a file would change).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["EXTRA_KEYS", "strip", "strip_text", "pre_save_hook", "main"]

EXTRA_KEYS: tuple[str, ...] = (
    # nbstripout's own defaults
    "metadata.signature", "metadata.widgets", "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime", "cell.metadata.execution", "cell.metadata.heading_collapsed",
    "cell.metadata.hidden", "cell.metadata.scrolled",
    # what JupyterLab adds on save (the committed notebooks keep language_info.name only)
    "metadata.language_info.codemirror_mode", "metadata.language_info.file_extension",
    "metadata.language_info.mimetype", "metadata.language_info.nbconvert_exporter",
    "metadata.language_info.pygments_lexer", "metadata.language_info.version",
    "cell.metadata.jupyter", "cell.metadata.trusted",
)
"""Metadata keys removed besides outputs and execution counts."""


def strip(nb: Any) -> Any:
    """Strip outputs, execution counts and :data:`EXTRA_KEYS` from a notebook node (in place)."""
    from nbstripout import strip_output

    return strip_output(nb, keep_output=False, keep_count=False, keep_id=True,
                        extra_keys=list(EXTRA_KEYS))


def strip_text(text: str) -> str:
    """The stripped notebook JSON, formatted as nbformat writes it (as committed)."""
    import nbformat

    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    out = nbformat.writes(strip(nb), version=nbformat.NO_CONVERT)
    return out if out.endswith("\n") else out + "\n"  # nbformat.write adds it too


def pre_save_hook(model: dict[str, Any], path: str = "", **_: Any) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook``: save notebooks without outputs."""
    if model.get("type") != "notebook" or not model.get("content"):
        return
    import nbformat

    nb = model["content"]
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.from_dict(nb)
    model["content"] = strip(nb)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "-t":  # git textconv: print the stripped file
        for f in args[1:]:
            sys.stdout.write(strip_text(Path(f).read_text(encoding="utf-8")))
        return 0
    if args and args[0] == "--check":
        changed = [f for f in args[1:]
                   if strip_text(Path(f).read_text(encoding="utf-8"))
                   != Path(f).read_text(encoding="utf-8")]
        for f in changed:
            print(f"{f}: has outputs or metadata that the filter strips", file=sys.stderr)
        return 1 if changed else 0
    if args:
        print("usage: python -m pivotlib.runner.nbstrip [-t FILE | --check FILE...] (filter: stdin)",
              file=sys.stderr)
        return 2
    text = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(strip_text(text).encode("utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
