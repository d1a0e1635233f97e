"""The loss landscape's slice: a 41 x 41 grid (11 x 11 first, then 21 x 21) of the width-256
digits net on 1,000 evaluation examples, and batched evaluation against one point at a time.

    python benchmarks/bench_landscape.py

Targets (issue 16): the whole slice under 10 s, its first coarse picture under 1.5 s, batched at
least 5x faster than one point at a time (both measured here, in one process).
"""

from __future__ import annotations

import os
import time

import torch

from trainlab.compute.landscape.directions import random_directions
from trainlab.compute.landscape.evaluate import EvalSet, evaluate_one, evaluate_plane
from trainlab.compute.landscape.slice import progressive_slice
from trainlab.compute.landscape.weights import combine, weights_of
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer

EVAL_EXAMPLES = 1000
SINGLE_POINTS = 40  # one at a time, enough for a per-point time


def main() -> None:
    trainer = Trainer(TrainConfig().with_settings(width=256, steps=300))
    trainer.run()
    data = EvalSet(torch.cat([trainer.data.x_val, trainer.data.x_train])[:EVAL_EXAMPLES],
                   torch.cat([trainer.data.y_val, trainer.data.y_train])[:EVAL_EXAMPLES])
    model, weights = trainer.model, weights_of(trainer.model)
    first, second = random_directions(weights)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()[0]:.1f}; "
          f"width 256, depth 6, {data.x.shape[0]} evaluation examples")
    start = time.perf_counter()
    for level in progressive_slice(model, weights, first, second, data):
        print(f"  {level.size} x {level.size} ready after {time.perf_counter() - start:6.2f} s "
              f"({level.points_computed} new points)")
    whole = time.perf_counter() - start
    coords = torch.rand(SINGLE_POINTS, 2) * 2 - 1
    start = time.perf_counter()
    for a, b in coords.tolist():
        evaluate_one(model, combine(weights, (a, first), (b, second)), data)
    single = (time.perf_counter() - start) / SINGLE_POINTS
    start = time.perf_counter()
    evaluate_plane(model, weights, first, second, coords, data)
    batched = (time.perf_counter() - start) / SINGLE_POINTS
    print(f"41 x 41 slice in all: {whole:.2f} s (target < 10 s)")
    print(f"per point: one at a time {1000 * single:.1f} ms, batched {1000 * batched:.1f} ms: "
          f"{single / batched:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
