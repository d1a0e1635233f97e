"""Optimizer-lab benchmark: a full recompute after a control change (6 optimizers x 500 steps plus
the 200 x 200 surface grid and the figure), one racer's change, the basin map, and the size of the
race's frames. Before and after in one process: "torch.optim" is run_with_torch_optim, the path
every run took before point_runs.py (and still the reference in the tests); "fast" is
run_optimizer, which a race takes now. The two take turns, round after round, so both see the
same load.

    python benchmarks/bench_optimizers.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from timing import median_ms  # benchmarks/timing.py, beside this script
from trainlab.compute.optim.runs import OptimizerSpec, basin_map, run_optimizer, run_with_torch_optim
from trainlab.compute.optim.surfaces import make_surface
from trainlab.figures.race import race_figure, surface_traces

RACERS = [OptimizerSpec("sgd", lr=1e-3), OptimizerSpec("momentum", lr=1e-3), OptimizerSpec("nesterov", lr=1e-3),
          OptimizerSpec("rmsprop", lr=1e-2), OptimizerSpec("adam", lr=0.05), OptimizerSpec("adagrad", lr=0.5)]
ENGINES = {"torch.optim": run_with_torch_optim, "fast": run_optimizer}


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    surface = make_surface("rosenbrock")
    for run in ENGINES.values():  # warm-up: first imports, caches
        run(surface, RACERS[0], None, 10)
    races = {name: [] for name in ENGINES}
    ones = {name: [] for name in ENGINES}
    for _ in range(args.rounds):
        for name, run in ENGINES.items():
            races[name].append(_ms(lambda run=run: [run(surface, r, None, 500) for r in RACERS]))
            ones[name].append(_ms(lambda run=run: run(surface, RACERS[4], None, 500)))
    grid_ms = median_ms(lambda: surface.grid(200))
    runs = [run_optimizer(surface, r, None, 500) for r in RACERS]
    figure_ms = median_ms(lambda: (surface_traces(surface), race_figure(surface, runs, "adam")))
    figure = race_figure(surface, runs, "adam")
    base = surface_traces(surface)
    himmelblau = make_surface("himmelblau")
    basin_ms = median_ms(lambda: basin_map(himmelblau, OptimizerSpec("sgd", lr=0.01), 50, 300), 3)

    print(f"load average (1 min) {load:.1f} at start, {os.getloadavg()[0]:.1f} at end; {args.rounds} rounds, "
          "the engines taking turns; medians")
    race, one = ({name: statistics.median(v) for name, v in d.items()} for d in (races, ones))
    for name in ENGINES:
        print(f"6 optimizers x 500 steps, {name:11}: {race[name]:8.1f} ms   one racer (Adam): {one[name]:7.1f} ms")
    print(f"  fast / torch.optim:               {race['fast'] / race['torch.optim']:8.3f}"
          f"                     {one['fast'] / one['torch.optim']:7.3f}")
    print(f"200 x 200 surface grid:             {grid_ms:8.1f} ms")
    print(f"race figure with 50 frames (contour cached): {figure_ms:6.1f} ms")
    for name in ENGINES:
        print(f"full recompute (runs + grid + figure), {name:11}: {race[name] + grid_ms + figure_ms:8.1f} ms "
              f"(target <= 300 ms); a racer's change: {one[name] + figure_ms:7.1f} ms (target <= 100 ms)")
    print(f"basin map, 2,500 starts x 300 steps (SGD, torch.optim batched): {basin_ms:7.1f} ms (target <= 2000 ms)")
    print(f"frames payload, 6 x 500 race: {len(json.dumps(figure['frames'])) / 1e6:.2f} MB "
          f"(figure with frames {len(json.dumps(figure)) / 1e6:.2f} MB, sent on every change; contour map "
          f"{len(json.dumps(base)) / 1e6:.2f} MB, sent when the surface changes; target < 2 MB)")


if __name__ == "__main__":
    main()
