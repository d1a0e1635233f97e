"""A widget's work on its own thread, with the main thread's idle OpenMP pool kept (as before
thread_pools.release) and given back, taking turns in this process.

    python benchmarks/bench_thread_pools.py [--rounds N]

Each round first gives the main thread a pool (a product on it, as torch's import and any cell's
work leave one), then runs each workload on a fresh thread with torch's threads as they are: once
with the pool kept, once after the main thread gave it back.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import torch

from trainlab.compute import thread_pools
from trainlab.compute.landscape.study import LandscapeCache, compute_landscape
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer
from trainlab.presets import LANDSCAPE_PRESETS
from trainlab.ui.landscape_settings import LandscapeModel


def small_ops() -> float:
    """Microseconds per element-wise add of 200,000 values (one parallel region each)."""
    a, b = torch.randn(200_000), torch.randn(200_000)
    start = time.perf_counter()
    for _ in range(2000):
        torch.add(a, b)
    return (time.perf_counter() - start) / 2000 * 1e6


def training() -> float:
    """Steps per second of the dashboard's default net (6 x 256 on the digits), 200 steps."""
    trainer = Trainer(TrainConfig(steps=200))
    start = time.perf_counter()
    trainer.run()
    return 200 / (time.perf_counter() - start)


def landscape() -> float:
    """Seconds for lab 07's first study: SGD and Adam trained, their PCA plane sliced at 41 x 41."""
    model = LandscapeModel()
    view = model.apply(model.defaults(), LANDSCAPE_PRESETS["SGD vs Adam paths"].settings)
    start = time.perf_counter()
    compute_landscape(view.spec, LandscapeCache())
    return time.perf_counter() - start


def on_a_thread(work: Callable[[], float]) -> float:
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    workloads = {"element-wise add, us": small_ops, "training, steps/s": training, "lab 07's first study, s": landscape}
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for mode in ("main pool kept", "main pool given back"):
            for name, work in workloads.items():
                torch.randn(512, 512) @ torch.randn(512, 512)  # the main thread's pool
                if mode == "main pool given back":
                    thread_pools.release()
                results.setdefault((name, mode), []).append(on_a_thread(work))
    for name in workloads:
        for mode in ("main pool kept", "main pool given back"):
            values = results[name, mode]
            print(f"{name:26s} {mode:22s} median {statistics.median(values):8.1f}  {[round(v, 1) for v in values]}")


if __name__ == "__main__":
    main()
