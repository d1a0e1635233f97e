"""Per-layer summaries computed on the device: finite moments, histograms, dW statistics.

Inputs are stacked as (L, K, N): L layers, K configurations of a sweep, N values each. Nothing
here moves data to the host or reads a value back, so a CUDA pass runs without a sync until
the caller copies the finished summaries out once.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from trainlab.compute.devices import wide_float

Tensor = torch.Tensor
# A layer whose values span under 1/SPREAD of its configuration's shared histogram range gives
# every layer of it its own range (see layer_ranges).
SPREAD = 20.0
# The histogram of dL/dW is taken on a fixed random block of this many rows and columns of
# each (Din, Dout) gradient; its mean and std use every entry (see weight_grad_moments).
WEIGHT_GRAD_SAMPLE = 256


def finite_only(x: Tensor) -> Tensor:
    """x with every inf and NaN replaced by NaN, which the nan-aware reductions below skip."""
    return x.where(torch.isfinite(x), torch.tensor(float("nan"), dtype=x.dtype, device=x.device))


def finite_moments(clean: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Mean, population std and count of NaNs over the last axis of a finite_only tensor.

    Computed on the values divided by a power of two just below their largest magnitude: in
    float32 a square overflows above 1.8e19 while the values go up to 3.4e38, and an exploding
    net's std must come out as the number it is, not inf next to an inf/NaN count of 0. Dividing
    by a power of two only shifts exponents, so nothing else changes.
    """
    _, exponent = torch.frexp(clean.abs().nan_to_num(nan=0.0).amax(-1, keepdim=True))
    scale = torch.exp2((exponent - 1).to(clean.dtype))  # the largest scaled value is in [1, 2)
    scaled = clean / scale
    mean = scaled.nanmean(-1)
    std = (scaled - mean.unsqueeze(-1)).square().nanmean(-1).sqrt()
    return mean * scale.squeeze(-1), std * scale.squeeze(-1), clean.isnan().sum(-1)


def _extent(flat: Tensor) -> tuple[Tensor, Tensor]:
    """The min and max of each row's finite values (min > max where a row has none)."""
    return flat.nan_to_num(nan=float("inf")).amin(-1), flat.nan_to_num(nan=float("-inf")).amax(-1)


def finite_range(clean: Tensor) -> tuple[Tensor, Tensor]:
    """Per configuration (axis 1) the min and max over all layers' finite values, as (K,) each."""
    lo, hi = _extent(clean.transpose(0, 1).flatten(1))
    no_values = lo > hi
    lo = torch.where(no_values, torch.zeros_like(lo), lo)
    # A range of one value (all zeros, say) still needs a width to put bins in.
    hi = torch.where(hi > lo, hi, lo + 1.0)
    return lo, hi


def activation_range(clean: Tensor, output_range: tuple[float, float] | None) -> tuple[Tensor, Tensor]:
    """The activation's own output range where it is bounded (fixed axes keep saturation visible
    and layers comparable), else the finite data's range; (K,) each."""
    if output_range is None:
        return finite_range(clean)
    k = clean.shape[1]
    lo = torch.full((k,), output_range[0], dtype=clean.dtype, device=clean.device)
    return lo, torch.full_like(lo, output_range[1])


def symmetric_range(clean: Tensor) -> tuple[Tensor, Tensor]:
    lo, hi = finite_range(clean)
    half = torch.maximum(lo.abs(), hi.abs())
    return -half, half


