"""TrainConfig: everything that defines a training run, and its settings by their short names.

Every way into a run (a dashboard's controls, its constructor, a link, a lecture case, the
command line, a saved run file) goes through with_settings() and validate(): a setting is applied
or refused by name, and a knob that belongs to a choice (an optimizer's momentum, a scheme's
gain, a 2-D set's noise) takes the new choice's default unless it is given in the same call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from trainlab.compute.checks import number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.net.spec import NetworkSpec
from trainlab.compute.optim.registry import TRAINABLE
from trainlab.compute.optim.schedules import ScheduleSpec
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.train.datasets import DataSpec

STEPS_RANGE = (1, 100_000)
BINS_RANGE = (2, 1000)
DROPOUT_RANGE = (0.0, 0.95)

_TOP_LEVEL = ("steps", "dropout", "record_every", "patience", "bins")
# Where each short setting name lives in a TrainConfig: (part, field).
SETTING_PLACES: dict[str, tuple[str, str]] = {
    **{f.name: ("network", f.name) for f in dataclasses.fields(NetworkSpec)},
    "dataset": ("data", "name"), "preprocessing": ("data", "preprocessing"), "train_subset": ("data", "train_subset"),
    "fit_on": ("data", "fit_on"),
    "noise": ("data", "noise"), "samples": ("data", "samples"), "val_fraction": ("data", "val_fraction"),
    "data_seed": ("data", "seed"),
    "optimizer": ("optimizer", "name"), "lr": ("optimizer", "lr"), "momentum": ("optimizer", "momentum"),
    "beta1": ("optimizer", "beta1"), "beta2": ("optimizer", "beta2"), "eps": ("optimizer", "eps"),
    "decay": ("optimizer", "decay"), "weight_decay": ("optimizer", "weight_decay"),
    "schedule": ("schedule", "name"), "warmup": ("schedule", "warmup"),
}
SETTINGS = (*SETTING_PLACES, *_TOP_LEVEL)
# DataSpec's fields by their setting names: its seed is the run's data_seed.
_DATA_SETTINGS = {name: key for key, (part, name) in SETTING_PLACES.items() if part == "data"}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. network.batch is the minibatch size; an optimizer
    given without a learning rate trains with the registry's training default for it."""

    network: NetworkSpec = NetworkSpec(width=256, batch=64, activation="relu", init="kaiming_normal",
                                       bn_mode="running")
    data: DataSpec = DataSpec()
    optimizer: OptimizerSpec = OptimizerSpec("adam", lr=1e-3)
    schedule: ScheduleSpec = ScheduleSpec()
    steps: int = 500
    dropout: float = 0.0
    record_every: int = 10
    patience: int | None = None  # stop after this many records without a better validation loss
    bins: int = 40

    def __post_init__(self) -> None:
        info = self.optimizer.info if self.optimizer.name in TRAINABLE else None
        if info is not None and self.optimizer.lr is None:
            # Frozen: the one place the default learning rate for training is filled in.
            object.__setattr__(self, "optimizer", dataclasses.replace(self.optimizer, lr=info.train_lr))

    def with_settings(self, **settings: Any) -> TrainConfig:
        """The config with settings given by their short names changed: any NetworkSpec field
        (width, init, ...), dataset / preprocessing / train_subset / noise / samples / val_fraction /
        data_seed, optimizer / lr / momentum / beta1 / beta2 / eps / decay / weight_decay,
        schedule / warmup, and steps / dropout / record_every / patience / bins."""
        parts: dict[str, dict[str, Any]] = {"network": {}, "data": {}, "optimizer": {}, "schedule": {}}
        top: dict[str, Any] = {}
        for key, value in settings.items():
            part, name = SETTING_PLACES.get(key, (None, key))
            if part is None and key not in _TOP_LEVEL:
                raise SpecError(key, f"is not a training setting; known: {', '.join(sorted(SETTINGS))}")
            (parts[part] if part else top)[name] = value
        changed = {}
        for name, values in parts.items():
            if values:
                part = getattr(self, name)
                # Network, data and optimizer reset the knobs that belong to a changed choice.
                changed[name] = (part.with_settings(**values) if hasattr(part, "with_settings")
                                 else dataclasses.replace(part, **values))
        return dataclasses.replace(self, **changed, **top)

    def flat(self) -> dict[str, Any]:
        """Every setting by its short name, as with_settings takes them."""
        parts = {"network": self.network, "data": self.data, "optimizer": self.optimizer, "schedule": self.schedule}
        out = {key: getattr(parts[part], name) for key, (part, name) in SETTING_PLACES.items()}
        return {**out, **{key: getattr(self, key) for key in _TOP_LEVEL}}

    def validate(self) -> TrainConfig:
        self.network.validate()
        try:
            self.data.validate()
        except SpecError as error:
            # Named as with_settings() takes it: a data seed refused as "seed" would blame the network's.
            raise SpecError(_DATA_SETTINGS.get(error.field, error.field), error.reason) from None
        if self.optimizer.name not in TRAINABLE:
            raise SpecError("optimizer", f"must be one of {', '.join(TRAINABLE)}, not {self.optimizer.name!r}")
        if self.optimizer.schedule != "none":
            raise SpecError("schedule", "goes in the training config's schedule, not the optimizer's")
        self.optimizer.validate()
        whole_in("steps", self.steps, STEPS_RANGE)
        self.schedule.validate(self.steps)
        whole_in("record_every", self.record_every, STEPS_RANGE)
        whole_in("bins", self.bins, BINS_RANGE)
        if self.patience is not None:
            whole_in("patience", self.patience, STEPS_RANGE)
        number_in("dropout", self.dropout, DROPOUT_RANGE)
        return self
