"""End-to-end benchmark in headless Chromium against a warm `trainlab serve`: page open -> first
figure, the explorer's control changes -> the figure starts to change (std, activation, init, norm),
the sweep's first frame, the optimizer race's changes, kernel memory.

    python benchmarks/bench_browser.py [--tree NAME=DIR ...] [--rounds N] [--loads N] [--opens-only]

Each --tree is a checkout (default: this one) served by its own `trainlab serve` on a free port
with the lab notebooks of that checkout (the index, the explorer lab 02 and the race lab 04). With
several trees the whole measurement takes turns, tree after tree, round after round, in this one
process and browser, and only one server runs at a time, so each sees the same machine, and no
kernel of one tree computes in the background while the other is measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench_kernel_memory import process_tree, tree_rss_mb  # benchmarks/, beside this script
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from labdriver.lab_page import SIGNATURE_JS, choose, wait_for_change, wait_for_figure  # noqa: E402

EXPLORER, RACE = "02_weight_initialization.ipynb", "04_optimizers.ipynb"
# Fresh std values, never computed before in the session (3 significant digits: the slider's own
# steps are 0.001 decades, so a typed value lands within 0.1 % of itself).
FRESH_STDS = ["0.0211", "0.0352", "0.0163", "0.0427", "0.0128", "0.0284", "0.0517", "0.0191",
              "0.0239", "0.0396", "0.0147", "0.0318", "0.0468", "0.0175", "0.0257", "0.0222"]
ACTIVATIONS = ["relu", "gelu", "tanh", "silu", "elu", "tanh"]
INITS = ["xavier_normal", "kaiming_normal", "lecun_normal", "normal"]  # one base family: no new draw
NORMS = ["batch", "layer", "group", "none"]
RACE_LRS = ["0.071", "0.066", "0.0745", "0.0688", "0.0722", "0.0671", "0.0733", "0.0694"]
# The job is over (no busy line) and the histogram plot has drawn since the change.
REVISION_JS = "() => Number(document.querySelector('.trainlab-plot').dataset.revision || 0)"
DONE_JS = """(before) => {
  const busy = document.querySelector('.trainlab-busy');
  return busy && busy.style.display === 'none'
    && Number(document.querySelector('.trainlab-plot').dataset.revision || 0) > before;
}"""
SWEEP_FRAME_JS = "() => !!document.querySelector('.trainlab-plot .js-plotly-plot .slider-container')"
# The same change timed in the page itself: from the event of the student's act (the Enter key, a
# dropdown's change) to the first frame painted after the plot's signature changed (a frame's
# callback, then a task after its paint). The driver's own time adds its round trips and polling.
ARM_IN_PAGE_JS = f"""(before) => {{
  const signature = {SIGNATURE_JS};
  const t = window.trainlabBench = {{start: null, painted: null}};
  const onAct = (event) => {{ if (t.start === null) t.start = event.timeStamp; }};
  for (const kind of ['keydown', 'change']) document.addEventListener(kind, onAct, {{capture: true, once: true}});
  const plot = document.querySelector('.trainlab-plot');
  const watch = new MutationObserver(() => {{
    if (signature() === before) return;
    watch.disconnect();
    requestAnimationFrame(() => setTimeout(() => {{ t.painted = performance.now(); }}, 0));
  }});
  watch.observe(plot, {{subtree: true, childList: true, attributes: true, characterData: true}});
}}"""
IN_PAGE_MS_JS = """() => { const t = window.trainlabBench;
  return t && t.start !== null && t.painted !== null ? t.painted - t.start : null; }"""


@dataclass
class Measured:
    opens: list[float] = field(default_factory=list)
    changes: dict[str, list[float]] = field(default_factory=dict)  # kind -> ms to the figure's first change
    in_page: dict[str, list[float]] = field(default_factory=dict)  # the same, timed in the page
    done: dict[str, list[float]] = field(default_factory=dict)  # kind -> ms until every figure is drawn
    kernel_ms: dict[str, list[float]] = field(default_factory=dict)  # kind -> pass time the status line gives
    sweep_first: list[float] = field(default_factory=list)
    sweep_done: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def lab_folder(tree: Path) -> Path:
    """A folder with the tree's index, explorer and race labs (and their images) only: fewer
    preheated kernels competing for the two cores."""
    folder = Path(tempfile.mkdtemp(prefix="trainlab-bench-labs-"))
    for name in ("index.ipynb", EXPLORER, RACE):
        shutil.copy(tree / "labs" / name, folder / name)
    if (tree / "labs" / "images").is_dir():
        shutil.copytree(tree / "labs" / "images", folder / "images")
    return folder


@contextmanager
def serve(tree: Path):
    """`trainlab serve` of `tree` on a free port; yields (base URL, server pid)."""
    port, labs = free_port(), lab_folder(tree)
    env = {**os.environ, "PYTHONPATH": str(tree / "widgets")}
    server = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}",
                               f"--labs={labs}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/index.ipynb", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/voila/render/", server.pid
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(labs, ignore_errors=True)


def _readout(page: Page, label: str):
    return page.locator(".widget-slider:visible", has=page.locator(f"label:text-is('{label}')")).first \
        .locator(".widget-readout")


def timed_change(page: Page, act, prepare=None) -> tuple[float, float, float | None, float | None]:
    """(ms to the first change of the figure, ms until the job is over and drawn, the kernel's own
    ms, ms from the act's event to the first frame painted with the change, timed in the page)."""
    if prepare is not None:
        prepare()
    before = page.evaluate(SIGNATURE_JS)
    revision = page.evaluate(REVISION_JS)
    page.evaluate(ARM_IN_PAGE_JS, before)
    start = time.perf_counter()
    act()
    wait_for_change(page, before)
    first = (time.perf_counter() - start) * 1000
    page.wait_for_function(DONE_JS, arg=revision, timeout=120_000)
    done = (time.perf_counter() - start) * 1000
    ms = page.evaluate("() => document.querySelector('.trainlab-ms')?.textContent ?? ''")
    kernel = float(ms.split()[-2]) if ms.endswith(" ms") else None
    in_page = page.evaluate(IN_PAGE_MS_JS)
    page.wait_for_timeout(400)
    return first, done, kernel, in_page


def _record(measured: Measured, kind: str, result: tuple[float, float, float | None, float | None]) -> None:
    first, done, kernel, in_page = result
    measured.changes.setdefault(kind, []).append(first)
    if in_page is not None:
        measured.in_page.setdefault(kind, []).append(in_page)
    measured.done.setdefault(kind, []).append(done)
    if kernel is not None:
        measured.kernel_ms.setdefault(kind, []).append(kernel)


def typed(page: Page, label: str, value: str) -> tuple[float, float, float | None, float | None]:
    """timed_change for `value` typed into the slider readout labelled `label`, timed from Enter."""
    readout = _readout(page, label)

    def prepare() -> None:
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)

    return timed_change(page, lambda: page.keyboard.press("Enter"), prepare)


