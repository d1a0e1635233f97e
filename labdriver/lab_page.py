"""How a test sees and drives a lab page: what is drawn, and the controls a student uses."""

from __future__ import annotations

from playwright.sync_api import Page

PLOT = ".trainlab-plot .js-plotly-plot"
# What the histogram figure shows: every drawn path and every title text.
SIGNATURE_JS = """() => {
  const plot = document.querySelector('.trainlab-plot .js-plotly-plot');
  if (!plot) return '';
  const paths = [...plot.querySelectorAll('.scatterlayer path')].map(p => p.getAttribute('d') || '');
  const titles = [...plot.querySelectorAll('.annotation-text')].map(t => t.textContent);
  return paths.join('|') + '#' + titles.join('|');
}"""


def wait_for_figure(page: Page, timeout_ms: int = 90_000) -> str:
    page.wait_for_selector(f"{PLOT} .scatterlayer path", timeout=timeout_ms)
    page.wait_for_function(f"({SIGNATURE_JS})().length > 200", timeout=timeout_ms)
    return signature(page)


def signature(page: Page) -> str:
    return page.evaluate(SIGNATURE_JS)


def settled_signature(page: Page, quiet_ms: int = 800, timeout_ms: int = 20_000) -> str:
    """The figure's signature once it has stopped changing for `quiet_ms` (a page still laying
    itself out resizes the plot, which moves every path)."""
    waited, last = 0, signature(page)
    while waited < timeout_ms:
        page.wait_for_timeout(quiet_ms)
        waited += quiet_ms
        now = signature(page)
        if now == last:
            return now
        last = now
    raise AssertionError("the figure kept changing")


def wait_for_change(page: Page, before: str, timeout_ms: int = 60_000) -> str:
    page.wait_for_function(f"(before) => {{ const s = ({SIGNATURE_JS})(); return s.length > 200 && s !== before; }}",
                           arg=before, timeout=timeout_ms)
    return signature(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the dropdown whose label is `label`."""
    page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select").select_option(option)


def set_slider(page: Page, label: str, value: str) -> None:
    """Type `value` into the editable readout of the slider labelled `label`."""
    slider = page.locator(".widget-slider", has=page.locator(f"label:text-is('{label}')"))
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def wait_for_drawn(page: Page, *words: str, timeout_ms: int = 60_000) -> None:
    """Wait until the status line says the drawn configuration includes every one of `words`."""
    page.wait_for_function(
        "(words) => { const s = document.querySelector('.trainlab-drawn');"
        " return !!s && words.every(w => s.textContent.includes(w)); }",
        arg=list(words), timeout=timeout_ms)


def status_text(page: Page) -> str:
    return page.locator(".trainlab-status-line").first.inner_text()


# Every drawn point of every explorer plot lies inside its subplot's y range (on a log axis the
# range is in log10 units): a stale axis range would clip a histogram or hide the std plot.
DATA_INSIDE_Y_RANGES_JS = """() => {
  const plots = [...document.querySelectorAll('.trainlab-plot .js-plotly-plot')];
  if (plots.length < 2) return false;
  return plots.every(plot => plot.data.every(trace => {
    const axis = plot._fullLayout['yaxis' + (trace.yaxis || 'y').slice(1)];
    const ys = (trace.y || []).filter(v => v !== null && (axis.type !== 'log' || v > 0));
    const [lo, hi] = axis.range;
    const pos = v => axis.type === 'log' ? Math.log10(v) : v;
    return ys.every(v => pos(v) >= lo - 1e-9 && pos(v) <= hi + 1e-9);
  }));
}"""


TRAINING = ".trainlab-training"
# Points of the first dashboard's minibatch-loss curve (one per step trained), -1 before it exists.
LOSS_POINTS_JS = """() => {
  const plot = document.querySelector('.trainlab-training .trainlab-plot .js-plotly-plot');
  const raw = plot && plot.data.find(t => t.name === 'minibatch loss');
  return raw ? raw.x.length : -1;
}"""


def wait_for_dashboard(page: Page, timeout_ms: int = 90_000) -> None:
    page.wait_for_selector(f"{TRAINING} .trainlab-plot .js-plotly-plot", timeout=timeout_ms)
    page.wait_for_selector(f"{TRAINING} .trainlab-progress", timeout=timeout_ms)


def loss_points(page: Page) -> int:
    return page.evaluate(LOSS_POINTS_JS)


def last_loss_step(page: Page) -> int:
    """The step of the minibatch-loss curve's last point (long curves are thinned before sending)."""
    return page.evaluate("() => { const plot = document.querySelector('.trainlab-training .trainlab-plot "
                         ".js-plotly-plot'); const raw = plot.data.find(t => t.name === 'minibatch loss');"
                         " return raw.x[raw.x.length - 1]; }")


def set_int(page: Page, label: str, value: int) -> None:
    """Type `value` into the first integer box labelled `label`, as a student would."""
    box = page.locator(".widget-text", has=page.locator(f"label:text-is('{label}')")).first.locator("input")
    box.fill(str(value))
    box.press("Enter")


def progress_text(page: Page) -> str:
    return page.locator(f"{TRAINING} .trainlab-progress").first.inner_text()
