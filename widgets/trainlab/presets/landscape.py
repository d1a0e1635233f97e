"""The loss-landscape explorer's lecture cases: settings by short name and what each shows.

The lessons claim only what the widget's own numbers show at the lab's settings (tests/labs
checks each sentence on them)."""

from __future__ import annotations

from typing import Any

from trainlab.presets.case import Case


# A case sets every control its lesson depends on: cases are put on top of the current settings,
# and batch 1024 from one case must not carry into the next.
_BASE: dict[str, Any] = {"grid": 41, "span": 1.0, "norm": "none", "batch": 64, "steps": 300, "lr_scale": 1.0}
# Sharpness is compared between runs on filter-normalized planes of one span; 21 x 21 points show it
# in a quarter of the time of 41 x 41.
_SHARPNESS: dict[str, Any] = _BASE | {"runs": "sgd", "directions": "filter", "grid": 21, "view": "contour"}

LANDSCAPE_PRESETS: dict[str, Case] = {
    p.label: p
    for p in (
        Case(
            "SGD vs Adam paths", _BASE | {"runs": "sgd,adam", "directions": "pca"},
            "The plane of the two main directions of SGD's path (PCA of its saved weights). Both runs start from "
            "the same weights. SGD's path lies close to the plane, so its true loss and the map's run close "
            "together; Adam's path leaves the plane at once, and the dashed line under its projection is not a "
            "loss Adam ever had."),
        Case(
            "filter-normalized random directions", _BASE | {"runs": "sgd,adam", "directions": "filter"},
            "Two random directions, each neuron's row scaled to the norm of its weights (Li et al. 2018), so that "
            "α = 1 changes every neuron by as much as its own weights. A random plane misses the paths almost "
            "entirely: both shrink to a dot at the centre."),
        Case(
            "raw random directions", _BASE | {"runs": "sgd,adam", "directions": "random"},
            "Two raw Gaussian directions: every weight moves by about 1 per unit of α, however small its layer's "
            "weights. Over the same span the loss climbs more than a thousand times higher than along "
            "filter-normalized directions: the picture's sharpness comes from the directions' scale, not from the "
            "network."),
        Case(
            "with BatchNorm", _BASE | {"runs": "sgd,adam", "directions": "pca", "norm": "batch"},
            "The same runs with BatchNorm before every activation, on their own PCA plane; every point uses the "
            "centre run's running statistics, as Li et al. do. BatchNorm is said to smooth the landscape "
            "(Santurkar et al. 2018): compare this slice with the plain net's."),
        Case(
            "flat or sharp? batch 16", _SHARPNESS | {"batch": 16},
            "SGD with batches of 16, around its trained weights along two filter-normalized random directions. "
            "The note under the plot measures the minimum's sharpness: within ±0.5 of the centre the loss "
            "rises by about 0.4 on average. Now choose batch 1024."),
        Case(
            "flat or sharp? batch 1024", _SHARPNESS | {"batch": 1024},
            "The same 300 steps with batches of 1024: the loss within ±0.5 rises by about 1.0 on average, "
            "roughly two to four times as much as with batch 16 (for each of the seeds 0, 1 and 2). Large batches "
            "ending in sharper minima is the observation of Keskar et al. (2017). Caveats: batch 1024 saw 64 times "
            "more examples in its 300 steps, and this is one plane out of some 350,000 dimensions."),
        Case(
            "small learning rate (× 0.1)", _SHARPNESS | {"lr_scale": 0.1},
            "SGD at a tenth of its learning rate (0.005). After 300 steps it is still on its way down (a loss "
            "of about 0.35 at the centre, about 92 % accuracy), and within ±0.5 the loss rises by about 0.8 "
            "on average. Now try four times the learning rate."),
        Case(
            "large learning rate (× 4)", _SHARPNESS | {"lr_scale": 4.0},
            "SGD at four times its learning rate (0.2): a loss of about 0.1 at the centre, about 99 % accuracy, "
            "and a rise of about 0.3 within ±0.5, less than half the small learning rate's (for each of the "
            "seeds 0, 1 and 2). Large steps cannot settle in a narrow valley. Caveat: the small learning rate's "
            "run has not finished; part of its sharpness is the slope it is still on."),
    )
}
