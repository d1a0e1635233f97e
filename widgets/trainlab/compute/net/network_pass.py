"""One forward and backward pass of the deep net, for one configuration or a batched sweep.

A sweep over K values of the init knob (std or gain) stacks the K configurations along the
batch: every layer is one (K * B, D) @ (D, D) product on the shared cached base matrix, then
each configuration's rows are multiplied by its own scale. The loss is the sum of the K
configurations' losses, so each one's gradients are exactly those of its own pass.

Loss: mean cross-entropy of a fixed random linear read-out (width -> 10, weights N(0, 1/width))
of the last layer against fixed random labels: a classifier's loss at initialization, where a
sane network starts near log(10).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.net import budget
from trainlab.compute.net import layer_stats as ls
from trainlab.compute.net import normalization as norms
from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.devices import intra_op_threads, pick_device
from trainlab.compute.errors import SpecError
from trainlab.compute.net.memory import RUNNING_STAT_BATCHES, check_fits
from trainlab.compute.net.results import Histogram, LayerStats, PassResult
from trainlab.compute.checks import number_in
from trainlab.compute.net.spec import BIAS_VALUE, GAIN_RANGE, STD_RANGE, NetworkSpec
from trainlab.compute.net.theory import predicted_std
from trainlab.compute.net.weight_cache import PARALLEL_FAMILIES, BaseKey, WeightCache, seeded_generator, shared_cache

Tensor = torch.Tensor
CLASSES = 10
DEFAULT_BINS = 60
# A sweep's configurations run this many at a time. On a CPU 4 x 16 rows were as quick as 8 x 16
# (a sweep of 16 in 1061 against 1138 ms, alternating; 2 x 16: 1212 ms) and hold half their
# activations: the process's peak 791-802 MB against 894-995 MB (BENCHMARKS.md, round 7).
SWEEP_CHUNK = 4
# Generator streams for things that are not weight layers.
_INPUT_STREAM, _WARMUP_STREAM, _HEAD_STREAM, _SAMPLE_STREAM = -1, -2, -3, -4


@dataclass
class _Network:
    """The tensors one pass needs, resolved for a spec on a device."""

    spec: NetworkSpec
    bases: list[Tensor | None]  # None for the constant family (zeros, constant)
    scales: Tensor  # (K,)
    head: Tensor  # (width, CLASSES)

    @property
    def configs(self) -> int:
        return self.scales.shape[0]


def _normal(shape: tuple[int, ...], seed: int, stream: int, device: torch.device) -> Tensor:
    return torch.randn(shape, generator=seeded_generator(seed, stream, device), device=device)


def _linear(net: _Network, layer: int, h: Tensor) -> Tensor:
    """z = h @ (scale * W), computed as (h @ W) * scale so no scaled matrix is ever formed."""
    k, b, d = h.shape
    scale = net.scales.view(k, 1, 1)
    base = net.bases[layer]
    if base is None:
        # Every weight equals the constant c: each unit gets c * sum(h), the same for all units.
        z = (h.sum(-1, keepdim=True) * scale).expand(k, b, net.spec.width)
    else:
        z = (h.reshape(k * b, d) @ base).view(k, b, -1) * scale
    return z + BIAS_VALUE if net.spec.bias else z


def _normalize(spec: NetworkSpec, x: Tensor, running: tuple[Tensor, Tensor] | None) -> Tensor:
    if spec.norm == "batch":
        return norms.batch_norm(x, running)
    if spec.norm == "layer":
        return norms.layer_norm(x)
    return norms.group_norm(x, spec.groups)


@dataclass
class _Trace:
    inputs: list[Tensor]  # h_{l-1}, the input of each layer
    z: list[Tensor]
    a: list[Tensor]  # input of the activation function
    f: list[Tensor]  # output of the activation function
    h: list[Tensor]  # output of the layer
    batch_stats: list[tuple[Tensor, Tensor]]


def _forward(net: _Network, x: Tensor, running: list[tuple[Tensor, Tensor]] | None = None,
             record_batch_stats: bool = False, cancel: CancelToken = NEVER) -> _Trace:
    spec = net.spec
    act = ACTIVATIONS[spec.activation].fn
    trace = _Trace([], [], [], [], [], [])

    def normalized_at(place: str, x: Tensor, layer: int) -> Tensor:
        if spec.norm == "none" or spec.norm_place != place:
            return x
        if record_batch_stats:
            trace.batch_stats.append(norms.batch_statistics(x))
        return _normalize(spec, x, running[layer] if running else None)

    h = x
    for layer in range(spec.depth):
        cancel.check()
        trace.inputs.append(h)
        z = _linear(net, layer, h)
        a = normalized_at("before", z, layer)
        f = act(a)
        h = normalized_at("after", f, layer)
        trace.z.append(z)
        trace.a.append(a)
        trace.f.append(f)
        trace.h.append(h)
    return trace


def _running_statistics(net: _Network) -> list[tuple[Tensor, Tensor]]:
    """BatchNorm running mean and variance after RUNNING_STAT_BATCHES training-mode batches.

    torch's BatchNorm with momentum=None keeps the cumulative average of the batch means and
    unbiased variances; with the weights fixed, that is the plain average over the warm-up
    batches, which run in one stacked pass (each batch its own BatchNorm group).
    """
    spec, k, w = net.spec, net.configs, RUNNING_STAT_BATCHES
    warm = _Network(spec, net.bases, net.scales.repeat_interleave(w), net.head)
    # The same warm-up batches for every configuration, so a sweep matches separate passes.
    x = _normal((w, spec.batch, spec.width), spec.seed, _WARMUP_STREAM, net.head.device).repeat(k, 1, 1)
    with torch.no_grad():
        trace = _forward(warm, x, record_batch_stats=True)
    return [(mean.view(k, w, -1).mean(1), var.view(k, w, -1).mean(1)) for mean, var in trace.batch_stats]


def _base_keys(spec: NetworkSpec, device: torch.device) -> list[BaseKey]:
    if spec.scheme.family in ("zeros", "constant"):
        return []
    return [BaseKey(layer, spec.width, spec.width, spec.scheme.family, spec.seed, str(device))
            for layer in range(spec.depth)]


def _resolve(spec: NetworkSpec, knob_values: Sequence[float], device: torch.device,
             cache: WeightCache, cancel: CancelToken = NEVER) -> _Network:
    keys = _base_keys(spec, device)
    bases: list[Tensor | None] = list(cache.get_many(keys, frozenset(keys), cancel)) if keys else [None] * spec.depth
    scheme = spec.scheme
    scales = torch.tensor([scheme.scale(v, spec.width, spec.width) for v in knob_values],
                          dtype=torch.float32, device=device)
    head = _normal((spec.width, CLASSES), spec.seed, _HEAD_STREAM, device) / spec.width**0.5
    return _Network(spec, bases, scales, head)


def _check_knob_values(spec: NetworkSpec, knob_values: Sequence[float]) -> None:
    if not knob_values:
        raise SpecError("sweep", "needs at least one value")
    if spec.scheme.knob == "std":
        for value in knob_values:
            number_in("std", value, STD_RANGE)
    elif spec.scheme.knob == "gain":
        for value in knob_values:
            number_in("gain", value, GAIN_RANGE)


def first_use(spec: NetworkSpec, *, device: str = "auto", cache: WeightCache = shared_cache) -> str:
    """What the first pass of `spec` waits for beyond the pass itself, e.g. "drawing 6 orthogonal
    4096×4096 matrices (about 30 s, once per machine)"; "" if its base matrices are at hand."""
    dev = pick_device(device)
    missing = sum(not cache.stored(key) for key in _base_keys(spec, dev))
    parallel = cache.threads if spec.scheme.family in PARALLEL_FAMILIES else 1
    seconds = budget.draw_seconds(spec.scheme.family, spec.width, spec.width, missing, dev, parallel)
    return budget.first_use(spec.scheme.family, spec.width, missing, seconds)


