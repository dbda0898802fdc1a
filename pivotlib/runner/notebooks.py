"""Find notebooks, read their ``parameters`` cell, name reports (slugs) and fingerprint inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pivotlib import __version__, config
from pivotlib.errors import InputError
from pivotlib.runner.recorder import jsonable


def resolve_notebook(notebook: str | os.PathLike[str]) -> Path:
    """Find a notebook by path, file stem (``02-event-study``) or number prefix (``02``).

    Raises
    ------
    InputError
        When no notebook (or more than one) matches; lists the available notebooks.
    """
    p = Path(notebook)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    nbdir = config.notebooks_dir()
    available = sorted(x.stem for x in nbdir.glob("*.ipynb"))
    name = p.name[:-6] if p.name.endswith(".ipynb") else p.name
    cand = nbdir / f"{name}.ipynb"
    if cand.is_file():
        return cand.resolve()
    matches = [a for a in available if a.startswith(name + "-") or a.split("-", 1)[-1] == name]
    if len(matches) == 1:
        return (nbdir / f"{matches[0]}.ipynb").resolve()
    raise InputError(f"notebook {str(notebook)!r} not found"
                     + (f" (ambiguous: {', '.join(matches)})" if matches else "")
                     + f"; use a path or one of: {', '.join(available) or '(none in notebooks/)'}")


def notebook_parameters(path: Path) -> dict[str, Any]:
    """Default values of a notebook's ``parameters`` cell (literals only, never executed)."""
    import ast

    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            out: dict[str, Any] = {}
            tree = ast.parse(cell.source)
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                        node.targets[0], ast.Name):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise InputError(
                            f"{path.name}: parameter {node.targets[0].id!r} is not a simple "
                            "literal; the parameters cell may hold only strings, numbers, "
                            "booleans and lists") from None
            return out
    return {}


def slugify(text: str, maxlen: int = 60) -> str:
    """Lower-case ``[a-z0-9._-]`` slug of ``text`` (other runs of characters become ``-``)."""
    s = re.sub(r"[^a-z0-9._]+", "-", str(text).lower()).strip("-.")
    return s[:maxlen].rstrip("-.") or "x"


def param_slug(parameters: Mapping[str, Any]) -> str:
    """Readable, bounded slug of the passed parameters (``default`` when empty).

    ``{"event_id": "APLD-2024-06-03", "window": [-1, 1]}`` -> ``apld-2024-06-03_window--1-1``.
    Identifying keys (``event_id``, ``symbol``, ``symbols``, ``category``) contribute their
    value only; others ``key-value``. Long slugs are cut and suffixed with a short hash.
    """
    if not parameters:
        return "default"
    ident = ("event_id", "symbol", "symbols", "category")
    parts: list[str] = []
    for k in sorted(parameters, key=lambda k: (k not in ident, ident.index(k) if k in ident else 0, k)):
        v = parameters[k]
        v = _slug_value(v)
        v = slugify(str(v), 40) if str(v) else "none"
        parts.append(v if k in ident else f"{slugify(k, 20)}-{v}")
    slug = "_".join(parts)
    if len(slug) > 80:
        h = hashlib.sha256(json.dumps(jsonable(parameters), sort_keys=True).encode()).hexdigest()
        slug = slug[:70].rstrip("-_.") + "_" + h[:8]
    return slug


def _slug_value(v: Any) -> str:
    """Flatten a parameter value for a slug; negative numbers become ``m<abs>``."""
    if isinstance(v, list | tuple):
        return "-".join(_slug_value(x) for x in v)
    if isinstance(v, int | float) and not isinstance(v, bool) and v < 0:
        return f"m{-v}"
    return str(v)


def _hash_files(h: Any, paths: Iterable[Path], root: Path | None = None) -> None:
    for p in sorted(paths):
        if p.is_file():
            h.update(str(p.relative_to(root) if root else p.name).encode())
            h.update(p.read_bytes())


def fingerprint(notebook: Path, parameters: Mapping[str, Any]) -> str:
    """SHA-256 of everything a report depends on (see the module docstring)."""
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(json.dumps(jsonable(parameters), sort_keys=True).encode())
    h.update(__version__.encode())
    from pivotlib.data.datasets import DatasetSpec

    try:
        spec = DatasetSpec.parse(parameters.get("dataset") or None, must_exist=False)
    except InputError:
        spec = None
    if spec is not None:  # every file of every folder, with its folder in the hash
        for f in spec.files():
            h.update(str(f.parent).encode())
            _hash_files(h, [f])
    ev = config.events_dir()
    if ev.is_dir():
        _hash_files(h, [p for p in ev.rglob("*") if p.is_file()], ev)
    _hash_files(h, [p for p in config.PACKAGE_DIR.rglob("*.py")], config.PACKAGE_DIR)
    return h.hexdigest()
