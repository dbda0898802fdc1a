"""The briefing HTML renders in headless Chromium with no network: charts drawn, no errors.

Uses Debian's chromium (installed by `make test`) through Playwright; skips when absent.
A screenshot is kept under reports/screenshots/ for people to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pivotlib import config
from pivotlib.runner import execute

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (make test installs it with apt)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    """Open a local page with every non-file request blocked; collect console errors."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def _route(route):
        if route.request.url.startswith("file://"):
            return route.continue_()
        external.append(route.request.url)
        return route.abort()

    page.route("**/*", _route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, external


def _check_page(page, errors, external):
    n_div = page.locator("div.plotly-graph-div").count()
    assert n_div >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.plotly-graph-div')]"
        ".every(d => d.querySelector('.main-svg'))", timeout=20_000)
    rendered = page.evaluate(
        "() => [...document.querySelectorAll('div.plotly-graph-div')]"
        ".map(d => d.querySelectorAll('.main-svg').length)")
    assert all(n > 0 for n in rendered), rendered
    text = page.inner_text("body")
    for bad in ("Traceback", "Error:", "NameError", "KeyError", "Exception"):
        assert bad not in text, bad
    assert errors == [], errors
    assert external == [], external
    return n_div, text


def test_briefing_renders_offline(browser, demo_briefing, tmp_path):
    html = demo_briefing.html("05-briefing")  # the shared demo briefing (tests/conftest.py)
    page, errors, external = _open(browser, html)
    n_div, text = _check_page(page, errors, external)
    assert n_div >= 3
    assert "SYNTHETIC DATA - NOT REAL MARKET PRICES" in text
    # dollar amounts of the headline read literally (MathJax ignore-class spans, no backslash)
    assert "$9.8B" in text and "up to $25.1B" in text and "\\$" not in text
    assert "`" not in text  # the banner's `pivot data fetch` is rendered as code
    # every figure is labelled SYNTHETIC in the rendered SVG
    labels = page.evaluate(
        "() => [...document.querySelectorAll('div.plotly-graph-div')]"
        ".map(d => d.textContent.includes('SYNTHETIC'))")
    assert all(labels), labels
    shots = tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "briefing.png"), full_page=True)
    # keep a copy in the project's reports/ for people to look at
    keep = config.project_root() / "reports" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shots / "briefing.png", keep / "briefing.png")
    page.close()

    # the index links the briefing
    page, errors, external = _open(browser, demo_briefing.reports / "index.html")
    assert page.locator("a[href$='05-briefing-default.html']").count() == 1
    assert errors == [] and external == []
    page.close()


def test_single_file_page_renders(browser, tmp_reports_dir, tmp_path):
    res = execute.run_report("02-event-study", {}, date="2030-01-02", single_file=True)
    moved = tmp_path / "mail" / "briefing.html"  # alone, away from reports/assets
    moved.parent.mkdir()
    shutil.copy(res.html, moved)
    page, errors, external = _open(browser, moved)
    _check_page(page, errors, external)
    page.close()
