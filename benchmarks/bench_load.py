"""Classroom load test: N students open the same lab on one `trainlab serve` and turn a knob.

For each N, a fresh `trainlab serve` on a free port (with --pool-size, --max-kernels and
--cull-idle when this trainlab has them), then N viewers, each a Playwright browser context in
one headless Chromium, arrive a moment apart, open the lab, wait for its figure and change the
explorer's std slider every few seconds for a while. Reported per N: pages that drew, "server
is full" pages, pages that failed, pages with console errors, control change -> figure starts
to change (p50/p95) and the kernel's own pass time, peak memory (the kernels, the whole server,
the browser), and after the viewers leave (abruptly, as a closed laptop does: no tab-close
message, so only culling can stop their kernels) how long until the server is back to its
pooled kernels.

    python benchmarks/bench_load.py [--viewers 5,10,20] [--duration 60] [--max-kernels 12]

Why browsers and not protocol-level clients: a page that draws without console errors is the
thing a class needs, and only a browser shows it. Why one Chromium with N contexts (async API):
N browsers would not fit beside the kernels on 2 cores. The browser shares the server's cores
here, so the latencies are pessimistic for a classroom, where each student's browser runs on
the student's machine; the browser's memory is reported apart from the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Error as PlaywrightError, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_browser import pct  # noqa: E402
from benchmarks.bench_kernel_memory import process_tree, tree_rss_mb  # noqa: E402
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_port  # noqa: E402
from labdriver.console import Console  # noqa: E402
from labdriver.lab_page import PLOT, SIGNATURE_JS  # noqa: E402

LAB = "02_weight_initialization.ipynb"
FULL_TITLE = "server is full"
# The figure differs from `before` (what wait_for_change in tests/browser/lab_page.py waits for).
CHANGED_JS = f"(before) => {{ const s = ({SIGNATURE_JS})(); return s.length > 200 && s !== before; }}"
REVISION_JS = "() => Number(document.querySelector('.trainlab-plot').dataset.revision)"


@dataclass
class Viewer:
    outcome: str = "pending"  # drew, full, failed
    open_s: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    pass_ms: list[float] = field(default_factory=list)
    missed_changes: int = 0
    console_errors: list[str] = field(default_factory=list)
    failure: str = ""


@dataclass
class Peaks:
    kernels: int = 0
    kernel_mb: float = 0.0
    server_mb: float = 0.0
    browser_mb: float = 0.0


@dataclass
class LoadResult:
    viewers: list[Viewer]
    peaks: Peaks
    pooled: int
    cull_s: float | None
    left_kernels: int


# -- the server ----------------------------------------------------------------------------------


def serve_options() -> set[str]:
    """The options this trainlab's `serve` has (they were being added while this was written)."""
    text = subprocess.run([sys.executable, "-m", "trainlab", "serve", "--help"], capture_output=True, text=True).stdout
    return {word.strip("[],") for word in text.split() if word.startswith(("--", "[--"))}


def serve_command(port: int, pool: int, max_kernels: int, cull_idle: int) -> list[str]:
    have = serve_options()
    command = [sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}", f"--cull-idle={cull_idle}"]
    if "--pool-size" in have:
        command.append(f"--pool-size={pool}")
    elif pool == 0:
        command.append("--no-preheat")
    if "--max-kernels" in have:
        command.append(f"--max-kernels={max_kernels}")
    return command


def kernel_pids(root: int) -> list[int]:
    """The Jupyter kernels under process `root` (not other people's kernels on this machine)."""
    pids = []
    for pid in process_tree(root):
        try:
            if b"ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            continue
    return pids


def kernels_rss_mb(root: int) -> tuple[int, float]:
    pids = kernel_pids(root)
    return len(pids), sum(tree_rss_mb(pid) for pid in pids)


