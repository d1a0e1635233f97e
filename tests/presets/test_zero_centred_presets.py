"""Every claim of the zero-centred demo's lecture cases, on the comparison each case computes, for
seeds 0, 1 and 2; and the caption states the numbers that comparison drew."""

from __future__ import annotations

import dataclasses

import pytest

from trainlab.compute.optim.zero_centred import ZeroCentredSpec, compare
from trainlab.presets import ZERO_CENTRED_PRESETS

SEEDS = (0, 1, 2)
ZIG_ZAG, RELU, SMALL_LR = ZERO_CENTRED_PRESETS


def run(label: str, seed: int):
    return compare(dataclasses.replace(ZeroCentredSpec(), **ZERO_CENTRED_PRESETS[label].settings, seed=seed))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("label", [ZIG_ZAG, RELU])
def test_centred_converges_in_fewer_steps_and_every_positive_step_shares_a_sign(label, seed):
    c = run(label, seed)
    assert c.centred.converged_at is not None, c.centred.outcome()
    positive_steps = c.positive.converged_at if c.positive.converged_at is not None else c.positive.budget
    assert c.centred.converged_at < positive_steps
    assert c.positive.same_sign_share == 1.0
    assert c.centred.same_sign_share < 0.8, "centred steps also point towards (+,−) and (−,+)"


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_mean_adds_the_large_eigenvalue(seed):
    c = run(ZIG_ZAG, seed)
    low, high = c.positive.second_moment_eigenvalues()
    c_low, c_high = c.centred.second_moment_eigenvalues()
    assert high > 8 * low and c_high < 1.5 * c_low


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_is_less_ill_conditioned_than_sigmoid(seed):
    relu, sigmoid = run(RELU, seed).positive, run(ZIG_ZAG, seed).positive
    ratio = lambda d: d.second_moment_eigenvalues()[1] / d.second_moment_eigenvalues()[0]  # noqa: E731
    assert ratio(relu) < ratio(sigmoid)


@pytest.mark.parametrize("seed", SEEDS)
def test_at_a_small_learning_rate_both_sides_keep_the_same_pace(seed):
    c = run(SMALL_LR, seed)
    assert c.positive.converged_at is not None and c.centred.converged_at is not None
    assert abs(c.positive.converged_at - c.centred.converged_at) <= 0.1 * c.centred.converged_at
    assert c.positive.same_sign_share == 1.0


def test_the_caption_states_the_drawn_numbers():
    c = run(ZIG_ZAG, 1)
    text = ZERO_CENTRED_PRESETS[ZIG_ZAG].caption(c)
    assert f"with sigmoid inputs SGD converged in {c.positive.converged_at} steps" in text
    assert f"with them centred converged in {c.centred.converged_at} steps" in text
    assert "100 % on the positive side" in text and "seed 1" in text
    low, high = c.positive.second_moment_eigenvalues()
    assert f"{low:.3f} and {high:.3f} with the positive inputs" in text


def test_no_lesson_states_a_number():
    for preset in ZERO_CENTRED_PRESETS.values():
        assert not any(ch.isdigit() for ch in preset.lesson.replace("(1, 1)", "")), preset.label
