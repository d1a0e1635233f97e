"""How long Chromium takes to draw the explorer's 12-panel histogram figure, in the page of lab 02
served by a warm `trainlab serve`, with the layout as trainlab sends it and with layout variants:
`Plotly.react` of the drawn plot (a control change) and `Plotly.newPlot` into a new one (a page
opening, or a plot that gains a sweep's slider).

    python benchmarks/bench_plotly_react.py [--rounds N] [--draws N]

Each draw gives every histogram new counts (scaled by a random factor, the y ranges with them) and
every panel title a new text, as a std change does, starting from the figure the lab drew first.
The variants take turns, round after round, in one page. Reported per variant and kind of draw:
the time until plotly.js is done (for react, the synchronous time: it draws nothing before it
returns) and the time to the first change of a drawn path.

Variants: `as sent`; `automatic margins` (the layout trainlab sent before stop 25: every axis with
the automargin of plotly.py's default template, and a right margin of 10 px, which the last tick
label overran by 3 px, so that plotly.js drew every new plot a second time to widen it); `allow` (every axis with ticklabeloverflow 'allow':
no measuring of tick labels against the plot's edges); `same titles` (the panel titles unchanged,
only the traces and ranges).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench_browser import EXPLORER, serve  # benchmarks/, beside this script
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from labdriver.lab_page import wait_for_figure  # noqa: E402

VARIANTS = ("as sent", "automatic margins", "allow", "same titles")
KINDS = ("react", "newPlot")
DRAWS_JS = r"""async ([variant, kind, draws]) => {
  const gd = document.querySelector('.trainlab-plot .js-plotly-plot');
  if (!window.__benchBase) window.__benchBase = JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout}));
  const base = window.__benchBase;
  const layout = JSON.parse(JSON.stringify(base.layout));
  const axes = Object.keys(layout).filter(k => /^[xy]axis\d*$/.test(k));
  if (variant === 'allow') axes.forEach(k => { layout[k].ticklabeloverflow = 'allow'; });
  if (variant === 'automatic margins') {
    axes.forEach(k => { delete layout[k].automargin; });
    layout.margin = {...layout.margin, r: 10};
  }
  const fresh = () => {
    const node = document.createElement('div');
    node.style.width = gd.offsetWidth + 'px';
    document.body.prepend(node);
    return node;
  };
  let node = gd;
  if (kind === 'react') {  // a plot of its own, drawn with the variant's layout first
    node = fresh();
    await Plotly.newPlot(node, base.data, layout);
  }
  const done = [], first = [];
  for (let i = 0; i < draws; i++) {
    const scale = 1 + 0.3 * (i % 2 ? 1 : -1) * Math.random();
    const data = base.data.map(t => ({...t, y: t.y.map(v => v * scale)}));
    const next = {...layout};
    axes.filter(k => k.startsWith('y') && next[k].range).forEach(k => {
      next[k] = {...next[k], range: [0, next[k].range[1] * scale]};
    });
    if (variant !== 'same titles') next.annotations = layout.annotations.map(a => ({...a, text: a.text + (i % 2 ? ' ' : '')}));
    if (kind === 'newPlot') node = fresh();
    let changed = null;
    const watch = new MutationObserver(() => { if (changed === null) changed = performance.now(); });
    watch.observe(node, {subtree: true, childList: true, attributes: true, attributeFilter: ['d']});
    const start = performance.now();
    const drawn = kind === 'react' ? Plotly.react(node, data, next) : Plotly.newPlot(node, data, next);
    if (kind === 'react') done.push(performance.now() - start);
    await drawn;
    if (kind === 'newPlot') done.push(performance.now() - start);
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
    watch.disconnect();
    first.push((changed ?? NaN) - start);
    if (kind === 'newPlot') { Plotly.purge(node); node.remove(); }
    await new Promise(resolve => setTimeout(resolve, 250));  // the 150 ms layout transition ends
  }
  if (kind === 'react') { Plotly.purge(node); node.remove(); }
  return [done, first];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=8, help="draws per variant and round")
    args = parser.parse_args()
    done: dict[tuple[str, str], list[float]] = {(v, k): [] for v in VARIANTS for k in KINDS}
    first: dict[tuple[str, str], list[float]] = {(v, k): [] for v in VARIANTS for k in KINDS}
    with serve(ROOT) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + EXPLORER)
        wait_for_figure(page)
        page.wait_for_timeout(3000)
        for kind in KINDS:  # warm-up: plotly.js's code compiled
            page.evaluate(DRAWS_JS, ["as sent", kind, 3])
        for _ in range(args.rounds):
            for variant in VARIANTS:
                for kind in KINDS:
                    d, f = page.evaluate(DRAWS_JS, [variant, kind, args.draws])
                    done[variant, kind] += d
                    first[variant, kind] += f
        browser.close()
    print(f"lab 02's histogram figure ({args.rounds} rounds x {args.draws} draws per variant and kind):")
    for variant in VARIANTS:
        for kind in KINDS:
            print(f"{variant:17} {kind:7} done: median {statistics.median(done[variant, kind]):5.1f} ms, "
                  f"min {min(done[variant, kind]):5.1f} ms; first path change: median "
                  f"{statistics.median(first[variant, kind]):5.1f} ms")


if __name__ == "__main__":
    main()
