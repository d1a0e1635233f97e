"""Compute benchmark: one pass of the explorer against the lecture's NumPy snippet, and the
batched std sweep against a single pass and against separate passes, all in this process.

    python benchmarks/bench_compute.py [--repeats N]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from timing import median_ms  # benchmarks/timing.py, beside this script

from trainlab.compute import NetworkSpec, run_pass, run_sweep

DIMS = [4096] * 7


def lecture_snippet(batch: int = 16) -> None:
    """The classic slide code: fresh randn weights on every call, tanh, std 0.01."""
    x = np.random.randn(batch, DIMS[0])
    for din, dout in zip(DIMS[:-1], DIMS[1:]):
        w = 0.01 * np.random.randn(din, dout)
        x = np.tanh(x.dot(w))



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    spec = NetworkSpec(activation="tanh", init="normal", std=0.01, batch=16)
    stds = [float(v) for v in np.geomspace(1e-3, 0.3, 16)]

    snippet = median_ms(lecture_snippet, max(3, args.repeats // 2))
    single = median_ms(lambda: run_pass(spec), args.repeats)
    sweep = median_ms(lambda: run_sweep(spec, stds), max(3, args.repeats // 2))
    separate = median_ms(lambda: [run_pass(spec.with_knob(s)) for s in stds], 2)
    # The floor: a pass needs 6 forward and 5 backward (B, 4096) @ (4096, 4096) products.
    w, x16, x256 = torch.randn(4096, 4096), torch.randn(16, 4096), torch.randn(256, 4096)
    floor16 = 11 * median_ms(lambda: x16 @ w, args.repeats * 3)
    floor256 = 11 * median_ms(lambda: x256 @ w, args.repeats)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, numpy {np.__version__}")
    print(f"lecture NumPy snippet (forward only, fresh weights), batch 16: {snippet:8.1f} ms")
    print(f"run_pass (forward + backward + all stats), batch 16:        {single:8.1f} ms")
    print(f"  speed-up over the snippet:                                 {snippet / single:8.1f}x  (target >= 25x)")
    print(f"run_sweep, 16 stds in one batched pass:                     {sweep:8.1f} ms")
    print(f"  sweep / single pass:                                       {sweep / single:8.2f}x  (target <= 2x)")
    print(f"  floor: 11 matrix products at batch 16:                   {floor16:8.1f} ms")
    print(f"  floor: 11 matrix products at batch 16 x 16:               {floor256:8.1f} ms  "
          f"(sweep floor / single floor {floor256 / floor16:.1f}x)")
    print(f"16 separate run_pass calls:                                 {separate:8.1f} ms")
    print(f"  separate / sweep:                                          {separate / sweep:8.2f}x")


if __name__ == "__main__":
    main()
