"""How long Chromium's `Plotly.react` of the explorer's 12-panel histogram figure takes, in the
page of lab 02 served by a warm `trainlab serve`, with the layout as trainlab sends it and with
layout variants that skip work plotly.js does on every redraw.

    python benchmarks/bench_plotly_react.py [--rounds N] [--draws N]

Each draw gives every histogram new counts (scaled by a random factor, the y ranges with them) and
every panel title a new text, as a std change does, starting from the figure the lab drew first.
The variants take turns, round after round, in one page. Reported per variant: the synchronous
time of `Plotly.react` (plotly.js draws nothing before it returns) and the time to the first change
of a drawn path.

Variants: `as sent`; `allow` (every axis with ticklabeloverflow 'allow': no measuring of tick
labels against the plot's edges); `no autoexpand` (margin.autoexpand false: no margin pushes from
the axes); `same titles` (the panel titles unchanged, only the traces and ranges).
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

VARIANTS = ("as sent", "allow", "no autoexpand", "same titles")
DRAWS_JS = r"""async ([variant, draws]) => {
  const gd = document.querySelector('.trainlab-plot .js-plotly-plot');
  if (!window.__benchBase) window.__benchBase = JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout}));
  const base = window.__benchBase;
  const layout = JSON.parse(JSON.stringify(base.layout));
  const axes = Object.keys(layout).filter(k => /^[xy]axis\d*$/.test(k));
  if (variant === 'allow') axes.forEach(k => { layout[k].ticklabeloverflow = 'allow'; });
  if (variant === 'no autoexpand') layout.margin = {...layout.margin, autoexpand: false};
  const sync = [], first = [];
  for (let i = 0; i < draws; i++) {
    const scale = 1 + 0.3 * (i % 2 ? 1 : -1) * Math.random();
    const data = base.data.map(t => ({...t, y: t.y.map(v => v * scale)}));
    const next = {...layout};
    axes.filter(k => k.startsWith('y') && next[k].range).forEach(k => {
      next[k] = {...next[k], range: [0, next[k].range[1] * scale]};
    });
    if (variant !== 'same titles') next.annotations = layout.annotations.map(a => ({...a, text: a.text + (i % 2 ? ' ' : '')}));
    let changed = null;
    const watch = new MutationObserver(() => { if (changed === null) changed = performance.now(); });
    watch.observe(gd, {subtree: true, childList: true, attributes: true, attributeFilter: ['d']});
    const start = performance.now();
    const drawn = Plotly.react(gd, data, next);
    sync.push(performance.now() - start);
    await drawn;
    await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
    watch.disconnect();
    first.push((changed ?? NaN) - start);
    await new Promise(done => setTimeout(done, 250));  // the 150 ms layout transition ends
  }
  return [sync, first];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=8, help="draws per variant and round")
    args = parser.parse_args()
    sync: dict[str, list[float]] = {v: [] for v in VARIANTS}
    first: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with serve(ROOT) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + EXPLORER)
        wait_for_figure(page)
        page.wait_for_timeout(3000)
        page.evaluate(DRAWS_JS, ["as sent", 4])  # warm-up: plotly.js's code compiled
        for _ in range(args.rounds):
            for variant in VARIANTS:
                s, f = page.evaluate(DRAWS_JS, [variant, args.draws])
                sync[variant] += s
                first[variant] += f
        browser.close()
    print(f"Plotly.react of lab 02's histogram figure ({args.rounds} rounds x {args.draws} draws per variant):")
    for variant in VARIANTS:
        print(f"{variant:14} synchronous: median {statistics.median(sync[variant]):5.1f} ms, "
              f"min {min(sync[variant]):5.1f} ms; first path change: median {statistics.median(first[variant]):5.1f} ms")


if __name__ == "__main__":
    main()