def run_sweep(spec: NetworkSpec, knob_values: Sequence[float], *, device: str = "auto",
              cache: WeightCache = shared_cache, bins: int = DEFAULT_BINS, cancel: CancelToken = NEVER,
              time_limit: float | None = None, chunk: int = SWEEP_CHUNK,
              on_chunk: Callable[[list[PassResult]], None] | None = None) -> list[PassResult]:
    """One forward + backward pass for each value of the init knob (std or gain), batched.

    Returns one PassResult per value, each equal to what run_pass gives for
    spec.with_knob(value). The values run `chunk` at a time (one batched pass each, which bounds
    the memory a sweep holds); with `on_chunk`, the first value runs alone and each chunk's
    results are handed to on_chunk as soon as they are there, so that they can be shown while the
    rest runs. Raises SpecError for a configuration that cannot run, or whose passes would take
    longer than `time_limit` seconds; Cancelled once `cancel` is cancelled (checked between
    matrix draws, chunks and layers).
    """
    spec.validate()
    _check_knob_values(spec, knob_values)
    dev = pick_device(device)
    sizes = [1] if on_chunk is not None and len(knob_values) > 1 else []
    while sum(sizes) < len(knob_values):
        sizes.append(min(chunk, len(knob_values) - sum(sizes)))
    _check_resources(spec, len(knob_values), max(sizes), dev, cache, time_limit)
    results: list[PassResult] = []
    for size in sizes:
        cancel.check()
        part = _batched_pass(spec, knob_values[len(results):len(results) + size], dev, cache, bins, cancel)
        results += part
        if on_chunk is not None:
            on_chunk(part)
    return results


