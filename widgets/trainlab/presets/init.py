"""The explorer's lecture cases: the initialization and normalization experiments, one click each.

A case names only the settings its lesson is about; depth, width, batch and seed stay as the user
has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainlab.compute.net.results import PassResult


@dataclass(frozen=True)
class Preset:
    """label, the settings it names, its lesson (one line: what to look for) and, if the lesson
    rests on numbers, a caption that states them from the pass the explorer has drawn."""

    label: str
    settings: dict[str, Any]
    lesson: str
    caption: Callable[[PassResult], str] | None = None


_PLAIN = {"norm": "none", "norm_place": "before", "bias": False, "gain": None}

INIT_PRESETS: dict[str, Preset] = {
    p.label: p
    for p in (
        Preset("tanh, std 0.01", {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.01},
               "Activations shrink towards zero layer after layer; so do the weight gradients."),
        Preset("tanh, std 0.05", {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.05},
               "Activations pile up at -1 and +1: tanh saturates and its local gradient is zero."),
        Preset("tanh, Xavier", {**_PLAIN, "activation": "tanh", "init": "xavier_normal"},
               "std = 1/sqrt(Din) keeps every layer nicely scaled."),
        Preset("ReLU, Xavier", {**_PLAIN, "activation": "relu", "init": "xavier_normal"},
               "ReLU cuts half of each layer's variance: activations collapse towards zero again."),
        Preset("ReLU, Kaiming", {**_PLAIN, "activation": "relu", "init": "kaiming_normal"},
               "std = sqrt(2/Din) makes up for ReLU's halving: every layer nicely scaled."),
        Preset("zero init (symmetry)", {**_PLAIN, "activation": "relu", "init": "zeros"},
               "Every unit computes the same value and, with ReLU, every gradient is exactly zero."),
        Preset("tanh, std 0.05 + BatchNorm",
               {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.05, "norm": "batch",
                "bn_mode": "train"},
               "BatchNorm before tanh re-centres and rescales each layer: no saturation."),
    )
}
