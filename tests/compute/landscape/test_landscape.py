"""The loss landscape's compute: filter-normalized directions, the batched slice against one
point at a time, the nested coarse-to-fine grid, cancellation, the PCA plane of a path, the
projection and its gap, and the line between two solutions with BatchNorm statistics gathered
along it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from trainlab.compute.cancel import Cancelled, CancelToken
from trainlab.compute.landscape.directions import pca_directions, random_directions
from trainlab.compute.landscape.evaluate import EvalSet, evaluate_one, evaluate_plane
from trainlab.compute.landscape.interpolate import gather_statistics, interpolate
from trainlab.compute.landscape.project import project, projected_path
from trainlab.compute.landscape.slice import progressive_slice
from trainlab.compute.landscape.weights import combine, weights_of
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer


def _trained(**settings) -> Trainer:
    trainer = Trainer(TrainConfig().with_settings(width=32, depth=3, steps=40, record_every=10, **settings))
    trainer.run()
    return trainer


@pytest.fixture(scope="module")
def trained() -> Trainer:
    return _trained()


@pytest.fixture(scope="module")
def data(trained) -> EvalSet:
    return EvalSet(trained.data.x_val[:300], trained.data.y_val[:300])


def test_filter_normalization_gives_each_row_its_weight_rows_norm_and_leaves_biases_alone(trained):
    weights = weights_of(trained.model)
    first, second = random_directions(weights, seed=3)
    for name, w in weights.items():
        for d in (first, second):
            if w.dim() < 2:
                assert torch.count_nonzero(d[name]) == 0, f"{name}: biases and norm parameters stay put"
            else:
                torch.testing.assert_close(d[name].norm(dim=1), w.norm(dim=1), rtol=1e-5, atol=1e-7)
    raw, _ = random_directions(weights, seed=3, filter_normalized=False)
    name = next(n for n, w in weights.items() if w.dim() == 2)
    assert not torch.allclose(raw[name].norm(dim=1), weights[name].norm(dim=1), rtol=0.05)


def test_the_slice_at_the_origin_is_the_models_own_loss(trained, data):
    model, weights = trained.model, weights_of(trained.model)
    first, second = random_directions(weights)
    loss, accuracy = evaluate_plane(model, weights, first, second, torch.zeros(1, 2), data)
    model.eval()
    with torch.no_grad():
        logits = model(data.x)
    assert float(loss[0]) == pytest.approx(float(F.cross_entropy(logits, data.y)), rel=1e-6)
    assert float(accuracy[0]) == pytest.approx(float((logits.argmax(-1) == data.y).float().mean()))


def test_batched_evaluation_equals_one_point_at_a_time(trained, data):
    model, weights = trained.model, weights_of(trained.model)
    first, second = random_directions(weights, seed=1)
    coords = torch.tensor([[0.0, 0.0], [0.5, -0.3], [-1.0, 1.0], [0.2, 0.9], [1.0, 1.0]])
    # A budget this small forces chunks of one and two points.
    for budget in (1, 3 * 2**20, 256 * 2**20):
        batched, _ = evaluate_plane(model, weights, first, second, coords, data, budget_bytes=budget)
        for k, (a, b) in enumerate(coords.tolist()):
            single, _ = evaluate_one(model, combine(weights, (a, first), (b, second)), data)
            assert float(batched[k]) == pytest.approx(single, abs=1e-5, rel=1e-5)


def test_the_grid_refines_coarse_to_fine_reusing_every_point(trained, data):
    model, weights = trained.model, weights_of(trained.model)
    first, second = random_directions(weights)
    levels = list(progressive_slice(model, weights, first, second, data, span=0.5, levels=(3, 5, 9)))
    assert [s.size for s in levels] == [3, 5, 9]
    assert [s.points_computed for s in levels] == [9, 25 - 9, 81 - 25]
    coarse, fine = levels[0], levels[-1]
    torch.testing.assert_close(fine.loss[::4, ::4], coarse.loss)
    assert not fine.loss.isnan().any()
    centre = fine.loss[4, 4]
    assert float(centre) == pytest.approx(evaluate_one(model, weights, data)[0], rel=1e-5)


def test_a_cancelled_slice_stops_between_chunks(trained, data):
    model, weights = trained.model, weights_of(trained.model)
    first, second = random_directions(weights)
    cancel = CancelToken()
    slices = progressive_slice(model, weights, first, second, data, levels=(3, 5, 9), budget_bytes=1, cancel=cancel)
    next(slices)
    cancel.cancel()
    with pytest.raises(Cancelled):
        next(slices)


def test_a_path_in_a_plane_is_projected_exactly_by_its_pca_directions(trained):
    final = weights_of(trained.model)
    u, v = random_directions(final, seed=5)
    ts = torch.linspace(0, 1, 8)
    path = [combine(final, (float(2 * t * (1 - t)), u), (float(1 - t), v)) for t in ts]
    pca = pca_directions(path, final)
    assert sum(pca.explained) == pytest.approx(1.0, abs=1e-5)
    coords, off_plane = project(path, final, pca.first, pca.second)
    assert float(off_plane.max()) < 1e-4
    rebuilt = [combine(final, (float(a), pca.first), (float(b), pca.second)) for a, b in coords.tolist()]
    for theta, back in zip(path, rebuilt):
        for name in theta:
            torch.testing.assert_close(back[name], theta[name], rtol=1e-3, atol=1e-4)


def test_a_real_training_path_leaves_the_plane_and_its_losses_say_so(data):
    trainer = Trainer(TrainConfig().with_settings(width=32, depth=3, steps=60, record_every=10), keep_weights=True)
    trainer.run()
    path, final = trainer.weight_path, weights_of(trainer.model)
    assert len(path) == len(trainer.records)
    first, second = random_directions(final)
    seen = projected_path(trainer.model, path, final, first, second, data)
    assert seen.coords.shape == (len(path), 2)
    assert float(seen.off_plane[0]) > 0.5, "random directions miss almost all of a real path"
    assert float(seen.true_loss[0]) > float(seen.true_loss[-1]), "the network learned along its path"
    assert not torch.allclose(seen.true_loss, seen.slice_loss, rtol=0.05)


def test_interpolation_gathers_batchnorm_statistics_at_every_point(data):
    a = _trained(norm="batch", seed=0)
    b = _trained(norm="batch", seed=1)
    theta_a, theta_b = weights_of(a.model), weights_of(b.model)
    train_x = a.data.x_train
    losses, accuracies = interpolate(a.model, theta_a, theta_b, [0.0, 0.5, 1.0], data, train_x)
    # At the ends, the statistics gathered afresh are those of that network's own weights.
    for t, theta in ((0, theta_a), (2, theta_b)):
        gather_statistics(a.model, theta, train_x)
        assert float(losses[t]) == pytest.approx(evaluate_one(a.model, theta, data)[0], rel=1e-5)
    assert losses.shape == (3,) and accuracies.shape == (3,)


def test_interpolation_without_batchnorm_runs_batched(trained, data):
    other = _trained(seed=2)
    theta_a, theta_b = weights_of(trained.model), weights_of(other.model)
    losses, _ = interpolate(trained.model, theta_a, theta_b, [0.0, 0.25, 1.0], data)
    assert float(losses[0]) == pytest.approx(evaluate_one(trained.model, theta_a, data)[0], rel=1e-5)
    assert float(losses[2]) == pytest.approx(evaluate_one(trained.model, theta_b, data)[0], rel=1e-5)
