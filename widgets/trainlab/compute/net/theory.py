"""The per-layer activation std that the variance recursion predicts.

For iid zero-mean weights independent of the layer input, z = h @ W has
Var(z) = Din * Var(w) * E[h^2]. With z ~ N(bias, Var(z)), the layer output f(z) has moments
E[f] and E[f^2] that Gauss-Hermite quadrature evaluates for any activation; normalization
before the activation makes its input N(0, 1), after it the output has unit variance. The
recursion is what Glorot & Bengio (2010) and He et al. (2015) solve for a constant variance.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.net.spec import BIAS_VALUE, NetworkSpec

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(96)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # probabilists' weights, normalized: E[g(Z)], Z ~ N(0, 1)


def gaussian_moments(activation: str, mean: float, std: float) -> tuple[float, float]:
    """E[f(a)] and E[f(a)^2] for a ~ N(mean, std^2)."""
    points = torch.from_numpy(mean + std * _NODES)
    values = ACTIVATIONS[activation].fn(points).numpy()
    return float(values @ _WEIGHTS), float(np.square(values) @ _WEIGHTS)


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