class PassMemo:
    """The last few passes by configuration: going back to a setting shown a moment ago (a
    slider moved back, a reveal undone) is a lookup instead of a pass."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._results: OrderedDict[tuple, PassResult] = OrderedDict()

    def get(self, key: tuple) -> PassResult | None:
        if key in self._results:
            self._results.move_to_end(key)
        return self._results.get(key)

    def put(self, key: tuple, result: PassResult) -> None:
        self._results[key] = result
        while len(self._results) > self.size:
            self._results.popitem(last=False)


def run_pass(spec: NetworkSpec, *, device: str = "auto", cache: WeightCache = shared_cache,
             bins: int = DEFAULT_BINS, cancel: CancelToken = NEVER, time_limit: float | None = None,
             on_forward: Callable[[PassResult], None] | None = None, memo: PassMemo | None = None,
             threads: int | None = None) -> PassResult:
    """Forward and backward pass of one configuration; see run_sweep.

    on_forward, if given, is called with the forward half as soon as it is there, before the
    backward pass runs: a PassResult whose activation statistics (mean, std, saturated and dead
    fractions, inf/NaN, pre-activations, the histograms of both, the theory line and the loss) are
    run_pass's own, and whose gradient statistics are NaN with empty histograms (not computed yet).
    With a `memo`, a configuration passed before (on the same device and bins) is not passed again.
    `threads`, if given, is torch's intra-op thread count for the pass proper (restored after it;
    a first use's matrix draws still run on every core): a page that draws meanwhile on the same
    machine needs a core of its own.
    """
    spec.validate()
    dev = pick_device(device)
    key = (spec.resolved(), str(dev), bins)
    if memo is not None and (known := memo.get(key)) is not None:
        return known
    _check_resources(spec, 1, 1, dev, cache, time_limit)
    result = _batched_pass(spec, [spec.knob_value], dev, cache, bins, cancel, on_forward, threads)[0]
    if memo is not None:
        memo.put(key, result)
    return result


def _check_resources(spec: NetworkSpec, configs: int, batched: int, dev: torch.device, cache: WeightCache,
                     limit: float | None) -> None:
    """SpecError before anything is drawn or allocated if `batched` configurations at a time would
    not fit in memory, or if all `configs` would take longer than `limit` seconds."""
    missing = sum(not cache.contains(key) for key in _base_keys(spec, dev))
    check_fits(spec, batched, missing, dev, reclaimable=cache.nbytes)
    if limit is None:
        return
    seconds = budget.pass_seconds(spec, configs, dev, limit)
    if seconds > limit:
        what = spec.describe() if configs == 1 else f"a sweep of {configs} values of {spec.describe()}"
        raise SpecError("size", budget.too_slow(what, seconds, limit))


def _batched_pass(spec: NetworkSpec, knob_values: Sequence[float], dev: torch.device, cache: WeightCache,
                  bins: int, cancel: CancelToken, on_forward: Callable[[PassResult], None] | None = None,
                  threads: int | None = None) -> list[PassResult]:
    """The K = len(knob_values) configurations in one forward + backward pass."""
    start = time.perf_counter()
    net = _resolve(spec, knob_values, dev, cache, cancel)
    started = time.perf_counter()  # the pass proper, after any drawing
    with intra_op_threads(threads or torch.get_num_threads()):
        k = net.configs
        running = _running_statistics(net) if spec.norm == "batch" and spec.bn_mode == "running" else None

        x = _normal((spec.batch, spec.width), spec.seed, _INPUT_STREAM, dev)
        x = x.expand(k, -1, -1).clone().requires_grad_(True)
        trace = _forward(net, x, running, cancel=cancel)
        cancel.check()
        labels = torch.randint(CLASSES, (spec.batch,), generator=seeded_generator(spec.seed, _HEAD_STREAM, dev),
                               device=dev)
        logits = trace.h[-1] @ net.head
        losses = F.cross_entropy(logits.reshape(k * spec.batch, CLASSES), labels.repeat(k),
                                 reduction="none").view(k, spec.batch).mean(1)
        with torch.no_grad():
            forward = _forward_summary(spec, trace, bins)
            forward["loss"] = losses
        if on_forward is not None:
            host = ls.to_host(forward)
            on_forward(_result(spec, host, 0, str(dev), (time.perf_counter() - start) * 1000.0, bins))
            cancel.check()
        grads = torch.autograd.grad(losses.sum(), trace.h + trace.z)
        grad_h, grad_z = grads[: spec.depth], grads[spec.depth:]
        with torch.no_grad():
            summary = {**forward, **_backward_summary(spec, trace, grad_h, grad_z, bins, dev)}
            host = ls.to_host(summary)
    now = time.perf_counter()
    budget.note_pass(dev, k * spec.batch, budget.product_flops(spec, k), now - started)
    elapsed_ms = (now - start) * 1000.0
    return [_result(spec.with_knob(value), host, i, str(dev), elapsed_ms, bins)
            for i, value in enumerate(knob_values)]


def output_range(spec: NetworkSpec) -> tuple[float, float] | None:
    """The bounded range of a layer's output (tanh, sigmoid), unless a norm after the activation
    moves it; None where it is unbounded."""
    bounded = ACTIVATIONS[spec.activation].output_range
    return None if spec.norm != "none" and spec.norm_place == "after" else bounded


def _stack(tensors: Sequence[Tensor]) -> Tensor:
    """(L, K, N) from L tensors of shape (K, B, D)."""
    return torch.stack([t.flatten(1) for t in tensors])


def _clean_stack(tensors: Sequence[Tensor]) -> Tensor:
    """_stack with every inf and NaN made NaN (layer_stats.finite_only), in place: one copy, not two."""
    stacked = _stack(tensors)
    return stacked.masked_fill_(~torch.isfinite(stacked), float("nan"))


def _forward_summary(spec: NetworkSpec, trace: _Trace, bins: int) -> dict[str, Tensor]:
    """Every statistic of the activations and pre-activations, on the device."""
    activation = ACTIVATIONS[spec.activation]
    h, a = _clean_stack(trace.h), _clean_stack(trace.a)
    out: dict[str, Tensor] = {}
    out["mean"], out["std"], out["nonfinite"] = ls.finite_moments(h)
    out["pre_mean"], out["pre_std"], _ = ls.finite_moments(a)
    layers, configs = h.shape[:2]
    bounded = output_range(spec)
    lo, hi = ls.activation_range(h, bounded)
    # A bounded activation keeps its own range in every layer: saturation shows at the edges.
    lo, hi = (lo.expand(layers, configs), hi.expand(layers, configs)) if bounded else ls.layer_ranges(
        h, lo, hi, ls.finite_range)
    out["act_lo"], out["act_hi"], out["act_counts"] = lo, hi, ls.histograms(h, lo, hi, bins)
    lo, hi = ls.finite_range(a)
    out["pre_lo"], out["pre_hi"], out["pre_counts"] = lo, hi, ls.histograms(a, lo, hi, bins)
    if activation.saturated is not None:
        # Without a norm after the activation f is h (as bounded f has no inf, cleaning changes nothing).
        f = h if all(x is y for x, y in zip(trace.f, trace.h)) else _stack(trace.f)
        out["saturated"] = activation.saturated(f).float().mean(-1)
    if activation.inactive is not None:
        inactive = torch.stack([activation.inactive(t).all(dim=1) for t in trace.a])  # (L, K, D)
        out["dead"] = inactive.float().mean(-1)
    return out


def _backward_summary(spec: NetworkSpec, trace: _Trace, grad_h: Sequence[Tensor], grad_z: Sequence[Tensor],
                      bins: int, dev: torch.device) -> dict[str, Tensor]:
    """Every statistic of the gradients dL/dh and dL/dW, on the device."""
    g = _clean_stack(grad_h)
    out: dict[str, Tensor] = {}
    out["grad_mean"], out["grad_std"], out["grad_nonfinite"] = ls.finite_moments(g)
    lo, hi = ls.layer_ranges(g, *ls.symmetric_range(g), ls.symmetric_range)
    out["grad_lo"], out["grad_hi"], out["grad_counts"] = lo, hi, ls.histograms(g, lo, hi, bins)

    wg_moments = [ls.weight_grad_moments(hp, gz) for hp, gz in zip(trace.inputs, grad_z)]
    out["wgrad_mean"] = torch.stack([m for m, _ in wg_moments])
    out["wgrad_std"] = torch.stack([s for _, s in wg_moments])
    sample = min(ls.WEIGHT_GRAD_SAMPLE, spec.width)
    pick = seeded_generator(spec.seed, _SAMPLE_STREAM, dev)
    rows = torch.randperm(spec.width, generator=pick, device=dev)[:sample]
    cols = torch.randperm(spec.width, generator=pick, device=dev)[:sample]
    wg = ls.finite_only(torch.stack([ls.weight_grad_sample(hp, gz, rows, cols)
                                     for hp, gz in zip(trace.inputs, grad_z)]))
    lo, hi = ls.symmetric_range(wg)
    out["wgrad_lo"], out["wgrad_hi"], out["wgrad_counts"] = lo, hi, ls.histograms(wg, lo, hi, bins)
    return out


def _hist(host: dict[str, Tensor], prefix: str, layer: int, k: int, bins: int) -> Histogram:
    """Layer `layer` of configuration k's histogram; its range is per layer (L, K) or shared (K,)."""
    if f"{prefix}_counts" not in host:  # the backward half of a forward-only result
        return Histogram(0.0, 1.0, [0] * bins)
    counts = host[f"{prefix}_counts"][layer, k].round().long().tolist()
    lo, hi = host[f"{prefix}_lo"], host[f"{prefix}_hi"]
    at = (layer, k) if lo.dim() == 2 else (k,)
    return Histogram(float(lo[at]), float(hi[at]), counts)


