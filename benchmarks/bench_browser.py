"""End-to-end benchmark in headless Chromium against a warm `trainlab serve`:
page open -> first figure, bytes loaded, control change -> redraw (explorer and optimizer race),
kernel memory, reliability.

    python benchmarks/bench_browser.py [--loads N] [--changes N]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from labdriver.lab_page import SIGNATURE_JS, choose, wait_for_change, wait_for_drawn, wait_for_figure  # noqa: E402

LAB = "02_weight_initialization.ipynb"


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"trainlab serve did not listen on port {port} within {timeout:.0f} s")


def kernel_rss_mb() -> list[float]:
    out = subprocess.run(["pgrep", "-f", "ipykernel_launcher"], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in out:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        sizes.append(rss_kb / 1024)
    return sizes


def measure_changes(page, slider: str, values: list[str], changes: int, timing_prefix: str):
    """Type alternating values into the first visible slider labelled `slider`; per change, the time
    to the first changed path, to Plotly.react's end, and the kernel's own compute time."""
    latencies, settled, kernel_ms = [], [], []
    for i in range(changes):
        before = page.evaluate(SIGNATURE_JS)
        readout = page.locator(".widget-slider:visible", has=page.locator(f"label:text-is('{slider}')")).first \
            .locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(values[i % 2])
        revision = page.evaluate("() => Number(document.querySelector('.trainlab-plot').dataset.revision)")
        start = time.perf_counter()
        page.keyboard.press("Enter")
        wait_for_change(page, before)
        latencies.append((time.perf_counter() - start) * 1000)
        page.wait_for_function("(r) => Number(document.querySelector('.trainlab-plot').dataset.revision) > r",
                               arg=revision)
        settled.append((time.perf_counter() - start) * 1000)
        status = page.locator(".trainlab-status-line").first.inner_text()
        kernel_ms.append(float(status.split(timing_prefix)[1].split(" ms")[0]))
        page.wait_for_timeout(400)
    return latencies, settled, kernel_ms


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--changes", type=int, default=24)
    parser.add_argument("--gap", type=float, default=15.0, help="seconds between page loads")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/voila/render/{LAB}"
    try:
        wait_for_port(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Warm the server and the OS file cache once, as a server that has been up a while is.
            warm = browser.new_page()
            warm.goto(url)
            wait_for_figure(warm)
            warm.close(run_before_unload=True)
            time.sleep(args.gap)

            opens, http_bytes, ws_bytes, plotly_chunks, kernel_asked, drawn_ok = [], [], [], [], [], 0
            for _ in range(args.loads):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                counters = {"http": 0, "ws": 0, "plotly": 0, "asked": 0}

                def on_response(response, counters=counters):
                    try:
                        counters["http"] += len(response.body())
                    except Exception:  # redirects and aborted requests have no body
                        return
                    if "plotly" in response.url and len(response.body()) > 1_000_000:
                        counters["plotly"] += 1  # a plotly.js bundle (4.8 MB)

                def on_ws(ws, counters=counters):
                    def frame(payload, counters=counters):
                        counters["ws"] += len(payload)
                        if len(payload) > 1_000_000:
                            counters["asked"] += 1  # plotly.js sent by the kernel
                    ws.on("framereceived", frame)
                    ws.on("framesent", frame)

                page.on("response", on_response)
                page.on("websocket", on_ws)
                start = time.perf_counter()
                page.goto(url)
                wait_for_figure(page)
                opens.append(time.perf_counter() - start)
                drawn_ok += 1
                page.wait_for_timeout(500)
                http_bytes.append(counters["http"])
                ws_bytes.append(counters["ws"])
                plotly_chunks.append(counters["plotly"])
                kernel_asked.append(counters["asked"])
                if _ != args.loads - 1:
                    page.close(run_before_unload=True)  # as a closing tab does: its kernel stops
                    context.close()
                    time.sleep(args.gap)  # let Voila refill its pool of preheated kernels

            time.sleep(args.gap)  # measure a settled page: the pool refill has finished
            rss = kernel_rss_mb()
            # Control change -> redrawn figure, on the last page: alternate the std between values.
            latencies, settled, pass_ms = measure_changes(page, "std", ["0.02", "0.03"], args.changes, "pass ")
            choose(page, "activation", "relu")
            wait_for_drawn(page, "relu ·")
            # The optimizer lab: change SGD's learning rate in the zig-zag race.
            race = browser.new_page(viewport={"width": 1400, "height": 1000})
            race.goto(f"http://127.0.0.1:{port}/voila/render/04_optimizers.ipynb")
            wait_for_figure(race)
            time.sleep(args.gap)
            race_latencies, race_settled, race_ms = measure_changes(race, "lr", ["0.07", "0.075"], args.changes,
                                                                    "computed in ")
            browser.close()
    finally:
        server.terminate()
        server.wait(20)

    mb = 1e6
    print(f"page loads that drew: {drawn_ok} of {args.loads}")
    print(f"page open -> first figure (warm server): median {statistics.median(opens):.2f} s, "
          f"max {max(opens):.2f} s (target <= 5 s)")
    print(f"bytes over HTTP per load: median {statistics.median(http_bytes) / mb:.1f} MB (target <= 11 MB)")
    print(f"bytes over the websocket per load: median {statistics.median(ws_bytes) / mb:.2f} MB (target <= 1 MB)")
    print(f"plotly.js chunk fetched per load: {plotly_chunks}; plotly.js sent over the websocket: {kernel_asked}")
    print(f"kernel RSS with one explorer: {', '.join(f'{r:.0f} MB' for r in rss)} (target <= 900 MB)")
    print(f"control change -> figure starts to change ({args.changes} changes): p50 {pct(latencies, 0.5):.0f} ms, "
          f"p95 {pct(latencies, 0.95):.0f} ms (target p50 <= 150 ms)")
    print(f"kernel pass time during those changes: p50 {pct(pass_ms, 0.5):.0f} ms")
    print(f"control change -> Plotly.react done: p50 {pct(settled, 0.5):.0f} ms, p95 {pct(settled, 0.95):.0f} ms")
    print(f"optimizer lab, SGD's lr changed -> figure starts to change: p50 {pct(race_latencies, 0.5):.0f} ms, "
          f"p95 {pct(race_latencies, 0.95):.0f} ms (target p50 <= 200 ms); kernel compute p50 {pct(race_ms, 0.5):.0f} ms; "
          f"Plotly.react done p50 {pct(race_settled, 0.5):.0f} ms")


if __name__ == "__main__":
    main()
