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
            "The plane of the two main directions of SGD's path (PCA of its saved weights). Both runs start from "
            "the same weights. SGD's path lies close to the plane, so its true loss and the map's run close "
            "together; Adam's path leaves the plane at once, and the dashed line under its projection is not a "
            "loss Adam ever had."),
        LandscapePreset(
            "filter-normalized random directions", {"runs": "sgd,adam", "directions": "filter", "norm": "none"},
            "Two random directions, each neuron's row scaled to the norm of its weights (Li et al. 2018), so that "
            "α = 1 changes every neuron by as much as its own weights. A random plane misses the paths almost "
            "entirely: both shrink to a dot at the centre."),
        LandscapePreset(
            "raw random directions", {"runs": "sgd,adam", "directions": "random", "norm": "none"},
            "Two raw Gaussian directions: every weight moves by about 1 per unit of α, however small its layer's "
            "weights. Over the same span the loss climbs more than a thousand times higher than along "
            "filter-normalized directions: the picture's sharpness comes from the directions' scale, not from the "
            "network."),
        LandscapePreset(
            "with BatchNorm", {"runs": "sgd,adam", "directions": "pca", "norm": "batch"},
            "The same runs with BatchNorm before every activation, on their own PCA plane; every point uses the "
            "centre run's running statistics, as Li et al. do. BatchNorm is said to smooth the landscape "
            "(Santurkar et al. 2018): compare this slice with the plain net's."),
    )
}
