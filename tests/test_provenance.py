"""Each report's provenance lists the versions that made it (fast: no notebook is run)."""

from __future__ import annotations

from importlib.metadata import version

from pivotlib import __version__
from pivotlib.runner.execute import PROVENANCE_PACKAGES, package_versions
from pivotlib.runner.export import _footer


def test_package_versions_are_the_installed_ones():
    v = package_versions()
    assert tuple(v) == PROVENANCE_PACKAGES
    assert set(v) == {"pivotlib", "pandas", "numpy", "statsmodels", "yfinance", "plotly"}
    assert v["pivotlib"] == __version__
    for name in ("pandas", "numpy", "statsmodels", "yfinance", "plotly"):
        assert v[name] == version(name)


def test_report_footer_lists_the_versions():
    meta = {"name": "r", "notebook": "02-event-study", "date": "2026-01-02",
            "fingerprint": "abc", "parameters": {}, "versions": package_versions()}
    html = _footer(meta)
    for name, ver in package_versions().items():
        assert f"{name} {ver}" in html
