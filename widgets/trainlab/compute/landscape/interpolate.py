"""The loss along the straight line between two solutions, theta(t) = (1 - t) theta_a + t theta_b.

Two networks trained from different seeds, or with small and large batches, end in different
places; the line between them shows whether a barrier separates them. With BatchNorm the running
statistics of one end do not fit a point in between (nor the other end), so at every t they are
gathered afresh from the training data before the point is evaluated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.landscape.evaluate import EvalSet, evaluate_batch, evaluate_one
from trainlab.compute.landscape.weights import combine, difference

Tensor = torch.Tensor
STAT_BATCH = 256  # training examples per forward pass when BatchNorm statistics are gathered


def _batch_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def gather_statistics(model: nn.Module, weights: Mapping[str, Tensor], train_x: Tensor) -> None:
    """Reset the model's BatchNorm statistics and gather them with `weights` over `train_x`
    (the plain average over its batches, momentum None)."""
    norms = _batch_norms(model)
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for start in range(0, train_x.shape[0], STAT_BATCH):
            functional_call(model, ({**weights}, dict(model.named_buffers())), (train_x[start:start + STAT_BATCH],))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    model.eval()


def interpolate(model: nn.Module, theta_a: Mapping[str, Tensor], theta_b: Mapping[str, Tensor],
                ts: Sequence[float], data: EvalSet, train_x: Tensor | None = None,
                cancel: CancelToken = NEVER) -> tuple[Tensor, Tensor]:
    """Loss and accuracy at each t. Without BatchNorm every point runs in one batched call; with
    it, each point gets its own statistics from `train_x` first (a copy of the model is used, so
    the caller's keeps its own)."""
    step = difference(theta_b, theta_a)
    t = torch.tensor(list(ts), dtype=torch.float32, device=next(iter(theta_a.values())).device)
    if not _batch_norms(model):
        model.eval()
        return evaluate_batch(model, combine(theta_a, (t, step)), data)
    if train_x is None:
        raise ValueError("a network with BatchNorm needs training inputs to gather its statistics")
    work = copy.deepcopy(model)
    losses, accuracies = [], []
    for value in ts:
        cancel.check()
        weights = combine(theta_a, (float(value), step))
        gather_statistics(work, weights, train_x)
        loss, accuracy = evaluate_one(work, weights, data)
        losses.append(loss)
        accuracies.append(accuracy)
    return torch.tensor(losses), torch.tensor(accuracies)
