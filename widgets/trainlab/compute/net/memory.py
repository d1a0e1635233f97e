"""How much memory a pass needs, checked before anything large is allocated."""

from __future__ import annotations

import torch

from trainlab.compute.devices import free_bytes
from trainlab.compute.errors import SpecError
from trainlab.compute.net.spec import NetworkSpec

FLOAT_BYTES = 4
# Tensors of batch x width kept per layer: z, a, f, h, norm intermediates, and their gradients.
_SAVED_PER_LAYER = 12
# Warm-up batches used to estimate BatchNorm running statistics.
RUNNING_STAT_BATCHES = 8


def needed_bytes(spec: NetworkSpec, configs: int, new_weight_matrices: int) -> int:
    rows = configs * spec.batch
    if spec.norm == "batch" and spec.bn_mode == "running":
        rows *= RUNNING_STAT_BATCHES
    weights = new_weight_matrices * spec.width * spec.width * FLOAT_BYTES
    activations = _SAVED_PER_LAYER * spec.depth * rows * spec.width * FLOAT_BYTES
    return weights + activations


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_fits(spec: NetworkSpec, configs: int, new_weight_matrices: int, device: torch.device,
               reclaimable: int = 0) -> None:
    """Raise SpecError saying what is needed and what is free if the pass would not fit."""
    need = needed_bytes(spec, configs, new_weight_matrices)
    free = free_bytes(device) + reclaimable
    if need > 0.9 * free:
        raise SpecError(
            "size",
            f"depth {spec.depth} x width {spec.width} x batch {spec.batch * configs} needs about "
            f"{_gb(need)} but only {_gb(free)} is free on {device.type}; choose a smaller width, "
            "depth or batch",
        )
