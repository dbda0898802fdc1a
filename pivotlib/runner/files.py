"""Atomic writes for the runner (temporary name per process and thread, then ``os.replace``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pivotlib.runner.recorder import jsonable


def _tmp_suffix() -> str:
    """Unique temporary suffix per process and thread (files are written then os.replace'd)."""
    import threading

    return f".{os.getpid()}-{threading.get_ident()}.tmp"


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_suffix(_tmp_suffix())
    tmp.write_text(json.dumps(jsonable(data), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
