"""A process-wide cache of what was parsed from files, keyed by the files' identity.

A warm kernel runs report after report, and one report may read the same file twice (the
parameter check and the study both load the event catalog; a study loads prices and then
returns). Parsing and validating an unchanged file again is wasted time. Everything read through
a :class:`FileCache` is keyed by the *identity* of its files -- path, inode, size and
modification time in nanoseconds (:func:`file_identity`) -- so a rewritten file (an atomic
replace gives a new inode and time; an edit in place a new time or size) is read afresh, and the
caller always gets a copy, never the cached object itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["FileCache", "file_identity"]

T = TypeVar("T")


def file_identity(path: Path | str) -> tuple[str, int, int, int] | None:
    """``(path, inode, size, mtime_ns)`` of a regular file, or None when it cannot be stat'ed
    or is not a regular file (then nothing is cached for it)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not (st.st_mode & 0o170000) == 0o100000:  # S_ISREG
        return None
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


class FileCache(Generic[T]):
    """A bounded map from file identities (plus any other hashable parts) to parsed values.

    Parameters
    ----------
    copy : callable
        Makes the copy stored and the copy handed out (e.g. ``DataFrame.copy``), so neither the
        caller nor the cache can change the other's object.
    maxsize : int
        Entries kept; the oldest is dropped first.
    """

    def __init__(self, copy: Callable[[T], T], maxsize: int = 64) -> None:
        self._copy = copy
        self._max = int(maxsize)
        self._data: dict[Hashable, T] = {}

    def get(self, key: Hashable | None) -> T | None:
        """A copy of the value stored under ``key``, or None (also for a None key)."""
        if key is None:
            return None
        hit = self._data.get(key)
        return None if hit is None else self._copy(hit)

    def put(self, key: Hashable | None, value: T) -> None:
        """Store a copy of ``value`` under ``key`` (nothing for a None key)."""
        if key is None:
            return
        if key not in self._data and len(self._data) >= self._max:
            self._data.pop(next(iter(self._data)))
        self._data[key] = self._copy(value)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
