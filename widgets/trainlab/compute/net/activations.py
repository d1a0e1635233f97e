"""The activation functions the labs offer, with what the statistics need to know about each.

Saturation and "dead unit" only mean something for some activations; where they do not, the
rule is None and the statistic is reported as None rather than as a misleading zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable[[Tensor], Tensor]
    # Range of f's output when it is bounded (used to fix the histogram axis), else None.
    output_range: tuple[float, float] | None = None
    # Element-wise "is this output in a flat region": tanh |a| > 0.99, sigmoid a < .01 or > .99.
    saturated: Callable[[Tensor], Tensor] | None = None
    # Element-wise "this unit passes nothing useful" on the pre-activation; a unit is dead when
    # this holds for every sample of the batch.
    inactive: Callable[[Tensor], Tensor] | None = None


LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            torch.sigmoid,
            (0.0, 1.0),
            saturated=lambda y: (y < 0.01) | (y > 0.99),
        ),
        Activation("tanh", torch.tanh, (-1.0, 1.0), saturated=lambda y: y.abs() > 0.99),
        Activation("relu", F.relu, inactive=lambda a: a <= 0),
        Activation(
            "leaky_relu",
            lambda a: F.leaky_relu(a, LEAKY_SLOPE),
            inactive=lambda a: a <= 0,
        ),
        Activation("elu", F.elu),
        Activation("selu", F.selu),
        Activation("gelu", F.gelu),
        Activation("silu", F.silu),
    )
}
