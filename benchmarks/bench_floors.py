"""What this machine allows issue 13's missed goals: the parts of each that no code of trainlab's
can remove, measured in this process.

    python benchmarks/bench_floors.py [--repeats N]

* A std change's first picture needs the forward half's six products (a (16, 4096) batch times a
  4096 x 4096 fp32 matrix, on the one thread the explorer leaves itself) before the page can draw;
  what the page's Plotly.react of the 12 panels costs is bench_plotly_react.py's.
* A sweep of 16 multiplies 16 times the rows. Its products take at least their arithmetic over
  the best rate this CPU reaches at all (a large square product on every core), which bounds the
  sweep / pass ratio from below however the sweep is written.
* A kernel's memory: the Python, torch and widget libraries a kernel imports, plus the six base
  matrices (mapped, in its resident set) before any pass holds an activation.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import torch
from timing import median_ms  # benchmarks/timing.py, beside this script

WIDTH, BATCH, DEPTH, SWEEP = 4096, 16, 6, 16
PRODUCTS = 2 * DEPTH - 1  # forward, and backward to every layer's input but the first


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def product_ms(rows: int, threads: int, repeats: int) -> float:
    torch.set_num_threads(threads)
    h, w = torch.randn(rows, WIDTH), torch.randn(WIDTH, WIDTH)
    return median_ms(lambda: h @ w, repeats)


def best_gflops(repeats: int) -> float:
    """The CPU's best fp32 product rate on every core: a 2048 x 4096 by 4096 x 4096 product."""
    ms = product_ms(2048, torch.get_num_threads(), repeats)
    return 2 * 2048 * WIDTH * WIDTH / ms / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    cores = torch.get_num_threads()
    print(f"torch {torch.__version__}, {cores} threads")

    import ipykernel.ipkernel  # noqa: F401  (what an explorer kernel imports)
    import trainlab.ui.init_explorer  # noqa: F401
    from trainlab.compute import NetworkSpec, run_pass
    imported = resident_mb()
    matrices = DEPTH * WIDTH * WIDTH * 4 / 2**20
    print(f"memory: python, ipykernel, torch and trainlab's widgets imported: {imported:.0f} MB RSS; with the six base "
          f"matrices ({matrices:.0f} MB): {imported + matrices:.0f} MB before any pass")

    one = product_ms(BATCH, 1, args.repeats)
    print(f"one product, batch {BATCH}, 1 thread: median {one:.1f} ms; the forward half's {DEPTH}: "
          f"{DEPTH * one:.0f} ms")
    spec = NetworkSpec()
    run_pass(spec, threads=1)
    handed: list[float] = []
    for k in range(args.repeats):
        start = time.perf_counter()
        run_pass(spec.with_knob(0.02 + 0.001 * k), threads=1,
                 on_forward=lambda _forward: handed.append((time.perf_counter() - start) * 1000))
    handed.sort()
    print(f"the explorer's forward half (products, statistics, result), 1 thread: median "
          f"{handed[len(handed) // 2]:.0f} ms, min {handed[0]:.0f} ms")

    torch.set_num_threads(cores)
    single = median_ms(lambda: run_pass(spec), args.repeats)
    rate = best_gflops(args.repeats)
    flops = 2 * SWEEP * BATCH * WIDTH * WIDTH * PRODUCTS
    floor = flops / rate / 1e6
    print(f"one pass, {cores} threads: median {single:.0f} ms; best product rate on {cores} threads: "
          f"{rate:.0f} GFLOP/s")
    print(f"a sweep of {SWEEP}: {flops / 1e9:.0f} GFLOP of products, at least {floor:.0f} ms at that rate: "
          f"{floor / single:.1f}x one pass (goal 3x)")


if __name__ == "__main__":
    main()
