"""Lab 06, regularization: every checkable sentence against what the dashboards train and draw.

For seeds 0, 1 and 2 the lab's first cell builds the dashboard and trains its lecture case, then
the student's steps with the controls (coupled L2 in Adam; a larger training set); its dropout
cell runs; its early-stopping cell builds the second dashboard, whose question trains it, then
restore best, dropout 0.5, restore best. Shared by every test of the module.
"""

from __future__ import annotations

import inspect

import pytest
import torch

from tests.labs.labkit import (LOG10, SEEDS, answer, best_val, move, notices, run_cell, runs, says, smoothed,
                               trained)
from trainlab import PredictReveal, TrainingDashboard
from trainlab.compute.optim.registry import OPTIMIZERS

LAB = "06_regularization"


def gap(run):
    return run.train_eval_accuracy[-1] - run.val_accuracy[-1]


@pytest.fixture(scope="module")
def lab():
    out = {}
    for seed in SEEDS:
        dash = run_cell(LAB, 0)["dash"]
        try:
            move(dash, seed=seed)
            trained(dash)
            out[seed, "case"] = runs(dash)
            out[seed, "case notices"] = notices(dash)
            out[seed, "case settings"] = dash.settings
            out[seed, "groups"] = [(g["weight_decay"], [p.dim() for p in g["params"]])
                                   for g in dash.trainer.optimizer.param_groups]
            move(dash, optimizer="adam")
            move(dash, weight_decay=1.0)
            out[seed, "adam preset"] = dash.preset.value
            trained(dash)
            out[seed, "adam, L2 1.0"] = runs(dash)[-1]
            move(dash, weight_decay=0.01)
            trained(dash)
            out[seed, "adam, L2 0.01"] = runs(dash)[-1]
            move(dash, optimizer="adamw", weight_decay=0.0)
            for subset in (400, None):
                move(dash, train_subset=subset)
                trained(dash)
                out[seed, "train on", subset] = runs(dash)[-1]
            if seed == 0:
                move(dash, train_subset=100, dropout=0.5, weight_decay=1.0, steps=40)
                trained(dash)
                trained(dash)
                out["repeat"] = runs(dash)[-2:]
        finally:
            dash.close()
        # In the notebook this cell runs after the first, whose imports it uses.
        cell = run_cell(LAB, 2, {"PredictReveal": PredictReveal, "TrainingDashboard": TrainingDashboard})
        early, question = cell["early"], cell["question"]
        try:
            move(early, seed=seed)
            out["question"] = question
            answer(question)  # commits the guess, then trains (its `then`)
            assert early.wait(1800)
            out[seed, "early"] = runs(early)[-1]
            out[seed, "early notices"] = notices(early)
            early.restore_best()
            out[seed, "early restored"] = notices(early)
            out[seed, "early accuracies"] = early._ended_with[2], early.trainer.accuracy("val")
            move(early, dropout=0.5)
            trained(early)
            out[seed, "dropout"] = runs(early)[-1]
            early.restore_best()
            out[seed, "dropout restored"] = notices(early)
            out[seed, "dropout accuracies"] = early._ended_with[2], early.trainer.accuracy("val")
        finally:
            early.close()
    return out


def test_the_data_and_the_case(lab):
    says(LAB, "trains on only the first 100 training images, ten per class. The validation set stays the usual "
              "359 held-out images")
    from trainlab.compute.train.datasets import load
    data = load(lab[0, "case"][0].config.data)
    assert len(data.y_train) == 100 and torch.bincount(data.y_train).tolist() == [10] * 10 and len(data.y_val) == 359
    says(LAB, "trains AdamW (lr 1e-3) for 600 steps on the 100 images, three times. The first run has no "
              "regularization at all (weight decay 0).")
    run1, run2, run3 = lab[0, "case"]
    for run in (run1, run2, run3):
        assert run.config.optimizer.name == "adamw" and run.config.optimizer.learning_rate == 1e-3
        assert len(run.train_loss) == 600
    assert (run1.config.optimizer.value("weight_decay"), run1.config.dropout) == (0.0, 0.0)
    assert (run2.config.optimizer.value("weight_decay"), run2.config.dropout) == (1.0, 0.0)
    assert (run3.config.optimizer.value("weight_decay"), run3.config.dropout) == (1.0, 0.5)


@pytest.mark.parametrize("seed", SEEDS)
def test_overfitting_without_regularization(lab, seed):
    run1 = lab[seed, "case"][0]
    says(LAB, "Within a few dozen steps the training accuracy is 100 % and the training loss falls below $10^{-6}$")
    assert run1.train_eval_accuracy[run1.record_steps.index(50)] == 1.0 and smoothed(run1.train_loss)[-1] < 1e-6
    says(LAB, "The validation loss is lowest at step 10, then shoots up above the log 10 line and stays there.")
    assert best_val(run1)[1] == 10
    assert all(v > LOG10 for v, s in zip(run1.val_loss, run1.record_steps) if s >= 200)
    says(LAB, "The validation accuracy settles between 83 and 86 %: a gap of about 15 points to the training "
              "accuracy.")
    assert 0.83 <= run1.val_accuracy[-1] <= 0.86 and 0.13 <= gap(run1) <= 0.18
    says(LAB, "a note under the controls gives each run's lowest and final validation loss and its final "
              "accuracies")
    best, step = best_val(run1)
    assert f"lowest validation loss {best:.2f} at step {step}, {run1.val_loss[-1]:.2f} at the end" in lab[seed, "case notices"]


