"""Every notebook runs in a real JupyterLab, driven through Debian's chromium with Playwright.

One JupyterLab server (127.0.0.1, a free port, a random token) on a temporary copy of
``notebooks/`` with private reports, settings, workspaces and runtime folders, so the repository
is never written, and one browser page: Lab's front end loads once, each notebook is opened
in it and closed after its test. For each notebook: open, run all cells, then check that plotly charts rendered
(``.main-svg``), no cell raised, the SYNTHETIC banner shows, pivotlib's HTML blocks hold no
MathJax output (dollar amounts read as text) and no visible empty output box is left; save, and
check the saved file is the committed one (the pre-save hook strips outputs). A control notebook
shows that this Lab does typeset ``$...$`` in a raw HTML output, so the check means something.
The explorer: changing a widget redraws the chart; a bad input greys the last valid command.
Every output table fits its box or scrolls sideways inside it, with no cell text cut off and no
header wrapped; a bad parameter (a typo in 02's ``event_id``) renders the short error box with the
traceback folded. Lab reads the project's own settings (``jupyter-config/``, as ``make lab``
does), so no "official Jupyter news" pop-up shows. The server (and its process group) is stopped
by process id in the fixture's teardown. Screenshots at 1400x900:
``reports/screenshots/lab-*.png``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pivotlib.runner.engine import ensure_kernel

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "reports" / "screenshots"
HEADLINE_DOLLARS = "$9.8B"  # in the default event's headline (Hut 8, Beacon Point)
BAD_EVENT_ID = "APLD-2025-06-02-coreweave-lease"  # a typo of APLD-2025-06-02-coreweave-leases

CONTROL = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}, "outputs": [],
         "source": "from IPython.display import HTML\nfrom pivotlib.presentation import narrative\n"
                   "HTML(\"<p class='ctl-raw'>signs a $9.8B lease; up to $25.1B</p>\")"},
        {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
         "source": "narrative.event_verdict(symbol='HUT', headline='signs a $9.8B lease; up "
                   "to $25.1B', event_date='2026-05-06', car=0.3, p_value=0.002, "
                   "window=[-1, 1])"},
    ],
    "metadata": {"kernelspec": {"display_name": "Python (pivotlib)", "language": "python",
                                "name": "pivotlib"}, "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def _bad_param_notebook() -> dict:
    """Notebook 02 with a typo in its ``event_id`` parameter (what an analyst might type)."""
    nb = json.loads((ROOT / "notebooks" / "02-event-study.ipynb").read_text(encoding="utf-8"))
    for c in nb["cells"]:
        if "parameters" in c["metadata"].get("tags", []):
            src = "".join(c["source"])
            src = src.replace('event_id = ""', f'event_id = "{BAD_EVENT_ID}"', 1)
            assert BAD_EVENT_ID in src
            c["source"] = src
    return nb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return r.status
    except OSError:
        return 0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base url, token, notebook folder) of a JupyterLab server started for this module."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (make test installs it with apt)")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("jupyterlab")
    tmp = tmp_path_factory.mktemp("lab")
    nbdir = tmp / "notebooks"
    nbdir.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, nbdir / name)
    (nbdir / "control.ipynb").write_text(json.dumps(CONTROL), encoding="utf-8")
    (nbdir / "bad-param.ipynb").write_text(json.dumps(_bad_param_notebook()), encoding="utf-8")
    settings = tmp / "settings"
    for rel, value in {
        # render every cell (Lab 4 windowing would leave off-screen outputs out of the DOM);
        # the news pop-up is off by the project's own jupyter-config (JUPYTER_CONFIG_PATH)
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value), encoding="utf-8")
    ensure_kernel()
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "PIVOT_HOME": str(ROOT), "PIVOT_REPORTS_DIR": str(tmp / "reports"),
           "PIVOT_OFFLINE": "1", "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
           "JUPYTER_CONFIG_PATH": str(ROOT / "jupyter-config")}  # what `make lab` uses
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={nbdir}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--ContentsManager.pre_save_hook=pivotlib.runner.nbstrip.pre_save_hook"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "lab.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get(f"{base}/api/status?token={token}") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
            time.sleep(0.3)
        yield base, token, nbdir
    finally:
        # shut the kernels down through the API, then stop the server by pid and its group
        try:
            req = urllib.request.Request(f"{base}/api/kernels?token={token}")
            with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310 - loopback
                kernels = json.loads(r.read())

            def shut(k: dict) -> None:  # all at once: each DELETE waits for its kernel to stop
                urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
                    f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE"), timeout=10)

            with ThreadPoolExecutor(max_workers=max(1, len(kernels))) as pool:
                list(pool.map(shut, kernels))
        except OSError:
            pass
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    """One Lab page for the module (Lab's front end is loaded once, not once per notebook):
    each test opens its notebook in it and :func:`_close_notebooks` closes it afterwards.
    Yields ``(page, errors)``; ``errors`` holds the page errors since the last notebook was
    opened."""
    from playwright.sync_api import sync_playwright

    base = lab[0]
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = b.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                   or r.request.url.startswith("data:") else r.abort())
        yield page, errors
        page.close()
        b.close()


_OUTPUTS_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.model.cells, out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const o = [];
    for (let j = 0; j < c.outputs.length; j++) o.push(c.outputs.get(j).toJSON());
    out.push({count: c.executionCount, outputs: o});
  }
  return out;
}"""


_CLOSE_JS = """() => {
  for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (w.context && w.context.model) w.context.model.dirty = false;  // no 'save?' dialog
    w.close();
  }
}"""


def _close_notebooks(page) -> None:
    """Close every document open in Lab's main area (their kernels keep running until the
    ``lab`` fixture's teardown, as with one page per notebook); wait until none is left."""
    page.evaluate(_CLOSE_JS)
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook').length === 0",
                           timeout=30_000)


