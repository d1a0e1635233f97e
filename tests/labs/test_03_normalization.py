"""Lab 03, normalization: every checkable sentence against what the explorer draws.

The lab's own cell builds the explorer; for seeds 0, 1 and 2 the seed box is moved, the question
answered, then the controls moved the way the sections ask. One explorer per seed, shared by
every test of the module.
"""

from __future__ import annotations

import math

import pytest

from tests.labs.labkit import SEEDS, answer, move, notices, run_cell, saturated, says, shot, stds
from trainlab.compute.net.memory import RUNNING_STAT_BATCHES

LAB = "03_normalization"
REFUSED = "BatchNorm needs a batch of at least 2"


@pytest.fixture(scope="module")
def shots():
    out = {}
    for seed in SEEDS:
        cell = run_cell(LAB)
        explorer, question = cell["explorer"], cell["question"]
        try:
            move(explorer, seed=seed)
            out[seed, "start"] = shot(explorer)
            out["question"] = question
            answer(question)
            out[seed, "revealed"] = shot(explorer)
            out[seed, "revealed preset"] = explorer.preset.value
            move(explorer, norm_place="after")
            out[seed, "after"] = shot(explorer)
            move(explorer, norm_place="before", norm="layer")
            out[seed, "layer"] = shot(explorer)
            move(explorer, norm="group")
            out[seed, "group"] = shot(explorer)
            move(explorer, batch=1)
            out[seed, "group, batch 1"] = shot(explorer)
            move(explorer, norm="layer")
            out[seed, "layer, batch 1"] = shot(explorer)
            for mode in ("train", "running"):
                explorer.set(norm="batch", bn_mode=mode, batch=16)
                shot(explorer)
                move(explorer, batch=1)
                out[seed, f"batch 1, {mode}"] = notices(explorer)
            explorer.set(norm="batch", bn_mode="train", batch=16)
            out[seed, "train, 16"] = shot(explorer)
            move(explorer, bn_mode="running")
            out[seed, "running, 16"] = shot(explorer)
            move(explorer, batch=2)
            out[seed, "running, 2"] = shot(explorer)
            move(explorer, bn_mode="train")
            out[seed, "train, 2"] = shot(explorer)
        finally:
            explorer.close()
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_starts_saturated(shots, seed):
    says(LAB, "tanh with std 0.05, which pushes about a third of the units of every layer into saturation")
    start = shots[seed, "start"]
    assert (start.result.spec.activation, start.result.spec.std, start.result.spec.norm) == ("tanh", 0.05, "none")
    assert all(0.3 < s < 0.45 for s in saturated(start))


@pytest.mark.parametrize("seed", SEEDS)
def test_question_and_batchnorm_before(shots, seed):
    question = shots["question"]
    assert question.answer == "drop below 1 % in every layer"
    assert "stay at about a third: normalization cannot undo a bad initialization" in question.choices.options
    assert shots[seed, "revealed preset"] == "tanh, std 0.05 + BatchNorm"
    revealed = shots[seed, "revealed"]
    spec = revealed.result.spec
    assert (spec.norm, spec.norm_place, spec.bn_mode, spec.std) == ("batch", "before", "train", 0.05)
    says(LAB, "the histograms look alike in all six layers and the *saturated* column drops below 1 %")
    assert max(saturated(revealed)) < 0.01
    assert max(stds(revealed)) / min(stds(revealed)) < 1.01
    assert "at most" in revealed.notices and f"{max(saturated(revealed)):.1%}" in revealed.notices