def layer_ranges(clean: Tensor, lo: Tensor, hi: Tensor,
                 own: Callable[[Tensor], tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """Histogram ranges (L, K) of a finite_only tensor (L, K, N): each configuration's shared
    range `lo`, `hi` (K,), on which its layers compare at a glance, unless some layer's values
    span under 1/SPREAD of it (3 of 60 bins: a spike at zero, as 5 of 6 layers of an exploding
    ReLU net were); then every layer of that configuration gets its own range, `own` (finite_range
    or symmetric_range) of its values alone. A layer of one value (a dead ReLU layer) decides nothing."""
    layers, configs, n = clean.shape
    raw_lo, raw_hi = _extent(clean.reshape(layers * configs, n))
    own_lo, own_hi = (t.view(layers, configs) for t in own(clean.reshape(1, layers * configs, n)))
    spread = (raw_hi > raw_lo).view(layers, configs) & ((own_hi - own_lo) * SPREAD < (hi - lo))
    separate = spread.any(0)
    shared_lo, shared_hi = lo.expand(layers, configs), hi.expand(layers, configs)
    return torch.where(separate, own_lo, shared_lo), torch.where(separate, own_hi, shared_hi)


def histograms(clean: Tensor, lo: Tensor, hi: Tensor, bins: int) -> Tensor:
    """Counts (L, K, bins) of a finite_only tensor (L, K, N) on bins spanning [lo, hi]: (K,) ranges
    shared by the layers of each configuration, or (L, K) ranges, one per layer and configuration.

    A value's bin depends only on (value, lo, hi), computed the same way for every layer and
    configuration, so a sweep bins exactly as separate passes do. Every (layer, configuration)
    pair owns a block of `bins` slots and one index_add_ counts them all: integer slots stay
    exact where float offsets would round, and unlike bincount it needs no device sync to size
    its output. NaN (the non-finite values) goes to one extra slot that is dropped.
    """
    layers, configs, _n = clean.shape
    lo, hi = lo.expand(layers, configs).unsqueeze(-1), hi.expand(layers, configs).unsqueeze(-1)
    position = ((clean - lo) * (bins / (hi - lo))).clamp(0, bins - 1).nan_to_num(nan=-1.0)
    block = torch.arange(layers * configs, device=clean.device).view(layers, configs, 1) * bins
    total = layers * configs * bins
    slot = torch.where(position >= 0, position.long() + block, total)
    counts = torch.zeros(total + 1, dtype=torch.int64, device=clean.device)
    counts.index_add_(0, slot.flatten(), torch.ones(1, dtype=torch.int64, device=clean.device).expand(slot.numel()))
    return counts[:total].view(layers, configs, bins)


def weight_grad_moments(h_prev: Tensor, g_z: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and std of every entry of dL/dW = h_prev^T g_z for each configuration.

    h_prev (K, B, Din) and g_z (K, B, Dout). Materializing the (Din, Dout) gradient would
    cost a 4096 x 4096 write per layer; its moments follow from small Gram matrices instead.
    The mean m is (h 1).(g 1) / N. For the spread, dL/dW - m = H'^T G' with H' = h plus a row
    -m 1 and G' = g plus a row of ones, so the centred sum of squares is <H'H'^T, G'G'^T>:
    computed centred and in float64 (float32 on MPS, which has no float64), an all-equal
    gradient gets a std of 0, not a rounding floor.
    """
    wide = wide_float(h_prev.device)
    h, g = h_prev.to(wide), g_z.to(wide)
    k, _b, din = h.shape
    dout = g.shape[-1]
    mean = (h.sum(-1) * g.sum(-1)).sum(-1) / (din * dout)
    h_aug = torch.cat([h, (-mean).view(k, 1, 1).expand(k, 1, din)], dim=1)
    g_aug = torch.cat([g, torch.ones(k, 1, dout, dtype=g.dtype, device=g.device)], dim=1)
    squares = ((h_aug @ h_aug.transpose(1, 2)) * (g_aug @ g_aug.transpose(1, 2))).sum(dim=(1, 2))
    return mean, (squares.clamp(min=0) / (din * dout)).sqrt()


def weight_grad_sample(h_prev: Tensor, g_z: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """The block dL/dW[rows][:, cols] for each configuration, flattened: (K, len(rows) * len(cols))."""
    block = h_prev[..., rows].transpose(1, 2) @ g_z[..., cols]
    return block.flatten(1)


def to_host(summary: dict[str, Tensor]) -> dict[str, Tensor]:
    """Copy every summary to the host in one transfer (one sync on an accelerator)."""
    wide = wide_float(next(iter(summary.values())).device)
    flat = torch.cat([t.detach().to(wide).flatten() for t in summary.values()]).cpu().double()
    parts = flat.split([t.numel() for t in summary.values()])
    return {name: part.view(t.shape) for (name, t), part in zip(summary.items(), parts)}
