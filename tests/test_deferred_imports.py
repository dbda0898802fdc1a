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


CLONE_CODE = r"""
import sys
if sys.argv[1] == "with":
    import pivotlib  # installs the hook
from scipy.special import stdtr
import numpy
print("f2py", "numpy.f2py" in sys.modules, "testing", "numpy.testing" in sys.modules)
import scipy._lib.array_api_compat.numpy as xp
print("attr", xp.testing is numpy.testing, "all", "testing" in numpy.__all__,
      "dir", "f2py" in dir(numpy), "float64", xp.float64 is numpy.float64)
print("p", repr(float(2 * stdtr(30, -2.1))))
"""


def _clone_run(mode: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", CLONE_CODE, mode], capture_output=True,
                          text=True, timeout=120, check=True).stdout.split()


def test_scipy_numpy_copy_leaves_f2py_and_testing_to_first_use():
    plain = _clone_run("without")
    if plain[:4] != ["f2py", "True", "testing", "True"]:
        pytest.skip("this scipy no longer imports numpy.f2py/testing: nothing to defer")
    hooked = _clone_run("with")
    assert hooked[:4] == ["f2py", "False", "testing", "False"]
    # the copy still answers both names (loaded on access); numpy itself is unchanged
    assert hooked[4:] == plain[4:] == ["attr", "True", "all", "True", "dir", "True", "float64",
                                        "True", "p", plain[-1]]
