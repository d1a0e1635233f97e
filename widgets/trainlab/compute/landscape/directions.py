"""Directions to slice the weight space along.

Random directions with filter normalization (Li et al. 2018): a Gaussian direction has a scale
that means nothing next to the weights' own (a layer with small weights would be swept far, one
with large weights hardly moved), so each neuron's row of the direction, for fully connected
layers the row of the weight matrix feeding that unit, is rescaled to the norm of the same row of
the weights. Biases and normalization parameters get a zero direction, as the paper does.

PCA directions: the top two principal axes of a training run's weights relative to where it
ended, [theta_i - theta_final]; the path then lies as close to the plane as any plane allows, and
the share of the variance those two axes explain says how close that is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.landscape.weights import Weights, difference, flatten, unflatten

Tensor = torch.Tensor


def random_direction(weights: Mapping[str, Tensor], generator: torch.Generator,
                     filter_normalized: bool = True) -> Weights:
    """A Gaussian direction over the weight matrices (zero on biases and normalization
    parameters), each row rescaled to its weight row's norm when filter_normalized."""
    direction = {}
    for name, w in weights.items():
        if w.dim() < 2:
            direction[name] = torch.zeros_like(w)
            continue
        d = torch.randn(w.shape, generator=generator, device=w.device, dtype=w.dtype)
        if filter_normalized:
            rows_w = w.reshape(w.shape[0], -1).norm(dim=1)
            rows_d = d.reshape(d.shape[0], -1).norm(dim=1).clamp(min=1e-12)
            d = d * (rows_w / rows_d).view(-1, *([1] * (w.dim() - 1)))
        direction[name] = d
    return direction


def random_directions(weights: Mapping[str, Tensor], seed: int = 0,
                      filter_normalized: bool = True) -> tuple[Weights, Weights]:
    device = next(iter(weights.values())).device
    generator = torch.Generator(device=device).manual_seed(seed)
    return (random_direction(weights, generator, filter_normalized),
            random_direction(weights, generator, filter_normalized))


@dataclass(frozen=True)
class PCADirections:
    first: Weights
    second: Weights
    explained: tuple[float, float]  # share of the path's variance along each direction


def pca_directions(path: Sequence[Mapping[str, Tensor]], final: Mapping[str, Tensor]) -> PCADirections:
    """The top two principal directions of [theta_i - final] over a run's path (unit vectors)."""
    if len(path) < 2:
        raise SpecError("path", f"needs at least 2 snapshots of the weights for two directions, not {len(path)}")
    rows = torch.stack([flatten(difference(theta, final)) for theta in path])
    # Centred, as sklearn's PCA (which Li et al. use) centres; the plane still goes through the
    # final weights, where the slice is drawn.
    _, s, vh = torch.linalg.svd(rows - rows.mean(0), full_matrices=False)
    variance = s.square()
    total = variance.sum().clamp(min=1e-30)
    explained = (float(variance[0] / total), float(variance[1] / total) if len(variance) > 1 else 0.0)
    return PCADirections(unflatten(vh[0], final), unflatten(vh[1], final), explained)
