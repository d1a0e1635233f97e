"""Activation functions as curves, for lab 01's gallery: f and its derivative f' (by
torch.autograd) over a range of pre-activations, the flat regions where |f'| is under 1 % of its
largest value there, and the share of a layer's real pre-activations (a pass's histogram) that
falls in them: which part of f a network actually uses.

The gallery shows every activation the explorer has (activations.py), the leaky slope and ELU's
alpha as the student sets them, plus two the network does not use: softplus, and maxout of two
lines of the same input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from trainlab.compute.checks import number_in
from trainlab.compute.errors import SpecError
from trainlab.compute.net.activations import ACTIVATIONS, LEAKY_SLOPE
from trainlab.compute.net.results import Histogram

Tensor = torch.Tensor
FLAT_SHARE = 0.01  # |f'| under this share of its largest value: a flat region
X_RANGE = (-6.0, 6.0)
POINTS = 1201
SLOPE_RANGE = (0.0, 1.0)
ALPHA_RANGE = (0.1, 3.0)
MAXOUT_PIECES = ((1.0, 0.0), (-0.25, 0.0))  # max(x, -0.25 x): one of the shapes maxout can learn
GALLERY = (*ACTIVATIONS, "softplus", "maxout")


@dataclass(frozen=True)
class CurveSpec:
    """Which curve: an activation of GALLERY, with the leaky slope and ELU's alpha it is drawn with."""

    activation: str = "tanh"
    slope: float = LEAKY_SLOPE
    alpha: float = 1.0

    def validate(self) -> CurveSpec:
        if self.activation not in GALLERY:
            raise SpecError("activation", f"must be one of {', '.join(GALLERY)}, not {self.activation!r}")
        number_in("slope", self.slope, SLOPE_RANGE)
        number_in("alpha", self.alpha, ALPHA_RANGE)
        return self

    @property
    def in_network(self) -> bool:
        """The explorer's network can use this activation (softplus and maxout it cannot)."""
        return self.activation in ACTIVATIONS

    def function(self) -> Callable[[Tensor], Tensor]:
        name = self.activation
        if name == "leaky_relu":
            return lambda a: F.leaky_relu(a, self.slope)
        if name == "elu":
            return lambda a: F.elu(a, self.alpha)
        if name == "softplus":
            return F.softplus
        if name == "maxout":
            (w1, b1), (w2, b2) = MAXOUT_PIECES
            return lambda a: torch.maximum(w1 * a + b1, w2 * a + b2)
        return ACTIVATIONS[name].fn


@dataclass(frozen=True)
class Curve:
    """f and f' at the points x; `flat` marks |f'| < threshold (FLAT_SHARE of max |f'| on X_RANGE)."""

    spec: CurveSpec
    x: Tensor
    f: Tensor
    df: Tensor
    threshold: float

    @property
    def flat(self) -> Tensor:
        return self.df.abs() < self.threshold

    def flat_intervals(self) -> list[tuple[float, float]]:
        """The flat regions as (start, end) intervals of x."""
        out: list[tuple[float, float]] = []
        flat, x = self.flat.tolist(), self.x.tolist()
        start = None
        for i, is_flat in enumerate(flat):
            if is_flat and start is None:
                start = x[i]
            if start is not None and (not is_flat or i == len(flat) - 1):
                out.append((start, x[i - 1] if not is_flat else x[i]))
                start = None
        return out

    def derivative_at(self, a: Tensor) -> Tensor:
        """f'(a) by autograd, at any points (float64)."""
        a = a.detach().double().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.spec.function()(a).sum(), a)
        return grad

    def flat_share(self, hist: Histogram) -> float:
        """The share of a histogram's values that fall in a flat region, each bin counted at its
        centre (so to the histogram's resolution); NaN for an empty histogram."""
        counts = torch.tensor(hist.counts, dtype=torch.float64)
        if counts.sum() == 0:
            return float("nan")
        flat = self.derivative_at(torch.tensor(hist.centres)).abs() < self.threshold
        return float(counts[flat].sum() / counts.sum())


def curve(spec: CurveSpec) -> Curve:
    """The curve of `spec` on X_RANGE, f' by autograd."""
    spec = spec.validate()
    x = torch.linspace(*X_RANGE, POINTS, dtype=torch.float64, requires_grad=True)
    f = spec.function()(x)
    (df,) = torch.autograd.grad(f.sum(), x)
    return Curve(spec, x.detach(), f.detach(), df, FLAT_SHARE * float(df.abs().max()))
