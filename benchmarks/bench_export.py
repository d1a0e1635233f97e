"""Export benchmark: how long the default `trainlab export init` and `trainlab export optimizers`
take, in their parts (compute, figure, HTML), how big the files are, and how close the size
estimate came; then the whole command as a user runs it (a fresh interpreter, imports included).

    python benchmarks/bench_export.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from trainlab.compute import NetworkSpec
from trainlab.export import InitGrid, RaceExport, init_grid, race, write_page


def _timed(fn):  # noqa: ANN001, ANN202 - a tiny helper: (result, wall seconds)
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _cpu(fn):  # noqa: ANN001, ANN202 - (result, wall seconds, CPU seconds of this process)
    cpu = time.process_time()
    result, wall = _timed(fn)
    return result, wall, time.process_time() - cpu


def _report(name: str, job, compute, page_of, out: Path) -> None:  # noqa: ANN001
    estimate = job.estimate()
    results, compute_s, compute_cpu = _cpu(compute)
    page, figure_s = _timed(lambda: page_of(results))
    size, write_s = _timed(lambda: write_page(page, out))
    print(f"{name}: {job.describe()}")
    print(f"  compute {compute_s:6.2f} s ({compute_cpu:.1f} CPU s)   figure {figure_s:5.2f} s   HTML {write_s:5.2f} s   "
          f"file {size / 1e6:.2f} MB (estimate {estimate.total / 1e6:.2f} MB, real/estimate {size / estimate.total:.3f})")


def _command(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trainlab", "export", *argv], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", default=None)
    args = parser.parse_args()
    out = Path(args.out_dir or tempfile.mkdtemp(prefix="trainlab-export-bench-"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    grid = InitGrid(NetworkSpec())  # the command's defaults: tanh and relu, 16 stds, 6 x 4096
    # First the weights: drawing the six 4096 x 4096 matrices is part of a cold command, not of a grid.
    _, cold_s, cold_cpu = _cpu(lambda: init_grid.compute(InitGrid(NetworkSpec(), ("tanh",), (0.01,))))
    print(f"init: first pass, with drawing the weights: {cold_s:.2f} s ({cold_cpu:.1f} CPU s)")
    _report("init", grid, lambda: init_grid.compute(grid), lambda r: init_grid.init_page(grid, r), out / "init.html")
    job = RaceExport()
    _report("optimizers", job, lambda: race.compute(job), lambda r: race.race_page(job, r), out / "race.html")
    print(f"command `trainlab export init --out ...` (defaults):        {_command(['init', '--out', str(out / 'i.html')]):6.1f} s")
    print(f"command `trainlab export optimizers --out ...` (defaults):  "
          f"{_command(['optimizers', '--out', str(out / 'r.html')]):6.1f} s")
    print(f"command `python -c 'import trainlab.cli'` (start-up alone): "
          f"{_timed(lambda: subprocess.run([sys.executable, '-c', 'import trainlab.cli'], check=True))[1]:6.1f} s")


if __name__ == "__main__":
    main()
