"""The project's set-up files agree with each other (pyproject is the single source)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_package_with_declared_extras():
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text
    m = re.search(r"-e\s+\.\[([^\]]+)\]", text)
    assert m, "environment.yml must pip-install the project itself: `-e .[extras]`"
    extras = {e.strip() for e in m.group(1).split(",")}
    declared = set(_pyproject()["project"]["optional-dependencies"])
    assert extras <= declared, f"environment.yml names undeclared extras: {extras - declared}"
    assert {"notebooks", "dev"} <= extras


def test_environment_yml_python_matches_requires_python():
    req = _pyproject()["project"]["requires-python"]
    floor = re.search(r">=\s*(\d+\.\d+)", req).group(1)
    text = (ROOT / "environment.yml").read_text()
    m = re.search(r"-\s*python\s*>=\s*(\d+\.\d+)", text)
    assert m and m.group(1) == floor, "environment.yml python floor must equal requires-python"


def test_environment_yml_lists_no_dependency_of_its_own():
    """Everything but python and pip comes from pyproject through `-e .[...]`."""
    text = (ROOT / "environment.yml").read_text()
    deps = re.findall(r"^\s*-\s+([A-Za-z0-9_.\-]+)", text, flags=re.M)
    assert set(deps) <= {"conda-forge", "python", "pip", "-e"}, deps


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in ci


def test_console_script_and_kernel_name():
    proj = _pyproject()["project"]
    assert proj["scripts"]["pivot"] == "pivotlib.cli:main"
    from pivotlib.config import KERNEL_NAME

    assert KERNEL_NAME in (ROOT / "Makefile").read_text()