@pytest.mark.parametrize("seed", SEEDS)
def test_decoupled_weight_decay(lab, seed):
    run1, run2, _ = lab[seed, "case"]
    says(LAB, "The training set is still memorized, but the validation loss no longer climbs as far: by the end it "
              "is about half of run 1's, or less. The validation accuracy hardly changes (within a point or two).")
    assert run2.train_eval_accuracy[-1] == 1.0
    assert run2.val_loss[-1] < 0.6 * run1.val_loss[-1]
    assert abs(run2.val_accuracy[-1] - run1.val_accuracy[-1]) <= 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_only_weight_matrices_are_decayed(lab, seed):
    says(LAB, "In these labs only the weight matrices are decayed, not the biases or the normalization scales")
    (decay, dims), (no_decay, other_dims) = lab[seed, "groups"]
    assert decay == 1.0 and set(dims) == {2} and no_decay == 0.0 and set(other_dims) <= {1}


def test_which_optimizer_decays_how():
    says(LAB, "*weight decay* is coupled L2 for every optimizer except `adamw`, where it is decoupled (PyTorch's "
              "default for AdamW is 0.01)")
    assert [name for name, info in OPTIMIZERS.items() if info.decoupled_decay] == ["adamw"]
    assert OPTIMIZERS["adamw"].default("weight_decay") == 0.01
    assert inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default == 0.01


@pytest.mark.parametrize("seed", SEEDS)
def test_coupled_l2_in_adam_collapses(lab, seed):
    says(LAB, "Switch the *optimizer* to `adam`, then set *weight decay* to 1.0, which is now coupled L2 (dropout "
              "stays 0).")
    settings = lab[seed, "case settings"]
    assert settings.optimizer.name == "adamw" and settings.optimizer.value("weight_decay") == 0.0  # run 1's
    run = lab[seed, "adam, L2 1.0"]
    assert lab[seed, "adam preset"] == "custom"
    assert (run.config.optimizer.name, run.config.optimizer.value("weight_decay"), run.config.dropout) == ("adam", 1.0, 0.0)
    assert run.config.optimizer.learning_rate == 1e-3
    says(LAB, "The network learns for a few dozen steps, reaching about 50 % validation accuracy, and then "
              "collapses: the loss sits exactly at log 10 and the accuracy at chance, 10 %.")
    peak = max(run.val_accuracy)
    assert 0.4 < peak < 0.65 and run.record_steps[run.val_accuracy.index(peak)] <= 60
    assert abs(run.val_loss[-1] - LOG10) < 0.005 and abs(run.val_accuracy[-1] - 0.1) < 0.01
    says(LAB, "within about a hundred steps they are gone")
    assert abs(run.val_loss[run.record_steps.index(120)] - LOG10) < 0.01
    says(LAB, "Coupled L2 inside Adam needs a far smaller $\\lambda$: at 0.01 it trains again, to about 80 %\n"
              "validation accuracy")
    small = lab[seed, "adam, L2 0.01"]
    assert small.config.optimizer.value("weight_decay") == 0.01 and 0.75 < small.val_accuracy[-1] < 0.86


def test_dropout_cell_runs():
    run_cell(LAB, 1)  # the cell asserts what it prints: the mean of the masks and eval mode
    says(LAB, "A layer of 4096 units has $2^{4096}$ masks, a number with 1,234 digits")
    assert len(str(2 ** 4096)) == 1234


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_on_top(lab, seed):
    run1, run2, run3 = lab[seed, "case"]
    says(LAB, "The **training loss** now falls slowly and noisily over a few hundred steps instead of collapsing within "
              "a few dozen")
    assert max(run1.train_loss[30:]) < 0.1 and smoothed(run1.train_loss)[60] < 0.01  # run 1: gone in a few dozen steps
    curve = smoothed(run3.train_loss)
    assert curve[100] > 1 and curve[300] > 0.1 and curve[-1] < 0.2
    says(LAB, "The **validation accuracy** ends the highest of the three, around 86 to 88 %, and the gap to the "
              "training accuracy is the smallest.")
    assert run3.val_accuracy[-1] > max(run1.val_accuracy[-1], run2.val_accuracy[-1])
    assert 0.855 <= run3.val_accuracy[-1] <= 0.885 and gap(run3) < min(gap(run1), gap(run2))
    says(LAB, "The **validation loss** reaches its lowest point later than in the other runs, somewhere between step "
              "150 and step 550 depending on the seed, and drifts up again after it")
    best, step = best_val(run3)
    assert 150 <= step <= 550 and run3.val_loss[-1] > best and step > best_val(run1)[1]
    says(LAB, "The **first loss** is between 2.4 and 2.7, not 2.30, and the status line warns about it.")
    assert 2.4 < run3.train_loss[0] < 2.7
    assert f"First loss {run3.train_loss[0]:.3f}; log 10 = 2.303 (off by more than 5%)" in lab[seed, "case notices"]
    says(LAB, "Even with both regularizers a big gap remains, 12 to 15 points")
    assert 0.115 <= gap(run3) <= 0.155


