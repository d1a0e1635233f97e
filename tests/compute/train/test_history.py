"""Run history: labels that name what changed, and a JSON round trip that loses nothing."""

from __future__ import annotations

import json
import math

import pytest

from trainlab.compute.errors import SpecError
from trainlab.compute.train.history import (MAX_FILE_BYTES, Run, RunFileError, RunHistory, config_from_dict,
                                            config_to_dict, differences)
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer

BASE = TrainConfig().with_settings(width=64, steps=30, record_every=10)


def _run(config: TrainConfig) -> Run:
    trainer = Trainer(config)
    trainer.run()
    return Run.from_trainer(trainer, "finished")


def test_labels_name_what_differs_from_the_first_run():
    history = RunHistory()
    first = history.add(_run(BASE))
    second = history.add(_run(BASE.with_settings(lr=0.01, dropout=0.5)))
    assert first.label == "#1 Adam lr 0.001"
    assert second.label == "#2 lr 0.01, dropout 0.5"
    assert differences(BASE, BASE) == "same settings"
    assert differences(BASE.with_settings(optimizer="adamw"), BASE) == "AdamW, weight decay 0.01"


@pytest.mark.parametrize("settings,words", [
    ({"schedule": "cosine"}, "cosine schedule"),
    ({"init": "normal", "std": 0.01}, "init normal, std 0.01"),
    ({"norm": "batch"}, "BatchNorm, norm before the activation, BN running statistics"),
    ({"dataset": "spirals"}, "spirals, noise 0.2, 1000 points"),
    ({"optimizer": "momentum", "lr": 0.05}, "SGD + momentum, lr 0.05, momentum 0.9"),
    ({"train_subset": 100, "weight_decay": 1.0}, "weight decay 1, 100 training examples"),
])
def test_labels_are_in_a_students_words(settings, words):
    """Legends say what changed as the lesson says it: no internal names ("schedule.name"), no
    setting the run does not use ("gain None")."""
    label = differences(BASE.with_settings(**settings), BASE)
    assert label == words
    assert "." not in label.replace("0.", "") and "None" not in label


def test_history_round_trips_through_json(tmp_path):
    history = RunHistory([_run(BASE), _run(BASE.with_settings(schedule="cosine", norm="batch"))])
    history.runs[1].val_loss[0] = math.nan  # a diverged value must survive too
    path = history.save(tmp_path / "runs.json")
    json.loads(path.read_text())  # strict JSON: no NaN literals
    loaded = RunHistory.load(path)
    assert len(loaded.runs) == 2
    for a, b in zip(history.runs, loaded.runs):
        assert a.config == b.config and a.label == b.label and a.outcome == b.outcome
        assert a.train_loss == b.train_loss and a.lrs == b.lrs and a.record_steps == b.record_steps
        assert a.val_accuracy == b.val_accuracy
    assert math.isnan(loaded.runs[1].val_loss[0]) and loaded.runs[1].val_loss[1:] == history.runs[1].val_loss[1:]


def test_config_dict_round_trip():
    config = BASE.with_settings(train_subset=100, patience=3, warmup=5, weight_decay=0.1)
    assert config_from_dict(config_to_dict(config)) == config


def _file(runs: object) -> str:
    return json.dumps({"format": "trainlab-runs/1", "runs": runs})


def _good_run() -> dict:
    return Run.from_trainer(Trainer(BASE.with_settings(steps=10)), "finished").to_dict()


def _changed(path: list, value: object) -> str:
    run = _good_run()
    node = run
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return _file([run])


@pytest.mark.parametrize("text", [
    "not json", json.dumps({"runs": []}), json.dumps([1, 2]),
    _file([{"config": {}}]), _file(None), _file("runs"), _file([None]), _file([[1]]),
    "[" * 100_000 + "]" * 100_000,  # nested past Python's recursion limit
    b"\xff\xfe\x00binary",
    _changed(["config", "network", "activation"], "<img src=x onerror=alert(1)>"),
    _changed(["config", "network", "width"], -5),
    _changed(["config", "optimizer", "name"], "nope"),
    _changed(["config", "optimizer", "momentum"], 0.5),  # Adam has no momentum
    _changed(["config", "steps"], "many"),
    _changed(["train_loss"], [1.0, "x"]),
    _changed(["val_loss"], None),
    _changed(["record_steps"], [0.5]),
    _changed(["outcome"], 42),
    _changed(["label"], "x" * 10_000),
])
def test_files_that_are_not_histories_are_refused_with_a_clear_error(text):
    """Every bad file is one RunFileError (a SpecError on the "runs" setting) with a one-line
    reason, never a raw TypeError, RecursionError or UnicodeDecodeError."""
    with pytest.raises(RunFileError) as error:
        RunHistory.from_json(text)
    assert isinstance(error.value, SpecError) and error.value.field == "runs"
    assert "\n" not in str(error.value) and len(str(error.value)) < 400


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(RunFileError, match="MB"):
        RunHistory.from_json(" " * (MAX_FILE_BYTES + 1))


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing.json", lambda tmp: tmp])
def test_load_of_a_missing_file_or_a_folder_is_a_clear_error(tmp_path, make):
    with pytest.raises(RunFileError, match="cannot read"):
        RunHistory.load(make(tmp_path))


def test_a_file_written_before_the_registry_still_loads():
    """Older files spelled out every hyperparameter, also those the optimizer does not take."""
    run = _good_run()
    run["config"]["optimizer"].update(momentum=0.9, decay=0.99, eps=1e-8, beta1=0.9, beta2=0.999, weight_decay=0.0)
    loaded = RunHistory.from_json(_file([run]))
    assert loaded.runs[0].config.optimizer.name == "adam"


def test_dead_units_are_kept_per_record_and_layer_and_round_trip(tmp_path):
    run = _run(BASE)
    assert len(run.negative_units) == len(run.record_steps)
    assert all(len(row) == BASE.network.depth and all(0 <= v <= 1 for v in row) for row in run.negative_units)
    loaded = RunHistory.from_json(RunHistory([run]).to_json()).runs[0]
    assert loaded.negative_units == run.negative_units


def test_a_run_file_without_dead_units_loads_and_a_bad_one_is_refused():
    data = json.loads(RunHistory([_run(BASE)]).to_json())
    del data["runs"][0]["negative_units"]
    assert RunHistory.from_json(json.dumps(data)).runs[0].negative_units == []
    data["runs"][0]["negative_units"] = [[2.0] * BASE.network.depth] * len(data["runs"][0]["record_steps"])
    with pytest.raises(RunFileError, match="negative_units"):
        RunHistory.from_json(json.dumps(data))
