"""Every number the explorer shows is what it was before the performance work of issue 13.

data/pass_golden.json holds them as commit 9a14579 (before it) computed them (record_pass_golden.py). Today's
pass runs the same configurations with base matrices mapped from a weight store, the forward half
handed out early, sweeps in chunks. The products' arithmetic is unchanged, so the numbers agree
to rounding: histogram counts exactly, statistics within TOLERANCE (room for summing in another
order, and for float64 moments). The theory line is not compared: it has its own tests.

The explorer runs its pass on all cores but one (run_pass's threads): MKL
splits its products differently on another thread count, which moves values at the 1e-7 level;
that pass is held to the same statistics and to at most MOVED_ON_ONE_THREAD of a histogram's
values in another bin (with the forward half on one thread too, eight values of 65,536 moved in
one BatchNorm run's gradients, which the normalization's backward amplifies; every other run moves
one value at most).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from trainlab.compute import NetworkSpec, run_pass, run_sweep
from trainlab.compute.net.weight_cache import WeightCache
from trainlab.compute.net.weight_store import WeightStore

from tests.compute.net.record_pass_golden import CONFIGS, SWEEP, numbers

GOLDEN = json.loads((Path(__file__).parent / "data" / "pass_golden.json").read_text())
TOLERANCE = 1e-5
# Each statistic, and the spread it is measured against (a mean near 0 is compared on its std's scale).
SCALES = {"mean": "std", "std": "std", "preactivation_mean": "preactivation_std",
          "preactivation_std": "preactivation_std", "grad_mean": "grad_std", "grad_std": "grad_std",
          "weight_grad_mean": "weight_grad_std", "weight_grad_std": "weight_grad_std"}
EXACT = ("nonfinite", "grad_nonfinite", "layer")
HISTOGRAMS = ("activation_hist", "preactivation_hist", "grad_hist", "weight_grad_hist")
MOVED_ON_ONE_THREAD = 2e-4


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> WeightCache:
    return WeightCache(budget_bytes=2**31, store=WeightStore(tmp_path_factory.mktemp("weights")))


def _close(now: float, then: float, scale: float) -> bool:
    if math.isnan(then):
        return math.isnan(now)
    return abs(now - then) <= TOLERANCE * max(abs(then), abs(scale)) + 1e-30


def moved_share(now: list[int], then: list[int]) -> float:
    """The share of a histogram's values in another bin: half the L1 distance over the total."""
    return sum(abs(a - b) for a, b in zip(now, then, strict=True)) / 2 / max(sum(then), 1)


def assert_same(now: dict, then: dict, what: str, moved: float = 0.0) -> None:
    assert now["spec"] == then["spec"], what
    assert _close(now["loss"], then["loss"], then["loss"]), f"{what}: loss {now['loss']} vs {then['loss']}"
    for new, old in zip(now["layers"], then["layers"], strict=True):
        where = f"{what}, layer {old['layer']}"
        for name in EXACT:
            assert new[name] == old[name], f"{where}: {name}"
        for name in ("saturated_fraction", "dead_fraction"):
            assert (new[name] is None) == (old[name] is None), f"{where}: {name}"
            if old[name] is not None:
                assert new[name] == pytest.approx(old[name], abs=1e-9), f"{where}: {name}"
        for name, scale in SCALES.items():
            assert _close(new[name], old[name], old[scale]), f"{where}: {name} {new[name]!r} vs {old[name]!r}"
        for name in HISTOGRAMS:
            share = moved_share(new[name]["counts"], old[name]["counts"])
            assert share <= moved, f"{where}: {name}: {share:.4%} of the values in another bin"
            width = old[name]["hi"] - old[name]["lo"]
            for end in ("lo", "hi"):
                assert _close(new[name][end], old[name][end], width), f"{where}: {name} {end}"


def test_the_golden_numbers_are_this_torch() -> None:
    assert GOLDEN["torch"] == torch.__version__, "re-record data/pass_golden.json with the old code on this torch"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pass_equals_the_numbers_before(name: str, cache: WeightCache) -> None:
    forward = []
    result = run_pass(NetworkSpec(**CONFIGS[name]), device="cpu", cache=cache, on_forward=forward.append)
    assert_same(numbers(result), GOLDEN["configs"][name], name)
    # As the explorer runs it on 2 cores: on one thread.
    one = run_pass(NetworkSpec(**CONFIGS[name]), device="cpu", cache=cache, threads=1)
    assert_same(numbers(one), GOLDEN["configs"][name], f"{name}, on 1 thread", MOVED_ON_ONE_THREAD)
    # The forward half handed out early carries the same activation numbers.
    (half,) = forward
    for early, final in zip(half.layers, result.layers, strict=True):
        for field in ("mean", "std", "preactivation_mean", "preactivation_std", "nonfinite", "saturated_fraction",
                      "dead_fraction", "activation_hist", "preactivation_hist", "theory_std"):
            assert getattr(early, field) == getattr(final, field), f"{name}: forward half's {field}"
        assert math.isnan(early.grad_std) and sum(early.grad_hist.counts) == 0
    assert half.loss == result.loss


def test_sweep_in_chunks_equals_the_numbers_before(cache: WeightCache) -> None:
    name, config, values = SWEEP
    chunks = []
    results = run_sweep(NetworkSpec(**config), values, device="cpu", cache=cache, chunk=2, on_chunk=chunks.append)
    assert [len(c) for c in chunks] == [1, 2, 1]  # the first value alone, to be shown at once
    assert [r for c in chunks for r in c] == results
    for result, then in zip(results, GOLDEN["configs"][name], strict=True):
        assert_same(numbers(result), then, f"{name} {result.spec.std}")
