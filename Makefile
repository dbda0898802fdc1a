# pivot: two commands on a fresh machine (Python 3.11+ and pip, registry-only internet).
#   make demo   set up .venv, install, register the `pivotlib` kernel, run the briefing on SYNTHETIC data
#   make test   same environment plus dev tools (and Debian chromium for browser tests), then pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
# pytest-xdist: -n auto = one worker more than the cores (tests/conftest.py
# pytest_xdist_auto_num_workers: the suite waits on kernels, Lab and Dask a good share of its
# time); a test file's tests stay on one worker (their module
# fixtures are built once; rules in tests/README.md). PYTEST_XDIST= (empty) runs serially.
# (--dist loadgroup would be finer, but with pytest 9.2 + xdist 3.8 it does not group.)
PYTEST_XDIST ?= -n auto --dist loadfile
LAB_ARGS ?=
# Notebook outputs never land in the repository (pivotlib/runner/nbstrip.py: nbstripout, one set of
# options): JupyterLab saves notebooks without outputs (a pre-save hook), and git passes
# notebooks/*.ipynb through the same stripping as a clean filter (.gitattributes, git-filter).
NBSTRIP := $(VENV)/bin/python -m pivotlib.runner.nbstrip
LAB_HOOK := --ContentsManager.pre_save_hook=pivotlib.runner.nbstrip.pre_save_hook

.PHONY: demo test test-fast lab venv install install-dev kernel git-filter bytecode browser bench lint synthetic help lock

help:
	@echo "make demo   - set up and run the main job (briefing on SYNTHETIC demo data)"
	@echo "make test   - set up with dev tools and run the test suite"
	@echo "make lab    - open JupyterLab with the pivotlib kernel"
	@echo "make bench  - run the benchmarks under benchmarks/"
	@echo "make lock   - refresh constraints.txt (the tested versions) from pyproject.toml"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(PY)

# The versions the test suite passed with: pyproject.toml holds the ranges, constraints.txt the
# exact tested versions (pip -c: a package it lists is installed at that version; anything it
# does not list, e.g. a platform-only dependency, is resolved from pyproject.toml). Refresh with
# `make lock` (pip-compile; LOCK_ARGS=--upgrade to move to the newest releases), then `make test`.
LOCK := constraints.txt
LOCK_ARGS ?=

$(STAMP_RUN): pyproject.toml $(LOCK) | $(PY)
	$(PIP) install --quiet --disable-pip-version-check -c $(LOCK) -e '.[notebooks,dask]'
	touch $@

$(STAMP_DEV): pyproject.toml $(LOCK) $(STAMP_RUN)
	$(PIP) install --quiet --disable-pip-version-check -c $(LOCK) -e '.[notebooks,dask,dev]'
	touch $@

lock: $(STAMP_DEV)
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
	  --extra notebooks --extra dask --extra dev --output-file $(LOCK) $(LOCK_ARGS) pyproject.toml
	@echo "$(LOCK) refreshed from pyproject.toml; run 'make test' before committing it"

install: $(STAMP_RUN) kernel git-filter bytecode

install-dev: $(STAMP_DEV) kernel git-filter bytecode

# Compiled bytecode of the package: pip compiles what it installs from wheels, but not an
# editable install's sources, and with PYTHONDONTWRITEBYTECODE=1 (common in containers and CI)
# no process writes it either, so every `pivot` command, kernel and test process compiled
# pivotlib again (about 50 ms per kernel). compileall skips what is up to date; a source edited
# later is recompiled in memory until the next make (Python checks each file's time and size).
bytecode: $(STAMP_RUN)
	@$(PY) -m compileall -q pivotlib benchmarks

kernel: $(STAMP_RUN)
	@$(PY) -m ipykernel install --sys-prefix --name pivotlib --display-name "Python (pivotlib)" >/dev/null
	@echo "kernel 'pivotlib' registered in $(VENV)"

# The nbstripout filter, set in this clone's git config (a relative command: git runs filters
# from the top of the work tree, so every checkout uses its own .venv). Not a git checkout: skip.
git-filter: $(STAMP_RUN)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "$(NBSTRIP)" && \
	  git config filter.nbstripout.smudge cat && \
	  git config diff.ipynb.textconv "$(NBSTRIP) -t" && \
	  echo "git filter 'nbstripout' set: notebook outputs stay out of git (.gitattributes)"; \
	else echo "not a git checkout: no nbstripout filter"; fi

# Browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; browser tests will skip"; \
	else echo "warning: $(CHROMIUM) not found and cannot apt-get install it; browser tests will skip"; fi

demo: install
	$(VENV)/bin/pivot demo

test: install-dev browser
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test-fast: install-dev
	$(PY) -m pytest $(PYTEST_XDIST) -m "not slow" $(PYTEST_ARGS)

# Jupyter refuses to start as root without --allow-root: add it only when uid is 0, and say so.
# The project's Lab settings (jupyter-config/: no "official Jupyter news?" pop-up) are put on
# JUPYTER_CONFIG_PATH, the same folder tests/test_lab_browser.py uses; the home folder is not touched.
LAB_CONFIG := $(CURDIR)/jupyter-config
lab: install
	@flags=""; if [ "$$(id -u)" = 0 ]; then flags="--allow-root"; \
	  echo "make lab: running as root, adding --allow-root (a normal user does not need it)"; fi; \
	set -x; PIVOT_HOME=$(CURDIR) JUPYTER_CONFIG_PATH=$(LAB_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
	  $(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_HOOK) $$flags $(LAB_ARGS)

# The peer package of benchmarks/bench_peer.py is installed here only (never at test time).
BENCH_PEER ?= eventstudy==0.1a12
bench: install-dev
	@$(PIP) install --quiet --disable-pip-version-check '$(BENCH_PEER)' \
	  || echo "warning: could not install $(BENCH_PEER); bench_peer.py will skip"
	$(PY) benchmarks/run_all.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# Regenerate the embedded SYNTHETIC dataset after changing the catalog or the model.
synthetic: install
	$(PY) -m pivotlib.data.synthetic
