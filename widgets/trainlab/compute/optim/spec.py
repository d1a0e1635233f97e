"""OptimizerSpec: an optimizer and the hyperparameters given for it.

A hyperparameter left at None takes the optimizer's default from the registry (AdaGrad's eps is
1e-10, AdamW's weight decay 0.01, as in torch.optim). One given that the optimizer does not take
(a momentum for Adam) is refused by validate(): a setting is used or refused, never ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.registry import HYPERPARAMETERS, OptimizerInfo, optimizer_info
# The schedules a 2-D race offers (a training run has its own ScheduleSpec): a subset of
# schedules.SCHEDULES, each with that module's defaults and no warm-up.
RACE_SCHEDULES = ("none", "step", "cosine", "exponential")


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by its registry name and the hyperparameters given for it (None: default)."""

    name: str = "sgd"
    lr: float | None = None
    momentum: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None
    decay: float | None = None  # RMSProp's moving-average factor
    weight_decay: float | None = None
    schedule: str = "none"  # the race's: training runs use TrainConfig.schedule

    @property
    def info(self) -> OptimizerInfo:
        return optimizer_info(self.name)

    @property
    def label(self) -> str:
        return self.info.label

    def value(self, name: str) -> float:
        """The hyperparameter in use: the one given, else the optimizer's default."""
        given = getattr(self, name)
        return self.info.default(name) if given is None else float(given)

    @property
    def learning_rate(self) -> float:
        return self.value("lr")

    def given(self) -> dict[str, float]:
        """The hyperparameters given (not None), by name."""
        return {name: getattr(self, name) for name in HYPERPARAMETERS if getattr(self, name) is not None}

    def resolved(self) -> OptimizerSpec:
        """The same optimizer with every hyperparameter it takes spelled out: two specs that run
        the same way compare equal."""
        return dataclasses.replace(self, **{name: self.value(name) for name in self.info.hyperparameters})

    def with_settings(self, **changes: Any) -> OptimizerSpec:
        """The spec with `changes`; a change of optimizer resets the hyperparameters not given in
        the same call (they belong to the old optimizer) to the new one's defaults."""
        if "name" in changes and changes["name"] != self.name:
            base = OptimizerSpec(changes["name"], schedule=self.schedule)
            return dataclasses.replace(base, **changes)
        return dataclasses.replace(self, **changes)

    def validate(self) -> OptimizerSpec:
        """SpecError naming the first hyperparameter out of range or not taken by the optimizer."""
        info = self.info
        for name, value in self.given().items():
            if name not in info.hyperparameters:
                raise SpecError(name, f"{info.label} has no {name} (it takes {', '.join(info.hyperparameters)})")
            HYPERPARAMETERS[name].check(value)
        if self.schedule not in RACE_SCHEDULES:
            raise SpecError("schedule", f"must be one of {', '.join(RACE_SCHEDULES)}, not {self.schedule!r}")
        return self
