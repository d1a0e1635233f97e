"""Training benchmark: does the dashboard eat the training, and how fast does Train answer?

1. In a real Jupyter kernel (run by nbclient, so every widget update is serialized and sent as
   a comm message, as Voila's kernel does), the same training run headless (Trainer.run) and in
   a displayed TrainingDashboard that draws while it trains, alternated `--repeats` times in the
   one process. Reports steps/s of each, their ratio, and the dashboard's redraw rate.
2. In headless Chromium against `trainlab serve`: lab 05, click Train, time to the first point
   of the loss curve; the steps/s the page reports at the end of the run.

    python benchmarks/bench_training.py [--steps N] [--repeats N] [--clicks N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_browser import pct  # noqa: E402
from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_port  # noqa: E402

LAB = "05_training_and_schedules.ipynb"
IN_KERNEL = """
import json, time
from IPython.display import display
from trainlab import Trainer, TrainingDashboard
from trainlab.compute.devices import intra_op_threads
dash = TrainingDashboard(steps={steps})
display(dash)
out = {{"headless": [], "headless_all_threads": [], "dashboard": [], "redraws_per_s": [], "records": 0,
       "width": dash.config.network.width, "threads": dash.training_threads,
       "all_threads": __import__("torch").get_num_threads()}}
for _ in range({repeats}):
    start = time.perf_counter()
    Trainer(dash.config, dash.device).run()
    out["headless_all_threads"].append({steps} / (time.perf_counter() - start))
    start = time.perf_counter()
    with intra_op_threads(dash.training_threads):
        Trainer(dash.config, dash.device).run()
    out["headless"].append({steps} / (time.perf_counter() - start))
    dash.reset()
    revision = dash.curves.revision
    start = time.perf_counter()
    dash.train()
    assert dash.wait(600) and dash.trainer.step == {steps}
    seconds = time.perf_counter() - start
    out["dashboard"].append({steps} / seconds)
    out["redraws_per_s"].append((dash.curves.revision - revision) / seconds)
    out["records"] = len(dash.trainer.records)
print(json.dumps(out))
"""
# The loss curve's "this run" trace has at least one point.
FIRST_POINT_JS = """() => {
  const plot = document.querySelector('.trainlab-training .trainlab-plot .js-plotly-plot');
  return !!plot && plot.data.some(t => (t.name || '').includes('this run') && (t.x || []).length > 0);
}"""


TRAIN_ENABLED_JS = """() => [...document.querySelectorAll('.trainlab-training button')]
  .some(b => b.textContent.includes('Train') && !b.disabled)"""


def in_kernel(steps: int, repeats: int) -> dict:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(IN_KERNEL.format(steps=steps, repeats=repeats))]
    NotebookClient(notebook, timeout=1800, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in notebook.cells[0].outputs if o.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])


def in_browser(clicks: int, long_steps: int) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        time.sleep(15)  # let the preheated kernels finish executing their labs
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "jsdelivr" not in
                    (m.location or {}).get("url", "") else None)
            page.goto(f"http://127.0.0.1:{port}/voila/render/{LAB}")
            page.wait_for_selector(".trainlab-training .trainlab-plot .js-plotly-plot", timeout=120_000)
            first_point = []
            for _ in range(clicks):
                page.get_by_role("button", name="↺ Reset").click()
                page.wait_for_function(f"() => !({FIRST_POINT_JS})()", timeout=60_000)
                page.wait_for_selector(".trainlab-progress:text('ready')", timeout=60_000)
                start = time.perf_counter()
                page.get_by_role("button", name="▶ Train").click()
                page.wait_for_function(FIRST_POINT_JS, timeout=60_000, polling=10)
                first_point.append((time.perf_counter() - start) * 1000)
                # The lab's lecture case trains its runs in turn; the next click waits for the end.
                page.wait_for_function(TRAIN_ENABLED_JS, timeout=180_000)
            # One long run, drawn by the page as it trains: the rate a student gets.
            page.get_by_role("button", name="↺ Reset").click()
            page.wait_for_selector(".trainlab-progress:text('ready')", timeout=60_000)
            page.locator(".widget-dropdown", has=page.locator("label:text-is('lecture case')")).locator(
                "select").select_option("custom")
            steps_box = page.locator(".widget-text", has=page.locator("label:text-is('steps')")).first.locator("input")
            steps_box.fill(str(long_steps))
            steps_box.press("Enter")
            page.get_by_role("button", name="▶ Train").click()
            page.wait_for_function(f"() => document.querySelector('.trainlab-progress').textContent"
                                   f".includes('step {long_steps}/{long_steps}')", timeout=600_000)
            progress = page.locator(".trainlab-progress").inner_text()
            browser.close()
        return {"first_point_ms": first_point, "progress": progress, "console_errors": errors}
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=5)
    args = parser.parse_args()

    k = in_kernel(args.steps, args.repeats)
    headless, dashboard = statistics.median(k["headless"]), statistics.median(k["dashboard"])
    print(f"in a kernel, width {k['width']}, {args.steps} steps, {k['records']} records, {args.repeats} runs each:")
    print(f"  headless Trainer.run, all {k['all_threads']} threads: median "
          f"{statistics.median(k['headless_all_threads']):.0f} steps/s  {[round(v) for v in k['headless_all_threads']]}")
    print(f"  headless Trainer.run, {k['threads']} thread(s) as the dashboard: median {headless:.0f} steps/s  "
          f"{[round(v) for v in k['headless']]}")
    print(f"  dashboard drawing as it goes: median {dashboard:.0f} steps/s  {[round(v) for v in k['dashboard']]}")
    print(f"  ratio dashboard / headless:   {dashboard / headless:.2f}  (target >= 0.8)")
    print(f"  redraws per second:           {[round(v, 1) for v in k['redraws_per_s']]} (cap 4)")

    b = in_browser(args.clicks, args.steps)
    ms = b["first_point_ms"]
    print(f"in Chromium, lab 05, {len(ms)} clicks:")
    print(f"  Train click -> first loss point: median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms "
          f"(p95 {pct(ms, 0.95):.0f})  {[round(v) for v in ms]}  (target <= 1000 ms)")
    print(f"  a {args.steps}-step run drawn in the page: {b['progress']}")
    print(f"  console errors: {b['console_errors'] or 'none'}")


if __name__ == "__main__":
    main()
