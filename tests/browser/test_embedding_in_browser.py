"""What an instructor and a shared link see in the browser: a lab opened with a query string
starts in that state, the "link to this view" control gives an address that opens the same
view, a bad link gives a notice instead of a failed page, a predict-then-reveal question moves
its widget, and the compact widgets of the instructor's guide fit a 1280 x 720 slide."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from labdriver.console import Console
from tests.browser.conftest import screenshot
from labdriver.lab_page import choose, set_slider, settled_signature, wait_for_change, wait_for_drawn, wait_for_figure
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
LAB = "02_weight_initialization"


def _select_value(page: Page, label: str) -> str:
    return page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select").first.input_value()


def _link(page: Page) -> str:
    url = page.locator(".trainlab-share-url").first
    assert not url.is_visible(), "the address shows when asked for"
    page.locator(".trainlab-share-open").first.click()
    url.wait_for(state="visible", timeout=10_000)
    return url.input_value()


def test_a_link_opens_the_lab_in_its_state_and_the_link_control_gives_it_back(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/{LAB}.ipynb?activation=relu&init=kaiming_normal&depth=4", timeout=90_000)
    wait_for_figure(pg)
    wait_for_drawn(pg, "relu ·", "4×4096")
    assert _select_value(pg, "activation") == "relu" and _select_value(pg, "init") == "kaiming_normal"
    url = _link(pg)
    assert url.startswith(f"{server}/voila/render/{LAB}.ipynb?")
    assert {"activation=relu", "init=kaiming_normal", "depth=4"} <= set(url.split("?", 1)[1].split("&"))

    before = settled_signature(pg)
    choose(pg, "activation", "gelu")
    wait_for_drawn(pg, "gelu ·")
    wait_for_change(pg, before)
    pg.wait_for_function("() => document.querySelector('.trainlab-share-url').value.includes('activation=gelu')",
                         timeout=10_000)
    shared = pg.locator(".trainlab-share-url").first.input_value()
    screenshot(pg, "link-to-this-view")

    pg.goto(shared)  # a colleague opens the link
    wait_for_figure(pg)
    wait_for_drawn(pg, "gelu ·", "4×4096")
    assert _select_value(pg, "activation") == "gelu"
    assert console.unexplained() == []


def test_a_bad_link_opens_the_lab_with_a_notice(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/{LAB}.ipynb?activation=softmax&colour=red&depth=many&std=0.3", timeout=90_000)
    wait_for_figure(pg)
    wait_for_drawn(pg, "std 0.3 ")  # the good part of the link still applies
    notices = pg.locator(".trainlab-notice-warning")
    notices.first.wait_for(timeout=30_000)
    text = " ".join(notices.all_inner_texts())
    assert "Link:" in text and "activation='softmax': must be one of" in text and "'colour'" in text and "depth='many'" in text
    assert _select_value(pg, "activation") == "tanh", "a bad value leaves the setting as it was"
    screenshot(pg, "bad-link-notice")
    assert console.unexplained() == []


def test_predict_then_reveal_moves_the_explorer(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/{LAB}.ipynb", timeout=90_000)
    wait_for_figure(pg)
    before = settled_signature(pg)
    question = pg.locator(".trainlab-predict").first
    commit = question.get_by_role("button", name="Commit my guess")
    assert commit.is_disabled(), "no guess, nothing to commit"
    question.locator("label", has_text="five times larger").click()
    commit.click()
    verdict = question.locator(".trainlab-verdict")
    verdict.wait_for(timeout=30_000)
    assert "Not quite" in verdict.inner_text() and "saturates" in verdict.inner_text()
    wait_for_drawn(pg, "std 0.05")
    wait_for_change(pg, before)
    assert question.locator("input[type=radio]").first.is_disabled(), "a committed guess stays committed"
    question.screenshot(path=str(ARTIFACTS / "predict-reveal.png"))
    assert console.unexplained() == []


def test_compact_widgets_fit_a_slide_and_react(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = context.new_page()

    console = Console(pg)
    try:
        pg.goto(f"{server}/voila/render/instructor_guide.ipynb", timeout=90_000)
        explorer = pg.locator(".trainlab-explorer.trainlab-compact")
        explorer.wait_for(timeout=90_000)
        wait_for_figure(pg)
        before = settled_signature(pg)
        box = explorer.bounding_box()
        assert box["width"] <= 1280 and box["height"] <= 720, box
        race = pg.locator(".trainlab-race.trainlab-compact")
        race.locator(".trainlab-plot .js-plotly-plot").first.wait_for(timeout=90_000)
        race_box = race.bounding_box()
        assert race_box["width"] <= 1280 and race_box["height"] <= 720, race_box
        label_px = explorer.locator(".widget-label").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        tick_px = explorer.locator(".js-plotly-plot .xtick text").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert label_px >= 16 and tick_px >= 13, (label_px, tick_px)
        # Only the chosen controls show; the locked one shows but cannot be changed.
        assert not explorer.locator(".widget-text", has=pg.locator("label:text-is('depth')")).is_visible()
        activation = explorer.locator(".widget-dropdown", has=pg.locator("label:text-is('activation')")).locator("select")
        assert activation.is_visible() and activation.is_disabled()
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(ARTIFACTS / "compact-explorer.png"))
        race.screenshot(path=str(ARTIFACTS / "compact-race.png"))

        set_slider(pg, "gain", "0.5")
        wait_for_drawn(pg, "gain 0.5")
        wait_for_change(pg, before)
        assert console.unexplained() == []
    finally:
        context.close()