def _result(spec: NetworkSpec, host: dict[str, Tensor], k: int, device: str, ms: float, bins: int) -> PassResult:
    theory = predicted_std(spec)

    def value(name: str, layer: int) -> float:
        return float(host[name][layer, k]) if name in host else math.nan

    layers = [
        LayerStats(
            layer=layer + 1,
            mean=value("mean", layer),
            std=value("std", layer),
            saturated_fraction=value("saturated", layer) if "saturated" in host else None,
            dead_fraction=value("dead", layer) if "dead" in host else None,
            nonfinite=int(value("nonfinite", layer)),
            preactivation_mean=value("pre_mean", layer),
            preactivation_std=value("pre_std", layer),
            grad_mean=value("grad_mean", layer),
            grad_std=value("grad_std", layer),
            grad_nonfinite=int(value("grad_nonfinite", layer)) if "grad_nonfinite" in host else 0,
            weight_grad_mean=value("wgrad_mean", layer),
            weight_grad_std=value("wgrad_std", layer),
            theory_std=theory[layer],
            activation_hist=_hist(host, "act", layer, k, bins),
            preactivation_hist=_hist(host, "pre", layer, k, bins),
            grad_hist=_hist(host, "grad", layer, k, bins),
            weight_grad_hist=_hist(host, "wgrad", layer, k, bins),
        )
        for layer in range(spec.depth)
    ]
    return PassResult(spec=spec, device=device, ms=ms, loss=float(host["loss"][k]), layers=layers)
