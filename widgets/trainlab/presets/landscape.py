"""The loss-landscape explorer's lecture cases: settings by short name and what each shows.

The lessons claim only what the widget's own numbers show at the lab's settings (tests/labs
checks each sentence on them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LandscapePreset:
    """A lecture case for the landscape explorer."""

    label: str
    settings: Mapping[str, Any]
    lesson: str


LANDSCAPE_PRESETS: dict[str, LandscapePreset] = {
    p.label: p
    for p in (
        LandscapePreset(
            "SGD vs Adam paths", {"runs": "sgd,adam", "directions": "pca", "norm": "none"},
            "The plane of the two main directions SGD's weights moved along (PCA of its path). Both runs start from "
            "the same weights; SGD's path lies almost in the plane, so its true loss and the map's agree. Adam ends "
            "elsewhere: its path is mostly off this plane, and the map's loss under it is not the loss Adam had."),
        LandscapePreset(
            "filter-normalized random directions", {"runs": "sgd,adam", "directions": "filter", "norm": "none"},
            "Two random directions, each neuron's row scaled to the norm of its weights (Li et al. 2018): a step of 1 "
            "changes every neuron by as much as its own weights. A random plane misses almost all of a path in "
            "thousands of dimensions: both paths collapse near the centre."),
        LandscapePreset(
            "raw random directions", {"runs": "sgd,adam", "directions": "random", "norm": "none"},
            "Two raw Gaussian directions: each weight moves by about 1 per unit, however small the layer's own "
            "weights are. The same span now reaches far larger losses than along filter-normalized directions: "
            "the picture's sharpness is set by the directions' scale, not by the network."),
        LandscapePreset(
            "with BatchNorm", {"runs": "sgd,adam", "directions": "pca", "norm": "batch"},
            "The same runs with BatchNorm before every activation. The slice is evaluated with the centre run's "
            "running statistics, as Li et al. do."),
    )
}
