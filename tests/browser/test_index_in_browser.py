"""The labs index in headless Chromium: one card with a loaded thumbnail for every notebook in
labs/, cards that take a student to each lab, and the lab's back link that brings them home."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import screenshot
from labdriver.lab_page import PLOT
from tests.conftest import ARTIFACTS, LABS

pytestmark = pytest.mark.browser
INDEX = "index.ipynb"
TILES = "a.trainlab-tile"  # the lab cards (a.trainlab-card) and the instructor's guide card
THUMB_WIDTH = 480  # what scripts/make_thumbnails.py writes

# Each card as the browser has it: its link, its text, and whether its picture decoded.
CARDS_JS = """() => [...document.querySelectorAll('a.trainlab-tile')].map(a => {
  const img = a.querySelector('img');
  const text = sel => (a.querySelector(sel)?.textContent || '').trim();
  return {href: a.getAttribute('href'), title: text('.trainlab-title'), blurb: text('.trainlab-blurb'),
          src: img ? img.currentSrc : '', width: img ? img.naturalWidth : 0};
})"""
# How many columns the grid shows: the distinct left edges of the cards.
COLUMNS_JS = """() => new Set([...document.querySelectorAll('a.trainlab-tile')]
  .map(a => Math.round(a.getBoundingClientRect().left))).size"""


def notebooks_in_labs() -> set[str]:
    return {path.name for path in LABS.glob("*.ipynb") if path.name != INDEX}


def open_index(page: Page, server: str) -> None:
    page.goto(f"{server}/voila/render/{INDEX}")
    page.locator(TILES).first.wait_for(timeout=60_000)
    wait_for_index_images(page)


def wait_for_index_images(page: Page) -> None:
    """Until every card's picture has loaded or failed (`complete` is true either way)."""
    page.wait_for_function("() => [...document.querySelectorAll('a.trainlab-tile img')].every(i => i.complete)",
                           timeout=30_000)


def test_index_has_a_card_with_a_thumbnail_for_every_notebook(server, page):
    pg, console = page
    open_index(pg, server)
    cards = pg.evaluate(CARDS_JS)
    hrefs = [card["href"] for card in cards]
    assert len(hrefs) == len(set(hrefs)), f"a notebook has two cards: {hrefs}"
    # Every notebook is linked, and nothing is linked that is not there.
    assert set(hrefs) == notebooks_in_labs()
    for card in cards:
        # A relative path under /voila/render/ that the server serves as a real 480-pixel image.
        assert card["src"].endswith(f"/voila/render/images/thumbs/{card['href'].removesuffix('.ipynb')}.png"), card
        assert card["width"] == THUMB_WIDTH, f"{card['href']}: its thumbnail did not load ({card['src']})"
        assert card["title"] and len(card["blurb"]) > 40, card
    assert pg.locator("h1", has_text="trainlab").count() == 1
    using = pg.locator(".trainlab-using")
    assert "Using a lab" in using.inner_text()
    screenshot(pg, "index-cards")
    using.screenshot(path=str(ARTIFACTS / "index-using-a-lab.png"))

    # A responsive grid: several columns on a desktop, one on a phone, never wider than the screen.
    wide = pg.evaluate(COLUMNS_JS)
    pg.set_viewport_size({"width": 400, "height": 900})
    pg.wait_for_function(f"() => ({COLUMNS_JS})() === 1", timeout=10_000)
    assert wide >= 3
    assert pg.evaluate("() => { const g = document.querySelector('.trainlab-cards');"
                       " return g.scrollWidth <= g.clientWidth; }"), "the cards overflow a narrow screen"
    screenshot(pg, "index-phone")
    assert console.unexplained() == []


def test_every_card_opens_its_notebook_and_the_back_link_returns(server, page):
    pg, console = page
    open_index(pg, server)
    hrefs = [card["href"] for card in pg.evaluate(CARDS_JS)]
    assert hrefs, "no cards"
    errors: dict[str, list[str]] = {}  # console errors by the notebook visited: one run shows them all
    for href in hrefs:
        seen = len(console.errors)
        # Voila streams a page while its notebook runs and fires "load" only at the end (a minute
        # on a busy machine when no preheated kernel is left), so wait for the navigation itself.
        pg.locator(f"{TILES}[href='{href}']").click()
        pg.wait_for_url(f"**/voila/render/{href}", wait_until="commit", timeout=30_000)
        # The notebook really ran: its widget drew its figure (every lab and the guide have one).
        pg.wait_for_selector(PLOT, timeout=180_000)
        pg.locator("a.trainlab-back").click()
        pg.wait_for_url(f"**/voila/render/{INDEX}", wait_until="commit", timeout=30_000)
        pg.locator(TILES).first.wait_for(timeout=60_000)
        wait_for_index_images(pg)
        if len(console.errors) > seen:
            errors[href] = console.errors[seen:]
    assert errors == {}
