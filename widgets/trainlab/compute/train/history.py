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

from trainlab.compute.errors import SpecError
from trainlab.compute.net.spec import NetworkSpec
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS
from trainlab.compute.optim.schedules import ScheduleSpec
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.datasets import DataSpec
from trainlab.compute.train.trainer import Trainer

FORMAT = "trainlab-runs/1"
MAX_FILE_BYTES = 16 * 2**20  # a 100,000-step run is about 2 MB
MAX_RUNS = 200
_PARTS = {"network": NetworkSpec, "data": DataSpec, "optimizer": OptimizerSpec, "schedule": ScheduleSpec}
# Words a student reads in a legend, for the settings a run changes.
_NORMS = {"none": "no norm", "batch": "BatchNorm", "layer": "LayerNorm", "group": "GroupNorm"}
_PREPROCESSING = {"none": "raw inputs", "centre": "centred inputs", "standardize": "standardized inputs",
                  "pca_whiten": "PCA-whitened inputs"}

_FIT_ON = {"train": "training split", "validation": "validation split", "all": "training and validation splits"}


class RunFileError(SpecError):
    """A run history file that cannot be used; the message says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__("runs", reason)


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(data: Any) -> TrainConfig:
    """The TrainConfig a dict made by config_to_dict describes, validated as strictly as a
    dashboard's own settings (RunFileError naming what is wrong)."""
    if not isinstance(data, dict):
        raise RunFileError(f"a run's configuration must be an object, not {type(data).__name__}")
    try:
        parts = {}
        for name, cls in _PARTS.items():
            values = data[name]
            if not isinstance(values, dict):
                raise TypeError(f"{name} must be an object")
            if name == "optimizer":
                values = _legacy_optimizer(values)
            parts[name] = cls(**values)
        rest = {k: v for k, v in data.items() if k not in _PARTS}
        return TrainConfig(**parts, **rest).validate()
    except (KeyError, TypeError) as error:
        raise RunFileError(f"a run's configuration is not one trainlab wrote ({error})") from None
    except SpecError as error:
        raise RunFileError(f"a run's configuration has {error}") from None


def _legacy_optimizer(values: dict[str, Any]) -> dict[str, Any]:
    """Files written before the optimizer registry spelled out every hyperparameter, also those
    the optimizer does not take, at their common defaults: those mean "not given"."""
    name = values.get("name")
    if name not in OPTIMIZERS:
        return values
    takes = OPTIMIZERS[name].hyperparameters
    return {k: v for k, v in values.items()
            if not (k in HYPERPARAMETERS and k not in takes and v == HYPERPARAMETERS[k].default)}


def _setting_words(config: TrainConfig) -> dict[str, str]:
    """Each setting of a run as a student reads it ("lr 0.05", "BatchNorm", "dropout 0.5")."""
    o, n, d, s = config.optimizer, config.network, config.data, config.schedule
    words = {
        "optimizer": o.label, "lr": f"lr {o.learning_rate:.3g}",
        **{k: f"{k.replace('_', ' ')} {o.value(k):.3g}" for k in o.info.hyperparameters if k != "lr"},
        "dataset": d.name, "preprocessing": _PREPROCESSING[d.preprocessing],
        "fit_on": f"statistics of the {_FIT_ON[d.fit_on]}",
        "train_subset": f"{d.train_subset} training examples" if d.train_subset else "all training examples",
        "activation": n.activation, "init": f"init {n.init}", "depth": f"depth {n.depth}", "width": f"width {n.width}",
        "batch": f"batch {n.batch}", "norm": _NORMS[n.norm], "bias": "bias 0.01" if n.bias else "no bias",
        "seed": f"seed {n.seed}", "schedule": f"{s.name} schedule" if s.name != "none" else "constant lr",
        "warmup": f"warm-up {s.warmup}", "steps": f"{config.steps} steps", "dropout": f"dropout {config.dropout:g}",
        "patience": f"early stop after {config.patience}" if config.patience else "no early stop",
    }
    if n.scheme.knob == "std" or (n.scheme.knob == "gain" and n.gain is not None):  # not a scheme's own gain
        words[n.scheme.knob] = f"{n.scheme.knob} {n.knob_value:.3g}"
    if n.norm != "none":
        words["norm_place"] = f"norm {n.norm_place} the activation"
        if n.norm == "batch":
            words["bn_mode"] = f"BN {n.bn_mode} statistics"
        if n.norm == "group":
            words["groups"] = f"{n.groups} groups"
    if d.is_2d:
        words |= {"noise": f"noise {d.noise_value:g}", "samples": f"{d.samples_value} points"}
    return words


def differences(config: TrainConfig, reference: TrainConfig) -> str:
    """What `config` changes from `reference`, in a student's words ("lr 0.01, dropout 0.5"), or
    "same settings". A new optimizer or init names itself before its own numbers."""
    mine, theirs = _setting_words(config), _setting_words(reference)
    changed = [text for key, text in mine.items() if theirs.get(key) != text]
    return ", ".join(changed) or "same settings"


