"""Run history: labels that name what changed, and a JSON round trip that loses nothing."""

from __future__ import annotations

import json
import math

import pytest

from trainlab.compute.errors import SpecError
from trainlab.compute.train.history import Run, RunHistory, config_from_dict, config_to_dict, differences
from trainlab.compute.train.trainer import TrainConfig, Trainer

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
    assert differences(BASE.with_settings(optimizer="adamw"), BASE) == "optimizer adamw, weight_decay 0.01"


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


@pytest.mark.parametrize("text", ["not json", json.dumps({"runs": []}), json.dumps([1, 2]),
                                  json.dumps({"format": "trainlab-runs/1", "runs": [{"config": {}}]})])
def test_files_that_are_not_histories_are_refused_with_a_clear_error(text):
    with pytest.raises(SpecError) as error:
        RunHistory.from_json(text)
    assert error.value.field == "history"
