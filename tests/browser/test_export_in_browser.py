"""An exported HTML file opened from disk (file://) in headless Chromium, used as a student would:
click the slider, switch activation, press play. No server, no kernel, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from playwright.sync_api import Page

from labdriver.console import Console
from tests.browser.conftest import screenshot
from trainlab.cli import main

PLOT = ".js-plotly-plot"
# What is drawn: the traces' data as plotly holds it, and the SVG paths it drew from them.
SIGNATURE_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const data = JSON.stringify(gd.data.map(t => [t.x, t.y]));
  const paths = [...gd.querySelectorAll('.scatterlayer path')].map(p => p.getAttribute('d') || '');
  return data + '#' + paths.join('|');
}"""
TITLE_JS = "() => document.querySelector('.js-plotly-plot .gtitle').textContent"

pytestmark = pytest.mark.browser


def _open(page: Page, path: Path) -> list[str]:
    """Open the file; the URLs it asks for (anything not on disk would need a network)."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_selector(f"{PLOT} .scatterlayer path", timeout=60_000)
    return requests


def _signature(page: Page) -> str:
    return page.evaluate(SIGNATURE_JS)


def _wait_for_change(page: Page, before: str, timeout_ms: int = 20_000) -> str:
    page.wait_for_function(f"(before) => ({SIGNATURE_JS})() !== before", arg=before, timeout=timeout_ms)
    return _signature(page)


def _click_slider_step(page: Page, label: str) -> None:
    """Click the slider's rail at the tick labelled `label`, as a user does (the rail's touch
    area lies over the labels)."""
    box = page.locator(f".slider-label[data-unformatted='{label}']").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _click_button(page: Page, label: str) -> None:
    page.locator(".updatemenu-button", has_text=label).first.click()


def _wait_for_title(page: Page, text: str, timeout_ms: int = 20_000) -> None:
    page.wait_for_function(f"(text) => ({TITLE_JS})().includes(text)", arg=text, timeout=timeout_ms)


def _offline(requests: list[str]) -> list[str]:
    return [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]


def test_the_init_export_works_from_disk(page: tuple[Page, Console], tmp_path: Path) -> None:
    pg, console = page
    out = tmp_path / "init.html"
    assert main(["export", "init", "--width", "256", "--depth", "4", "--activations", "tanh,relu",
                 "--stds", "0.01,0.1,1", "--out", str(out)]) == 0
    requests = _open(pg, out)
    assert "tanh · normal std 0.01" in pg.evaluate(TITLE_JS)
    first = _signature(pg)

    _click_slider_step(pg, "0.1")
    _wait_for_title(pg, "tanh · normal std 0.1 ")
    moved = _wait_for_change(pg, first)
    assert moved != first

    # Switching activation keeps the std, and shows relu's own slider.
    _click_button(pg, "relu")
    _wait_for_title(pg, "relu · normal std 0.1 ")
    switched = _wait_for_change(pg, moved)
    slider_text = pg.locator(".slider-container").first.text_content()
    assert "relu, std = 0.1" in slider_text
    assert pg.locator(".slider-container").count() == 1

    # Play runs relu's remaining frames, through to its last std.
    _click_button(pg, "play")
    _wait_for_title(pg, "relu · normal std 1 ", timeout_ms=30_000)
    assert _signature(pg) != switched
    pg.wait_for_timeout(600)  # let the last transition finish before the picture
    screenshot(pg, "export-init")
    assert console.unexplained() == []
    assert _offline(requests) == []


def test_the_race_export_works_from_disk(page: tuple[Page, Console], tmp_path: Path) -> None:
    pg, console = page
    out = tmp_path / "race.html"
    assert main(["export", "optimizers", "--preset", "zig-zag: SGD vs momentum", "--out", str(out)]) == 0
    requests = _open(pg, out)
    path_length = "() => document.querySelector('.js-plotly-plot').data.find(t => t.name === 'SGD').x.length"
    finished = _signature(pg)
    full = pg.evaluate(path_length)

    _click_slider_step(pg, "0")  # back to the start: one point per path
    _wait_for_change(pg, finished)
    assert pg.evaluate(path_length) == 1

    _click_button(pg, "play")
    pg.wait_for_function(f"() => ({path_length})() > 1", timeout=20_000)
    pg.wait_for_timeout(1500)
    screenshot(pg, "export-race-playing")
    # The loss surface stays under the paths while they move (a contour trace did not).
    assert pg.locator(f"{PLOT} .imagelayer image").count() == 1
    # Play ends on the last frame, which draws the finished race again, as the page opened.
    pg.wait_for_function(f"(data) => ({SIGNATURE_JS})().split('#')[0] === data", arg=finished.split("#")[0],
                         timeout=30_000)
    assert pg.evaluate(path_length) == full
    assert pg.locator(f"{PLOT} .imagelayer image").count() == 1
    assert console.unexplained() == []
    assert _offline(requests) == []


def test_the_preprocessing_export_plays_its_stages_from_disk(page: tuple[Page, Console], tmp_path: Path) -> None:
    pg, console = page
    out = tmp_path / "cloud.html"
    assert main(["export", "preprocessing", "--out", str(out)]) == 0
    requests = _open(pg, out)
    raw = _signature(pg)
    _click_slider_step(pg, "whitened")
    whitened = _wait_for_change(pg, raw)
    stage_text = "() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')].map(a => a.textContent).join(' ')"
    pg.wait_for_function(f"() => ({stage_text})().includes('whitened')", timeout=20_000)
    screenshot(pg, "export-preprocessing-whitened")
    _click_button(pg, "play")  # from the first stage again: the points move back through the stages
    _wait_for_change(pg, whitened)
    assert console.unexplained() == []
    assert _offline(requests) == []
