"""The preprocessing lab's numbers: the cloud's stages have the covariances the lecture promises,
the condition numbers are the Hessian's eigenvalue ratios, descent is faster on normalized
inputs, and the digits' statistics are the training split's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from trainlab.compute.errors import SpecError
from trainlab.compute.preprocess.conditioning import INPUTS, DescentSpec, descents
from trainlab.compute.preprocess.digit_images import digit_images
from trainlab.compute.preprocess.point_cloud import STAGES, CloudSpec, cloud_stages, sample

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_each_stage_has_the_covariance_the_lecture_promises(seed):
    cloud = cloud_stages(CloudSpec(seed=seed))
    assert [s.name for s in cloud.stages] == list(STAGES)
    raw = cloud["raw"]
    assert raw.mean.tolist() == pytest.approx([3.0, 2.0], abs=0.5), "the cloud sits at its centre"
    for stage in cloud.stages[1:]:
        assert stage.mean.abs().max() < 1e-12, stage.name
    # Population statistics, as numpy computes them with bias=True.
    assert cloud["zero-centred"].covariance.numpy() == pytest.approx(np.cov(raw.points.numpy().T, bias=True))
    normalized = cloud["normalized"].covariance
    assert torch.diagonal(normalized).tolist() == pytest.approx([1.0, 1.0])
    assert abs(float(normalized[0, 1])) > 0.8, "normalizing keeps the correlation of a turned cloud"
    decorrelated = cloud["decorrelated"].covariance
    eigenvalues = np.linalg.eigvalsh(np.cov(raw.points.numpy().T, bias=True))[::-1]
    assert abs(float(decorrelated[0, 1])) < 1e-12
    assert torch.diagonal(decorrelated).tolist() == pytest.approx(list(eigenvalues))
    assert cloud.eigenvalues.tolist() == pytest.approx(list(eigenvalues)) and eigenvalues[0] > eigenvalues[1]
    assert cloud["whitened"].covariance.numpy() == pytest.approx(np.eye(2), abs=1e-12)


def test_the_cloud_follows_its_settings_and_its_seed():
    a, b = sample(CloudSpec(seed=0)), sample(CloudSpec(seed=1))
    assert torch.equal(a, sample(CloudSpec(seed=0))) and not torch.equal(a, b)
    flat = cloud_stages(CloudSpec(angle=0.0, scale_x=2.0, scale_y=0.5, points=2000))
    std = flat["zero-centred"].covariance.diagonal().sqrt().tolist()
    assert std == pytest.approx([2.0, 0.5], rel=0.1)
    assert abs(flat["raw"].correlation) < 0.1, "an unturned cloud has (nearly) uncorrelated features"


@pytest.mark.parametrize("seed", SEEDS)
def test_condition_numbers_are_the_hessians_eigenvalue_ratios(seed):
    for d in descents(CloudSpec(seed=seed), DescentSpec()):
        x = d.x.numpy()
        eigenvalues = np.linalg.eigvalsh(x.T @ x / len(x))
        assert d.condition == pytest.approx(eigenvalues[-1] / eigenvalues[0], rel=1e-9), d.inputs
        assert d.lr == pytest.approx(1.0 / eigenvalues[-1])


@pytest.mark.parametrize("seed", SEEDS)
def test_normalizing_lowers_the_condition_number_and_whitening_makes_it_one(seed):
    raw, normalized, whitened = descents(CloudSpec(seed=seed), DescentSpec())
    assert [raw.inputs, normalized.inputs, whitened.inputs] == list(INPUTS)
    assert normalized.condition < raw.condition
    assert normalized.condition > 5, "the turned cloud stays correlated after normalizing: not 1"
    assert whitened.condition == pytest.approx(1.0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("angle", [30.0, 0.0])
def test_gradient_descent_gets_there_in_fewer_steps_on_normalized_inputs(seed, angle):
    raw, normalized, whitened = descents(CloudSpec(seed=seed, angle=angle), DescentSpec(steps=50))
    raw_steps = raw.converged_in if raw.converged_in is not None else 51
    assert normalized.converged_in is not None and normalized.converged_in < raw_steps
    assert whitened.converged_in == 1, "one step of 1/λ on a round bowl lands on the minimum"


def test_descent_follows_the_gradient_and_each_side_reaches_the_same_fit():
    raw, normalized, _ = descents(CloudSpec(), DescentSpec(steps=500))
    # One SGD step, written out: w1 = w0 - lr * Xᵀ(Xw0 - y)/n with w0 = 0.
    x, y = raw.x, raw.y
    assert raw.path[1].tolist() == pytest.approx((raw.lr * x.T @ y / len(y)).tolist())
    assert raw.losses.tolist() == pytest.approx([float(raw.loss(w)) for w in raw.path])
    assert raw.losses[-1] == pytest.approx(raw.lowest_loss, rel=1e-3)
    # A bias-free fit of raw targets and a fit of centred targets on normalized inputs: the same
    # lowest loss up to the mean of the noise (the raw fit has no bias to absorb it).
    assert normalized.lowest_loss == pytest.approx(raw.lowest_loss, rel=0.05)


def test_the_contour_grid_holds_the_path_and_is_square():
    raw = descents(CloudSpec(), DescentSpec())[0]
    w1, w2, excess = raw.grid(21)
    assert excess.shape == (21, 21) and float(excess.min()) >= -1e-12
    assert float(w1[-1] - w1[0]) == pytest.approx(float(w2[-1] - w2[0]))
    for w in (raw.path[0], raw.minimum):
        assert w1[0] <= w[0] <= w1[-1] and w2[0] <= w[1] <= w2[-1]
    i, j = 3, 17  # the grid is indexed (w2, w1)
    assert float(excess[i, j]) == pytest.approx(float(raw.loss(torch.stack([w1[j], w2[i]]))) - raw.lowest_loss)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_mean_image_is_the_training_splits_mean(seed):
    images = digit_images(example=7, seed=seed)
    bunch = load_digits()
    train, _ = train_test_split(bunch.data, test_size=round(0.2 * len(bunch.data)), random_state=seed,
                                stratify=bunch.target)
    assert images.training_images == len(train)
    assert images.mean_image.numpy() == pytest.approx(train.mean(0).reshape(8, 8))
    assert images.channel_mean == pytest.approx(train.mean()) and images.channel_std == pytest.approx(train.std())
    assert images.minus_mean_image.numpy() == pytest.approx(images.example.numpy() - train.mean(0).reshape(8, 8))
    assert float(images.channel_standardized.mean()) == pytest.approx(
        (float(images.example.mean()) - train.mean()) / train.std())
    assert float(images.example.max()) <= 16 and 0 <= images.label <= 9


@pytest.mark.parametrize(("make", "setting"), [
    (lambda: sample(CloudSpec(points=3)), "points"), (lambda: sample(CloudSpec(scale_y=0.0)), "scale_y"),
    (lambda: sample(CloudSpec(angle=200)), "angle"), (lambda: sample(CloudSpec(centre_x=float("nan"))), "centre_x"),
    (lambda: descents(CloudSpec(), DescentSpec(step=2.5)), "step"),
    (lambda: descents(CloudSpec(), DescentSpec(steps=0)), "steps"),
    (lambda: digit_images(example=99999), "example")])
def test_a_bad_setting_is_refused_by_name(make, setting):
    with pytest.raises(SpecError, match=setting):
        make()
