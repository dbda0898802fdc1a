"""Defer one slow third-party import that nothing of ours needs: ``rfc3987_syntax``.

``jsonschema`` (imported by ``nbformat``, hence by papermill and nbconvert) imports
``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter-events`` pulls it in through
``jsonschema[format-nongpl]``) to offer the ``iri``/``iri-reference`` format checks. That
module compiles a Lark grammar at import: 0.6-0.8 s of every ``pivot`` command, sweep worker and
test process that touches a notebook, for a check no notebook schema uses.

:func:`install` puts a stand-in module under that name (only if the real one is installed and
not imported yet): ``from rfc3987_syntax import is_valid_syntax`` gets a function that imports
the real module on its first call and delegates to it, and any other attribute does the same
(PEP 562 module ``__getattr__``). Behaviour is unchanged; only the cost moves to first use.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

NAME = "rfc3987_syntax"
_SPEC: list[Any] = [None]


def _real() -> types.ModuleType:
    """Import and return the real module (replacing the stand-in in ``sys.modules``)."""
    mod = sys.modules.get(NAME)
    if mod is not None and not getattr(mod, "__pivot_standin__", False):
        return mod
    sys.modules.pop(NAME, None)
    try:
        return importlib.import_module(NAME)
    except BaseException:
        sys.modules[NAME] = _standin(_SPEC[0])
        raise


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    return _real().is_valid_syntax(*args, **kwargs)


def _getattr(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_real(), name)


def _standin(spec: Any = None) -> types.ModuleType:
    mod = types.ModuleType(NAME, "stand-in: the real module loads on first use "
                                 "(pivotlib._deferred)")
    mod.__spec__ = spec  # the real module's (importlib.util.find_spec keeps answering)
    mod.__pivot_standin__ = True  # type: ignore[attr-defined]
    mod.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    mod.__getattr__ = _getattr  # type: ignore[attr-defined]
    return mod


def install() -> bool:
    """Put the stand-in in place; True when it was installed (False: absent or imported)."""
    if NAME in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(NAME)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    _SPEC[0] = spec
    sys.modules[NAME] = _standin(spec)
    return True
