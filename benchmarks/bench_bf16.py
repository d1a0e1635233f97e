"""Issue 13's bf16 lever, measured: the explorer's base matrices stored in bfloat16 (products with
float32 accumulation, everything else float32) against today's float32, in this process: the
product alone, the whole pass and the sweep (the two types taking turns), and how far every number
the explorer shows moves across activations, inits and norms.

    python benchmarks/bench_bf16.py [--repeats N]

The issue's rule: adopt it only if every number the widget shows stays within 0.5 % of float32.
The bfloat16 pass is made here by handing run_pass a cache of bfloat16 matrices and a product that
multiplies in the matrix's type; the package itself stays float32.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

import torch
from timing import median_ms  # benchmarks/timing.py, beside this script

from trainlab.compute import NetworkSpec, run_pass, run_sweep
from trainlab.compute.net import network_pass
from trainlab.compute.net.results import PassResult
from trainlab.compute.net.weight_cache import BaseKey, WeightCache

WIDTH = 4096
SMALL = dict(width=512)
# Every activation; the init families; every norm in both places; the chaotic tanh runs; the explorer's size.
CONFIGS = {
    **{a: dict(activation=a, **SMALL) for a in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
                                               "silu")},
    **{f"relu-{i}": dict(activation="relu", init=i, **SMALL) for i in ("uniform", "xavier_uniform",
                                                                        "kaiming_normal", "orthogonal")},
    **{f"tanh-{n}-{p}": dict(activation="tanh", std=0.05, norm=n, norm_place=p, groups=16, **SMALL)
       for n in ("batch", "layer", "group") for p in ("before", "after")},
    "tanh-std0.3": dict(activation="tanh", std=0.3, **SMALL),
    "4096-tanh-std0.01": dict(activation="tanh", std=0.01),
    "4096-tanh-std2.0": dict(activation="tanh", std=2.0),
    "4096-relu-kaiming_uniform": dict(activation="relu", init="kaiming_uniform"),
}
STATS = {"mean": "std", "std": "std", "preactivation_std": "preactivation_std", "grad_mean": "grad_std",
         "grad_std": "grad_std", "weight_grad_std": "weight_grad_std"}
HISTOGRAMS = ("activation_hist", "preactivation_hist", "grad_hist", "weight_grad_hist")


class Bf16Cache(WeightCache):
    """The float32 cache's matrices, each rounded to bfloat16 once."""

    def __init__(self) -> None:
        super().__init__(budget_bytes=2**32)
        self._rounded: dict[BaseKey, torch.Tensor] = {}

    def get_many(self, keys, keep=frozenset(), cancel=network_pass.NEVER):
        exact = super().get_many(keys, keep, cancel)
        return [self._rounded.setdefault(k, t.to(torch.bfloat16)) for k, t in zip(keys, exact)]


def _typed_linear(net, layer, h):
    """network_pass._linear, but multiplying in the base matrix's type (float32 accumulation)."""
    k, b, d = h.shape
    base = net.bases[layer]
    if base is None or base.dtype == torch.float32:
        return _float32_linear(net, layer, h)
    z = (h.reshape(k * b, d).to(base.dtype) @ base).view(k, b, -1).float() * net.scales.view(k, 1, 1)
    return z + network_pass.BIAS_VALUE if net.spec.bias else z


_float32_linear = network_pass._linear


def worst_changes(exact: PassResult, rounded: PassResult) -> dict[str, float]:
    """The largest change of each kind of number the explorer shows, over the layers: statistics
    relative to their scale, fractions in points, histograms as the share of values in another bin."""
    worst = {"loss": abs(rounded.loss - exact.loss) / abs(exact.loss)}

    def keep(name: str, value: float) -> None:
        worst[name] = max(worst.get(name, 0.0), value)

    for a, b in zip(exact.layers, rounded.layers, strict=True):
        for name, scale in STATS.items():
            then, now, size = getattr(a, name), getattr(b, name), getattr(a, scale)
            if not math.isnan(then):
                keep(name, abs(now - then) / max(abs(then), abs(size), 1e-30))
        for name in ("saturated_fraction", "dead_fraction"):
            if getattr(a, name) is not None:
                keep(name, abs(getattr(b, name) - getattr(a, name)))
        for name in HISTOGRAMS:
            then, now = getattr(a, name).counts, getattr(b, name).counts
            keep(name, sum(abs(x - y) for x, y in zip(now, then)) / 2 / max(sum(then), 1))
    return worst


def _row(name: str, changes: dict[str, float], columns: Sequence[str]) -> str:
    return f"{name:<26}" + "".join(f"{changes.get(c, 0.0):>10.2%}" for c in columns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(0)
    w32 = torch.randn(WIDTH, WIDTH, generator=gen)
    w16 = w32.to(torch.bfloat16)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"AVX-512 BF16: {torch.cpu._is_avx512_bf16_supported()}, AMX: {torch.cpu._is_amx_tile_supported()}")
    for batch in (16, 256):
        x32 = torch.randn(batch, WIDTH, generator=gen)
        x16 = x32.to(torch.bfloat16)
        fp32 = median_ms(lambda: x32 @ w32, args.repeats)
        bf16 = median_ms(lambda: x16 @ w16, args.repeats)
        print(f"product, batch {batch:>3}: fp32 {fp32:7.2f} ms, bf16 {bf16:7.2f} ms, bf16 / fp32 {bf16 / fp32:5.2f}")

    network_pass._linear = _typed_linear
    exact_cache, rounded_cache = WeightCache(budget_bytes=2**32), Bf16Cache()
    spec = NetworkSpec()
    stds = [0.001 * 300 ** (i / 15) for i in range(16)]
    times: dict[str, list[float]] = {}
    for _ in range(2):  # the two types take turns
        for label, cache in (("fp32", exact_cache), ("bf16", rounded_cache)):
            times.setdefault(f"{label} pass", []).append(median_ms(lambda: run_pass(spec, cache=cache), args.repeats))
            times.setdefault(f"{label} sweep", []).append(median_ms(lambda: run_sweep(spec, stds, cache=cache), 2))
    best = {name: min(values) for name, values in times.items()}
    for label in ("fp32", "bf16"):
        print(f"{label}: run_pass {best[f'{label} pass']:7.1f} ms, run_sweep of 16 stds {best[f'{label} sweep']:7.1f} ms"
              f" (sweep / pass {best[f'{label} sweep'] / best[f'{label} pass']:5.2f}x)")

    columns = ["loss", *STATS, "saturated_fraction", "dead_fraction", *HISTOGRAMS]
    print("\nworst change of each number, bf16 against fp32 (statistics: relative to their scale; fractions:"
          " points; histograms: share of values in another bin)")
    print(f"{'configuration':<26}" + "".join(f"{c.replace('_hist', '').replace('_fraction', '')[:9]:>10}"
                                              for c in columns))
    overall: dict[str, float] = {}
    within = 0
    for name, config in CONFIGS.items():
        spec = NetworkSpec(**config)
        changes = worst_changes(run_pass(spec, cache=exact_cache), run_pass(spec, cache=rounded_cache))
        print(_row(name, changes, columns))
        within += all(value <= 0.005 for value in changes.values())
        for column, value in changes.items():
            overall[column] = max(overall.get(column, 0.0), value)
    print(_row("worst", overall, columns))
    print(f"configurations with every number within 0.5 %: {within} of {len(CONFIGS)}")


if __name__ == "__main__":
    main()
