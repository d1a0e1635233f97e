"""What the figures show in Chromium, frame by frame: the race's map stays drawn while it animates
and its slider names the step drawn; the explorer's panels all show the frame on screen, its
table fits the page, and a figure never mixes two configurations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from labdriver.lab_page import (
    choose,
    set_slider,
    settled_signature,
    signature,
    wait_for_change,
    wait_for_drawn,
    wait_for_figure,
)
from tests.browser.conftest import screenshot
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
        # What is drawn is one frame (paths, losses, state panel); plotly moves the slider as it
        # starts drawing the next one, so mid-race the label may lead by that frame, never more.
        steps = [int(t) for t in pg.evaluate(f"() => document.querySelector('{RACE_PLOT}')._transitionData._frames"
                                             ".map(f => f.name)")]
        for s in seen:
            assert s["panel"] == s["drawn"], s
            at = steps.index(s["drawn"])
            assert s["label"] in {f"step {step}" for step in steps[at:at + 2]}, s
        assert end["share"] > MAP_SHARE and end == {**opened, "share": end["share"]}, (opened, end)
    assert console.unexplained() == []


# -- the explorer -----------------------------------------------------------------------------
EXPLORER = ".trainlab-explorer"
HISTOGRAMS = f"{EXPLORER} .trainlab-plot .js-plotly-plot"
# What the explorer's first plot shows: the std each histogram title states, the std panel's
# measured line (a sweep's), the slider's label, and whether the figure holds frames.
EXPLORER_STATE_JS = """() => {
  const gd = document.querySelector('.trainlab-explorer .trainlab-plot .js-plotly-plot');
  const titles = [...gd.querySelectorAll('.annotation-text')].map(t => t.textContent);
  const measured = gd.data.find(t => t.name === 'measured');
  const label = [...gd.querySelectorAll('.slider-container text')].map(t => t.textContent)
      .find(t => t.includes(' = '));
  const panel = titles.find(t => t.startsWith('std of activations per layer')) || '';
  const shown = (panel.match(/, std ([\\d.e+-]+):/) || [])[1];
  const frame = shown && gd._transitionData._frameHash[shown];
  const frameMeasured = frame ? frame.data.find(t => t.name === 'measured').y : null;
  const names = (gd._transitionData && gd._transitionData._frames || []).map(f => f.name);
  return {layerStd: titles.filter(t => t.startsWith('layer ')).map(t => Number(t.match(/std (-?[\\d.]+(?:e[-+]?\\d+)?)/)[1])),
          measured: measured ? measured.y : null, label: label || null, panel, shown: shown || null, frameMeasured,
          next: shown ? names[names.indexOf(shown) + 1] || null : null,
          frames: (gd._transitionData && gd._transitionData._frames || []).length,
          sliders: gd.querySelectorAll('.slider-container').length};
}"""


def _explorer_state(page: Page) -> dict:
    return page.evaluate(EXPLORER_STATE_JS)


def _agrees(titles: list[float], measured: list[float]) -> bool:
    """The titles' std (2 or 3 significant digits) are the panel's measured std, layer by layer."""
    return len(titles) == len(measured) and all(abs(t - m) <= 0.05 * abs(m) + 1e-12 for t, m in zip(titles, measured))


def _sweep(page: Page) -> None:
    page.get_by_role("button", name="▶ sweep std").click()
    page.wait_for_selector(f"{HISTOGRAMS} .slider-container", timeout=120_000)


def test_a_sweep_shows_the_frame_on_its_slider_in_every_panel(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb")
    wait_for_figure(pg)
    settled_signature(pg)
    _sweep(pg)
    assert not pg.locator(f"{EXPLORER} .trainlab-table").is_visible(), "the single pass's table leaves"
    seen = []
    for _ in range(14):  # while it plays, what is drawn is one frame: its titles and its std panel
        state = _explorer_state(pg)
        seen.append(state)
        assert _agrees(state["layerStd"], state["frameMeasured"]), state
        # plotly moves the slider as it starts drawing the next frame: it may lead by that one.
        assert state["label"].split(" = ")[1] in (state["shown"], state["next"]), state
        pg.wait_for_timeout(250)
    assert len({s["shown"] for s in seen}) >= 4, "the std panel did not move"
    pg.wait_for_function(f"() => ({EXPLORER_STATE_JS})().label === 'std = 0.3'", timeout=30_000)
    pg.wait_for_timeout(1000)  # the last frame's redraw
    state = _explorer_state(pg)
    assert state["shown"] == "0.3" and _agrees(state["layerStd"], state["measured"]), state
    screenshot(pg, "explorer-sweep")
    # Scrubbing: the slider's label, the titles and the std panel name one std.
    ticks = pg.locator(f"{HISTOGRAMS} .slider-label:not(:has-text(' = '))")
    tick = ticks.nth(ticks.count() // 2)
    value = tick.text_content()
    tick.scroll_into_view_if_needed()
    box = tick.bounding_box()
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.wait_for_function(f"(v) => ({EXPLORER_STATE_JS})().label === 'std = ' + v", arg=value, timeout=20_000)
    pg.wait_for_timeout(500)
    state = _explorer_state(pg)
    assert f"std {value}:" in state["panel"] and _agrees(state["layerStd"], state["measured"]), state
    assert console.unexplained() == []


def test_changing_the_activation_mid_sweep_draws_one_configuration(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb")
    wait_for_figure(pg)
    settled_signature(pg)
    for when in ("while it plays", "while it computes"):
        before = signature(pg)
        pg.get_by_role("button", name="▶ sweep std").click()
        if when == "while it plays":
            pg.wait_for_selector(f"{HISTOGRAMS} .slider-container", timeout=120_000)
            pg.wait_for_timeout(800)
        activation = "relu" if when == "while it plays" else "gelu"
        choose(pg, "activation", activation)
        wait_for_drawn(pg, f"{activation} ·")
        wait_for_change(pg, before)
        pg.wait_for_timeout(6000)  # longer than the sweep would have played
        state = _explorer_state(pg)
        assert state["sliders"] == 0 and state["frames"] == 0 and state["measured"] is None, (when, state)
        # The histograms, the std plot and the table show the same single pass of the new activation.
        table_std = [float(v) for v in pg.locator(f"{EXPLORER} .trainlab-table tr td:nth-child(3)").all_inner_texts()]
        assert _agrees(state["layerStd"], table_std), (when, state, table_std)
        settled = signature(pg)
        pg.wait_for_timeout(1500)
        assert signature(pg) == settled, f"{when}: the figure still moves"
        screenshot(pg, f"explorer-after-sweep-{activation}")
    assert console.unexplained() == []


def test_the_explorer_says_what_it_cannot_draw(server, page):
    pg, console = page
    pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb")
    wait_for_figure(pg)
    choose(pg, "init", "zeros")
    wait_for_drawn(pg, "zeros")
    std_plot = pg.locator(f"{EXPLORER} .trainlab-plot .js-plotly-plot").nth(1)
    std_plot.locator(".annotation-text", has_text="std is 0").wait_for(timeout=30_000)
    assert "zero init" in std_plot.locator(".annotation-text").first.text_content()
    screenshot(pg, "explorer-zeros")

    choose(pg, "init", "normal")
    choose(pg, "activation", "relu")
    set_slider(pg, "std", "0.3")
    wait_for_drawn(pg, "relu ·", "std 0.3 ")
    settled_signature(pg)
    ranges = pg.evaluate(f"""() => {{ const gd = document.querySelector('{HISTOGRAMS}');
        return Object.keys(gd.layout).filter(k => /^xaxis\\d*$/.test(k)).map(k => gd.layout[k].range.join(',')); }}""")
    assert len(set(ranges)) == len(ranges), "an exploding net's layers each get their own x range"
    shares = pg.evaluate(f"""() => document.querySelector('{HISTOGRAMS}').data.filter(t => t.yaxis === 'y' ||
        /^y[2-6]$/.test(t.yaxis)).map(t => t.y.slice(0, 3).reduce((a, b) => a + b, 0))""")
    assert max(shares) < 0.9, f"a panel is a spike at zero: {shares}"
    assert pg.locator(f"{HISTOGRAMS} .annotation-text", has_text="each layer its own range").count() == 1
    assert "exploding" in " ".join(pg.locator(".trainlab-notice-warning").all_inner_texts())
    pg.locator(EXPLORER).screenshot(path=str(ARTIFACTS / "explorer-exploding.png"))
    assert console.unexplained() == []


# The table's last header cell: its right edge, the explorer's, and whether any box between them
# clips or scrolls it (overflow), and what the page shows at the cell's centre.
TABLE_EDGE_JS = """() => {
  const cell = [...document.querySelectorAll('.trainlab-explorer .trainlab-table th')].pop();
  cell.scrollIntoView({block: 'center'});
  const explorer = cell.closest('.trainlab-explorer');
  const r = cell.getBoundingClientRect();
  let clipped = false;
  for (let box = cell.parentElement; box && box !== explorer.parentElement; box = box.parentElement) {
    clipped = clipped || box.scrollWidth > box.clientWidth + 1;
  }
  const seen = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {text: cell.textContent, right: r.right, explorer: explorer.getBoundingClientRect().right,
          clipped, shown: seen === cell || cell.contains(seen)};
}"""


# The histogram grid's tick labels: how many, how many plotly.js hid (past the plot's edge), the
# widest overhang past the plot's box in px, and how many axes have automatic margins (with them
# plotly.js draws a new grid twice; its margins are fixed instead: see figures/explorer.py).
TICK_LABELS_JS = r"""() => {
  const gd = document.querySelector('.trainlab-explorer .trainlab-plot .js-plotly-plot');
  const box = gd.querySelector('.main-svg').getBoundingClientRect();
  const labels = [...gd.querySelectorAll('.xaxislayer-above text, .yaxislayer-above text')];
  const shown = labels.filter(t => getComputedStyle(t).display !== 'none' && t.getAttribute('display') !== 'none');
  const over = Math.max(0, ...shown.map(t => { const r = t.getBoundingClientRect();
    return Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom); }));
  const full = gd._fullLayout;  // the axes as drawn: the figure's own settings over its template's
  const automargin = Object.keys(full).filter(k => /^[xy]axis\d*$/.test(k) && full[k].automargin).length;
  return {labels: labels.length, hidden: labels.length - shown.length, over, automargin};
}"""


def test_the_explorer_fits_an_800_pixel_page_in_one_draw(server, browser):
    """Its table fits; every tick label of the histograms is inside the plot, whose margins are
    fixed (automatic ones cost a second drawing of every new plot)."""
    context = browser.new_context(viewport={"width": 800, "height": 1000})
    pg = context.new_page()
    try:
        pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb", timeout=90_000)
        wait_for_figure(pg)
        settled_signature(pg)
        ticks = pg.evaluate(TICK_LABELS_JS)
        assert ticks["labels"] >= 12 and ticks["hidden"] == 0 and ticks["over"] <= 0.5, ticks
        assert ticks["automargin"] == 0, ticks
        edge = pg.evaluate(TABLE_EDGE_JS)
        assert edge["text"] == "dL/dW std"
        assert edge["right"] <= edge["explorer"] and not edge["clipped"] and edge["shown"], edge
        pg.locator(EXPLORER).screenshot(path=str(ARTIFACTS / "explorer-800px.png"))
    finally:
        context.close()


def test_the_compact_race_state_panel_is_not_clipped(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = context.new_page()
    try:
        pg.goto(f"{server}/voila/render/instructor_guide.ipynb", timeout=90_000)
        race = pg.locator(".trainlab-race.trainlab-compact")
        race.locator(".trainlab-plot .js-plotly-plot .scatterlayer path").first.wait_for(timeout=90_000)
        race.scroll_into_view_if_needed()
        panel = race.locator(".annotation").first
        panel.wait_for(timeout=30_000)
        box = panel.bounding_box()
        svg = race.locator(".main-svg").first.bounding_box()
        assert box["x"] + box["width"] <= svg["x"] + svg["width"], (box, svg)
        assert race.locator(".trainlab-notice-error").count() == 0, race.locator(".trainlab-notice-error").all_inner_texts()
        race.screenshot(path=str(ARTIFACTS / "compact-race-panel.png"))
    finally:
        context.close()