def _open_and_run(browser, lab, name: str, height: int = 900, *, until_error: bool = False):
    """Open ``name`` in Lab (1400 x ``height``), run all cells, wait until every code cell has
    run (``until_error``: until the kernel is idle after the first failing cell).

    The first notebook loads Lab at ``/lab/tree/<name>?reset``; later ones are opened in the
    same page (``docmanager:open``) after the previous one was closed."""
    base, token, _ = lab
    page, errors = browser
    page.set_viewport_size({"width": 1400, "height": height})
    loaded = page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell)")
    if loaded:
        _close_notebooks(page)  # also after a test that failed before closing its notebook
        errors.clear()
        page.evaluate("async (p) => { await window.jupyterapp.commands.execute("
                      "'docmanager:open', {path: p}); return true; }", name)
    else:
        errors.clear()
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_function("(p) => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.context "
                           "&& window.jupyterapp.shell.currentWidget.context.path === p "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session"
                           ".kernel", arg=name, timeout=60_000)
    # Lab opens a Launcher when its main area empties: close it so the page (and its
    # screenshots) holds the notebook alone, as a fresh load of /lab/tree/<name> does
    page.evaluate("(p) => { for (const w of Array.from(window.jupyterapp.shell.widgets('main')))"
                  " if (!(w.context && w.context.path === p)) w.close(); }", name)
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext"
                           ".kernelDisplayStatus === 'idle'", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    if until_error:
        page.wait_for_function(f"() => ({_OUTPUTS_JS})().some(c => c.outputs.some("
                               "o => o.output_type === 'error')) && window.jupyterapp.shell"
                               ".currentWidget.sessionContext.kernelDisplayStatus === 'idle'",
                               timeout=120_000)
        return page, errors
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " const cells = w.content.model.cells; let ok = true;"
        " for (let i = 0; i < cells.length; i++) { const c = cells.get(i);"
        "  if (c.type === 'code' && c.executionCount === null) ok = false; }"
        " return ok && w.sessionContext.kernelDisplayStatus === 'idle'; }", timeout=120_000)
    return page, errors


def _check_common(page, errors, name):
    cells = page.evaluate(_OUTPUTS_JS)
    failed = [o for c in cells for o in c["outputs"] if o.get("output_type") == "error"]
    assert not failed, [f"{o.get('ename')}: {o.get('evalue')}" for o in failed]
    # plotly charts drawn
    page.wait_for_function("() => [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')]"
                           ".every(d => d.querySelector('.main-svg'))", timeout=30_000)
    n_plots = page.locator(".jp-Notebook .js-plotly-plot .main-svg").count()
    assert n_plots >= 1, name
    # the plotly logo is hidden (one config for Lab and the export)
    assert page.locator(".jp-Notebook .modebar-btn--logo").count() == 0
    # the SYNTHETIC banner, rendered (no literal Markdown)
    banner = page.locator(".jp-Notebook .pivot-synthetic").first
    banner.wait_for(timeout=30_000)
    text = banner.inner_text()
    assert "SYNTHETIC DATA - NOT REAL MARKET PRICES" in text and "`" not in text
    # no MathJax inside pivotlib's blocks (Prose and tables)
    assert page.locator(".jp-Notebook .pivot-prose mjx-container, "
                        ".jp-Notebook .pivot-table-box mjx-container").count() == 0
    # no visible empty output box (record() leaves none)
    empty = page.evaluate(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-child')]"
        ".filter(c => c.offsetHeight > 0 && !c.innerText.trim()"
        " && !c.querySelector('svg, img, canvas, .widget-box, .jupyter-widgets, input, select'))"
        ".length")
    assert empty == 0, f"{empty} empty output box(es) in {name}"
    _check_tables(page, name)
    # the project's Lab settings keep the "official Jupyter news?" pop-up away
    assert page.get_by_text("official Jupyter news").count() == 0
    assert not errors, errors


