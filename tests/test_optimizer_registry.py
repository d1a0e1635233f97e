"""The optimizer registry (compute/optim/registry.py) is the one table: every consumer (the race,
the trainer, the command line, the figures) picks up every row, so adding an optimizer is adding
a row."""

from __future__ import annotations

import pytest
import torch

from trainlab.cli import main
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS, SYMBOLS, TRAINABLE
from trainlab.compute.optim.runs import run_optimizer, torch_optimizer
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import quadratic
from trainlab.compute.train.config import TrainConfig
from trainlab.figures.race import colour, race_figure
from trainlab.ui.race_settings import RaceModel


def test_colours_are_distinct_and_the_figures_use_them():
    colours = [info.colour for info in OPTIMIZERS.values()]
    assert len(set(colours)) == len(colours), "two optimizers would draw in one colour"
    for name, info in OPTIMIZERS.items():
        assert colour(name) == info.colour


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_row_races_with_its_own_state_and_symbols(name):
    run = run_optimizer(quadratic(), OptimizerSpec(name), None, 5)
    assert set(run.state) == set(OPTIMIZERS[name].state)
    assert all(buffer in SYMBOLS for buffer in run.state), "every state buffer has the lecture's symbol"
    figure = race_figure(run.surface, [run], name)
    assert any(trace.get("line", {}).get("color") == OPTIMIZERS[name].colour for trace in figure["data"])
    for hyper in OPTIMIZERS[name].hyperparameters:
        assert hyper in HYPERPARAMETERS


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_row_is_a_setting_of_the_race_widget(name):
    model = RaceModel()
    view = model.apply(model.defaults(), {"optimizers": (name,)})
    assert [r.name for r in view.race.racers] == [name]
    for hyper in OPTIMIZERS[name].hyperparameters:
        assert f"{name}.{hyper}" in model.parsers()


@pytest.mark.parametrize("name", TRAINABLE)
def test_every_trainable_row_builds_its_torch_optimizer_and_trains(name):
    config = TrainConfig().with_settings(optimizer=name).validate()
    assert config.optimizer.lr == OPTIMIZERS[name].train_lr
    optimizer = torch_optimizer(config.optimizer, [torch.zeros(3, requires_grad=True)])
    assert isinstance(optimizer, torch.optim.Optimizer)


def test_the_trainable_rows_are_those_with_a_training_learning_rate():
    assert set(TRAINABLE) == {name for name, info in OPTIMIZERS.items() if info.train_lr is not None}
    assert {"newton", "lbfgs", "lbfgs_line_search", "adam_no_bias_correction"}.isdisjoint(TRAINABLE)


@pytest.mark.parametrize("subcommand,names", [("optimize", list(OPTIMIZERS)), ("train", list(TRAINABLE))])
def test_the_command_line_offers_every_row(subcommand, names, capsys):
    with pytest.raises(SystemExit):
        main([subcommand, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in names:
        assert name in text, f"trainlab {subcommand} --help does not offer {name}"
