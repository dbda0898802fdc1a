"""Loader metadata in DataFrame.attrs is read-only, so pandas' per-operation deep copy is free."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from pivotlib.data.frozen import FrozenDict, frozen


def test_frozen_dict_is_a_dict_that_refuses_changes():
    d = frozen({"A": "yahoo", "B": "csv"})
    assert isinstance(d, dict) and d == {"A": "yahoo", "B": "csv"} and d.get("A") == "yahoo"
    assert json.loads(json.dumps(d)) == {"A": "yahoo", "B": "csv"}
    assert copy.deepcopy(d) is d and copy.copy(d) is d
    back = pickle.loads(pickle.dumps(d))
    assert back == d and isinstance(back, FrozenDict)
    for change in (lambda: d.__setitem__("C", 1), lambda: d.update(C=1), lambda: d.pop("A"),
                   lambda: d.__delitem__("A"), lambda: d.setdefault("C", 1), d.clear):
        with pytest.raises(TypeError, match="read-only"):
            change()
    assert d == {"A": "yahoo", "B": "csv"}
    assert {**d, "C": "x"} == {"A": "yahoo", "B": "csv", "C": "x"}


def test_loaded_returns_carry_frozen_metadata_through_pandas_operations():
    from pivotlib.data.loading import load_returns

    r = load_returns(["MARA", "SPY"], dataset="demo")
    assert isinstance(r.attrs["sources"], FrozenDict)
    col = r["MARA"] * 2  # pandas copies attrs into the result: the same read-only objects
    assert col.attrs["sources"] is r.attrs["sources"]
    assert dict(r.attrs["sources"]) == {"MARA": "synthetic", "SPY": "synthetic"}