def test_dropout_minimum_against_weight_decay_depends_on_the_seed(lab):
    says(LAB, "Whether that lowest point is below run 2's depends on the seed too; the note gives both.")
    below = [best_val(lab[seed, "case"][2])[0] < best_val(lab[seed, "case"][1])[0] for seed in SEEDS]
    assert any(below) and not all(below)


def test_dropout_runs_repeat(lab):
    says(LAB, "pressing Train again gives the same numbers")
    first, again = lab["repeat"]
    assert first.config == again.config and first.config.dropout == 0.5
    assert first.train_loss == again.train_loss and first.val_loss == again.val_loss


@pytest.mark.parametrize("seed", SEEDS)
def test_more_data_shrinks_the_gap(lab, seed):
    says(LAB, "Raise *train on first* to 400, then to 0 (all 1,438 images), and watch the gap shrink without any "
              "regularizer.")
    run1 = lab[seed, "case"][0]
    more, everything = lab[seed, "train on", 400], lab[seed, "train on", None]
    assert more.config.data.train_subset == 400 and everything.config.data.train_subset is None
    assert (more.config.optimizer.value("weight_decay"), everything.config.dropout) == (0.0, 0.0)
    assert gap(run1) > gap(more) > gap(everything)


@pytest.mark.parametrize("seed", SEEDS)
def test_early_stopping_without_regularization(lab, seed):
    question = lab["question"]
    says(LAB, "The dashboard below trains on the same 100 images with Adam for up to 800 steps, patience 5.")
    run = lab[seed, "early"]
    c = run.config
    assert (c.data.train_subset, c.steps, c.patience, c.optimizer.name, c.dropout) == (100, 800, 5, "adam", 0.0)
    assert question.answer == "fewer than 100" and len(run.train_loss) < 100
    says(LAB, "It stops at step 70.")
    assert len(run.train_loss) == 70 and run.outcome.startswith("stopped early at step 70")
    says(LAB, "the validation loss is lowest at step 10 and never improves again")
    assert best_val(run)[1] == 10 == run.best_step
    says(LAB, "it stops once five records in a row, 50 steps, have brought no better validation loss")
    assert "no better validation loss for 5 records; the best was at step 10" in lab[seed, "early notices"]
    says(LAB, "*restore best* loads the step-10 weights, and its note compares their validation accuracy with that "
              "of the weights the run ended with: the restored ones are a few points *less* accurate.")
    last, restored = lab[seed, "early accuracies"]
    assert "Restored the weights of step 10" in lab[seed, "early restored"]
    assert f"{restored:.1%}" in lab[seed, "early restored"] and f"at step 70: {last:.1%}" in lab[seed, "early restored"]
    assert 0.01 < last - restored < 0.07


@pytest.mark.parametrize("seed", SEEDS)
def test_early_stopping_with_dropout(lab, seed):
    plain, run = lab[seed, "early"], lab[seed, "dropout"]
    assert run.config.dropout == 0.5
    says(LAB, "The validation loss keeps falling for a couple of hundred steps, to a lower best than the first "
              "run's, and the run stops about 300 steps in, 60 steps after its best record.")
    best, step = best_val(run)
    assert 150 <= step <= 300 and best < best_val(plain)[0]
    assert 240 <= len(run.train_loss) <= 360 and len(run.train_loss) - step == 60
    says(LAB, "*restore best* brings that snapshot back, and once more it is less accurate than the weights the "
              "run ended with: by one to fifteen points, depending on the seed.")
    last, restored = lab[seed, "dropout accuracies"]
    assert f"Restored the weights of step {step}" in lab[seed, "dropout restored"]
    assert 0.005 < last - restored < 0.16
    if seed == 0:
        says(LAB, "With seed 0 the best loss comes at step 200, while the validation accuracy is still climbing, and "
                  "the restored weights get about 69 % against 84 % for the last ones.")
        assert step == 200 and restored == pytest.approx(0.69, abs=0.01) and last == pytest.approx(0.84, abs=0.01)
        assert run.val_accuracy[-1] > run.val_accuracy[run.record_steps.index(200)] + 0.1


def test_the_lecture_case_lesson_says_the_same():
    from trainlab.presets import TRAIN_PRESETS
    lesson = TRAIN_PRESETS["overfit a subset, then regularize"].lesson
    assert "Decoupled weight decay keeps the validation loss from climbing as far" in lesson
    assert "dropout on top ends with the best validation accuracy of the three" in lesson
