"""Optimizer-lab benchmark: a full recompute after a control change (6 optimizers x 500 steps plus
the 200 x 200 surface grid and the figure), the basin map, and the size of the race's frames.

    python benchmarks/bench_optimizers.py
"""

from __future__ import annotations

import json

from timing import median_ms  # benchmarks/timing.py, beside this script
from trainlab.compute.optim.runs import OptimizerSpec, basin_map, run_optimizer
from trainlab.compute.optim.surfaces import make_surface
from trainlab.figures.race import race_figure, surface_traces

RACERS = [OptimizerSpec("sgd", lr=1e-3), OptimizerSpec("momentum", lr=1e-3), OptimizerSpec("nesterov", lr=1e-3),
          OptimizerSpec("rmsprop", lr=1e-2), OptimizerSpec("adam", lr=0.05), OptimizerSpec("adagrad", lr=0.5)]


def main() -> None:
    surface = make_surface("rosenbrock")
    runs_ms = median_ms(lambda: [run_optimizer(surface, r, None, 500) for r in RACERS])
    one_step_ms = median_ms(lambda: run_optimizer(surface, RACERS[4], None, 1), 20)
    grid_ms = median_ms(lambda: surface.grid(200))
    runs = [run_optimizer(surface, r, None, 500) for r in RACERS]
    figure_ms = median_ms(lambda: (surface_traces(surface), race_figure(surface, runs, "adam")))
    figure = race_figure(surface, runs, "adam")
    base = surface_traces(surface)
    one_racer_ms = median_ms(lambda: run_optimizer(surface, RACERS[4], None, 500))
    himmelblau = make_surface("himmelblau")
    basin_ms = median_ms(lambda: basin_map(himmelblau, OptimizerSpec("sgd", lr=0.01), 50, 300), 3)

    print(f"6 optimizers x 500 steps (torch.optim, float64):  {runs_ms:7.1f} ms")
    print(f"  one run of 1 step (set-up cost of a run):       {one_step_ms:7.1f} ms")
    print(f"200 x 200 surface grid:                           {grid_ms:7.1f} ms")
    print(f"race figure with 50 frames (contour cached):      {figure_ms:7.1f} ms")
    print(f"full recompute (runs + grid + figure):            {runs_ms + grid_ms + figure_ms:7.1f} ms (target <= 100 ms)")
    print(f"one racer's hyperparameter changed (the widget keeps the other five runs): "
          f"{one_racer_ms + figure_ms:.1f} ms")
    print(f"basin map, 2,500 starts x 300 steps (SGD):        {basin_ms:7.1f} ms (target <= 2000 ms)")
    print(f"frames payload, 6 x 500 race:                     {len(json.dumps(figure['frames'])) / 1e6:7.2f} MB "
          f"(figure with frames {len(json.dumps(figure)) / 1e6:.2f} MB, sent on every change; contour map "
          f"{len(json.dumps(base)) / 1e6:.2f} MB, sent when the surface changes; target < 2 MB)")


if __name__ == "__main__":
    main()
