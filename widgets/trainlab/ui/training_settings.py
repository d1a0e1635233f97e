"""The training dashboard's settings (a TrainConfig) as the widget reads and changes them, and the
controls for the settings beyond the network's.

Every TrainConfig setting can be given by its short name (TrainConfig.with_settings), also those
with no control (noise and samples of a 2-D set, eps, record_every, val_fraction, data_seed,
bins): they are applied, kept in the state and in links, never dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from trainlab.compute.net.spec import NetworkSpec
from trainlab.compute.optim.registry import HYPERPARAMETERS, TRAINABLE
from trainlab.compute.optim.schedules import SCHEDULES
from trainlab.compute.train.config import DROPOUT_RANGE, TrainConfig
from trainlab.compute.train.datasets import DATASETS, FIT_ON, PREPROCESSING
from trainlab.ui.kit.controls import Control, dropdown, float_box, int_box, log_slider, none_as_zero, slider, wrap
from trainlab.ui.kit.state import Parser, parse_choice, parse_float, parse_int
from trainlab.ui.network_controls import network_control_values, network_flat, network_parsers

# The hyperparameters with a control, besides lr and weight decay (eps has none: it is rarely tuned).
TUNED = ("momentum", "beta1", "beta2", "decay")
_DATA_ONLY_2D = ("noise", "samples")
_NETWORK_FIELDS = tuple(f.name for f in dataclasses.fields(NetworkSpec))


def _optional_int(value: Any) -> int | None:
    """A whole number where 0 (or "none") means None: train on all, no early stopping."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "")):
        return None
    return parse_int(value) or None


def training_flat(config: TrainConfig) -> dict[str, Any]:
    """The run's settings in use by short name: the network's, and of the optimizer only the
    hyperparameters it takes, spelled out."""
    skip = {*_NETWORK_FIELDS, *HYPERPARAMETERS, *_DATA_ONLY_2D}
    out = network_flat(config.network)
    out |= {key: value for key, value in config.flat().items() if key not in skip}
    out |= {name: config.optimizer.value(name) for name in config.optimizer.info.hyperparameters}
    if config.data.is_2d:
        out |= {"noise": config.data.noise_value, "samples": config.data.samples_value}
    return out


class TrainModel:
    """The settings model (see kit/lab_widget.py) of the training dashboard."""

    def __init__(self, defaults: TrainConfig) -> None:
        self._defaults = defaults

    def defaults(self) -> TrainConfig:
        return self._defaults

    def flat(self, config: TrainConfig) -> dict[str, Any]:
        return training_flat(config)

    def apply(self, config: TrainConfig, changes: Mapping[str, Any]) -> TrainConfig:
        return config.with_settings(**changes).validate()

    def parsers(self) -> dict[str, Parser]:
        parsers: dict[str, Parser] = {
            **network_parsers(), "dataset": parse_choice(DATASETS), "preprocessing": parse_choice(PREPROCESSING),
            "fit_on": parse_choice(FIT_ON), "train_subset": _optional_int, "noise": parse_float, "samples": parse_int, "val_fraction": parse_float,
            "data_seed": parse_int, "optimizer": parse_choice(TRAINABLE), "schedule": parse_choice(SCHEDULES),
            "warmup": parse_int, "steps": parse_int, "dropout": parse_float, "record_every": parse_int,
            "patience": _optional_int, "bins": parse_int,
            **{name: parse_float for name in HYPERPARAMETERS}}
        return parsers

    def control_values(self, config: TrainConfig) -> dict[str, Any]:
        values = {**network_control_values(config.network), **training_flat(config)}
        return {name: value for name, value in values.items() if name not in _DATA_ONLY_2D}


def _takes(hyper: str) -> Any:
    return lambda config: hyper in config.optimizer.info.hyperparameters


def training_controls(config: TrainConfig) -> dict[str, Control]:
    """The controls for every setting beyond the network's that a student tunes."""
    o, d, s = config.optimizer, config.data, config.schedule
    tuned = {name: Control(slider(name, o.value(name), (HYPERPARAMETERS[name].low, HYPERPARAMETERS[name].high),
                                  0.0001), shown=_takes(name)) for name in TUNED}
    lr = HYPERPARAMETERS["lr"]
    return {
        "dataset": Control(dropdown("data", DATASETS, d.name)),
        "preprocessing": Control(dropdown("preprocessing", PREPROCESSING, d.preprocessing)),
        # Shown once preprocessing has statistics to fit: where they come from.
        "fit_on": Control(dropdown("statistics from", FIT_ON, d.fit_on),
                          shown=lambda c: c.data.preprocessing != "none"),
        "train_subset": Control(int_box("train on first (0 = all)", d.train_subset or 0, "200px"), **none_as_zero()),
        "optimizer": Control(dropdown("optimizer", TRAINABLE, o.name)),
        "lr": Control(log_slider("lr", o.learning_rate, (lr.low, lr.high))),
        **tuned,
        "weight_decay": Control(float_box("weight decay", o.value("weight_decay"), 1e-4)),
        "dropout": Control(slider("dropout", config.dropout, DROPOUT_RANGE, 0.05)),
        "schedule": Control(dropdown("schedule", SCHEDULES, s.name)),
        "warmup": Control(int_box("warm-up steps", s.warmup, "150px")),
        "steps": Control(int_box("steps", config.steps, "150px")),
        "patience": Control(int_box("early stop after (0 = off)", config.patience or 0, "210px"), **none_as_zero()),
    }


def training_rows(controls: Mapping[str, Control]) -> list[widgets.Widget]:
    c = {name: control.widget for name, control in controls.items()}
    return [wrap([c["dataset"], c["preprocessing"], c["fit_on"], c["train_subset"], c["steps"], c["patience"]]),
            wrap([c["optimizer"], c["lr"], *(c[name] for name in TUNED), c["weight_decay"], c["dropout"]]),
            wrap([c["schedule"], c["warmup"]])]
