"""The zero-centred comparison: SGD's steps against the rule written out, the sign of every step
on positive inputs, the centred twin, convergence, divergence and the settings it refuses."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from trainlab.compute.cancel import Cancelled, CancelToken
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.zero_centred import ZeroCentredSpec, compare, descend, loss_grid, make_data

SMALL = ZeroCentredSpec(examples=30, steps=200)


@pytest.mark.parametrize("inputs", ["sigmoid", "relu"])
@pytest.mark.parametrize("side", ["positive", "centred"])
def test_every_step_is_the_rule_written_out(inputs, side):
    """torch.optim.SGD on ½(w·x − y)² is w ← w − lr·(w·x − y)·x, one example per step."""
    spec = dataclasses.replace(SMALL, inputs=inputs, lr=0.7, noise=0.1)
    run = getattr(compare(spec), side)
    assert run.steps > 10
    for t in range(run.steps):
        w, i = run.path[t], int(run.order[t])
        x, y = run.data.x[i], run.data.y[i]
        expected = w - spec.lr * (w @ x - y) * x
        torch.testing.assert_close(run.path[t + 1], expected, rtol=1e-12, atol=1e-12)


def test_the_examples_are_shuffled_again_each_epoch():
    run = compare(dataclasses.replace(SMALL, lr=0.01, steps=90)).positive
    epochs = run.order.reshape(3, 30)
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(30)), "each epoch uses every example once"
    assert not torch.equal(epochs[0], epochs[1]), "a new order each epoch"


@pytest.mark.parametrize("inputs", ["sigmoid", "relu"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_positive_inputs_make_every_step_point_into_one_quadrant(inputs, seed):
    comparison = compare(ZeroCentredSpec(inputs=inputs, seed=seed, lr=0.5, steps=300))
    updates = comparison.positive.updates
    assert bool((updates[:, 0] * updates[:, 1] >= 0).all())
    assert comparison.positive.same_sign_share == 1.0
    assert 0.2 < comparison.centred.same_sign_share < 0.8, "centred, steps point into all four quadrants"


def test_the_twin_is_the_same_inputs_minus_their_mean_with_the_same_target_weights():
    spec = dataclasses.replace(SMALL, noise=0.0)
    positive, centred = make_data(spec)
    assert bool((positive.x > 0).all()) and not bool((centred.x > 0).all())
    torch.testing.assert_close(centred.x, positive.x - positive.x.mean(0))
    target = torch.tensor(spec.target, dtype=torch.float64)
    torch.testing.assert_close(positive.y, positive.x @ target)
    torch.testing.assert_close(centred.y, centred.x @ target)
    relu, _ = make_data(dataclasses.replace(spec, inputs="relu"))
    assert bool((relu.x >= 0).all()) and bool((relu.x == 0).any())


def test_the_mean_adds_a_large_eigenvalue_the_centred_inputs_lack():
    comparison = compare(ZeroCentredSpec(steps=10))
    low, high = comparison.positive.second_moment_eigenvalues()
    c_low, c_high = comparison.centred.second_moment_eigenvalues()
    assert high > 8 * low, "sigmoid inputs: E[x xᵀ] about 0.5 along (1, 1), 0.04 across"
    assert c_high < 1.5 * c_low
    assert c_low == pytest.approx(low, rel=0.2), "the shallow direction is the same on both sides"


def test_converged_at_is_the_first_step_within_tolerance():
    run = compare(ZeroCentredSpec(lr=1.0)).centred
    assert run.converged_at is not None and run.steps == run.converged_at
    target = torch.tensor(run.target, dtype=torch.float64)
    distances = (run.path - target).norm(dim=1)
    assert run.tolerance == pytest.approx(0.05 * float(distances[0]))
    assert float(distances[-1]) < run.tolerance and bool((distances[:-1] >= run.tolerance).all())
    assert run.outcome() == f"converged in {run.converged_at} steps"


def test_a_run_that_runs_out_of_steps_says_so():
    run = compare(ZeroCentredSpec(lr=0.01, steps=10)).positive
    assert run.converged_at is None and run.diverged_at is None and run.steps == 10
    assert run.outcome() == "did not converge within 10 steps"


def test_too_large_a_learning_rate_diverges_on_the_positive_side_only():
    comparison = compare(ZeroCentredSpec(lr=6.0))
    assert comparison.positive.diverged_at is not None
    assert comparison.positive.outcome().startswith("diverged at step")
    assert comparison.centred.converged_at is not None


def test_the_loss_grid_is_lowest_at_the_target():
    positive, _ = make_data(ZeroCentredSpec())
    xs, ys, z = loss_grid(positive, (-2.0, 2.0, -2.0, 2.0), 41)
    j, i = divmod(int(z.argmin()), 41)
    assert (float(xs[i]), float(ys[j])) == pytest.approx((1.0, -1.0))


@pytest.mark.parametrize("changes,field", [({"inputs": "tanh"}, "inputs"), ({"lr": 0.0}, "lr"),
                                           ({"examples": 5}, "examples"), ({"steps": 10**6}, "steps"),
                                           ({"start_1": 4.0}, "start_1"), ({"noise": -0.1}, "noise"),
                                           ({"seed": -1}, "seed"), ({"examples": 50.0}, "examples"),
                                           ({"target_1": -1.0, "target_2": 1.0}, "target")])
def test_bad_settings_are_refused_by_name(changes, field):
    with pytest.raises(SpecError) as error:
        dataclasses.replace(ZeroCentredSpec(), **changes).validate()
    assert error.value.field == field


def test_a_cancelled_run_stops():
    token = CancelToken()
    token.cancel()
    positive, _ = make_data(SMALL)
    with pytest.raises(Cancelled):
        descend(positive, SMALL, token)
