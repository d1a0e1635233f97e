"""What the figures show in Chromium, frame by frame: the race's map stays drawn while it animates
and its slider names the step drawn; the explorer's panels all show the frame on screen, its
table fits the page, and a figure never mixes two configurations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import screenshot
from tests.browser.lab_page import choose, settled_signature, signature, wait_for_change, wait_for_figure
from tests.browser.pixels import coloured_share
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
RACE_PLOT = ".trainlab-race .trainlab-plot .js-plotly-plot"
# The slider's label and the step the figure draws: the last step of the longest loss curve, and
# the step the state panel names.
RACE_STATE_JS = """() => {
  const gd = document.querySelector('.trainlab-race .trainlab-plot .js-plotly-plot');
  const label = [...gd.querySelectorAll('.slider-container text')].map(t => t.textContent)
      .find(t => t.startsWith('step '));
  const curves = gd.data.filter(t => t.xaxis === 'x2' && t.x.length);
  const panel = ((gd.layout.annotations || [])[0] || {}).text || '';
  return {label, drawn: Math.max(...curves.map(t => t.x[t.x.length - 1])),
          panel: Number((panel.match(/<\\/b>, step (\\d+)/) || [])[1])};
}"""
MAP_SHARE = 0.5  # of the map's pixels coloured: the surface is drawn (blank, only the paths are)


def _map_box(page: Page) -> dict[str, float]:
    return page.locator(f"{RACE_PLOT} .nsewdrag[data-subplot='xy']").first.bounding_box()


def _race_state(page: Page) -> dict:
    return page.evaluate(RACE_STATE_JS)


def _race_and_watch(page: Page, name: str, samples: int = 12) -> tuple[list[dict], dict]:
    """Press ▶ race; the state and the map's coloured share at `samples` moments mid-race, then
    the state once the race has ended on its last frame, as the figure opened."""
    box = _map_box(page)
    last = _race_state(page)["drawn"]
    page.get_by_role("button", name="▶ race").click()
    page.wait_for_function(f"(last) => ({RACE_STATE_JS})().drawn < last", arg=last, timeout=20_000)
    seen = []
    for i in range(samples):
        state = _race_state(page)
        seen.append({**state, "share": coloured_share(page.screenshot(clip=box))})
        if i == samples // 2:
            screenshot(page, f"race-{name}-mid")
        page.wait_for_timeout(150)
    page.wait_for_function(f"(last) => ({RACE_STATE_JS})().drawn === last", arg=last, timeout=60_000)
    page.wait_for_timeout(1000)  # the last frame's redraw
    end = {**_race_state(page), "share": coloured_share(page.screenshot(clip=box))}
    page.locator(".trainlab-race").screenshot(path=str(ARTIFACTS / f"race-{name}-end.png"))
    return seen, end


def test_the_race_map_stays_drawn_and_the_slider_names_the_step_drawn(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/04_optimizers.ipynb")
    wait_for_figure(pg)
    changes = [("zig-zag", None, None), ("rosenbrock", "lecture point", "Adam vs SGD+momentum on Rosenbrock"),
               ("himmelblau", "surface", "himmelblau")]
    for name, control, choice in changes:
        if control is not None:
            before = signature(pg)
            choose(pg, control, choice)
            wait_for_change(pg, before)
        settled_signature(pg)
        opened = _race_state(pg)
        last = opened["drawn"]
        assert opened["label"] == f"step {last}" and opened["panel"] == last, opened
        assert coloured_share(pg.screenshot(clip=_map_box(pg))) > MAP_SHARE
        seen, end = _race_and_watch(pg, name)
        assert len([s for s in seen if 0 < s["drawn"] < last]) >= 4, seen  # it animated
        assert all(s["share"] > MAP_SHARE for s in seen), [round(s["share"], 3) for s in seen]
        assert all(s["label"] == f"step {s['drawn']}" and s["panel"] == s["drawn"] for s in seen), seen
        assert end["share"] > MAP_SHARE and end == {**opened, "share": end["share"]}, (opened, end)
    assert console.errors == []
