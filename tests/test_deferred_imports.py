"""pivotlib defers rfc3987_syntax (0.7 s at import, pulled in by jsonschema via nbformat)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

CODE = r"""
import sys, time
import pivotlib, nbformat, jsonschema
import importlib.util
assert importlib.util.find_spec("rfc3987_syntax") is not None  # with the stand-in in place
mod = sys.modules["rfc3987_syntax"]
print("standin", getattr(mod, "__pivot_standin__", False))
v = jsonschema.Draft7Validator({"format": "iri"},
                               format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
print("bad", len(list(v.iter_errors("http://a b"))), "good", len(list(v.iter_errors("http://ex.com/x"))))
print("real", not getattr(sys.modules["rfc3987_syntax"], "__pivot_standin__", False))
import importlib.util
print("spec", importlib.util.find_spec("rfc3987_syntax") is not None)
"""


@pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                    reason="rfc3987_syntax is not installed: nothing to defer")
def test_rfc3987_loads_on_first_use_and_checks_as_before():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    # nbformat (jsonschema) imported: the stand-in is in place, the grammar not compiled yet
    assert out[:2] == ["standin", "True"]
    # the iri format check still works (the real module loads on its first call)
    assert out[2:6] == ["bad", "1", "good", "0"]
    assert out[6:] == ["real", "True", "spec", "True"]
