"""The loss and accuracy of a network at many weight settings at once.

torch.func.functional_call runs the model with weights given as a dict; vmap runs it for a batch
of K weight settings in one call, each row of the batch one point of a slice. The batch is cut
into chunks that fit a memory budget. The model is evaluated as it is in eval mode: dropout off,
BatchNorm on the running statistics it gathered in training (its buffers, not perturbed), which is
how Li et al. (2018) evaluate their slices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.landscape.weights import Weights, combine

Tensor = torch.Tensor
DEFAULT_BUDGET_BYTES = 256 * 2**20
_SAVED_PER_UNIT = 4  # activations a layer keeps per example and unit in an eval pass (a, f, h, and slack)


@dataclass(frozen=True)
class EvalSet:
    """The examples a slice is evaluated on (a fixed subset, the same for every point)."""

    x: Tensor
    y: Tensor


def _points_per_chunk(weights: Mapping[str, Tensor], data: EvalSet, model: nn.Module, budget: int) -> int:
    per_weights = sum(w.numel() * w.element_size() for w in weights.values())
    widths = sum(m.out_features for m in model.modules() if isinstance(m, nn.Linear))
    per_activations = data.x.shape[0] * widths * _SAVED_PER_UNIT * data.x.element_size()
    return max(1, budget // (per_weights + per_activations))


def evaluate_batch(model: nn.Module, weights: Weights, data: EvalSet) -> tuple[Tensor, Tensor]:
    """Loss and accuracy (K,) for a batch of K weight settings (every weight with a leading K)."""
    buffers = dict(model.named_buffers())

    def one(w: Weights) -> tuple[Tensor, Tensor]:
        logits = functional_call(model, (w, buffers), (data.x,))
        return F.cross_entropy(logits, data.y), (logits.argmax(-1) == data.y).float().mean()

    with torch.no_grad():
        return vmap(one)(weights)


def evaluate_plane(model: nn.Module, base: Mapping[str, Tensor], first: Mapping[str, Tensor],
                   second: Mapping[str, Tensor], coords: Tensor, data: EvalSet,
                   budget_bytes: int = DEFAULT_BUDGET_BYTES, cancel: CancelToken = NEVER) -> tuple[Tensor, Tensor]:
    """Loss and accuracy at base + a * first + b * second for every (a, b) row of coords (K, 2),
    in chunks that fit `budget_bytes`; Cancelled between chunks once `cancel` is."""
    model.eval()
    chunk = _points_per_chunk(base, data, model, budget_bytes)
    losses, accuracies = [], []
    for start in range(0, coords.shape[0], chunk):
        cancel.check()
        c = coords[start:start + chunk].to(next(iter(base.values())).device)
        loss, accuracy = evaluate_batch(model, combine(base, (c[:, 0], first), (c[:, 1], second)), data)
        losses.append(loss)
        accuracies.append(accuracy)
    return torch.cat(losses), torch.cat(accuracies)


def evaluate_one(model: nn.Module, weights: Mapping[str, Tensor], data: EvalSet) -> tuple[float, float]:
    """Loss and accuracy at one weight setting, by an ordinary forward pass (the reference the
    batched evaluation is tested against, and the true loss along a training path)."""
    model.eval()
    buffers = dict(model.named_buffers())
    with torch.no_grad():
        logits = functional_call(model, ({**weights}, buffers), (data.x,))
        return float(F.cross_entropy(logits, data.y)), float((logits.argmax(-1) == data.y).float().mean())
