"""Finished (or stopped) training runs kept for comparison, and saved to and loaded from JSON.

A run keeps its configuration and its curves, not its weights or histograms: that is what an
overlay of runs draws, and it keeps a saved history small enough to mail to a colleague.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainlab.compute.train.datasets import DataSpec
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.runs import OptimizerSpec
from trainlab.compute.optim.schedules import ScheduleSpec
from trainlab.compute.net.spec import NetworkSpec
from trainlab.compute.train.trainer import TrainConfig, Trainer

FORMAT = "trainlab-runs/1"
_PARTS = {"network": NetworkSpec, "data": DataSpec, "optimizer": OptimizerSpec, "schedule": ScheduleSpec}


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """The TrainConfig a dict made by config_to_dict describes (SpecError if it is not one)."""
    try:
        parts = {name: cls(**data[name]) for name, cls in _PARTS.items()}
        rest = {k: v for k, v in data.items() if k not in _PARTS}
        return TrainConfig(**parts, **rest)
    except (KeyError, TypeError) as error:
        raise SpecError("history", f"a run's configuration is not one trainlab wrote ({error})") from None


def flat_settings(config: TrainConfig) -> dict[str, Any]:
    """Every setting under a short name: "lr", "width", "schedule", "warmup", "dropout"..."""
    out: dict[str, Any] = {}
    for name, value in config_to_dict(config).items():
        if isinstance(value, dict):
            for key, inner in value.items():
                short = {"name": name}.get(key, key)
                out[short if short not in out else f"{name}.{key}"] = inner
        else:
            out[name] = value
    out["lr"] = config.optimizer.learning_rate
    out["weight_decay"] = config.optimizer.decay_amount
    return out


def differences(config: TrainConfig, reference: TrainConfig) -> str:
    """What `config` changes from `reference`, as "lr 0.1, dropout 0.5" (or "same settings")."""
    mine, theirs = flat_settings(config), flat_settings(reference)
    changed = [f"{key} {_short(value)}" for key, value in mine.items() if theirs.get(key) != value]
    return ", ".join(changed) or "same settings"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _finite_or_none(values: list[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


def _nan_for_none(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


@dataclass
class Run:
    """One run's configuration, curves and outcome. Per-step: train_loss, lrs; per record: the rest."""

    config: TrainConfig
    outcome: str
    train_loss: list[float]
    lrs: list[float]
    record_steps: list[int]
    val_loss: list[float]
    val_accuracy: list[float]
    train_eval_loss: list[float]
    train_eval_accuracy: list[float]
    steps_per_second: float
    best_step: int | None = None
    label: str = ""

    _CURVES = ("train_loss", "lrs", "val_loss", "val_accuracy", "train_eval_loss", "train_eval_accuracy")

    @classmethod
    def from_trainer(cls, trainer: Trainer, outcome: str) -> Run:
        records = trainer.records
        return cls(
            config=trainer.config, outcome=outcome, train_loss=list(trainer.train_losses),
            lrs=list(trainer.lrs[:len(trainer.train_losses)]), record_steps=[r.step for r in records],
            val_loss=[r.val_loss for r in records], val_accuracy=[r.val_accuracy for r in records],
            train_eval_loss=[r.train_eval_loss for r in records],
            train_eval_accuracy=[r.train_eval_accuracy for r in records],
            steps_per_second=trainer.steps_per_second(), best_step=trainer.best.step if trainer.best else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["config"] = config_to_dict(self.config)
        for name in self._CURVES:
            out[name] = _finite_or_none(out[name])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        try:
            values = dict(data)
            values["config"] = config_from_dict(values["config"])
            for name in cls._CURVES:
                values[name] = _nan_for_none(values[name])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as error:
            raise SpecError("history", f"a run in the file is not one trainlab wrote ({error})") from None


class RunHistory:
    """The runs of a session, oldest first; each is labelled by what it changed from the first."""

    def __init__(self, runs: list[Run] | None = None) -> None:
        self.runs: list[Run] = []
        for run in runs or []:
            self.add(run)

    def add(self, run: Run) -> Run:
        reference = self.runs[0].config if self.runs else None
        number = len(self.runs) + 1
        if not run.label:
            what = differences(run.config, reference) if reference else _first_label(run.config)
            run.label = f"#{number} {what}"
        self.runs.append(run)
        return run

    def clear(self) -> None:
        self.runs.clear()

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "runs": [run.to_dict() for run in self.runs]}, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> RunHistory:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise SpecError("history", f"the file is not JSON ({error})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SpecError("history", f"the file is not a trainlab run history (no \"format\": \"{FORMAT}\")")
        return cls([Run.from_dict(run) for run in data.get("runs", [])])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, path: str | Path) -> RunHistory:
        return cls.from_json(Path(path).read_text())


def _first_label(config: TrainConfig) -> str:
    o = config.optimizer
    return f"{o.label} lr {o.learning_rate:.3g}"
