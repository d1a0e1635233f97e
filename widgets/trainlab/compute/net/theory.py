"""The per-layer activation std that the variance recursion predicts.

For iid zero-mean weights independent of the layer input, z = h @ W has
Var(z) = Din * Var(w) * E[h^2]. With z ~ N(bias, Var(z)), the layer output f(z) has moments
E[f] and E[f^2], integrated numerically for any activation; normalization before the activation
makes its input N(0, 1), after it the output has unit variance. The recursion is what Glorot &
Bengio (2010) and He et al. (2015) solve for a constant variance.

The integral is composite Gauss-Legendre over panels no wider than the Gaussian's std and, where
the activation bends (|z| up to 30), no wider than its bends: a single Gauss-Hermite rule spreads
its nodes over the Gaussian's width, so a wide Gaussian steps over tanh's bend at 0 (96 nodes
were 2.5 % high for tanh at std 0.2). tests/compute/net/test_theory.py holds it to 0.2 % of an
independent SciPy reference over the whole std range.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.net.spec import BIAS_VALUE, NetworkSpec

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)  # per panel, on [-1, 1]
_REACH = 12.0  # Gaussian stds each side: the mass beyond is 4e-33
# Where the activations bend: panels here are at most as wide as the gaps between these points.
_BENDS = np.array([-30.0, -20.0, -10.0, -6.0, -4.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0,
                   10.0, 20.0, 30.0])


def _panels(mean: float, std: float) -> np.ndarray:
    """Panel edges over [mean - REACH std, mean + REACH std]: every std, and every bend inside."""
    lo, hi = mean - _REACH * std, mean + _REACH * std
    edges = np.concatenate([mean + std * np.arange(-_REACH, _REACH + 1), _BENDS[(_BENDS > lo) & (_BENDS < hi)]])
    return np.unique(edges)


def gaussian_moments(activation: str, mean: float, std: float) -> tuple[float, float]:
    """E[f(a)] and E[f(a)^2] for a ~ N(mean, std^2)."""
    fn = ACTIVATIONS[activation].fn
    if std == 0:  # zero weights: every unit gets the same input
        value = float(fn(torch.tensor(mean, dtype=torch.float64)))
        return value, value * value
    edges = _panels(mean, std)
    half, middle = np.diff(edges)[:, None] / 2, (edges[1:] + edges[:-1])[:, None] / 2
    a = (middle + half * _NODES).ravel()
    density = np.exp(-0.5 * ((a - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    weights = (half * _WEIGHTS).ravel() * density
    values = fn(torch.from_numpy(a)).numpy()
    return float(values @ weights), float(np.square(values) @ weights)


def predicted_std(spec: NetworkSpec) -> list[float | None]:
    """Predicted std of each layer's output; None where the recursion does not apply.

    It does not apply to constant init (weights are not zero-mean and iid) nor once the
    variance leaves the float range (the measured values are then non-finite too).
    """
    weight_var = spec.scheme.weight_variance(spec.knob_value, spec.width, spec.width)
    if weight_var is None:
        return [None] * spec.depth
    bias = BIAS_VALUE if spec.bias else 0.0
    second_moment = 1.0  # of the N(0, 1) input
    out: list[float | None] = []
    for _ in range(spec.depth):
        z_var = spec.width * weight_var * second_moment
        if not math.isfinite(z_var) or z_var > 1e30:
            out.extend([None] * (spec.depth - len(out)))
            break
        if spec.norm != "none" and spec.norm_place == "before":
            mean, std = 0.0, 1.0
        else:
            mean, std = bias, math.sqrt(z_var)
        m1, m2 = gaussian_moments(spec.activation, mean, std)
        if spec.norm != "none" and spec.norm_place == "after":
            out.append(1.0)
            second_moment = 1.0
        else:
            out.append(math.sqrt(max(m2 - m1 * m1, 0.0)))
            second_moment = m2
    return out
