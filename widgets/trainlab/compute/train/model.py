"""The explorer's deep net as a trainable torch module: the same NetworkSpec, real data in and out.

Hidden layer l computes z = h @ W + b, then norm (if it goes before the activation), the
activation, norm (if it goes after) and dropout, in that order: "BN then dropout" is the usual
order. The first layer maps the data's features to the width, a linear read-out maps the width
to the classes. Weights are drawn with torch.nn.init exactly as the NetworkSpec's init scheme
says (with each layer's own fans), so a bad init here is the same bad init as in the explorer.
"""

from __future__ import annotations

import torch
from torch import nn

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.net.spec import BIAS_VALUE, NetworkSpec
from trainlab.compute.net.weight_cache import seeded_generator

Tensor = torch.Tensor
# The read-out starts small (std 0.1 / sqrt(width)): its logits are then close to equal, so the
# first loss is log(classes), the value the course's first sanity check looks for.
READOUT_STD = 0.1
_READOUT_STREAM = -5


def init_weight(weight: Tensor, spec: NetworkSpec, generator: torch.Generator) -> None:
    """Fill an nn.Linear weight (out, in) as spec's init scheme does, with torch.nn.init."""
    scheme = spec.scheme
    fan_out, fan_in = weight.shape
    scale = scheme.scale(spec.knob_value, fan_in, fan_out)
    with torch.no_grad():
        if scheme.family == "zeros":
            nn.init.zeros_(weight)
        elif scheme.family == "constant":
            nn.init.constant_(weight, scale)
        elif scheme.family == "normal":
            nn.init.normal_(weight, 0.0, scale, generator=generator)
        elif scheme.family == "uniform":
            nn.init.uniform_(weight, -scale, scale, generator=generator)
        else:
            nn.init.orthogonal_(weight, scale, generator=generator)


def _norm_module(spec: NetworkSpec) -> nn.Module:
    if spec.norm == "batch":
        return nn.BatchNorm1d(spec.width)
    if spec.norm == "layer":
        return nn.LayerNorm(spec.width)
    return nn.GroupNorm(spec.groups, spec.width)


class HiddenLayer(nn.Module):
    def __init__(self, spec: NetworkSpec, fan_in: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, spec.width)
        self.norm = _norm_module(spec) if spec.norm != "none" else None
        self.norm_before = spec.norm_place == "before"
        self.activation = ACTIVATIONS[spec.activation].fn
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(output, activations, pre-activations): the activations are the layer's output before
        dropout, the pre-activations what goes into the activation function."""
        a = self.linear(h)
        if self.norm is not None and self.norm_before:
            a = self.norm(a)
        f = self.activation(a)
        if self.norm is not None and not self.norm_before:
            f = self.norm(f)
        return self.dropout(f), f, a


class DeepNet(nn.Module):
    """`spec.depth` hidden layers of `spec.width` units, a data input and a class read-out."""

    def __init__(self, spec: NetworkSpec, features: int, classes: int, dropout: float = 0.0,
                 device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.spec = spec
        device = torch.device(device)
        fans = [features] + [spec.width] * (spec.depth - 1)
        # Parameters are created on the device, never copied there; torch's default init, which
        # the seeded init below replaces, must not use up the caller's random numbers.
        with device, torch.random.fork_rng(devices=[device] if device.type == "cuda" else [],
                                           device_type=device.type):
            self.hidden = nn.ModuleList(HiddenLayer(spec, fan_in, dropout) for fan_in in fans)
            self.readout = nn.Linear(spec.width, classes)
        for layer, hidden in enumerate(self.hidden):
            init_weight(hidden.linear.weight, spec, seeded_generator(spec.seed, layer, device))
            nn.init.constant_(hidden.linear.bias, BIAS_VALUE if spec.bias else 0.0)
        nn.init.normal_(self.readout.weight, 0.0, READOUT_STD / spec.width**0.5,
                        generator=seeded_generator(spec.seed, _READOUT_STREAM, device))
        nn.init.zeros_(self.readout.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_traced(x)[0]

    def forward_traced(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Logits and every hidden layer's activations (for statistics and their gradients)."""
        logits, activations, _ = self.trace(x)
        return logits, activations

    def trace(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """Logits, every hidden layer's activations and its pre-activations."""
        activations, preactivations = [], []
        h = x
        for hidden in self.hidden:
            h, f, a = hidden(h)
            activations.append(f)
            preactivations.append(a)
        return self.readout(h), activations, preactivations

    def layer_weights(self) -> list[Tensor]:
        """The hidden layers' weight matrices, first to last (the read-out not included)."""
        return [hidden.linear.weight for hidden in self.hidden]

    def decay_groups(self, weight_decay: float) -> list[dict]:
        """Parameter groups for torch.optim: weight decay on the weight matrices only; biases and
        normalization scales and shifts are not decayed, as is usual."""
        matrices = [*self.layer_weights(), self.readout.weight]
        ids = {id(p) for p in matrices}
        others = [p for p in self.parameters() if id(p) not in ids]
        return [{"params": matrices, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


def negative_share(preactivations: list[Tensor]) -> Tensor:
    """(layers,): each layer's share of units whose pre-activation is <= 0 on every row. For ReLU
    such a unit outputs 0 and passes no gradient for any of those rows: on them it is dead.
    Leaky ReLU and the ELU family still pass a small gradient there, so their units can recover."""
    return torch.stack([(a <= 0).all(0).float().mean() for a in preactivations])
