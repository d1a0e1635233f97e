"""The training dashboard's lecture cases: settings, then the runs trained one after the other.

A case can have a caption: computed from its runs once the last one has finished, it states the
numbers the lesson rests on as the dashboard drew them (for the seed and settings in use)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainlab.compute.train.history import Run


@dataclass(frozen=True)
class TrainPreset:
    """A lecture lesson for the training dashboard: settings for the controls, then one training
    run per entry of `runs` (each entry's settings on top of them), trained one after the other
    and overlaid; `caption(runs)` states the lesson's numbers from the finished runs."""

    label: str
    settings: dict[str, Any]
    runs: tuple[dict[str, Any], ...]
    lesson: str
    caption: Callable[[list[Run]], str] | None = None


def _name(run: Run) -> str:
    return run.label.split(" (this run)")[0]


def _diverged(run: Run) -> bool:
    return run.outcome.startswith("Training diverged")


def _end_loss(run: Run) -> float:
    """The mean minibatch loss of the last 100 steps: the level the smoothed curve ends at."""
    last = [v for v in run.train_loss[-100:] if math.isfinite(v)]
    return sum(last) / len(last) if last else math.nan


def _best_val(run: Run) -> tuple[float, int]:
    finite = [(v, s) for v, s in zip(run.val_loss, run.record_steps) if math.isfinite(v)]
    return min(finite) if finite else (math.nan, 0)


def _first_losses(runs: list[Run]) -> str:
    firsts = "; ".join(f"{_name(r)}: {r.train_loss[0]:.4g}" for r in runs)
    last = runs[-1]
    return (f"As trained: first losses {firsts} (log 10 = {math.log(10):.3f}). {_name(last)} ends with "
            f"validation accuracy {last.val_accuracy[-1]:.1%} and validation loss {last.val_loss[-1]:.3g}.")


def _loss_levels(runs: list[Run]) -> str:
    parts = []
    for r in runs:
        if _diverged(r):
            parts.append(f"{_name(r)}: {r.outcome.split(':')[0].replace('Training d', 'd')}, stopped")
        else:
            parts.append(f"{_name(r)}: training loss {_end_loss(r):.2g} over the last 100 steps, validation "
                         f"accuracy {r.val_accuracy[-1]:.1%}")
    return "As trained: " + "; ".join(parts) + "."


def _validation(runs: list[Run]) -> str:
    parts = []
    for r in runs:
        best, step = _best_val(r)
        parts.append(f"{_name(r)}: lowest validation loss {best:.2f} at step {step}, {r.val_loss[-1]:.2f} at the end; "
                     f"validation accuracy {r.val_accuracy[-1]:.1%} (training {r.train_eval_accuracy[-1]:.1%})")
    return "As trained: " + "; ".join(parts) + "."


def _dead_units(runs: list[Run]) -> str:
    parts = []
    for r in runs:
        if not r.negative_units:
            continue
        last = r.negative_units[-1]
        worst = max(range(len(last)), key=last.__getitem__)
        what = "dead" if r.config.network.activation == "relu" else "negative on every validation image (not dead)"
        parts.append(f"{_name(r)}: {mean_share(last):.0%} of the hidden units {what}, most in layer {worst + 1} "
                     f"({last[worst]:.0%})")
    return "At the end: " + "; ".join(parts) + "."


def mean_share(shares: list[float]) -> float:
    """The share of all hidden units, from each (equally wide) layer's share."""
    return sum(shares) / len(shares)


def steps_below(run: Run, loss: float) -> int | None:
    """The first recorded step whose training loss (on the fixed training examples) is below `loss`."""
    return next((s for s, v in zip(run.record_steps, run.train_eval_loss) if v < loss), None)


SPEED_LOSS = 0.3


def _speed(runs: list[Run]) -> str:
    steps = [steps_below(r, SPEED_LOSS) for r in runs]
    parts = [f"{_name(r)}: {'step ' + str(s) if s is not None else 'not within ' + str(len(r.train_loss)) + ' steps'}"
             for r, s in zip(runs, steps)]
    text = f"Training loss first below {SPEED_LOSS}: " + "; ".join(parts) + "."
    if len(steps) == 2 and None not in steps and steps[0] > 0:
        first, second = (r.config.network.activation for r in runs)
        text += f" {first} got there {steps[1] / steps[0]:.1f} times as fast as {second}."
    return text


def _fit_on(runs: list[Run]) -> str:
    parts = [f"{_name(r)}: validation accuracy {r.val_accuracy[-1]:.1%}, validation loss {r.val_loss[-1]:.3f}"
             for r in runs]
    text = "As trained: " + "; ".join(parts) + "."
    if len(runs) == 2:
        text += (f" Fitting the statistics on both splits changed the validation accuracy by "
                 f"{100 * (runs[1].val_accuracy[-1] - runs[0].val_accuracy[-1]):+.1f} points.")
    return text


_CLEAN = {"dataset": "digits", "preprocessing": "standardize", "train_subset": None, "norm": "none",
          "activation": "relu", "init": "kaiming_normal", "gain": None, "dropout": 0.0, "weight_decay": None,
          "schedule": "none", "warmup": 0, "patience": None, "batch": 64, "depth": 6,
          "fit_on": "train", "bias": False}

TRAIN_PRESETS: dict[str, TrainPreset] = {
    p.label: p
    for p in (
        TrainPreset("first loss = log 10", {**_CLEAN, "optimizer": "adam", "lr": 1e-3, "steps": 100},
                    ({}, {"init": "normal", "std": 1.0}),
                    "With small read-out weights every class gets about the same score, so the first loss is "
                    "-log(1/10) = log 10 = 2.30 (the dotted line). Run 2's std 1.0 blows the activations up and "
                    "its first loss is far off: check this number before anything else.", _first_losses),
        TrainPreset("learning rates: the four curves", {**_CLEAN, "optimizer": "adam", "steps": 400},
                    ({"lr": 0.3}, {"lr": 0.02}, {"lr": 1e-5}, {"lr": 1e-3}),
                    "Adam with four learning rates: 0.3 explodes at once (the run is stopped with a notice); 0.02 "
                    "jumps, drops, then climbs back up and ends high; 1e-5 crawls; 1e-3 drops quickly and levels "
                    "off low.",
                    _loss_levels),
        TrainPreset("overfit a subset, then regularize",
                    {**_CLEAN, "train_subset": 100, "optimizer": "adamw", "lr": 1e-3, "steps": 600},
                    ({"weight_decay": 0.0}, {"weight_decay": 1.0}, {"dropout": 0.5, "weight_decay": 1.0}),
                    "On 100 examples the network fits the training set perfectly while the validation loss climbs: "
                    "a big train/validation gap. Decoupled weight decay keeps the validation loss from climbing as "
                    "far; dropout on top ends with the best validation accuracy of the three.", _validation),
        TrainPreset("bad init vs good init vs BatchNorm",
                    {**_CLEAN, "optimizer": "momentum", "lr": 0.01, "steps": 400},
                    ({"init": "normal", "std": 0.01}, {"init": "kaiming_normal"},
                     {"init": "normal", "std": 0.01, "norm": "batch", "norm_place": "before"}),
                    "With std 0.01 the signal vanishes over six layers and SGD cannot start; Kaiming init "
                    "trains; BatchNorm rescues the same bad init.", _validation),
        TrainPreset("constant vs step vs cosine schedule",
                    {**_CLEAN, "optimizer": "momentum", "lr": 0.015, "batch": 16, "dropout": 0.3, "steps": 600},
                    ({"schedule": "none"}, {"schedule": "step"}, {"schedule": "cosine"},
                     {"schedule": "cosine", "warmup": 60}),
                    "At a constant, high learning rate the loss stays noisy and ends highest; after step decay's "
                    "first x0.1 it calms down and stays below; cosine lowers it smoothly to the end, lowest of all, "
                    "and a linear warm-up starts gently.",
                    _loss_levels),
        TrainPreset("dead ReLUs: too large a learning rate", {**_CLEAN, "optimizer": "adam", "steps": 300},
                    ({"lr": 0.01}, {"lr": 0.01, "activation": "leaky_relu"}, {"lr": 0.01, "activation": "elu"},
                     {"lr": 0.001}),
                    "Adam at lr 0.01 kills many ReLU units: their pre-activation is negative for every validation "
                    "image, so they output 0 and pass no gradient. Leaky ReLU and ELU units end up negative as "
                    "often, but a gradient still flows through them; at lr 0.001 few ReLUs die.", _dead_units),
        TrainPreset("ReLU vs tanh: how much faster?", {**_CLEAN, "optimizer": "sgd", "lr": 0.01, "steps": 500},
                    ({"activation": "relu", "init": "kaiming_normal"}, {"activation": "tanh", "init": "xavier_normal"}),
                    f"Plain SGD, each activation with its own initialization: how many steps until the training "
                    f"loss falls below {SPEED_LOSS}?", _speed),
        TrainPreset("preprocessing: raw, centred, standardized, whitened",
                    {**_CLEAN, "optimizer": "sgd", "lr": 0.1, "steps": 300},
                    ({"preprocessing": "none"}, {"preprocessing": "centre"}, {"preprocessing": "standardize"},
                     {"preprocessing": "pca_whiten"}),
                    "SGD at lr 0.1 on raw pixels (0 to 16), centred, standardized and PCA-whitened ones.", _loss_levels),
        TrainPreset("statistics from the training split, or from all",
                    {**_CLEAN, "optimizer": "adam", "lr": 1e-3, "steps": 300},
                    ({"fit_on": "train"}, {"fit_on": "all"}),
                    "Standardized with the training split's mean and std, then with those of the training and "
                    "validation splits together: the validation images leak into the preprocessing.", _fit_on),
    )
}
