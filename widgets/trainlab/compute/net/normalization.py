"""BatchNorm, LayerNorm and GroupNorm applied to K independent configurations at once.

Activations arrive as (K, B, D): K configurations of a sweep, each with its own batch of B.
LayerNorm and GroupNorm are per sample, so the K groups need nothing special. BatchNorm's
statistics are per feature over the batch of *one* configuration: moving K next to D turns
them into K * D features that torch's batch_norm normalizes independently. The affine
parameters start at gamma = 1, beta = 0, so at initialization they are left out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

EPS = 1e-5


def _as_features(x: torch.Tensor) -> torch.Tensor:
    k, b, d = x.shape
    return x.permute(1, 0, 2).reshape(b, k * d)


def _from_features(y: torch.Tensor, k: int) -> torch.Tensor:
    b, kd = y.shape
    return y.reshape(b, k, kd // k).permute(1, 0, 2)


def batch_norm(x: torch.Tensor, running: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """Batch statistics when `running` is None, else the given (mean, var), each (K, D)."""
    k = x.shape[0]
    if running is None:
        y = F.batch_norm(_as_features(x), None, None, training=True, eps=EPS)
    else:
        mean, var = running
        y = F.batch_norm(_as_features(x), mean.reshape(-1), var.reshape(-1), training=False, eps=EPS)
    return _from_features(y, k)


def batch_statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature batch mean and unbiased variance, (K, D) each, as BatchNorm records them.

    batch_norm with momentum 1 writes exactly this batch's statistics into the buffers.
    """
    k, _b, d = x.shape
    mean = torch.zeros(k * d, device=x.device, dtype=x.dtype)
    var = torch.ones(k * d, device=x.device, dtype=x.dtype)
    F.batch_norm(_as_features(x), mean, var, training=True, momentum=1.0, eps=EPS)
    return mean.reshape(k, d), var.reshape(k, d)


def layer_norm(x: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(x, x.shape[-1:], eps=EPS)


def group_norm(x: torch.Tensor, groups: int) -> torch.Tensor:
    k, b, d = x.shape
    return F.group_norm(x.reshape(k * b, d), groups, eps=EPS).reshape(k, b, d)
