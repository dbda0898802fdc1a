"""Read-only metadata for ``DataFrame.attrs`` that pandas does not copy on every operation.

pandas deep-copies a frame's ``attrs`` into every frame derived from it (``__finalize__``:
each column lookup, slice, arithmetic result). The loaders' per-symbol metadata (``sources``,
``adjusted``, ``left_out``: one entry per symbol) made that about 40 microseconds per
operation, 0.2 s of a lifeboat specification curve's thousands of column lookups.
:class:`FrozenDict` is a ``dict`` (JSON, ``==``, ``.get`` and pickling as before) that
cannot be changed, so a deep copy can return the same object.
"""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict):  # type: ignore[type-arg]
    """A dict that refuses changes; ``copy.deepcopy`` and ``copy.copy`` return it as is.

    Derived metadata is built as a new dict (``{**d, k: v}``), never by changing one in place.
    """

    def _refuse(self, *_a: Any, **_k: Any) -> NoReturn:
        raise TypeError("this metadata is read-only (pivotlib.data.frozen.FrozenDict); "
                        "build a new dict instead, e.g. {**d, key: value}")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __copy__(self) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


def frozen(d: dict[str, Any]) -> FrozenDict:
    """``d`` as a :class:`FrozenDict` (its values are kept as they are)."""
    return d if isinstance(d, FrozenDict) else FrozenDict(d)