def _finite_or_none(values: list[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


def _numbers(name: str, values: Any, whole: bool = False) -> list[float]:
    """A curve read from a file: a list of numbers (None for a diverged value), else RunFileError."""
    if not isinstance(values, list):
        raise RunFileError(f"a run's {name} must be a list of numbers, not {type(values).__name__}")
    out = []
    for v in values:
        if v is None and not whole:
            out.append(math.nan)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and (not whole or float(v).is_integer()):
            out.append(int(v) if whole else float(v))
        else:
            raise RunFileError(f"a run's {name} holds {v!r}, not a {'whole ' if whole else ''}number")
    return out


def _negative_units(rows: Any, records: int, depth: int) -> list[list[float]]:
    """A run's negative_units read from a file: none at all, or one share per layer per record."""
    if not isinstance(rows, list) or rows and len(rows) != records:
        raise RunFileError(f"a run's negative_units must be a list of {records} records (or none)")
    out = [_numbers("negative_units", row) for row in rows]
    if any(len(row) != depth or not all(0.0 <= v <= 1.0 for v in row) for row in out):
        raise RunFileError(f"a run's negative_units must hold {depth} shares from 0 to 1 per record")
    return out


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
    # Per record, per hidden layer: the share of units whose pre-activation is <= 0 on the whole
    # validation set (dead, for ReLU). Empty for a run read from a file written before it was kept.
    negative_units: list[list[float]] = dataclasses.field(default_factory=list)

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
            negative_units=[[layer.negative_fraction for layer in r.layers] for r in records],
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["config"] = config_to_dict(self.config)
        for name in self._CURVES:
            out[name] = _finite_or_none(out[name])
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Run:
        """A run read from a file, every field checked (RunFileError says what is wrong)."""
        if not isinstance(data, dict):
            raise RunFileError(f"a run must be an object, not {type(data).__name__}")
        fields = {f.name for f in dataclasses.fields(cls)}
        missing, unknown = fields - {"best_step", "label", "negative_units"} - set(data), set(data) - fields
        if missing or unknown:
            raise RunFileError(f"a run in the file is not one trainlab wrote (missing {sorted(missing)}, "
                               f"unknown {sorted(unknown)})")
        values = {"config": config_from_dict(data["config"])}
        for name in cls._CURVES:
            values[name] = _numbers(name, data[name])
        values["record_steps"] = _numbers("record_steps", data["record_steps"], whole=True)
        values["steps_per_second"] = _numbers("steps_per_second", [data["steps_per_second"]])[0]
        best = data.get("best_step")
        values["best_step"] = None if best is None else _numbers("best_step", [best], whole=True)[0]
        for name in ("outcome", "label"):
            text = data.get(name, "")
            if not isinstance(text, str) or len(text) > 500:
                raise RunFileError(f"a run's {name} must be a short text")
            values[name] = text
        lengths = {len(values[name]) for name in ("val_loss", "val_accuracy", "train_eval_loss",
                                                  "train_eval_accuracy", "record_steps")}
        if len(lengths) != 1 or len(values["lrs"]) != len(values["train_loss"]):
            raise RunFileError("a run's curves do not have matching lengths")
        values["negative_units"] = _negative_units(data.get("negative_units", []), len(values["record_steps"]),
                                                   values["config"].network.depth)
        return cls(**values)


class RunHistory:
    """The runs of a session, oldest first; each is labelled by what it changed from the first."""

    def __init__(self, runs: list[Run] | None = None) -> None:
        self.runs: list[Run] = []
        for run in runs or []:
            self.add(run)

    def label_for(self, config: TrainConfig) -> str:
        """What a run of `config` changes from the first run (or, as the first, its optimizer)."""
        return differences(config, self.runs[0].config) if self.runs else _first_label(config)

    def add(self, run: Run) -> Run:
        if not run.label:
            run.label = f"#{len(self.runs) + 1} {self.label_for(run.config)}"
        self.runs.append(run)
        return run

    def clear(self) -> None:
        self.runs.clear()

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "runs": [run.to_dict() for run in self.runs]}, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> RunHistory:
        """The history a run file holds; RunFileError (one line, naming what is wrong) for
        anything else: not JSON, not UTF-8, too large or too deeply nested, not trainlab's."""
        if len(text) > MAX_FILE_BYTES:
            raise RunFileError(f"the file is {len(text) / 2**20:.0f} MB; a run history is at most "
                               f"{MAX_FILE_BYTES / 2**20:.0f} MB")
        try:
            data = json.loads(text)
        except UnicodeDecodeError:
            raise RunFileError("the file is not text (not UTF-8): not a run history") from None
        except RecursionError:
            raise RunFileError("the file is nested too deeply to be a run history") from None
        except ValueError as error:
            raise RunFileError(f"the file is not JSON ({error})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RunFileError(f"the file is not a trainlab run history (no \"format\": \"{FORMAT}\")")
        runs = data.get("runs")
        if not isinstance(runs, list):
            raise RunFileError(f"\"runs\" must be a list of runs, not {type(runs).__name__}")
        if len(runs) > MAX_RUNS:
            raise RunFileError(f"the file holds {len(runs)} runs; at most {MAX_RUNS} are loaded")
        return cls([Run.from_dict(run) for run in runs])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, path: str | Path) -> RunHistory:
        """from_json() of the file at `path`; RunFileError if it cannot be read."""
        try:
            with open(path, "rb") as file:
                text = file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise RunFileError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
        return cls.from_json(text)


def _first_label(config: TrainConfig) -> str:
    o = config.optimizer
    return f"{o.label} lr {o.learning_rate:.3g}"
