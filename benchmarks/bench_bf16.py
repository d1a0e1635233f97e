"""Issue 13's bf16 lever, measured: the explorer's (B, 4096) @ (4096, 4096) product with the base
matrix stored in bf16 against fp32, in this process, and how far the statistics a pass shows
(per-layer std of the activations) move when every product is done in bf16.

    python benchmarks/bench_bf16.py [--repeats N]

The lever is kept only if it is faster and every shown number stays within 0.5 % of fp32.
"""

from __future__ import annotations

import argparse

import torch
from timing import median_ms  # benchmarks/timing.py, beside this script

WIDTH, DEPTH = 4096, 6


def layer_stds(weights: list[torch.Tensor], x: torch.Tensor, dtype: torch.dtype) -> list[float]:
    """tanh net, std 0.01 scaling applied after each product, as the explorer does."""
    h, stds = x, []
    for w in weights:
        z = (h.to(dtype) @ w.to(dtype)).float() * 0.05
        h = torch.tanh(z)
        stds.append(float(h.std()))
    return stds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(0)
    w32 = torch.randn(WIDTH, WIDTH, generator=gen)
    w16 = w32.to(torch.bfloat16)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn bf16 supported: {torch.backends.mkldnn.is_available()}")
    for batch in (16, 256):
        x32 = torch.randn(batch, WIDTH, generator=gen)
        x16 = x32.to(torch.bfloat16)
        fp32 = median_ms(lambda: x32 @ w32, args.repeats)
        bf16 = median_ms(lambda: x16 @ w16, args.repeats)
        print(f"batch {batch:>3}: fp32 {fp32:7.2f} ms, bf16 {bf16:7.2f} ms, bf16 / fp32 {bf16 / fp32:5.2f}")
    weights = [torch.randn(WIDTH, WIDTH, generator=gen) for _ in range(DEPTH)]
    x = torch.randn(16, WIDTH, generator=gen)
    exact, rounded = layer_stds(weights, x, torch.float32), layer_stds(weights, x, torch.bfloat16)
    worst = max(abs(a - b) / abs(a) for a, b in zip(exact, rounded))
    print(f"per-layer activation std, bf16 against fp32 (tanh, 6 x {WIDTH}): worst relative change {worst:.3%} "
          f"(limit 0.5 %)")


if __name__ == "__main__":
    main()