def kernels_rss_mb(server_pid: int) -> list[float]:
    """Resident memory of each kernel the server started, MB."""
    kernels = [pid for pid in process_tree(server_pid)
               if b"ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [tree_rss_mb(pid) for pid in kernels]


def measure_tree(browser: Browser, tree: Path, loads: int, gap: float, measured: Measured,
                 opens_only: bool = False) -> None:
    with serve(tree) as (base, server_pid):
        measured.loads.append(os.getloadavg()[0])
        warm = browser.new_page()  # the server and the OS file cache warmed once, as on a server up a while
        warm.goto(base + EXPLORER)
        wait_for_figure(warm)
        warm.close(run_before_unload=True)
        time.sleep(gap)
        page = None
        for i in range(loads):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(base + EXPLORER)
            wait_for_figure(page)
            measured.opens.append(time.perf_counter() - start)
            if i < loads - 1:
                page.close(run_before_unload=True)  # as a closing tab does: its kernel stops
                context.close()
            time.sleep(gap)  # Voila refills its pool of preheated kernels meanwhile
        if opens_only:
            page.close(run_before_unload=True)
            return
        for value in FRESH_STDS:
            _record(measured, "std, new value", typed(page, "std", value))
        for i in range(8):
            value = FRESH_STDS[i % 2]
            _record(measured, "std, value seen before", typed(page, "std", value))
        for name in ACTIVATIONS:
            _record(measured, "activation", timed_change(page, lambda n=name: choose(page, "activation", n)))
        for name in INITS:
            _record(measured, "init", timed_change(page, lambda n=name: choose(page, "init", n)))
        for name in NORMS:
            _record(measured, "norm", timed_change(page, lambda n=name: choose(page, "norm", n)))
        for _ in range(2):
            _record(measured, "std, new value", typed(page, "std", "0.0301"))
            before = page.evaluate(SIGNATURE_JS)
            start = time.perf_counter()
            page.locator("button", has_text="sweep").first.click()
            wait_for_change(page, before, 120_000)  # the sweep's first value, run alone and drawn first
            measured.sweep_first.append((time.perf_counter() - start) * 1000)
            page.wait_for_function(SWEEP_FRAME_JS, timeout=120_000)  # the animated figure with its slider
            page.wait_for_function("() => document.querySelector('.trainlab-busy').style.display === 'none'",
                                   timeout=300_000)
            measured.sweep_done.append((time.perf_counter() - start) * 1000)
            page.wait_for_timeout(1500)
            _record(measured, "std, new value", typed(page, "std", "0.0411"))
        measured.rss_mb += kernels_rss_mb(server_pid)
        race = browser.new_page(viewport={"width": 1400, "height": 1000})
        race.goto(base + RACE)
        wait_for_figure(race)
        time.sleep(gap)
        for value in RACE_LRS:
            _record(measured, "race: a racer's lr", typed(race, "lr", value))
        race.close(run_before_unload=True)
        page.close(run_before_unload=True)


def report(name: str, m: Measured) -> None:
    print(f"== {name}: load average (1 min) at the start of its runs: {', '.join(f'{x:.1f}' for x in m.loads)}")
    print(f"page open -> first figure (warm server, {len(m.opens)} loads): median {statistics.median(m.opens):.2f} s, "
          f"max {max(m.opens):.2f} s (target median <= 3.5 s)")
    for kind, values in m.changes.items():
        kernel = m.kernel_ms.get(kind, [])
        page = m.in_page.get(kind, [])
        print(f"{kind:24} -> figure starts to change: p50 {pct(values, .5):5.0f} ms, p95 {pct(values, .95):5.0f} ms; "
              f"all drawn p50 {pct(m.done[kind], .5):5.0f} ms; kernel p50 {pct(kernel, .5):5.0f} ms  (n={len(values)})")
        print(f"{'':24}    in the page, the act's event -> first frame painted with the change: "
              f"p50 {pct(page, .5):5.0f} ms, p95 {pct(page, .95):5.0f} ms  (n={len(page)})")
    if m.sweep_first:  # not with --opens-only
        print(f"sweep -> first frame on screen (the figure's first change): {', '.join(f'{v:.0f}' for v in m.sweep_first)} "
              f"ms (target <= 1000 ms); whole sweep drawn: {', '.join(f'{v:.0f}' for v in m.sweep_done)} ms")
        print(f"kernels of the server after the explorer session (RSS, MB): {', '.join(f'{v:.0f}' for v in m.rss_mb)} "
              "(the explorer's, and the pooled ones of the index and the race lab)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--gap", type=float, default=15.0, help="seconds between page loads")
    parser.add_argument("--opens-only", action="store_true", help="page opens only, no control changes")
    args = parser.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this", str(ROOT))]
    results = {name: Measured() for name, _ in trees}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.rounds):
            for name, tree in trees:
                measure_tree(browser, Path(tree).resolve(), args.loads, args.gap, results[name], args.opens_only)
        browser.close()
    for name, measured in results.items():
        report(name, measured)


if __name__ == "__main__":
    main()
