"""The variance recursion's prediction (the explorer's theory line) against an independent
reference: the activations written out in NumPy/SciPy and each layer's Gaussian moments
integrated by scipy.integrate.quad, never trainlab's activations or quadrature."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from trainlab.compute import NetworkSpec, predicted_std
from trainlab.compute.net.spec import STD_RANGE

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
REFERENCE = {
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "leaky_relu": lambda a: np.where(a > 0, a, 0.01 * a),
    "elu": lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0.0))),
    "selu": lambda a: SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * np.expm1(np.minimum(a, 0.0))),
    "gelu": lambda a: a * special.ndtr(a),
    "silu": lambda a: a * special.expit(a),
}
TOLERANCE = 0.002  # the lab promises the line to 0.2 %
STDS = np.geomspace(*STD_RANGE, 25)


def reference_moments(f, mean: float, std: float) -> tuple[float, float]:
    """E[f(a)], E[f(a)^2] for a ~ N(mean, std^2), by adaptive quadrature over t = (a - mean)/std,
    with breakpoints where the activation bends (|a| up to 30) so that a wide Gaussian does not
    step over the bend."""
    bends = [(a - mean) / std for a in (-30, -10, -3, -1, 0, 1, 3, 10, 30)]
    points = sorted(t for t in bends if -38 < t < 38)

    def moment(power: int) -> float:
        value, _ = integrate.quad(lambda t: f(mean + std * t) ** power * math.exp(-t * t / 2) / math.sqrt(2 * math.pi),
                                  -38, 38, points=points or None, limit=400, epsabs=0, epsrel=1e-8)
        return value

    return moment(1), moment(2)


def reference_std(spec: NetworkSpec, weight_var: float) -> list[float]:
    """The same recursion as the lecture writes it: Var(z) = width Var(w) E[h^2], h = f(z)."""
    f, bias, second, out = REFERENCE[spec.activation], 0.01 if spec.bias else 0.0, 1.0, []
    for _ in range(spec.depth):
        z_std = math.sqrt(spec.width * weight_var * second)
        if z_std > 1e15:
            break
        m1, second = reference_moments(f, bias, z_std)
        out.append(math.sqrt(max(second - m1 * m1, 0.0)))
    return out


# quad warns of roundoff where E[f] is nearly zero (gelu, silu at tiny stds); E[f]^2 is then far
# below E[f^2], and the comparison below is what bounds the error.
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("activation", list(REFERENCE))
def test_the_theory_line_is_within_two_tenths_of_a_percent_over_the_whole_std_range(activation: str,
                                                                                   bias: bool) -> None:
    errors = []
    for std in STDS:
        spec = NetworkSpec(activation=activation, init="normal", std=float(std), bias=bias)
        predicted = predicted_std(spec)
        expected = reference_std(spec, float(std) ** 2)
        # It stops (None) only where the variance leaves the float range, as the reference does.
        assert [p is not None for p in predicted] == [layer < len(expected) for layer in range(spec.depth)]
        errors += [(abs(got - want) / want, f"std {std:.3g}, layer {layer}: {got:.6g} vs {want:.6g}")
                   for layer, (got, want) in enumerate(zip(predicted, expected), start=1)]
    worst = max(errors)
    assert worst[0] <= TOLERANCE, worst[1]
