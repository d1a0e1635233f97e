"""Weight-initialization schemes, defined exactly as torch.nn.init defines them.

Every random scheme is "a base matrix times a scale": the base is N(0, 1), U(-1, 1) or a
random orthogonal matrix, drawn once and cached (see weight_cache.py); the scale depends on
the scheme, its std or gain, and the fans. Multiplying the matrix product by the scale instead
of the matrix keeps a change of std or gain free of random draws and of 4096 x 4096 work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

Family = Literal["zeros", "constant", "normal", "uniform", "orthogonal"]
Knob = Literal["std", "gain", "none"]


@dataclass(frozen=True)
class InitScheme:
    name: str
    family: Family
    knob: Knob  # which number the user turns: the std (or constant value), the gain, or none
    default_gain: float = 1.0

    def scale(self, value: float, fan_in: int, fan_out: int) -> float:
        """Multiplier on the base matrix (normal: the std; uniform: the bound; orthogonal: gain)."""
        if self.family == "zeros":
            return 0.0
        if self.name in ("normal", "constant"):
            return value
        if self.name == "uniform":
            return value * math.sqrt(3.0)  # U(-b, b) has std b / sqrt(3)
        if self.name == "xavier_normal":
            return value * math.sqrt(2.0 / (fan_in + fan_out))
        if self.name == "xavier_uniform":
            return value * math.sqrt(6.0 / (fan_in + fan_out))
        if self.name in ("kaiming_normal", "lecun_normal"):
            return value / math.sqrt(fan_in)
        if self.name == "kaiming_uniform":
            return value * math.sqrt(3.0 / fan_in)
        return value  # orthogonal

    def weight_variance(self, value: float, fan_in: int, fan_out: int) -> float | None:
        """Variance of one weight entry, or None where weights are not iid zero-mean."""
        scale = self.scale(value, fan_in, fan_out)
        if self.family == "normal":
            return scale**2
        if self.family == "uniform":
            return scale**2 / 3.0
        if self.family == "orthogonal":
            return scale**2 / max(fan_in, fan_out)
        if self.family == "zeros":
            return 0.0
        return None


# Kaiming's default gain is torch's: kaiming_normal_ uses leaky_relu with a=0, i.e. sqrt(2).
_RELU_GAIN = torch.nn.init.calculate_gain("relu")

INIT_SCHEMES: dict[str, InitScheme] = {
    s.name: s
    for s in (
        InitScheme("zeros", "zeros", "none"),
        InitScheme("constant", "constant", "std"),
        InitScheme("normal", "normal", "std"),
        InitScheme("uniform", "uniform", "std"),
        InitScheme("xavier_normal", "normal", "gain"),
        InitScheme("xavier_uniform", "uniform", "gain"),
        InitScheme("kaiming_normal", "normal", "gain", _RELU_GAIN),
        InitScheme("kaiming_uniform", "uniform", "gain", _RELU_GAIN),
        InitScheme("lecun_normal", "normal", "gain"),
        InitScheme("orthogonal", "orthogonal", "gain"),
    )
}


def draw_base(
    family: Family, fan_in: int, fan_out: int, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """A (fan_in, fan_out) base matrix of the family, drawn with torch.nn.init on `device`."""
    # torch.nn.init lays weights out as (out, in); we multiply x @ W, so draw and transpose.
    weight = torch.empty(fan_out, fan_in, device=device)
    if family == "normal":
        torch.nn.init.normal_(weight, 0.0, 1.0, generator=generator)
    elif family == "uniform":
        torch.nn.init.uniform_(weight, -1.0, 1.0, generator=generator)
    elif family == "orthogonal":
        torch.nn.init.orthogonal_(weight, 1.0, generator=generator)
    else:
        raise ValueError(f"no base matrix for the {family} family")
    return weight.t()
