"""Defer slow third-party imports that nothing of ours needs: ``rfc3987_syntax``, and the
``numpy.f2py``/``numpy.testing`` submodules scipy's array-API shim pulls in.

``jsonschema`` (imported by ``nbformat``, hence by papermill and nbconvert) imports
``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter-events`` pulls it in through
``jsonschema[format-nongpl]``) to offer the ``iri``/``iri-reference`` format checks. That
module compiles a Lark grammar at import: 0.6-0.8 s of every ``pivot`` command, sweep worker and
test process that touches a notebook, for a check no notebook schema uses.

:func:`install` puts a stand-in module under that name (only if the real one is installed and
not imported yet): ``from rfc3987_syntax import is_valid_syntax`` gets a function that imports
the real module on its first call and delegates to it, and any other attribute does the same
(PEP 562 module ``__getattr__``). Behaviour is unchanged; only the cost moves to first use.

Every scipy subpackage (``scipy.special`` for the t distribution of every p-value here) imports
``scipy._lib.array_api_compat.numpy``, which copies numpy's namespace with ``from numpy import
*`` and ``getattr`` over ``dir(numpy)``: that imports numpy's lazily loaded ``f2py`` (the
Fortran wrapper generator) and ``testing`` submodules, about 45 ms of every kernel's start, for
attributes nothing reads. :func:`install` also adds a one-shot import hook
(:class:`_CloneFinder`) that runs that module with the two names hidden from numpy's
``__all__``/``dir`` and gives the copy a module ``__getattr__`` that loads them on first access
(``scipy._lib.array_api_compat.numpy.testing`` still works). If the module moves, the hook finds
nothing and the import is the usual one.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
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


CLONE = "scipy._lib.array_api_compat.numpy"
"""scipy's copy of the numpy namespace (scipy 1.15+)."""
LAZY_NUMPY = ("f2py", "testing")
"""numpy submodules the copy leaves to first access."""


class _CloneLoader(importlib.abc.Loader):
    """Runs :data:`CLONE` with :data:`LAZY_NUMPY` hidden from numpy (see the module doc)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:  # resource readers etc.: the real loader's
        return getattr(self._inner, name)

    def create_module(self, spec: Any) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        import numpy

        lazy = {n for n in LAZY_NUMPY if f"numpy.{n}" not in sys.modules}
        ns = vars(numpy)
        saved = {k: ns[k] for k in ("__all__", "__dir__") if k in ns}
        if lazy and len(saved) == 2:
            all_, dir_ = saved["__all__"], saved["__dir__"]
            numpy.__all__ = [n for n in all_ if n not in lazy]
            numpy.__dir__ = lambda: [n for n in dir_() if n not in lazy]  # type: ignore[method-assign]
        try:
            self._inner.exec_module(module)
        finally:
            ns.update(saved)
        missing = {n for n in lazy if n not in vars(module)}
        if not missing:
            return

        def __getattr__(name: str) -> Any:
            if name in missing:
                value = getattr(numpy, name)
                setattr(module, name, value)
                return value
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__  # type: ignore[attr-defined]


class _CloneFinder(importlib.abc.MetaPathFinder):
    """One-shot import hook for :data:`CLONE` (removes itself on first use)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != CLONE:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _CloneLoader(spec.loader)
        return spec


def install_numpy_clone_hook() -> bool:
    """Add :class:`_CloneFinder` unless scipy's copy is imported (or the hook is in place)."""
    if CLONE in sys.modules or any(isinstance(f, _CloneFinder) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _CloneFinder())
    return True


def install() -> bool:
    """Put the stand-in in place and the numpy-copy hook (:func:`install_numpy_clone_hook`);
    True when the stand-in was installed (False: absent or imported)."""
    install_numpy_clone_hook()
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