_TABLES_JS = """() => {
  const nbRight = document.querySelector('.jp-Notebook').getBoundingClientRect().right;
  return [...document.querySelectorAll('.jp-Notebook .pivot-table-box')].map(b => {
    const r = b.getBoundingClientRect(), ox = getComputedStyle(b).overflowX;
    const cut = [...b.querySelectorAll('td, th')].filter(c => c.offsetParent !== null
      && c.scrollWidth > c.clientWidth + 1).map(c => c.innerText.slice(0, 40));
    const lh = parseFloat(getComputedStyle(b).fontSize) * 1.9;
    const wrapped = [...b.querySelectorAll('thead th')].filter(c => c.offsetParent !== null
      && c.getBoundingClientRect().height > lh + 10).map(c => c.innerText);
    const first = b.querySelector('tbody tr > *');
    return {caption: (b.closest('.pivot-table-wrap') || b).innerText.slice(0, 60),
            visible: b.offsetParent !== null, right: r.right, nbRight,
            scrolls: b.scrollWidth > b.clientWidth + 1, overflowX: ox, cut, wrapped,
            frozen: first ? getComputedStyle(first).position : ''};
  });
}"""


def _check_tables(page, name):
    """Every output table fits its box or scrolls inside it; no cell text is cut off, no
    header wraps, the first column is frozen (sticky) while the rest scrolls."""
    boxes = [b for b in page.evaluate(_TABLES_JS) if b["visible"]]
    for b in boxes:
        where = f"{name}: {b['caption']!r}"
        assert b["right"] <= b["nbRight"] + 1, f"table wider than the notebook in {where}"
        if b["scrolls"]:
            assert b["overflowX"] in ("auto", "scroll"), f"overflowing, not scrolling: {where}"
        assert not b["cut"], f"text cut off in {where}: {b['cut']}"
        assert not b["wrapped"], f"header wraps in {where}: {b['wrapped']}"
        assert b["frozen"] == "sticky", where
    return boxes


def _save_and_check_stripped(page, lab, name):
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    path = lab[2] / name
    committed = (ROOT / "notebooks" / name).read_bytes()
    deadline = time.monotonic() + 20
    while path.read_bytes() != committed and time.monotonic() < deadline:
        time.sleep(0.3)
    assert path.read_bytes() == committed, "saving in Lab changed the notebook on disk"


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lab-{Path(name).stem}.png"))


def test_control_lab_typesets_raw_dollars_but_not_pivotlib_blocks(browser, lab):
    page, errors = _open_and_run(browser, lab, "control.ipynb", height=900)
    page.locator(".ctl-raw mjx-container").first.wait_for(timeout=30_000)  # MathJax is live
    verdict = page.locator(".pivot-verdict")
    verdict.wait_for(timeout=30_000)
    assert verdict.locator("mjx-container").count() == 0
    assert "$9.8B lease; up to $25.1B" in verdict.inner_text()
    _shot(page, "control")
    _close_notebooks(page)


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if not n.startswith("00-")])
def test_notebook_runs_in_lab(browser, lab, name):
    page, errors = _open_and_run(browser, lab, name)
    _check_common(page, errors, name)
    verdicts = page.locator(".jp-Notebook .pivot-verdict")
    for i in range(verdicts.count()):
        assert verdicts.nth(i).locator("mjx-container").count() == 0
    if name.startswith(("02-", "05-")):
        text = verdicts.first.inner_text()
        assert HEADLINE_DOLLARS in text and "up to $25.1B" in text, text[:300]
    if name.startswith("05-"):
        key = page.locator(".jp-Notebook .pivot-table-box").first.inner_text()
        assert HEADLINE_DOLLARS in key
    tables = page.locator(".jp-Notebook .pivot-table-wrap")
    if name.startswith(("04-", "05-")) and tables.count():  # the score / key-numbers table
        tables.first.screenshot(path=str(SHOTS / f"lab-{Path(name).stem}-table.png"))
    if name.startswith("06-"):  # the worst case: 15 columns, scrolled to the right
        wrap = page.locator(".jp-Notebook .pivot-table-wrap:has-text('Per event: day-0 AR')")
        wrap.scroll_into_view_if_needed()
        _shot(page, name.replace(".ipynb", "-events"))
        box = wrap.locator(".pivot-table-box").first
        box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        first = box.locator("tbody tr > *").first
        assert first.is_visible() and first.bounding_box()["x"] <= box.bounding_box()["x"] + 1
        _shot(page, name.replace(".ipynb", "-events-scrolled"))
    target = verdicts.first if verdicts.count() else page.locator(".pivot-synthetic").first
    target.scroll_into_view_if_needed()
    _shot(page, name)
    _save_and_check_stripped(page, lab, name)
    _close_notebooks(page)


