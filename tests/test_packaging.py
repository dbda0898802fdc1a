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


# import name -> distribution name, where they differ
_DIST = {"yaml": "pyyaml", "IPython": "ipython", "exchange_calendars": "exchange-calendars",
         "dask": "dask", "distributed": "dask", "jupyter_client": "jupyter_client"}


def _declared() -> set[str]:
    proj = _pyproject()["project"]
    reqs = list(proj["dependencies"]) + [r for v in proj["optional-dependencies"].values()
                                         for r in v]
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}


def test_every_imported_package_is_declared():
    """pivotlib imports nothing that arrives only as someone else's dependency."""
    import ast
    import sys

    names: set[str] = set()
    for path in (ROOT / "pivotlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    third = {n for n in names if n not in sys.stdlib_module_names and n != "pivotlib"}
    declared = _declared()
    missing = sorted(n for n in third
                     if _DIST.get(n, n).lower().replace("_", "-") not in declared)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_import_layers_contract_holds():
    """The layering (data -> events -> analytics -> studies -> presentation -> runner -> batch
    -> cli) is a checked contract: import-linter, imports inside functions included."""
    import shutil
    import subprocess
    import sys

    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        import pytest

        pytest.skip("import-linter is not installed (make test installs it)")
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout
