"""Lab 01b, data preprocessing: every checkable sentence against what the preprocessing widget and
the dashboard compute and draw, for seeds 0, 1 and 2 where the seed matters."""

from __future__ import annotations

import pytest
import torch

from tests.labs.labkit import SEEDS, answer, diverged, move, notices, run_cell, runs, says, trained

LAB = "01b_data_preprocessing"
STAGES, RAW_VS_NORMALIZED, CORRELATED, IMAGES = ("raw -> whitened: the four stages",
                                                 "ill-conditioned raw data vs normalized",
                                                 "correlated inputs: normalizing is not enough",
                                                 "the digits' mean image")
FOUR_WAYS, LEAK = "preprocessing: raw, centred, standardized, whitened", "statistics from the training split, or from all"


@pytest.fixture(scope="module")
def shown():
    """For each seed: the lab's widget in each lecture case (seed 0 also answers the question)."""
    out = {}
    for seed in SEEDS:
        cell = run_cell(LAB)
        stages, question = cell["stages"], cell["question"]
        try:
            move(stages, seed=seed)
            assert stages.wait(120)
            out[seed, STAGES] = stages.stages
            if seed == 0:
                out["explanation"] = question.explanation
                answer(question)
            for label in (RAW_VS_NORMALIZED, CORRELATED):
                stages.preset.value = label
                assert stages.wait(120)
                out[seed, label] = (dict(stages.condition), dict(stages.converged_in), notices(stages))
            stages.preset.value = IMAGES
            assert stages.wait(120)
            out[seed, IMAGES] = stages.images
        finally:
            stages.close()
    return out


def test_the_four_stages_in_numbers(shown):
    says(LAB, "Zero-centring moves the mean to 0 (to within $10^{-15}$)")
    says(LAB, "the correlation of the two features stays 0.93 for each of\nthe seeds 0, 1 and 2")
    says(LAB, "the covariance is the identity")
    for seed in SEEDS:
        s = shown[seed, STAGES]
        assert float(s["zero-centred"].mean.abs().max()) < 1e-14, seed
        normalized = s["normalized"]
        torch.testing.assert_close(torch.diagonal(normalized.covariance), torch.ones(2, dtype=torch.float64))
        assert f"{normalized.correlation:.2f}" == "0.93", seed
        decorrelated = s["decorrelated"].covariance
        assert abs(float(decorrelated[0, 1])) < 1e-12 and float(decorrelated[0, 0]) > float(decorrelated[1, 1])
        torch.testing.assert_close(s["whitened"].covariance, torch.eye(2, dtype=torch.float64))
    assert "(here the correlation, 0.93)" in " ".join(shown["explanation"].split())


def test_normalizing_conditions_the_loss_and_only_whitening_makes_it_round(shown):
    says(LAB, "the raw condition number is about 9 to 12, gradient\ndescent at its largest safe step needs 20 or more "
              "steps to come within 1 % of the minimum, and on\nnormalized inputs the condition number is under 1.2 "
              "and one step does it")
    says(LAB, "normalizing leaves a condition number of about\n26, and only whitened inputs have a condition number of 1")
    for seed in SEEDS:
        condition, steps, _ = shown[seed, RAW_VS_NORMALIZED]
        assert 8.5 <= condition["raw"] <= 12.5 and steps["raw"] is not None and steps["raw"] >= 20, (seed, condition, steps)
        assert condition["normalized"] < 1.2 and steps["normalized"] == 1, (seed, condition, steps)
        condition, steps, _ = shown[seed, CORRELATED]
        assert condition["normalized"] == pytest.approx(26, abs=1.5), seed
        assert condition["whitened"] == pytest.approx(1.0, abs=1e-9), seed


def test_the_digits_mean_image_and_channel_statistics(shown):
    says(LAB, "a blurry ring, bright in the middle columns and 0 down the left and right edges")
    says(LAB, "its mean is\nabout 4.9 and its std about 6.0, in pixel units")
    for seed in SEEDS:
        images = shown[seed, IMAGES]
        assert images.channel_mean == pytest.approx(4.9, abs=0.05) and images.channel_std == pytest.approx(6.0, abs=0.05)
        side_columns = torch.cat([images.mean_image[:, 0], images.mean_image[:, -1]])
        assert float(side_columns.max()) < 0.5 < 5 < float(images.mean_image[:, 3:5].mean()), seed


@pytest.fixture(scope="module")
def trained_cases():
    out = {}
    for seed in SEEDS:
        dash = run_cell(LAB, 1)["dash"]
        try:
            move(dash, seed=seed)
            trained(dash)
            out[seed, FOUR_WAYS] = runs(dash)
            dash.preset.value = LEAK
            trained(dash)
            out[seed, LEAK] = (runs(dash), notices(dash))
        finally:
            dash.close()
    return out


def test_raw_pixels_diverge_and_whitening_validates_worse(trained_cases):
    says(LAB, "On raw pixels the run diverges (the dashboard stops it with a notice), for each of the seeds 0, 1 and\n2")
    says(LAB, "Centred or\nstandardized pixels train to a validation accuracy above 94 %")
    says(LAB, "end with a higher validation loss than standardized ones and no better accuracy")
    for seed in SEEDS:
        raw, centred, standardized, whitened = trained_cases[seed, FOUR_WAYS]
        assert [r.config.data.preprocessing for r in (raw, centred, standardized, whitened)] == \
            ["none", "centre", "standardize", "pca_whiten"]
        assert diverged(raw), seed
        assert not any(diverged(r) for r in (centred, standardized, whitened)), seed
        assert centred.val_accuracy[-1] > 0.94 and standardized.val_accuracy[-1] > 0.94, seed
        assert whitened.train_eval_accuracy[-1] > 0.99, seed
        assert whitened.val_loss[-1] > standardized.val_loss[-1], seed
        assert whitened.val_accuracy[-1] <= standardized.val_accuracy[-1], seed


def test_the_leak_moves_the_validation_accuracy_by_under_three_points(trained_cases):
    says(LAB, "Here the leak changes the validation accuracy by less than 3 points, for each of the\nseeds 0, 1 and 2, "
              "and not always upwards")
    changes = []
    for seed in SEEDS:
        case_runs, text = trained_cases[seed, LEAK]
        rule, leak = case_runs[-2:]
        assert (rule.config.data.fit_on, leak.config.data.fit_on) == ("train", "all")
        change = 100 * (leak.val_accuracy[-1] - rule.val_accuracy[-1])
        assert abs(change) < 3, (seed, change)
        assert f"changed the validation accuracy by {change:+.1f} points" in text
        changes.append(change)
    assert min(changes) <= 0, changes


def test_the_statistics_menu_is_shown_once_preprocessing_is_on():
    says(LAB, "The *statistics from* menu (shown once\npreprocessing is on) lets you try the other two on purpose.")
    dash = run_cell(LAB, 1)["dash"]
    try:
        menu = dash._controls["fit_on"].widget
        assert menu.description == "statistics from" and list(menu.options) == ["train", "validation", "all"]
        move(dash, preprocessing="none")
        assert menu.layout.display == "none"
        move(dash, preprocessing="standardize")
        assert menu.layout.display is None
        move(dash, fit_on="validation")
        assert dash.settings.data.fit_on == "validation"
    finally:
        dash.close()


def test_the_leak_section_counts_the_digits_pixels_and_images():
    from sklearn.datasets import load_digits

    says(LAB, "64 pixels' means over 1,797 images barely move")
    images = load_digits().data
    assert images.shape == (1797, 64)
