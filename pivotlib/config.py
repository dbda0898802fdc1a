"""Paths and settings, in one place (cookiecutter-data-science style).

Every path can be overridden by an environment variable so tests, scheduled runs and users
with their own data folder never need to edit code:

========================  =============================================  ==========================
variable                  meaning                                        default
========================  =============================================  ==========================
``PIVOT_HOME``            project root (holds data/, reports/, ...)      the repository root
``PIVOT_DATA_DIR``        where the price store and synthetic data live  ``<home>/data``
``PIVOT_REPORTS_DIR``     where executed notebooks and HTML go           ``<home>/reports``
``PIVOT_OFFLINE``         ``1`` = never touch the network                unset (online allowed)
``PIVOT_SHARED``          the validation/real-data folder beside root    ``<home>/../shared``
``PIVOT_CACHE_DIR``       small derived caches (calendar sessions)       ``~/.cache/pivot``
========================  =============================================  ==========================
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the project root (``PIVOT_HOME`` or the folder holding ``pivotlib/``)."""
    env = os.environ.get("PIVOT_HOME")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def data_dir() -> Path:
    """Return the data folder (``PIVOT_DATA_DIR`` or ``<root>/data``)."""
    env = os.environ.get("PIVOT_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def store_dir() -> Path:
    """Return the folder of fetched/imported Parquet files (git-ignored): ``<data>/store``."""
    return data_dir() / "store"


def synthetic_dir() -> Path:
    """Return the folder of the embedded SYNTHETIC default dataset: ``<data>/synthetic``."""
    return data_dir() / "synthetic"


def events_dir() -> Path:
    """Return the folder holding the event catalog: ``<root>/data/events``.

    The catalog is source-controlled, so it stays under the project root even when
    ``PIVOT_DATA_DIR`` points elsewhere.
    """
    return project_root() / "data" / "events"


def universe_file() -> Path:
    """Return the default universe file: ``<root>/data/universe.csv``."""
    return project_root() / "data" / "universe.csv"


def reports_dir() -> Path:
    """Return the reports folder (``PIVOT_REPORTS_DIR`` or ``<root>/reports``)."""
    env = os.environ.get("PIVOT_REPORTS_DIR")
    return Path(env).resolve() if env else project_root() / "reports"


def notebooks_dir() -> Path:
    """Return the folder of the research notebooks: ``<root>/notebooks``."""
    return project_root() / "notebooks"


def shared_dir() -> Path:
    """Return ``../shared`` beside the root (validation and real data; absent on user machines)."""
    env = os.environ.get("PIVOT_SHARED")
    return Path(env).resolve() if env else project_root().parent / "shared"


def realdata_dir() -> Path:
    """Return ``<shared>/realdata`` (may not exist)."""
    return shared_dir() / "realdata"


def cache_dir() -> Path:
    """Return the cache folder for small derived files (``PIVOT_CACHE_DIR``,
    ``$XDG_CACHE_HOME/pivot`` or ``~/.cache/pivot``). Safe to delete at any time."""
    env = os.environ.get("PIVOT_CACHE_DIR")
    if env:
        return Path(env).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "pivot"


def offline() -> bool:
    """Return True when ``PIVOT_OFFLINE`` is set to a true value (1, true, yes)."""
    return os.environ.get("PIVOT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


KERNEL_NAME = "pivotlib"
"""Name of the Jupyter kernel that ``make demo`` registers and papermill uses."""
