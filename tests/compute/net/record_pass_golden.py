"""Record every number the explorer shows for a set of configurations, as the checkout on
PYTHONPATH computes them, into data/pass_golden.json (test_pass_unchanged.py compares against it).

    PYTHONPATH=<checkout>/widgets python tests/compute/net/record_pass_golden.py

The file in the repository was recorded from commit 9a14579 (main just before the performance work of
issue 13 merged), so the test holds today's numbers to what students saw then.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from trainlab.compute import NetworkSpec, run_pass, run_sweep
from trainlab.compute.net.weight_cache import WeightCache

OUT = Path(__file__).parent / "data" / "pass_golden.json"
# Width 512 covers every activation, init family and norm quickly; the explorer's own 4096 covers
# the products at the size students run (their kernels are picked by shape). The tanh runs at std
# 0.3 and 2.0 are the chaotic ones, where any change in the arithmetic shows.
SMALL = dict(width=512)
CONFIGS = {
    **{f"{a}": dict(activation=a, **SMALL) for a in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu",
                                                     "gelu", "silu")},
    **{f"tanh-std{s}": dict(activation="tanh", std=s, **SMALL) for s in (0.001, 0.05, 0.3, 2.0)},
    **{f"relu-{i}": dict(activation="relu", init=i, **SMALL) for i in (
        "zeros", "constant", "uniform", "xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform",
        "lecun_normal", "orthogonal")},
    **{f"tanh-{n}-{p}": dict(activation="tanh", std=0.05, norm=n, norm_place=p, groups=16, **SMALL)
       for n in ("batch", "layer", "group") for p in ("before", "after")},
    "relu-batch-running": dict(activation="relu", init="kaiming_normal", norm="batch", bn_mode="running", **SMALL),
    "relu-bias-seed3-depth9-batch5": dict(activation="relu", init="kaiming_normal", bias=True, seed=3, depth=9,
                                          batch=5, **SMALL),
    "4096-tanh-std0.01": dict(activation="tanh", std=0.01),
    "4096-tanh-std2.0": dict(activation="tanh", std=2.0),
    "4096-relu-kaiming_uniform": dict(activation="relu", init="kaiming_uniform"),
}
SWEEP = ("tanh-sweep", dict(activation="tanh", **SMALL), [0.01, 0.05, 0.3, 1.0])


def _short(value):
    """Floats to 10 significant digits (the test's tolerances are far wider), all else as it is."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def numbers(result) -> dict:
    out = result.to_dict()
    del out["ms"], out["device"]
    return _short(out)


def main() -> None:
    torch.set_num_threads(2)  # orthogonal's QR depends on the thread count (none of these is chaotic)
    cache = WeightCache(budget_bytes=2**31)
    golden = {name: numbers(run_pass(NetworkSpec(**c), device="cpu", cache=cache)) for name, c in CONFIGS.items()}
    name, config, values = SWEEP
    golden[name] = [numbers(r) for r in run_sweep(NetworkSpec(**config), values, device="cpu", cache=cache)]
    OUT.write_text(json.dumps({"torch": torch.__version__, "configs": golden}, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB), {len(golden)} configurations")


if __name__ == "__main__":
    main()