def test_bad_parameter_renders_the_short_error_box(browser, lab):
    page, errors = _open_and_run(browser, lab, "bad-param.ipynb", until_error=True)
    box = page.locator(".jp-Notebook .pivot-error")
    box.wait_for(timeout=30_000)
    assert box.count() == 1
    msg = box.locator(".pivot-error-message").inner_text()
    assert BAD_EVENT_ID in msg and "APLD-2025-06-02-coreweave-leases" in msg  # the nearest ids
    assert "Bad input" in box.inner_text()
    details = box.locator("details")
    assert details.count() == 1 and details.get_attribute("open") is None  # traceback folded
    assert "Traceback" not in box.locator(".pivot-error-message").inner_text()
    assert box.bounding_box()["height"] < 300, "the box is short"
    # the cell failed (run-all stopped): one short error line under the box, not a stack
    cells = page.evaluate(_OUTPUTS_JS)
    errs = [o for c in cells for o in c["outputs"] if o.get("output_type") == "error"]
    assert len(errs) == 1 and errs[0]["ename"] == "InputError" and len(errs[0]["traceback"]) == 1
    box.scroll_into_view_if_needed()
    _shot(page, "bad-param")
    details.locator("summary").click()
    assert "params.py" in details.inner_text() or "Traceback" in details.inner_text()
    assert not errors, errors
    _close_notebooks(page)


def test_explorer_widgets_update_the_chart(browser, lab):
    name = "00-explore.ipynb"
    if name not in NOTEBOOKS:
        pytest.skip("no explorer notebook")
    page, errors = _open_and_run(browser, lab, name, height=3400)
    panel = page.locator(".pivot-explorer")
    panel.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('.pivot-explorer .js-plotly-plot "
                           ".main-svg').length >= 3", timeout=30_000)
    _check_common(page, errors, name)
    assert HEADLINE_DOLLARS in page.locator(".pivot-explorer .pivot-verdict").inner_text()
    # every chart has its own box (plotly's responsive mode needs a container height)
    boxes = page.evaluate("() => [...document.querySelectorAll('.pivot-explorer .js-plotly-plot')]"
                          ".map(d => d.getBoundingClientRect()).map(r => [r.top, r.height])")
    assert len(boxes) == 3 and all(h >= 300 for _, h in boxes), boxes
    assert boxes[0][0] + boxes[0][1] <= boxes[1][0] + 1 and boxes[1][0] + boxes[1][1] <= boxes[2][0] + 1
    cmd = page.locator(".pivot-explorer textarea").input_value()
    assert cmd.startswith("pivot report 02-event-study -p dataset demo -p event_id ")

    car_y = ("() => { const d = [...document.querySelectorAll('.pivot-explorer .js-plotly-plot')]"
             "[2]; return JSON.stringify(d.data.map(t => t.y)); }")
    before = page.evaluate(car_y)
    t0 = time.monotonic()
    page.locator(".pivot-explorer .widget-dropdown:has(label:text-is('model')) select") \
        .select_option("market")
    page.wait_for_function(f"(b) => ({car_y})() !== b", arg=before, timeout=15_000)
    redraw = time.monotonic() - t0
    page.wait_for_function("() => document.querySelector('.pivot-explorer textarea').value"
                           ".includes('-p model market')", timeout=10_000)
    status = page.locator(".pivot-explorer-status").inner_text()
    assert "updated in" in status
    print(f"explorer redraw after a widget change: {redraw:.2f} s ({status})")
    # a bad input: the box keeps the last valid command, greyed and read-only
    good = page.locator(".pivot-explorer textarea").input_value()
    combo = page.locator(".pivot-explorer .widget-text:has(label:text-is('dataset')) input")
    combo.fill("csv:/nonexistent/pivot-prices")
    combo.press("Enter")
    page.locator(".pivot-explorer-error").wait_for(timeout=15_000)
    assert "Invalid input: dataset csv:/nonexistent/pivot-prices" in \
        page.locator(".pivot-explorer-error").inner_text()
    area = page.locator(".pivot-explorer textarea")
    assert area.input_value() == good and area.is_disabled()
    assert "nonexistent" not in area.input_value()
    page.locator(".pivot-explorer").screenshot(path=str(SHOTS / "lab-00-explore-bad-input.png"))
    combo.fill("demo")
    combo.press("Enter")
    page.wait_for_function("() => !document.querySelector('.pivot-explorer textarea').disabled",
                           timeout=15_000)
    page.locator(".pivot-explorer").screenshot(path=str(SHOTS / "lab-00-explore-panel.png"))
    _shot(page, name)
    _save_and_check_stripped(page, lab, name)
    _close_notebooks(page)
