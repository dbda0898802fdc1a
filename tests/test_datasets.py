"""One dataset spec, parsed in one place (pivotlib.data.datasets) and used everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from pivotlib.data.datasets import HELP, DatasetSpec
from pivotlib.errors import InputError


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "APLD.csv").write_text("Date,Close\n2024-01-02,1.0\n")
    (b / "BTC-USD.csv").write_text("Date,Close\n2024-01-02,40000\n")
    return a, b


def test_parse_normalises_relative_home_and_separators(tmp_path, monkeypatch):
    a, b = _folders(tmp_path)
    monkeypatch.chdir(tmp_path)
    spec = DatasetSpec.parse("csv:a, b")
    assert spec.folders == (a.resolve(), b.resolve())
    assert str(spec) == f"csv:{a.resolve()},{b.resolve()}"
    assert DatasetSpec.parse(str(spec)) == spec  # the normalised text is a fixed point
    monkeypatch.setenv("HOME", str(tmp_path))
    assert DatasetSpec.parse("csv:~/a").folders == (a.resolve(),)
    assert [p.name for p in spec.files()] == ["APLD.csv", "BTC-USD.csv"]


@pytest.mark.parametrize("bad, words", [("csv:", "needs a folder"), ("demo2", "unknown dataset"),
                                        ("csv:/no/such", "does not exist")])
def test_bad_specs_name_the_fix(bad, words):
    with pytest.raises(InputError, match=words):
        DatasetSpec.parse(bad)


def test_every_reader_uses_the_one_spec(tmp_path, monkeypatch):
    """params (what the kernel receives), the loader and the report fingerprint agree."""
    from pivotlib.data.loading import resolve_dataset
    from pivotlib.runner.notebooks import fingerprint, resolve_notebook
    from pivotlib.studies import params

    a, b = _folders(tmp_path)
    monkeypatch.chdir(tmp_path)
    from pivotlib.runner.notebooks import notebook_parameters

    p = params.check_overrides("01-data-refresh", {"dataset": "csv:a,b"},
                               notebook_parameters(resolve_notebook("01")))
    assert p.dataset == f"csv:{a.resolve()},{b.resolve()}"
    assert p.changes and "was read as" in p.changes[0]
    assert resolve_dataset("csv:a,b").available() == ["APLD", "BTC-USD"]
    nb = resolve_notebook("01")
    before = fingerprint(nb, {"dataset": p.dataset})
    (b / "BTC-USD.csv").write_text("Date,Close\n2024-01-02,41000\n")  # the second folder
    assert fingerprint(nb, {"dataset": p.dataset}) != before
    assert "csv:<folder>[,<folder>...]" in HELP