@pytest.mark.parametrize("seed", SEEDS)
def test_after_the_activation(shots, seed):
    after, before = shots[seed, "after"], shots[seed, "revealed"]
    assert after.result.spec.norm_place == "after"
    says(LAB, "tanh still receives pre-activations with a spread of about 3, so about 40 % of the units of every "
              "layer are saturated again")
    assert all(2.8 < layer.preactivation_std < 3.4 for layer in after.layers)
    assert all(0.37 < s < 0.44 for s in saturated(after))
    says(LAB, "the std column reads 1")
    assert [round(s, 2) for s in stds(after)] == [1.0] * 6
    says(LAB, "*before* is the place that keeps tanh out of its flat ends")
    assert max(saturated(before)) < min(saturated(after)) / 10


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_and_group_norm(shots, seed):
    says(LAB, "nearly the same effect as per-feature statistics over the batch; the saturated column stays below 1 %")
    for norm in ("layer", "group"):
        case = shots[seed, norm]
        assert case.result.spec.norm == norm and case.result.spec.batch == 16
        assert max(saturated(case)) < 0.01
        assert stds(case) == pytest.approx(stds(shots[seed, "revealed"]), rel=0.03)
    says(LAB, "Set the batch to 1: LayerNorm and GroupNorm still work")
    for norm in ("layer", "group"):
        one = shots[seed, f"{norm}, batch 1"]
        assert one.result.spec.batch == 1 and one.result.spec.norm == norm
        assert max(saturated(one)) < 0.02 and all(0.6 < s < 0.66 for s in stds(one))
    says(LAB, "while BatchNorm refuses, with a note that says why, whichever statistics it is set to use: a single "
              "value has no batch variance")
    for mode in ("train", "running"):
        assert REFUSED in shots[seed, f"batch 1, {mode}"] and "no batch variance" in shots[seed, f"batch 1, {mode}"]


def test_running_statistics_batches():
    says(LAB, "the running statistics are the average over 8 earlier training batches")
    assert RUNNING_STAT_BATCHES == 8


@pytest.mark.parametrize("seed", SEEDS)
def test_train_versus_running_statistics(shots, seed):
    train16, running16 = shots[seed, "train, 16"], shots[seed, "running, 16"]
    assert (running16.result.spec.bn_mode, running16.result.spec.batch) == ("running", 16)
    says(LAB, "At batch 16 the two are close: the running averages estimate the same statistics with less noise, "
              "and the std columns agree within a few percent")
    assert stds(running16) == pytest.approx(stds(train16), rel=0.06)
    train2, running2 = shots[seed, "train, 2"], shots[seed, "running, 2"]
    assert (train2.result.spec.bn_mode, train2.result.spec.batch) == ("train", 2)
    says(LAB, "every normalized pre-activation is ±1: tanh turns them into two spikes at ±0.76, and the std column "
              "reads 0.76 in every layer")
    assert all(layer.preactivation_std == pytest.approx(1.0, abs=0.01) for layer in train2.layers)
    assert [round(s, 2) for s in stds(train2)] == [0.76] * 6
    for layer in range(1, 7):
        xs, ys = train2.histogram(layer)
        spikes = sum(y for x, y in zip(xs, ys) if abs(abs(x) - math.tanh(1)) < 0.02)
        assert spikes > 0.99
    says(LAB, "The running statistics give bell-shaped histograms instead, whose std drifts down from layer to layer")
    assert stds(running2) == sorted(stds(running2), reverse=True) and stds(running2)[-1] < 0.7 * stds(running2)[0]
    for layer in range(1, 7):
        xs, ys = running2.histogram(layer)
        assert sum(y > 0.005 for y in ys) > 15
    says(LAB, "The gradients go wild as well (the `dL/dh` column at train-time statistics)")
    assert train2.layers[0].grad_std > 1 and train2.layers[0].grad_std > 1e3 * train16.layers[0].grad_std


@pytest.mark.parametrize("seed", SEEDS)
def test_lab_02_theory_line_parts_ways_at_batch_2(shots, seed):
    says("02_weight_initialization", "a BatchNorm layer over a batch of two, for one (lab 3), turns every "
                                     "pre-activation into ±1")
    for layer in shots[seed, "train, 2"].layers:
        assert layer.std > 1.15 * layer.theory_std
