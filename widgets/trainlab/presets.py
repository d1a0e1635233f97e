"""The lecture cases, one click each: initialization and normalization experiments for the
explorer, lecture points for the optimizer race, and lessons for the training dashboard.

An explorer or dashboard preset names only the settings its lesson is about (depth, width, batch
and seed stay as the user has them); a race preset is a whole Race.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainlab.compute.optim.race import Race
from trainlab.compute.optim.spec import OptimizerSpec


@dataclass(frozen=True)
class Preset:
    label: str
    settings: dict[str, Any]
    lesson: str  # one line: what the student should see


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


@dataclass(frozen=True)
class RacePreset:
    """A lecture point for the optimizer race: the race itself and what it shows."""

    label: str
    race: Race
    lesson: str


def _race(surface: str, racers: dict[str, dict[str, Any]], steps: int, noise: float = 0.0,
          **surface_params: float) -> Race:
    return Race(surface=surface, racers=tuple(OptimizerSpec(name, **kw) for name, kw in racers.items()), steps=steps,
                noise=noise, **surface_params)


RACE_PRESETS: dict[str, RacePreset] = {
    p.label: p
    for p in (
        RacePreset("zig-zag: SGD vs momentum",
                   _race("quadratic", {"sgd": {"lr": 0.075}, "momentum": {"lr": 0.01, "momentum": 0.9}}, 150,
                         condition=25.0, angle=0.0),
                   "With condition number 25, SGD's step that suits the steep axis makes it bounce across the "
                   "valley; momentum averages the bounces away and builds up speed along the valley floor."),
        RacePreset("saddle: SGD stuck vs momentum",
                   _race("flat_saddle", {"sgd": {"lr": 0.05}, "momentum": {"lr": 0.05, "momentum": 0.9}}, 200),
                   "Near a flat saddle the gradient is almost zero: SGD creeps, momentum keeps its velocity and "
                   "rolls off into a minimum."),
        RacePreset("AdaGrad stalls vs RMSProp",
                   _race("quadratic", {"adagrad": {"lr": 0.3}, "rmsprop": {"lr": 0.05, "decay": 0.99}}, 300,
                         condition=10.0, angle=30.0),
                   "AdaGrad's sum of squared gradients only grows, so its steps shrink towards zero before it "
                   "arrives; RMSProp's moving average forgets old gradients and keeps going."),
        RacePreset("Adam vs SGD+momentum on Rosenbrock",
                   _race("rosenbrock", {"adam": {"lr": 0.05}, "momentum": {"lr": 0.001, "momentum": 0.9}}, 600),
                   "Both find the banana valley; Adam's per-coordinate step sizes follow it without tuning, "
                   "momentum needs a small learning rate to stay stable."),
        RacePreset("Adam with and without bias correction",
                   _race("quadratic", {"adam": {"lr": 0.3}, "adam_no_bias_correction": {"lr": 0.3}}, 80,
                         condition=10.0, angle=20.0),
                   "Without bias correction, the first steps divide a first moment shrunk by (1 - beta1) by the "
                   "root of one shrunk by (1 - beta2): they come out about 3x too large and overshoot."),
        RacePreset("too large a learning rate",
                   _race("quadratic", {"sgd": {"lr": 0.085}, "nesterov": {"lr": 0.01, "momentum": 0.9}}, 100,
                         condition=25.0, angle=0.0),
                   "Above 2 / (largest curvature) = 0.08, every SGD step overshoots the steep axis by more than "
                   "it corrects: the run diverges and is stopped."),
        RacePreset("L-BFGS, deterministic",
                   _race("rosenbrock", {"lbfgs_line_search": {"lr": 1.0}, "adam": {"lr": 0.05}}, 200),
                   "With exact gradients L-BFGS builds a curvature model and reaches the minimum in a few dozen "
                   "steps."),
        RacePreset("L-BFGS, noisy gradients",
                   _race("rosenbrock", {"lbfgs_line_search": {"lr": 1.0}, "adam": {"lr": 0.05}}, 200, noise=2.0),
                   "Noise standing for minibatches corrupts L-BFGS's curvature estimates and line search: it "
                   "wanders, which is why it is rarely used to train deep nets."),
    )
}


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
