"""A network's weights as one object to add, scale and measure: a dict of tensors by parameter
name, as torch.func.functional_call takes them."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

Tensor = torch.Tensor
Weights = dict[str, Tensor]


def weights_of(model: nn.Module) -> Weights:
    """A detached copy of the model's parameters (its buffers, BatchNorm's statistics, are not
    weights: they stay with the model)."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def combine(base: Mapping[str, Tensor], *terms: tuple[float | Tensor, Mapping[str, Tensor]]) -> Weights:
    """base + sum(c * d) over the terms (c a number, or a (K,) tensor for K points at once, which
    adds a leading axis of K to every weight)."""
    out = {}
    for name, value in base.items():
        total = value
        for coefficient, direction in terms:
            if isinstance(coefficient, Tensor):
                shape = (-1,) + (1,) * value.dim()
                total = total + coefficient.view(shape).to(value) * direction[name]
            else:
                total = total + coefficient * direction[name]
        out[name] = total
    return out


def flatten(weights: Mapping[str, Tensor]) -> Tensor:
    return torch.cat([w.reshape(-1) for w in weights.values()])


def unflatten(vector: Tensor, like: Mapping[str, Tensor]) -> Weights:
    out, start = {}, 0
    for name, w in like.items():
        out[name] = vector[start:start + w.numel()].view_as(w)
        start += w.numel()
    return out


def difference(a: Mapping[str, Tensor], b: Mapping[str, Tensor]) -> Weights:
    return {name: a[name] - b[name] for name in a}
