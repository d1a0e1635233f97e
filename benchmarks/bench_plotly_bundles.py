"""How long Chromium takes to start each plotly.js bundle trainlab's pages can load
(figures/plotly_bundles.py), and to draw a first small plot with it, against the full bundle.

    python benchmarks/bench_plotly_bundles.py [--rounds N]

Each round runs every bundle in a fresh blank page: the bundle's text as an inline script (parse,
compile and run, what a page's main thread pays once per bundle), then `Plotly.newPlot` of a
three-point scatter. The bundles take turns, round after round, in one browser.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "widgets"))
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from trainlab.figures.plotly_bundles import BUNDLES, FULL  # noqa: E402
from trainlab.serve.plotly_route import bundle_folder  # noqa: E402

START_JS = """(source) => {
  const started = performance.now();
  const script = document.createElement('script');
  script.textContent = source;
  document.head.appendChild(script);
  const ran = performance.now();
  const div = document.createElement('div');
  document.body.appendChild(div);
  return Plotly.newPlot(div, [{type: 'scatter', x: [1, 2, 3], y: [2, 1, 3]}], {width: 400, height: 300})
    .then(() => [ran - started, performance.now() - ran]);
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sources = {b.file: (bundle_folder(b.file) / b.file).read_text() for b in BUNDLES}
    times: dict[str, list[tuple[float, float]]] = {file: [] for file in sources}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for file, source in sources.items():
                page = browser.new_page()
                times[file].append(tuple(page.evaluate(START_JS, source)))
                page.close()
        browser.close()
    full = statistics.median(start for start, _ in times[FULL.file])
    print(f"plotly.js bundles started in a blank page ({args.rounds} rounds; median, min):")
    for file, values in times.items():
        starts, draws = [s for s, _ in values], [d for _, d in values]
        print(f"{file:24} {len(sources[file]) / 1e6:4.1f} MB  start {statistics.median(starts):6.0f} ms "
              f"(min {min(starts):5.0f}), / full {statistics.median(starts) / full:4.2f}; "
              f"first plot {statistics.median(draws):4.0f} ms")


if __name__ == "__main__":
    main()
