"""The deep-net pass: the lecture experiment, sweeps, statistics, normalization, gradients,
errors, the weight cache, theory and overflow.

Widths are small (<= 256) except where the course experiment itself asks for 4096.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainlab.compute import NetworkSpec, SpecError, predicted_std, run_pass, run_sweep
from trainlab.compute.net import layer_stats as ls
from trainlab.compute.net import normalization as norms
from trainlab.compute.net.init_schemes import INIT_SCHEMES
from trainlab.compute.net.network_pass import CLASSES
from trainlab.compute.net.spec import BIAS_VALUE
from trainlab.compute.net.weight_cache import BaseKey, WeightCache, seeded_generator

CPU = torch.device("cpu")

# --------------------------------------------------------------------------------------------
# (1) the five lecture cases at width 4096 against an independent NumPy implementation
# --------------------------------------------------------------------------------------------

LECTURE_WIDTH, LECTURE_DEPTH, LECTURE_BATCH = 4096, 6, 16
LECTURE_CASES = {
    # name: (activation, init, NumPy std of W = randn(Din, Dout) * std)
    "tanh-std0.01": ("tanh", "normal", 0.01),
    "tanh-std0.05": ("tanh", "normal", 0.05),
    "tanh-xavier": ("tanh", "xavier_normal", 1.0 / math.sqrt(LECTURE_WIDTH)),
    "relu-xavier": ("relu", "xavier_normal", 1.0 / math.sqrt(LECTURE_WIDTH)),
    "relu-kaiming": ("relu", "kaiming_normal", math.sqrt(2.0 / LECTURE_WIDTH)),
}


def _lecture_spec(activation: str, init: str, std: float) -> NetworkSpec:
    spec = NetworkSpec(depth=LECTURE_DEPTH, width=LECTURE_WIDTH, batch=LECTURE_BATCH,
                       activation=activation, init=init)
    return spec.replace(std=std) if init == "normal" else spec


@pytest.fixture(scope="module")
def wide_cache() -> WeightCache:
    """One cache for every width-4096 pass of this module: the normal bases are drawn once."""
    return WeightCache()


@pytest.fixture(scope="module")
def numpy_lecture_stds() -> dict[str, list[float]]:
    """The course's experiment written out in NumPy: dims = [4096] * 7, x ~ N(0, 1) (16, 4096),
    W = randn(Din, Dout) * std, x = act(x @ W); std of each layer's x. One W per layer is shared
    by the five cases (only the std differs), so only six 4096 x 4096 matrices are drawn."""
    rng = np.random.default_rng(20240607)
    acts = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0)}
    x0 = rng.standard_normal((LECTURE_BATCH, LECTURE_WIDTH), dtype=np.float32)
    xs = {name: x0 for name in LECTURE_CASES}
    stds: dict[str, list[float]] = {name: [] for name in LECTURE_CASES}
    for _ in range(LECTURE_DEPTH):
        w = rng.standard_normal((LECTURE_WIDTH, LECTURE_WIDTH), dtype=np.float32)
        for name, (activation, _init, std) in LECTURE_CASES.items():
            xs[name] = acts[activation]((xs[name] @ w) * np.float32(std))
            stds[name].append(float(xs[name].astype(np.float64).std()))
    return stds


@pytest.mark.parametrize("case", list(LECTURE_CASES))
def test_lecture_case_matches_numpy(case: str, numpy_lecture_stds, wide_cache) -> None:
    activation, init, std = LECTURE_CASES[case]
    result = run_pass(_lecture_spec(activation, init, std), device="cpu", cache=wide_cache)
    ours = [layer.std for layer in result.layers]
    theirs = numpy_lecture_stds[case]
    assert len(ours) == LECTURE_DEPTH
    for layer, (a, b) in enumerate(zip(ours, theirs), start=1):
        assert a == pytest.approx(b, rel=0.10), f"{case} layer {layer}: ours {a:.4g}, numpy {b:.4g}"


def test_lecture_cases_show_the_lecture_story(numpy_lecture_stds, wide_cache) -> None:
    """The qualitative facts of course-facts section 3, on our pass."""
    res = {case: run_pass(_lecture_spec(*LECTURE_CASES[case]), device="cpu", cache=wide_cache)
           for case in LECTURE_CASES}
    std = {case: [layer.std for layer in r.layers] for case, r in res.items()}
    # tanh 0.01: shrinks towards zero layer after layer
    assert all(b < a for a, b in zip(std["tanh-std0.01"], std["tanh-std0.01"][1:]))
    assert std["tanh-std0.01"][-1] < 0.1 * std["tanh-std0.01"][0]
    # tanh 0.05: piled up at -1 and +1 (|h| > 0.99 for about a third), far more than Xavier
    assert all(layer.saturated_fraction > 0.25 for layer in res["tanh-std0.05"].layers)
    assert all(s > 0.8 for s in std["tanh-std0.05"])
    assert all(layer.saturated_fraction < 0.05 for layer in res["tanh-xavier"].layers)
    # Xavier tanh and Kaiming relu: nicely scaled in every layer
    assert all(0.2 < s < 1.0 for s in std["tanh-xavier"])
    last_first = std["relu-kaiming"][-1] / std["relu-kaiming"][0]
    assert 0.6 < last_first < 1.6
    # ReLU with Xavier: collapses (halves the variance each layer)
    assert std["relu-xavier"][-1] < 0.25 * std["relu-xavier"][0]


# --------------------------------------------------------------------------------------------
# (2) a sweep equals separate passes
# --------------------------------------------------------------------------------------------

SWEEP_STDS = [0.02, 0.05, 0.1, 0.4]
SWEEP_CONFIGS = {
    "none": dict(norm="none"),
    "batch-train": dict(norm="batch", bn_mode="train"),
    "batch-running": dict(norm="batch", bn_mode="running"),
    "layer": dict(norm="layer"),
    "group": dict(norm="group", groups=8),
    "layer-after": dict(norm="layer", norm_place="after"),
}


def _small_spec(**changes) -> NetworkSpec:
    base = dict(depth=4, width=256, batch=16, activation="tanh", init="normal", std=0.05)
    base.update(changes)
    return NetworkSpec(**base)


def _fields(layer) -> dict[str, float]:
    return {name: getattr(layer, name) for name in (
        "mean", "std", "preactivation_mean", "preactivation_std", "grad_mean", "grad_std",
        "weight_grad_mean", "weight_grad_std", "nonfinite", "grad_nonfinite")}


@pytest.mark.parametrize("config", list(SWEEP_CONFIGS))
def test_sweep_equals_separate_passes(config: str) -> None:
    spec = _small_spec(**SWEEP_CONFIGS[config])
    cache = WeightCache()
    swept = run_sweep(spec, SWEEP_STDS, device="cpu", cache=cache)
    assert len(swept) == len(SWEEP_STDS)
    for value, got in zip(SWEEP_STDS, swept):
        single = run_pass(spec.with_knob(value), device="cpu", cache=cache)
        assert got.spec == spec.with_knob(value)
        assert got.loss == pytest.approx(single.loss, rel=1e-4, abs=1e-7), (
            f"{config} std={value}: sweep loss {got.loss!r} vs pass loss {single.loss!r}")
        for a, b in zip(got.layers, single.layers):
            fa, fb = _fields(a), _fields(b)
            for name in fa:
                assert fa[name] == pytest.approx(fb[name], rel=1e-4, abs=1e-12), (
                    f"{config} std={value} layer {a.layer} {name}: sweep {fa[name]!r} vs pass {fb[name]!r}")
            for hist in ("activation_hist", "preactivation_hist", "grad_hist", "weight_grad_hist"):
                ha, hb = getattr(a, hist), getattr(b, hist)
                assert ha.lo == pytest.approx(hb.lo, rel=1e-4, abs=1e-12)
                assert ha.hi == pytest.approx(hb.hi, rel=1e-4, abs=1e-12)
                # near-equality here; exact equality is test_sweep_histograms_exactly_equal_passes
                moved = sum(abs(x - y) for x, y in zip(ha.counts, hb.counts))
                assert moved <= 0.001 * sum(hb.counts) + 2, (
                    f"{config} std={value} layer {a.layer} {hist}: {moved} counts differ")


def test_sweep_histograms_exactly_equal_passes() -> None:
    """run_sweep promises results *equal* to run_pass; histogram counts are integers, so equal
    means equal."""
    spec = _small_spec(depth=6)
    cache = WeightCache()
    swept = run_sweep(spec, SWEEP_STDS, device="cpu", cache=cache)
    diffs = []
    for value, got in zip(SWEEP_STDS, swept):
        single = run_pass(spec.with_knob(value), device="cpu", cache=cache)
        for a, b in zip(got.layers, single.layers):
            for hist in ("activation_hist", "preactivation_hist", "grad_hist", "weight_grad_hist"):
                if getattr(a, hist).counts != getattr(b, hist).counts:
                    diffs.append((value, a.layer, hist))
    assert not diffs, f"histogram counts of the sweep differ from single passes in {diffs}"


def test_sweep_with_running_batch_norm_repeating_one_value_gives_equal_results() -> None:
    """A sweep over [s, s] must give two identical results (and equal run_pass(s))."""
    spec = _small_spec(norm="batch", bn_mode="running")
    cache = WeightCache()
    first, second = run_sweep(spec, [0.05, 0.05], device="cpu", cache=cache)
    single = run_pass(spec, device="cpu", cache=cache)
    assert [x.std for x in first.layers] == pytest.approx([x.std for x in single.layers], rel=1e-5)
    assert [x.std for x in second.layers] == pytest.approx([x.std for x in first.layers], rel=1e-5), (
        "the same std, swept twice, gives different per-layer std with bn_mode='running'")
    assert second.loss == pytest.approx(first.loss, rel=1e-5)


def test_sweep_over_gain_equals_separate_passes() -> None:
    spec = _small_spec(activation="relu", init="kaiming_normal", norm="none")
    gains = [0.5, 1.0, math.sqrt(2.0), 2.0]
    cache = WeightCache()
    swept = run_sweep(spec, gains, device="cpu", cache=cache)
    for gain, got in zip(gains, swept):
        single = run_pass(spec.replace(gain=gain), device="cpu", cache=cache)
        assert got.spec.gain == gain
        assert [x.std for x in got.layers] == pytest.approx([x.std for x in single.layers], rel=1e-4)
        assert [x.grad_std for x in got.layers] == pytest.approx([x.grad_std for x in single.layers], rel=1e-4)


# --------------------------------------------------------------------------------------------
# (3) histogram counts add up
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    dict(activation="tanh", std=0.05),
    dict(activation="relu", init="kaiming_normal"),
    dict(activation="sigmoid", init="xavier_normal", norm="batch"),
    dict(activation="gelu", init="orthogonal", norm="layer", norm_place="after"),
    dict(activation="relu", init="zeros"),
    dict(activation="tanh", init="constant", std=0.01, bias=True),
])
def test_histogram_counts_sum_to_finite_elements(changes) -> None:
    spec = _small_spec(**changes)
    result = run_pass(spec, device="cpu", cache=WeightCache(), bins=37)
    n = spec.batch * spec.width
    for layer in result.layers:
        assert layer.nonfinite == 0 and layer.grad_nonfinite == 0
        assert len(layer.activation_hist.counts) == 37
        assert sum(layer.activation_hist.counts) == n - layer.nonfinite
        assert sum(layer.preactivation_hist.counts) == n
        assert sum(layer.grad_hist.counts) == n - layer.grad_nonfinite
        sample = min(ls.WEIGHT_GRAD_SAMPLE, spec.width) ** 2
        assert sum(layer.weight_grad_hist.counts) == sample
        assert all(c >= 0 for c in layer.activation_hist.counts)
        assert layer.activation_hist.lo < layer.activation_hist.hi


def test_histograms_do_not_depend_on_layer_or_config_index() -> None:
    """The same values in every (layer, configuration) slot must be binned the same way.

    ls.histograms offsets every slot's bin positions by block * bins in float32 before one
    torch.histc; at block * bins of a few thousand, float32 spacing (2.4e-4 at 2048-4096)
    rounds positions near a bin edge into the next bin, so counts depend on the slot index.
    """
    torch.manual_seed(0)
    values = torch.randn(65536)
    layers, configs, bins = 50, 4, 60
    clean = values.expand(layers, configs, -1).contiguous()
    lo, hi = ls.finite_range(clean)
    counts = ls.histograms(clean, lo, hi, bins)
    assert torch.all(counts.sum(-1) == values.numel())  # nothing is lost...
    first = counts[0, 0]
    moved = (counts - first).abs().sum(-1)  # ... but is it binned consistently?
    assert torch.all(moved == 0), (
        f"identical data binned differently per slot; elements moved vs slot (0, 0): "
        f"max {int(moved.max())} (slot {divmod(int(moved.argmax()), configs)})")


def test_histograms_match_float64_binning_for_one_slot() -> None:
    torch.manual_seed(1)
    x = torch.randn(1, 1, 5000, dtype=torch.float64)
    x[0, 0, :7] = float("nan")
    x[0, 0, 7:9] = float("inf")
    clean = ls.finite_only(x)
    lo, hi = ls.finite_range(clean)
    counts = ls.histograms(clean, lo, hi, 20)[0, 0]
    finite = x[torch.isfinite(x)].numpy()
    expected, _ = np.histogram(finite, bins=20, range=(float(lo), float(hi)))
    assert counts.sum() == 5000 - 9
    assert counts.tolist() == expected.tolist()


# --------------------------------------------------------------------------------------------
# (4) normalization along the right axes
# --------------------------------------------------------------------------------------------

@pytest.fixture
def kbd() -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    k, b, d = 3, 12, 16
    # each configuration and feature with its own offset and scale, so a wrong axis shows
    offsets = torch.randn(k, 1, d, generator=g) * 3
    scales = torch.rand(k, 1, d, generator=g) * 4 + 0.5
    return torch.randn(k, b, d, generator=g, dtype=torch.float64) * scales + offsets


def test_batch_norm_per_config_and_feature(kbd) -> None:
    y = norms.batch_norm(kbd, None)
    assert y.shape == kbd.shape
    assert torch.allclose(y.mean(1), torch.zeros(3, 16, dtype=y.dtype), atol=1e-10)
    assert torch.allclose(y.var(1, unbiased=False), torch.ones(3, 16, dtype=y.dtype), atol=1e-3)
    for k in range(kbd.shape[0]):
        bn = torch.nn.BatchNorm1d(16, affine=False, eps=norms.EPS).double().train()
        assert torch.allclose(y[k], bn(kbd[k]), atol=1e-10)


def test_batch_norm_running_uses_given_statistics(kbd) -> None:
    mean = torch.randn(3, 16, dtype=torch.float64)
    var = torch.rand(3, 16, dtype=torch.float64) + 0.5
    y = norms.batch_norm(kbd, (mean, var))
    expected = (kbd - mean[:, None, :]) / torch.sqrt(var[:, None, :] + norms.EPS)
    assert torch.allclose(y, expected, atol=1e-10)
    for k in range(3):
        bn = torch.nn.BatchNorm1d(16, affine=False, eps=norms.EPS).double()
        bn.running_mean.copy_(mean[k])
        bn.running_var.copy_(var[k])
        assert torch.allclose(y[k], bn.eval()(kbd[k]), atol=1e-10)


def test_batch_statistics_are_per_config_mean_and_unbiased_var(kbd) -> None:
    mean, var = norms.batch_statistics(kbd)
    assert mean.shape == var.shape == (3, 16)
    assert torch.allclose(mean, kbd.mean(1), atol=1e-10)
    assert torch.allclose(var, kbd.var(1, unbiased=True), atol=1e-10)


def test_layer_norm_per_sample_over_features(kbd) -> None:
    y = norms.layer_norm(kbd)
    assert torch.allclose(y.mean(-1), torch.zeros(3, 12, dtype=y.dtype), atol=1e-10)
    assert torch.allclose(y.var(-1, unbiased=False), torch.ones(3, 12, dtype=y.dtype), atol=1e-3)
    ln = torch.nn.LayerNorm(16, elementwise_affine=False, eps=norms.EPS).double()
    for k in range(3):
        assert torch.allclose(y[k], ln(kbd[k]), atol=1e-10)


@pytest.mark.parametrize("groups", [1, 4, 16])
def test_group_norm_per_sample_per_group(kbd, groups: int) -> None:
    y = norms.group_norm(kbd, groups)
    k, b, d = kbd.shape
    grouped = y.reshape(k, b, groups, d // groups)
    assert torch.allclose(grouped.mean(-1), torch.zeros(k, b, groups, dtype=y.dtype), atol=1e-10)
    if d // groups > 1:
        assert torch.allclose(grouped.var(-1, unbiased=False), torch.ones(k, b, groups, dtype=y.dtype),
                              atol=1e-3)
    gn = torch.nn.GroupNorm(groups, d, affine=False, eps=norms.EPS).double()
    for i in range(k):
        assert torch.allclose(y[i], gn(kbd[i]), atol=1e-10)


def test_group_norm_with_one_group_is_layer_norm(kbd) -> None:
    assert torch.allclose(norms.group_norm(kbd, 1), norms.layer_norm(kbd), atol=1e-10)


# --------------------------------------------------------------------------------------------
# (5) gradients against torch.autograd on an explicitly built tiny net
# --------------------------------------------------------------------------------------------

_TORCH_ACTS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
               "gelu": F.gelu, "leaky_relu": lambda v: F.leaky_relu(v, 0.01), "elu": F.elu,
               "selu": F.selu, "silu": F.silu}


def _reference_pass(spec: NetworkSpec) -> dict[str, list]:
    """The network, rebuilt in float64 with torch.nn modules and torch.autograd."""
    width, depth, batch = spec.width, spec.depth, spec.batch
    scheme = INIT_SCHEMES[spec.init]
    scale = scheme.scale(spec.knob_value, width, width)
    cache = WeightCache()
    weights = []
    for layer in range(depth):
        if scheme.family in ("zeros", "constant"):
            w = torch.full((width, width), scale, dtype=torch.float64)
        else:
            base = cache.get(BaseKey(layer, width, width, scheme.family, spec.seed, "cpu"))
            w = base.double() * scale
        weights.append(w.requires_grad_(True))
    x = torch.randn((batch, width), generator=seeded_generator(spec.seed, -1, CPU)).double()
    head = torch.randn((width, CLASSES), generator=seeded_generator(spec.seed, -3, CPU)).double()
    head = head / math.sqrt(width)
    labels = torch.randint(CLASSES, (batch,), generator=seeded_generator(spec.seed, -3, CPU))
    act = _TORCH_ACTS[spec.activation]

    def make_norm():
        if spec.norm == "batch":
            return torch.nn.BatchNorm1d(width, affine=False, momentum=None, eps=norms.EPS).double()
        if spec.norm == "layer":
            return torch.nn.LayerNorm(width, elementwise_affine=False, eps=norms.EPS).double()
        if spec.norm == "group":
            return torch.nn.GroupNorm(spec.groups, width, affine=False, eps=norms.EPS).double()
        return None

    norm_layers = [make_norm() for _ in range(depth)]

    def forward(h):
        zs, hs = [], []
        for layer in range(depth):
            z = h @ weights[layer] + (BIAS_VALUE if spec.bias else 0.0)
            n = norm_layers[layer]
            a = n(z) if n is not None and spec.norm_place == "before" else z
            f = act(a)
            h = n(f) if n is not None and spec.norm_place == "after" else f
            zs.append(z)
            hs.append(h)
        return zs, hs

    if spec.norm == "batch" and spec.bn_mode == "running":
        # warm-up: RUNNING_STAT_BATCHES training-mode batches, cumulative average (momentum=None)
        from trainlab.compute.net.memory import RUNNING_STAT_BATCHES
        warm = torch.randn((RUNNING_STAT_BATCHES, batch, width),
                           generator=seeded_generator(spec.seed, -2, CPU)).double()
        with torch.no_grad():
            for xb in warm:
                forward(xb)
        for n in norm_layers:
            n.eval()

    zs, hs = forward(x)
    for t in zs + hs:
        t.retain_grad()
    loss = F.cross_entropy(hs[-1] @ head, labels)
    loss.backward()
    return {
        "loss": float(loss.detach()),
        "std": [float(h.detach().std(unbiased=False)) for h in hs],
        "mean": [float(h.detach().mean()) for h in hs],
        "grad_std": [float(h.grad.std(unbiased=False)) for h in hs],
        "grad_mean": [float(h.grad.mean()) for h in hs],
        # dL/dW explicitly: h_prev^T @ dL/dz, and autograd's own W.grad
        "wgrad_explicit": [([x] + hs[:-1])[i].detach().T @ zs[i].grad for i in range(depth)],
        "wgrad_autograd": [w.grad for w in weights],
    }


GRAD_CASES = {
    "tanh-normal": dict(activation="tanh", init="normal", std=0.5),
    "relu-kaiming": dict(activation="relu", init="kaiming_normal"),
    "sigmoid-xavier-uniform-bias": dict(activation="sigmoid", init="xavier_uniform", bias=True),
    "gelu-orthogonal-gain": dict(activation="gelu", init="orthogonal", gain=1.3),
    "tanh-batch-train": dict(activation="tanh", init="xavier_normal", norm="batch"),
    "relu-batch-running": dict(activation="relu", init="kaiming_normal", norm="batch", bn_mode="running"),
    "tanh-layer-after": dict(activation="tanh", init="normal", std=0.4, norm="layer", norm_place="after"),
    "elu-group": dict(activation="elu", init="lecun_normal", norm="group", groups=2),
    "relu-constant": dict(activation="relu", init="constant", std=0.1),
}


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_gradients_match_torch_autograd(case: str) -> None:
    spec = NetworkSpec(depth=3, width=8, batch=4, seed=3, **GRAD_CASES[case])
    ref = _reference_pass(spec)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    assert result.loss == pytest.approx(ref["loss"], rel=1e-4)
    for i, layer in enumerate(result.layers):
        explicit, autograd = ref["wgrad_explicit"][i], ref["wgrad_autograd"][i]
        assert torch.allclose(explicit, autograd, rtol=1e-8, atol=1e-12)  # the reference itself
        what = f"{case} layer {layer.layer}"
        # means are compared on the scale of their std: a float32 mean of a zero-mean quantity
        # (BatchNorm's dL/dh, say) is ~1e-9, not 0
        assert layer.std == pytest.approx(ref["std"][i], rel=1e-4, abs=1e-7), what
        assert layer.mean == pytest.approx(ref["mean"][i], abs=1e-5 * ref["std"][i] + 1e-7), what
        assert layer.grad_std == pytest.approx(ref["grad_std"][i], rel=1e-3, abs=1e-9), what
        assert layer.grad_mean == pytest.approx(ref["grad_mean"][i],
                                                abs=1e-4 * ref["grad_std"][i] + 1e-12), what
        wg_mean, wg_std = float(explicit.mean()), float(explicit.std(unbiased=False))
        assert layer.weight_grad_mean == pytest.approx(wg_mean, abs=1e-4 * (wg_std + abs(wg_mean)) + 1e-12), what
        # abs term: weight_grad_moments' E[x^2] - mean^2 leaves ~1e-3 |mean| of noise when all
        # entries are equal (constant init); test_constant_init_weight_grad_std_is_zero checks that
        assert layer.weight_grad_std == pytest.approx(wg_std, rel=1e-3, abs=1e-3 * abs(wg_mean) + 1e-12), what
        # width 8 < WEIGHT_GRAD_SAMPLE: the dW histogram holds every entry of dL/dW
        hist = layer.weight_grad_hist
        assert sum(hist.counts) == explicit.numel()
        values = explicit.flatten().numpy().clip(hist.lo, hist.hi)
        expected, _ = np.histogram(values, bins=len(hist.counts), range=(hist.lo, hist.hi))
        assert hist.counts == expected.tolist(), what


@pytest.mark.parametrize("offset", [0.0, 0.7])
def test_weight_grad_moments_match_explicit_product(offset: float) -> None:
    g = torch.Generator().manual_seed(5)
    k, b, din, dout = 3, 6, 20, 12
    h = torch.randn(k, b, din, generator=g) + offset
    gz = torch.randn(k, b, dout, generator=g) * 0.1 + offset / 3
    mean, std = ls.weight_grad_moments(h, gz)
    explicit = h.double().transpose(1, 2) @ gz.double()  # (K, Din, Dout)
    assert mean.shape == std.shape == (k,)
    assert torch.allclose(mean, explicit.mean((1, 2)), rtol=1e-5, atol=1e-9)
    assert torch.allclose(std, explicit.flatten(1).std(1, unbiased=False), rtol=1e-4, atol=1e-9)


def test_weight_grad_sample_is_a_block_of_the_explicit_product() -> None:
    g = torch.Generator().manual_seed(6)
    h, gz = torch.randn(2, 5, 9, generator=g), torch.randn(2, 5, 7, generator=g)
    rows, cols = torch.tensor([8, 0, 3]), torch.tensor([6, 1])
    block = ls.weight_grad_sample(h, gz, rows, cols)
    full = h.transpose(1, 2) @ gz
    assert torch.allclose(block, full[:, rows][:, :, cols].flatten(1), atol=1e-6)


# --------------------------------------------------------------------------------------------
# (6) bad configurations
# --------------------------------------------------------------------------------------------

BAD_SPECS = [
    ("std", dict(std=0.0)),
    ("std", dict(std=-0.1)),
    ("std", dict(std=float("nan"))),
    ("std", dict(std=float("inf"))),
    ("gain", dict(init="xavier_normal", gain=0.0)),
    ("depth", dict(depth=0)),
    ("depth", dict(depth=51)),
    ("width", dict(width=1)),
    ("batch", dict(batch=0)),
    ("activation", dict(activation="softsign")),
    ("init", dict(init="he")),
    ("norm", dict(norm="instance")),
    ("norm_place", dict(norm="layer", norm_place="middle")),
    ("bn_mode", dict(norm="batch", bn_mode="eval")),
    ("groups", dict(norm="group", groups=5)),
    ("groups", dict(norm="group", groups=512)),
    ("batch", dict(norm="batch", bn_mode="train", batch=1)),
]


@pytest.mark.parametrize(("field", "changes"), BAD_SPECS, ids=[f"{f}-{c}" for f, c in BAD_SPECS])
def test_bad_configuration_raises_spec_error_naming_the_field(field: str, changes) -> None:
    spec = _small_spec(**changes)
    with pytest.raises(SpecError) as info:
        run_pass(spec, device="cpu", cache=WeightCache())
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)
    assert len(info.value.reason) > 10


@pytest.mark.parametrize("changes", [dict(norm="layer"), dict(norm="group", groups=4), dict(norm="none")])
def test_batch_one_is_fine_without_batch_statistics(changes) -> None:
    result = run_pass(_small_spec(batch=1, width=32, **changes), device="cpu", cache=WeightCache())
    assert all(math.isfinite(layer.std) and layer.std > 0 for layer in result.layers)


def test_batch_one_with_running_batch_norm_runs_or_is_a_spec_error() -> None:
    """validate() accepts batch 1 with bn_mode='running' (only 'train' needs 2), so the pass
    must either run it or refuse it with a SpecError -- never a raw torch error."""
    spec = _small_spec(batch=1, width=32, norm="batch", bn_mode="running")
    try:
        result = run_pass(spec, device="cpu", cache=WeightCache())
    except SpecError as error:
        assert error.field == "batch"
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"batch 1 + running BatchNorm raised {type(error).__name__}: {error}")
    else:
        assert all(math.isfinite(layer.std) for layer in result.layers)


def test_groups_message_names_width_and_groups() -> None:
    with pytest.raises(SpecError, match=r"groups: .*256.*5"):
        run_pass(_small_spec(norm="group", groups=5), device="cpu", cache=WeightCache())


def test_too_wide_is_refused_before_allocating() -> None:
    cache = WeightCache()
    with pytest.raises(SpecError) as info:
        run_pass(NetworkSpec(width=65536), device="cpu", cache=cache)
    message = str(info.value)
    assert info.value.field == "size"
    assert "GB" in message and "free" in message and "65536" in message
    assert cache.draws == 0 and cache.nbytes == 0


def test_bad_sweep_values_are_refused() -> None:
    spec = _small_spec()
    with pytest.raises(SpecError, match="^sweep: "):
        run_sweep(spec, [], device="cpu", cache=WeightCache())
    with pytest.raises(SpecError, match="^std: "):
        run_sweep(spec, [0.1, 0.0], device="cpu", cache=WeightCache())
    with pytest.raises(SpecError, match="^gain: "):
        run_sweep(spec.replace(init="xavier_normal"), [1.0, float("nan")], device="cpu", cache=WeightCache())


def test_unknown_device_is_refused() -> None:
    with pytest.raises(SpecError, match="^device: "):
        run_pass(_small_spec(), device="tpu", cache=WeightCache())


# --------------------------------------------------------------------------------------------
# (7) the weight cache
# --------------------------------------------------------------------------------------------

def test_changing_std_or_sharing_family_draws_nothing_new() -> None:
    cache = WeightCache()
    spec = _small_spec(depth=3, width=64)
    first = run_pass(spec, device="cpu", cache=cache)
    assert cache.draws == 3
    for std in (0.01, 0.3, 1.0):
        run_pass(spec.replace(std=std), device="cpu", cache=cache)
    run_sweep(spec, [0.1, 0.2, 0.5], device="cpu", cache=cache)
    assert cache.draws == 3, "a new std must reuse the cached base"
    for init in ("xavier_normal", "kaiming_normal", "lecun_normal", "normal"):
        run_pass(spec.replace(init=init), device="cpu", cache=cache)
    assert cache.draws == 3, "normal, xavier_normal, kaiming_normal share the N(0,1) base"
    run_pass(spec.replace(init="uniform"), device="cpu", cache=cache)
    assert cache.draws == 6, "uniform needs U(-1,1) bases"
    for init in ("xavier_uniform", "kaiming_uniform"):
        run_pass(spec.replace(init=init), device="cpu", cache=cache)
    assert cache.draws == 6
    run_pass(spec.replace(init="orthogonal"), device="cpu", cache=cache)
    assert cache.draws == 9
    for init in ("zeros", "constant"):
        run_pass(spec.replace(init=init), device="cpu", cache=cache)
    assert cache.draws == 9, "the constant family has no base"
    run_pass(spec.replace(seed=1), device="cpu", cache=cache)
    assert cache.draws == 12, "another seed is another base"
    run_pass(spec.replace(depth=4), device="cpu", cache=cache)
    assert cache.draws == 13, "one more layer, one more base"
    again = run_pass(spec, device="cpu", cache=cache)
    assert [x.std for x in again.layers] == [x.std for x in first.layers]


def test_std_change_is_exactly_a_rescale() -> None:
    """normal with std s and xavier_normal with the same effective std give identical passes."""
    width = 64
    cache = WeightCache()
    xavier = run_pass(_small_spec(width=width, init="xavier_normal"), device="cpu", cache=cache)
    normal = run_pass(_small_spec(width=width, init="normal", std=math.sqrt(2.0 / (2 * width))),
                      device="cpu", cache=cache)
    assert [x.std for x in xavier.layers] == pytest.approx([x.std for x in normal.layers], rel=1e-6)


def test_fresh_caches_give_identical_bases() -> None:
    key = BaseKey(2, 32, 32, "normal", 9, "cpu")
    assert torch.equal(WeightCache().get(key), WeightCache().get(key))
    assert not torch.equal(WeightCache().get(key), WeightCache().get(key._replace(layer=3)))


def _key(layer: int, family="normal") -> BaseKey:
    return BaseKey(layer, 16, 16, family, 0, "cpu")


def test_cache_budget_evicts_least_recently_used() -> None:
    matrix = 16 * 16 * 4
    cache = WeightCache(budget_bytes=2 * matrix)
    a = cache.get(_key(0))
    cache.get(_key(1))
    assert cache.nbytes == 2 * matrix and cache.draws == 2
    assert cache.get(_key(0)) is a  # a hit, and 0 becomes the most recently used
    assert cache.draws == 2
    cache.get(_key(2))
    assert cache.nbytes <= cache.budget_bytes
    assert cache.contains(_key(0)) and cache.contains(_key(2))
    assert not cache.contains(_key(1)), "the least recently used entry goes first"
    cache.get(_key(1))
    assert cache.draws == 4, "an evicted base is drawn again"


def test_cache_keep_is_never_evicted() -> None:
    matrix = 16 * 16 * 4
    cache = WeightCache(budget_bytes=matrix)
    keep = frozenset({_key(0), _key(1), _key(2)})
    for layer in range(3):
        cache.get(_key(layer), keep)
    assert all(cache.contains(_key(layer)) for layer in range(3))
    cache.get(_key(3))
    assert cache.nbytes <= cache.budget_bytes
    assert [cache.contains(_key(layer)) for layer in range(4)] == [False, False, False, True]


def test_pass_with_small_budget_keeps_the_cache_bounded() -> None:
    width, depth = 64, 3
    cache = WeightCache(budget_bytes=depth * width * width * 4)
    spec = _small_spec(width=width, depth=depth)
    before = run_pass(spec, device="cpu", cache=cache)
    run_pass(spec.replace(init="uniform"), device="cpu", cache=cache)
    assert cache.draws == 6
    assert cache.nbytes <= cache.budget_bytes
    assert not any(cache.contains(BaseKey(i, width, width, "normal", 0, "cpu")) for i in range(depth))
    after = run_pass(spec, device="cpu", cache=cache)
    assert cache.draws == 9
    assert [x.std for x in after.layers] == [x.std for x in before.layers]


# --------------------------------------------------------------------------------------------
# (8) theory
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("activation", "init"), [("tanh", "xavier_normal"), ("relu", "kaiming_normal")])
def test_theory_agrees_with_measurement_at_4096(activation: str, init: str, wide_cache) -> None:
    spec = _lecture_spec(activation, init, 0.0)
    result = run_pass(spec, device="cpu", cache=wide_cache)
    theory = predicted_std(spec)
    assert [layer.theory_std for layer in result.layers] == theory
    for layer, predicted in zip(result.layers, theory):
        assert predicted is not None
        assert layer.std == pytest.approx(predicted, rel=0.10), f"layer {layer.layer}"


def test_theory_for_the_classic_values() -> None:
    # ReLU + Kaiming keeps E[h^2] = 1: std of relu(N(0, 2)) is sqrt(1 - 1/pi)
    # (Gauss-Hermite quadrature is exact for smooth f only; at the ReLU kink it is off ~0.2 %)
    kaiming = predicted_std(NetworkSpec(activation="relu", init="kaiming_normal"))
    assert kaiming == pytest.approx([math.sqrt(1 - 1 / math.pi)] * 6, rel=5e-3)
    # tanh: smooth, so the quadrature is exact to many digits; check layer 1 against a
    # direct numerical integral of tanh(z)^2 N(z; 0, 1)
    z = np.linspace(-12, 12, 200001)
    density = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    tanh_std = math.sqrt(np.trapezoid(np.tanh(z) ** 2 * density, z))
    assert predicted_std(NetworkSpec(activation="tanh", init="xavier_normal"))[0] == pytest.approx(
        tanh_std, rel=1e-6)
    # ReLU + Xavier halves E[h^2] every layer: std ratio 1/sqrt(2) between layers
    xavier = predicted_std(NetworkSpec(activation="relu", init="xavier_normal"))
    assert [b / a for a, b in zip(xavier, xavier[1:])] == pytest.approx([1 / math.sqrt(2)] * 5, rel=1e-6)
    assert predicted_std(NetworkSpec(init="constant")) == [None] * 6


# --------------------------------------------------------------------------------------------
# (9) overflow and (10) zeros
# --------------------------------------------------------------------------------------------

def test_relu_overflow_counts_nonfinite_without_raising() -> None:
    spec = NetworkSpec(depth=50, width=256, activation="relu", init="normal", std=10.0)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    assert result.nonfinite > 0
    assert result.layers[-1].nonfinite == spec.batch * spec.width
    assert result.layers[0].nonfinite == 0
    n = spec.batch * spec.width
    for layer in result.layers:
        assert sum(layer.activation_hist.counts) == n - layer.nonfinite
        assert sum(layer.grad_hist.counts) == n - layer.grad_nonfinite
        assert sum(layer.preactivation_hist.counts) <= n
        hist = layer.activation_hist
        assert math.isfinite(hist.lo) and math.isfinite(hist.hi)
    assert json.loads(json.dumps(result.to_dict()))  # serializable at all (NaN as python allows)
    # the theory stops where the variance leaves the float range
    assert result.layers[-1].theory_std is None


def test_zeros_init_with_relu_has_exactly_zero_weight_gradients() -> None:
    spec = _small_spec(activation="relu", init="zeros", width=64)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    for layer in result.layers:
        assert layer.mean == 0.0 and layer.std == 0.0
        assert layer.weight_grad_mean == 0.0 and layer.weight_grad_std == 0.0
        assert layer.dead_fraction == 1.0
        hist = layer.weight_grad_hist
        assert max(hist.counts) == sum(hist.counts) == 64 * 64  # every entry in one bin ...
        peak = hist.counts.index(max(hist.counts))
        assert hist.edges[peak] <= 0.0 < hist.edges[peak + 1]  # ... the one holding 0
    # dL/dh is exactly zero below the last layer (it flows back through zero weights and relu'(0) = 0)
    for layer in result.layers[:-1]:
        assert layer.grad_mean == 0.0 and layer.grad_std == 0.0
    # the last layer's dL/dh comes straight from the read-out and is not zero
    assert result.layers[-1].grad_std > 0.0
    assert result.loss == pytest.approx(math.log(CLASSES), rel=1e-6)


def test_constant_init_weight_grad_std_is_zero() -> None:
    """Constant init: no symmetry breaking. In a middle layer both h_prev and dL/dz have all
    columns equal, so every entry of dL/dW is the same number and its std is exactly 0 (an
    explicit h^T g in float32 gives exactly 0)."""
    spec = _small_spec(activation="relu", init="constant", std=0.1, depth=3, width=256)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    middle = result.layers[1]
    assert middle.weight_grad_mean != 0.0
    # the histogram (computed from an explicit block) agrees: every sampled entry in one bin
    assert max(middle.weight_grad_hist.counts) == sum(middle.weight_grad_hist.counts)
    assert middle.weight_grad_std <= 1e-6 * abs(middle.weight_grad_mean), (
        f"dW entries are all equal, but weight_grad_std = {middle.weight_grad_std:.3g} "
        f"({middle.weight_grad_std / abs(middle.weight_grad_mean):.1e} of the mean)")


def test_an_exploding_net_reports_the_std_it_has_not_inf() -> None:
    """float32 squares overflow above 1.8e19 while the values reach 3.4e38: a layer of finite
    values has a finite mean and std, as float64 NumPy computes them from the same values."""
    values = torch.tensor([[3e20, -1e21, 2.5e22, 7.0, float("nan")], [1e37, -3e38, 3e38, 0.0, 1.0]])
    mean, std, nonfinite = ls.finite_moments(values.view(1, 2, 5))
    expected = [np.array(row, dtype=np.float64) for row in values.tolist()]
    expected = [row[np.isfinite(row)] for row in expected]
    assert mean.view(2).tolist() == pytest.approx([row.mean() for row in expected], rel=1e-6)
    assert std.view(2).tolist() == pytest.approx([row.std() for row in expected], rel=1e-6)
    assert nonfinite.view(2).tolist() == [1, 0]
    spec = NetworkSpec(depth=12, width=256, activation="relu", init="normal", std=10.0)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    finite = [layer for layer in result.layers if layer.nonfinite == 0]
    assert len(finite) == 12 and all(math.isfinite(layer.std) and math.isfinite(layer.mean) for layer in finite)
    assert result.layers[-1].std > 1e23  # it did explode
    assert all(math.isfinite(layer.grad_std) for layer in result.layers if layer.grad_nonfinite == 0)


def test_layers_of_very_different_scale_get_their_own_histogram_range() -> None:
    """An exploding ReLU net (std 0.3: about 14x per layer) on one shared axis drew 5 of 6 layers
    as a spike at zero; each layer then spans its own values. Layers of a similar scale (Kaiming)
    share one range, and a bounded activation keeps its own range (-1, 1) in every layer."""
    cache = WeightCache()
    exploding = run_pass(_small_spec(activation="relu", init="normal", std=0.3, width=256), device="cpu", cache=cache)
    for layer in exploding.layers:
        counts = layer.activation_hist.counts
        assert sum(counts[:3]) < 0.9 * sum(counts), f"layer {layer.layer} is a spike at zero"
    assert len({layer.activation_hist.hi for layer in exploding.layers}) == len(exploding.layers)
    kaiming = run_pass(_small_spec(activation="relu", init="kaiming_normal", width=256), device="cpu", cache=cache)
    assert len({(layer.activation_hist.lo, layer.activation_hist.hi) for layer in kaiming.layers}) == 1
    assert len({(layer.grad_hist.lo, layer.grad_hist.hi) for layer in kaiming.layers}) == 1
    tanh = run_pass(_small_spec(activation="tanh", init="normal", std=1.0, width=256), device="cpu", cache=cache)
    assert {(layer.activation_hist.lo, layer.activation_hist.hi) for layer in tanh.layers} == {(-1.0, 1.0)}
    # A sweep bins each configuration as its own pass does.
    swept = run_sweep(_small_spec(activation="relu", init="normal", width=256), [0.3, 0.09], device="cpu", cache=cache)
    assert [layer.activation_hist for layer in swept[0].layers] == [layer.activation_hist for layer in exploding.layers]
