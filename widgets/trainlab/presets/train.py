"""The training dashboard's lecture cases: settings, then the runs trained one after the other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrainPreset:
    """A lecture lesson for the training dashboard: settings for the controls, then one training
    run per entry of `runs` (each entry's settings on top of them), trained one after the other
    and overlaid."""

    label: str
    settings: dict[str, Any]
    runs: tuple[dict[str, Any], ...]
    lesson: str


_CLEAN = {"dataset": "digits", "preprocessing": "standardize", "train_subset": None, "norm": "none",
          "activation": "relu", "init": "kaiming_normal", "gain": None, "dropout": 0.0, "weight_decay": None,
          "schedule": "none", "warmup": 0, "patience": None, "batch": 64, "depth": 6}

TRAIN_PRESETS: dict[str, TrainPreset] = {
    p.label: p
    for p in (
        TrainPreset("first loss = log 10", {**_CLEAN, "optimizer": "adam", "lr": 1e-3, "steps": 100},
                    ({}, {"init": "normal", "std": 1.0}),
                    "With small read-out weights every class gets about the same score, so the first loss is "
                    "-log(1/10) = log 10 = 2.30 (the dotted line). Run 2's std 1.0 blows the activations up and "
                    "its first loss is far off: check this number before anything else."),
        TrainPreset("learning rates: the four curves", {**_CLEAN, "optimizer": "adam", "steps": 400},
                    ({"lr": 0.3}, {"lr": 0.05}, {"lr": 1e-5}, {"lr": 1e-3}),
                    "Adam with four learning rates: 0.3 explodes (the run is stopped with a notice), 0.05 drops, "
                    "jumps, then plateaus high, 1e-5 crawls, 1e-3 drops quickly and levels off low."),
        TrainPreset("overfit a subset, then regularize",
                    {**_CLEAN, "train_subset": 100, "optimizer": "adamw", "lr": 1e-3, "steps": 600},
                    ({"weight_decay": 0.0}, {"weight_decay": 1.0}, {"dropout": 0.5, "weight_decay": 1.0}),
                    "On 100 examples the network fits the training set perfectly while the validation loss climbs: "
                    "a big train/validation gap. Decoupled weight decay, then dropout on top, pull the validation "
                    "loss down and the validation accuracy up."),
        TrainPreset("bad init vs good init vs BatchNorm",
                    {**_CLEAN, "optimizer": "momentum", "lr": 0.01, "steps": 400},
                    ({"init": "normal", "std": 0.01}, {"init": "kaiming_normal"},
                     {"init": "normal", "std": 0.01, "norm": "batch", "norm_place": "before"}),
                    "With std 0.01 the signal vanishes over six layers and SGD cannot start; Kaiming init "
                    "trains; BatchNorm rescues the same bad init."),
        TrainPreset("constant vs step vs cosine schedule",
                    {**_CLEAN, "optimizer": "sgd", "lr": 0.2, "batch": 16, "dropout": 0.3, "steps": 600},
                    ({"schedule": "none"}, {"schedule": "step"}, {"schedule": "cosine"},
                     {"schedule": "cosine", "warmup": 60}),
                    "At a constant, high learning rate the noisy loss stalls well above zero (with some seeds it "
                    "even blows up late in the run); step decay drops it at each x0.1, cosine lowers it smoothly "
                    "to the end, and a linear warm-up starts gently."),
    )
}