async def wait_for_kernels(root: int, count: int, timeout: float) -> float | None:
    """Seconds until exactly `count` kernels run under `root` (None: not within `timeout`)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if len(kernel_pids(root)) == count:
            return time.monotonic() - start
        await asyncio.sleep(1)
    return None


async def sample_peaks(root: int, peaks: Peaks, stop: asyncio.Event) -> None:
    me = os.getpid()
    while not stop.is_set():
        count, kernel_mb = kernels_rss_mb(root)
        server_mb = tree_rss_mb(root)
        # Our own process tree is Playwright's driver and Chromium, plus this script.
        browser_mb = tree_rss_mb(me) - server_mb
        peaks.kernels = max(peaks.kernels, count)
        peaks.kernel_mb = max(peaks.kernel_mb, kernel_mb)
        peaks.server_mb = max(peaks.server_mb, server_mb)
        peaks.browser_mb = max(peaks.browser_mb, browser_mb)
        await asyncio.sleep(1)


# -- one student ---------------------------------------------------------------------------------


async def student(browser: Browser, url: str, viewer: Viewer, arrive: float, duration: float, interval: float,
                  values: tuple[str, str]) -> None:
    await asyncio.sleep(arrive)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    console = Console(page)
    try:
        start = time.perf_counter()
        response = await page.goto(url, timeout=180_000)
        if (response is not None and response.status == 503) or FULL_TITLE in (await page.title()):
            viewer.outcome = "full"
            return
        await page.wait_for_selector(f"{PLOT} .scatterlayer path", timeout=180_000)
        await page.wait_for_function(f"({SIGNATURE_JS})().length > 200", timeout=180_000)
        viewer.open_s = time.perf_counter() - start
        viewer.outcome = "drew"
        await change_repeatedly(page, viewer, duration, interval, values)
    except PlaywrightError as error:
        if viewer.outcome == "pending":
            full = FULL_TITLE in (await page.title()) if not page.is_closed() else False
            viewer.outcome = "full" if full else "failed"
        viewer.failure = str(error).splitlines()[0]
    finally:
        if viewer.outcome != "full":
            viewer.console_errors = list(console.errors)
        # Leave as a closed laptop does: no tab-close message reaches the server.
        await context.close()


async def change_repeatedly(page, viewer: Viewer, duration: float, interval: float, values: tuple[str, str]) -> None:
    """Type alternating std values into the slider's readout until `duration` has passed; per change
    the time to the first changed path, and the kernel's pass time from the status line (the
    same measurement as benchmarks/bench_browser.py measure_changes, for many pages at once)."""
    readout = page.locator(".widget-slider:visible", has=page.locator("label:text-is('std')")).first \
        .locator(".widget-readout")
    deadline = time.monotonic() + duration
    i = 0
    while time.monotonic() < deadline:
        before = await page.evaluate(SIGNATURE_JS)
        revision = await page.evaluate(REVISION_JS)
        await readout.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type(values[i % 2])
        start = time.perf_counter()
        await page.keyboard.press("Enter")
        try:
            await page.wait_for_function(CHANGED_JS, arg=before, timeout=60_000)
            viewer.latencies_ms.append((time.perf_counter() - start) * 1000)
            await page.wait_for_function(f"(r) => ({REVISION_JS})() > r", arg=revision, timeout=60_000)
            status = await page.locator(".trainlab-status-line").first.inner_text()
            if "pass " in status:
                viewer.pass_ms.append(float(status.split("pass ")[1].split(" ms")[0]))
        except PlaywrightError:
            viewer.missed_changes += 1
        i += 1
        await asyncio.sleep(interval * random.uniform(0.75, 1.25))


# -- one class -----------------------------------------------------------------------------------


async def run_class(n: int, args: argparse.Namespace) -> LoadResult:
    port = free_port()
    log = open(Path(args.log_dir) / f"serve-{n}.log", "w")
    server = subprocess.Popen(serve_command(port, args.pool_size, args.max_kernels, args.cull_idle),
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 120)
        notebooks = len(list(Path(args.labs).glob("*.ipynb")))
        pooled = args.pool_size * notebooks
        # Start from a settled server: every lab's pool has its kernels.
        await wait_for_kernels(server.pid, pooled, 300)
        await asyncio.sleep(10)
        peaks, stop = Peaks(), asyncio.Event()
        sampler = asyncio.create_task(sample_peaks(server.pid, peaks, stop))
        viewers = [Viewer() for _ in range(n)]
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"http://127.0.0.1:{port}/voila/render/{args.lab}"
            await asyncio.gather(*(student(browser, url, viewer, i * args.stagger, args.duration, args.interval,
                                           ("0.02", "0.03")) for i, viewer in enumerate(viewers)))
            await browser.close()
        stop.set()
        await sampler
        # Culling runs every min(60, cull_idle / 2) s and stops kernels idle for cull_idle s.
        cull_s = await wait_for_kernels(server.pid, pooled, args.cull_idle + 2 * min(60, args.cull_idle) + 120)
        return LoadResult(viewers, peaks, pooled, cull_s, len(kernel_pids(server.pid)))
    finally:
        server.terminate()
        server.wait(60)
        log.close()


def report(n: int, result: LoadResult) -> str:
    viewers = result.viewers
    drew = [v for v in viewers if v.outcome == "drew"]
    latencies = [x for v in viewers for x in v.latencies_ms]
    passes = [x for v in viewers for x in v.pass_ms]
    opens = [v.open_s for v in drew if v.open_s is not None]
    missed = sum(v.missed_changes for v in viewers)
    with_errors = [v for v in viewers if v.console_errors]
    lines = [f"N = {n}: pages drew {len(drew)}/{n}, server full {sum(v.outcome == 'full' for v in viewers)}, "
             f"failed {sum(v.outcome == 'failed' for v in viewers)}, pages with console errors {len(with_errors)}"]
    if opens:
        lines.append(f"  page open -> first figure: median {statistics.median(opens):.1f} s, max {max(opens):.1f} s")
    if latencies:
        lines.append(f"  control change -> figure starts to change: {len(latencies)} changes, p50 {pct(latencies, 0.5):.0f} ms, "
                     f"p95 {pct(latencies, 0.95):.0f} ms; not drawn within 60 s: {missed}")
    if passes:
        lines.append(f"  kernel pass time: p50 {pct(passes, 0.5):.0f} ms, p95 {pct(passes, 0.95):.0f} ms")
    peaks = result.peaks
    lines.append(f"  peak: {peaks.kernels} kernels, {peaks.kernel_mb:.0f} MB in kernels, {peaks.server_mb:.0f} MB server "
                 f"total (Voila + kernels); browser {peaks.browser_mb:.0f} MB")
    back = f"{result.cull_s:.0f} s" if result.cull_s is not None else f"not within the wait ({result.left_kernels} left)"
    lines.append(f"  after the viewers left: back to the {result.pooled} pooled kernels in {back}")
    for v in [v for v in viewers if v.failure][:3]:
        lines.append(f"  a failure: {v.failure[:200]}")
    for v in with_errors[:2]:
        lines.append(f"  console: {v.console_errors[0][:200]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="5,10,20", help="class sizes to try, comma-separated")
    parser.add_argument("--lab", default=LAB)
    parser.add_argument("--labs", default=str(Path(__file__).resolve().parents[1] / "labs"))
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each viewer keeps changing the std")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a viewer's changes (±25%%)")
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds between two viewers' arrivals")
    parser.add_argument("--pool-size", type=int, default=1)
    parser.add_argument("--max-kernels", type=int, default=12)
    parser.add_argument("--cull-idle", type=int, default=30)
    parser.add_argument("--log-dir", default="test-artifacts")
    args = parser.parse_args()
    try:
        sizes = [int(x) for x in args.viewers.split(",")]
    except ValueError:
        parser.error(f"--viewers: whole numbers separated by commas, not {args.viewers!r}")
    Path(args.log_dir).mkdir(exist_ok=True)
    random.seed(0)
    print(f"lab {args.lab}; trainlab {' '.join(serve_command(0, args.pool_size, args.max_kernels, args.cull_idle)[3:]).replace('--port=0', '--port=FREE')}; "
          f"each viewer changes the std every {args.interval:g} s (±25%) for {args.duration:g} s, arrivals "
          f"{args.stagger:g} s apart", flush=True)
    for n in sizes:
        load_before = os.getloadavg()[0]
        result = asyncio.run(run_class(n, args))
        # Other work on the shared machine competes for the same 2 cores: say how much there was.
        print(report(n, result) + f"\n  load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}",
              flush=True)


if __name__ == "__main__":
    main()
