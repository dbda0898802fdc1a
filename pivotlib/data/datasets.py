"""The dataset spec: which prices a command, a notebook or a report reads. Parsed here only.

Three kinds, never mixed in one frame:

``demo``
    The SYNTHETIC default in ``data/synthetic`` (:mod:`pivotlib.data.synthetic`).
``store``
    Prices fetched from Yahoo or imported from CSV into ``data/store``.
``csv:<folder>[,<folder>...]``
    Folders of ``<SYMBOL>.csv`` files read in place (the first folder holding a symbol wins).
    Folders are separated by ``,`` (or ``os.pathsep``); ``~`` is expanded and relative paths are
    made absolute against the caller's working directory, so a notebook kernel started in
    ``notebooks/`` reads the same files the user named.

Every reader of a spec (:func:`pivotlib.data.loading.resolve_dataset`, the notebook parameters,
the report fingerprint, the CLI help texts) goes through :meth:`DatasetSpec.parse`; the
normalised text (``str(spec)``) is what is passed on, e.g. to a notebook kernel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pivotlib import config
from pivotlib.errors import InputError

HELP = ("demo (SYNTHETIC), store (fetched or imported data) or csv:<folder>[,<folder>...] "
        "(default: PIVOT_DATASET, else demo)")
"""Help text of every ``--dataset`` option and ``dataset`` parameter."""

KINDS = ("demo", "store", "csv")
_FILE_SUFFIXES = (".parquet", ".csv", ".json", ".md")


def default_spec_text() -> str:
    """``PIVOT_DATASET`` or ``"demo"``."""
    return os.environ.get("PIVOT_DATASET", "").strip() or "demo"


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed dataset spec.

    Attributes
    ----------
    kind : {"demo", "store", "csv"}
    folders : tuple of Path
        Absolute folders of a ``csv`` spec (empty otherwise).
    """

    kind: str
    folders: tuple[Path, ...] = ()

    @classmethod
    def parse(cls, text: str | DatasetSpec | None = None, *, base: Path | str | None = None,
              must_exist: bool = True) -> DatasetSpec:
        """Parse ``"demo"``, ``"store"`` or ``"csv:<folder>[,<folder>...]"``.

        Parameters
        ----------
        text : str or DatasetSpec, optional
            Default :func:`default_spec_text`.
        base : path, optional
            Folder that relative csv paths are relative to (default: the working directory).
        must_exist : bool, default True
            Raise when a csv folder does not exist.

        Raises
        ------
        InputError
            Unknown kind, ``csv:`` without a folder, or a missing folder; names the fix.
        """
        if isinstance(text, DatasetSpec):
            return text
        raw = (text if text is not None else default_spec_text())
        if not isinstance(raw, str):
            raise InputError(f"dataset {raw!r} is not text; use {HELP}")
        name = raw.strip()
        if name in ("demo", "store"):
            return cls(name)
        if name.startswith("csv:"):
            parts = [s.strip() for s in name[4:].replace(os.pathsep, ",").split(",") if s.strip()]
            if not parts:
                raise InputError("dataset 'csv:' needs a folder, e.g. csv:/path/to/prices "
                                 "(several: csv:/path/a,/path/b)")
            root = Path(base).expanduser() if base else Path.cwd()
            folders = []
            for s in parts:
                f = Path(s).expanduser()
                f = (f if f.is_absolute() else root / f).resolve()
                if must_exist and not f.is_dir():
                    raise InputError(f"dataset {name!r}: {f} does not exist or is not a folder; pass "
                                     "folders of <SYMBOL>.csv files, e.g. csv:/path/to/prices")
                if f not in folders:
                    folders.append(f)
            return cls("csv", tuple(folders))
        raise InputError(f"unknown dataset {name!r}; use {HELP}")

    def __str__(self) -> str:
        if self.kind == "csv":
            return "csv:" + ",".join(str(f) for f in self.folders)
        return self.kind

    @property
    def synthetic(self) -> bool:
        """True for the SYNTHETIC demo dataset."""
        return self.kind == "demo"

    def roots(self) -> list[Path]:
        """The folders this dataset reads (the store folder, the synthetic folder, or csv folders)."""
        if self.kind == "demo":
            return [config.synthetic_dir()]
        if self.kind == "store":
            return [config.store_dir()]
        return list(self.folders)

    def files(self) -> list[Path]:
        """Every data file of every folder (what a report's fingerprint hashes)."""
        out: list[Path] = []
        for r in self.roots():
            if r.is_dir():
                out.extend(sorted(p for p in r.iterdir()
                                  if p.is_file() and p.suffix in _FILE_SUFFIXES))
        return out

    def describe(self) -> str:
        """Human description for terminal summaries and report banners."""
        if self.kind == "demo":
            return "the SYNTHETIC demo dataset (not real prices)"
        if self.kind == "store":
            return f"the price store ({config.store_dir()})"
        return "CSV files in " + ", ".join(str(f) for f in self.folders)
