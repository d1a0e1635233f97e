"""plotly.js's bundles in the page: the vendored ones are what figures/plotly_bundles.py says they
are, a lab page loads the smallest that draws it (and never jupyterlab-plotly's 4.8 MB chunk), and
a 3-D view brings the full bundle."""

from __future__ import annotations

import re

import pytest

from labdriver.lab_page import wait_for_figure
from tests.browser.conftest import screenshot
from trainlab.figures.plotly_bundles import BUNDLES, FULL
from trainlab.serve.plotly_route import ROUTE, bundle_folder

pytestmark = pytest.mark.browser

# Every text a plot's "loading plotly.js" line shows, from now on.
LOADING_LINES_JS = """() => {
  window.__loadingLines = [];
  new MutationObserver(() => {
    for (const line of document.querySelectorAll('.trainlab-plot-loading')) window.__loadingLines.push(line.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
TRACES_AND_VERSION_JS = "() => [Object.keys(Plotly.PlotSchema.get().traces).sort(), Plotly.version]"


@pytest.mark.parametrize("bundle", BUNDLES[:-1], ids=lambda b: b.file)
def test_a_vendored_bundle_has_the_trace_types_listed_and_plotly_py_s_version(browser, bundle):
    context = browser.new_context()
    try:
        full = context.new_page()
        full.add_script_tag(path=bundle_folder(FULL.file) / FULL.file)
        _, plotly_py_version = full.evaluate(TRACES_AND_VERSION_JS)
        page = context.new_page()
        page.add_script_tag(path=bundle_folder(bundle.file) / bundle.file)
        traces, version = page.evaluate(TRACES_AND_VERSION_JS)
    finally:
        context.close()
    assert set(traces) == bundle.traces
    assert version == plotly_py_version, "serve/static/README.md says how to update the bundles"


def _bundles_requested(pg) -> list[str]:
    requested: list[str] = []
    pg.on("request", lambda request: re.search(r"plotly", request.url) and requested.append(request.url))
    return requested


def test_the_explorer_loads_the_basic_bundle_and_nothing_of_jupyterlab_plotly(server, page):
    pg, console = page
    requested = _bundles_requested(pg)
    pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb")
    wait_for_figure(pg)
    pg.wait_for_load_state("networkidle")
    assert requested == [f"{server}/{ROUTE}{BUNDLES[0].file}"]
    assert console.unexplained() == []


def test_the_race_in_3d_brings_the_full_bundle_and_back(server, page):
    pg, console = page
    requested = _bundles_requested(pg)
    pg.goto(f"{server}/voila/render/04_optimizers.ipynb")
    wait_for_figure(pg)
    assert requested == [f"{server}/{ROUTE}{BUNDLES[0].file}"]
    pg.evaluate(LOADING_LINES_JS)
    pg.locator("button.widget-toggle-button", has_text="3-D").first.click()
    pg.wait_for_selector(".trainlab-plot .gl-container canvas", timeout=60_000)
    assert requested[-1] == f"{server}/{ROUTE}{FULL.file}"
    # The wait for the larger bundle said what it was waiting for, with the time, and is gone.
    assert any(re.search(rf"loading the plotting library \(plotly.js, {re.escape(FULL.file)}\) · \d+\.\d s", line)
               for line in pg.evaluate("() => window.__loadingLines")), pg.evaluate("() => window.__loadingLines")
    assert pg.locator(".trainlab-plot-loading").count() == 0
    screenshot(pg, "04_optimizers-3d")
    pg.locator("button.widget-toggle-button", has_text="contour").first.click()
    # The map again (a picture, which the 3-D view does not have), drawn by the full bundle.
    pg.wait_for_selector(".trainlab-plot .imagelayer image", timeout=60_000)
    wait_for_figure(pg)
    assert console.unexplained() == []
