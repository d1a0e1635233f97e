"""The loss landscape's figures draw what the compute layer computed: the map is the slice, each
path's points are its projection, the two loss lines per path are its true and sliced losses, every
number is finite and every axis says what it is."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.landscape.directions import random_directions
from trainlab.compute.landscape.evaluate import EvalSet
from trainlab.compute.landscape.interpolate import interpolate
from trainlab.compute.landscape.project import projected_path
from trainlab.compute.landscape.slice import progressive_slice
from trainlab.compute.landscape.weights import weights_of
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer
from trainlab.figures.landscape import DrawnPath, interpolation_figure, landscape_figure, landscape_figure_3d


@pytest.fixture(scope="module")
def computed():
    trainer = Trainer(TrainConfig().with_settings(width=16, depth=2, steps=30, record_every=10), keep_weights=True)
    trainer.run()
    data = EvalSet(trainer.data.x_val[:100], trainer.data.y_val[:100])
    final = weights_of(trainer.model)
    first, second = random_directions(final)
    piece = list(progressive_slice(trainer.model, final, first, second, data, span=0.5, levels=(3, 5)))[-1]
    path = projected_path(trainer.model, [*trainer.weight_path, final], final, first, second, data)
    steps = [r.step for r in trainer.records] + [trainer.step]
    drawn = DrawnPath("Adam", "#D55E00", steps, path)
    return trainer, data, final, piece, drawn


def _numbers(values) -> list[float]:
    out = []
    for v in values:
        out.extend(_numbers(v) if isinstance(v, list) else [v])
    return out


def _finite(values) -> bool:
    return all(v is not None and math.isfinite(v) for v in _numbers(values))


def _trace(figure, name):
    (trace,) = [t for t in figure["data"] if t.get("name") == name]
    return trace


def test_the_map_is_the_slice_and_the_path_is_its_projection(computed):
    _, _, _, piece, drawn = computed
    figure = landscape_figure(piece, [drawn], "filter-normalized random")
    contour = figure["data"][0]
    assert contour["type"] == "contour"
    assert contour["x"] == pytest.approx(piece.a.tolist()) and contour["y"] == pytest.approx(piece.b.tolist())
    assert torch.tensor(contour["z"], dtype=torch.float64) == pytest.approx(torch.log10(piece.loss), rel=1e-4)
    assert _finite(contour["z"])
    path = _trace(figure, "Adam's path, projected")
    assert path["x"] == pytest.approx(drawn.projected.coords[:, 0].tolist(), rel=1e-4, abs=1e-9)
    assert path["y"] == pytest.approx(drawn.projected.coords[:, 1].tolist(), rel=1e-4, abs=1e-9)
    assert _finite(path["x"]) and _finite(path["y"])


def test_the_two_loss_lines_are_the_true_and_the_sliced_losses(computed):
    _, _, _, piece, drawn = computed
    figure = landscape_figure(piece, [drawn], "filter-normalized random")
    true, on_map = _trace(figure, "Adam: true loss"), _trace(figure, "Adam: loss on the map")
    assert true["x"] == on_map["x"] == list(drawn.steps)
    assert true["y"] == pytest.approx(drawn.projected.true_loss.tolist(), rel=1e-4)
    assert on_map["y"] == pytest.approx(drawn.projected.slice_loss.tolist(), rel=1e-4)
    assert true["y"] != pytest.approx(on_map["y"], rel=0.01), "the projection error is there to see"
    assert (true["xaxis"], true["yaxis"]) == ("x2", "y2")


def test_every_axis_says_what_it_is(computed):
    _, _, _, piece, drawn = computed
    layout = landscape_figure(piece, [drawn], "PCA", explained=(0.8, 0.1))["layout"]
    assert "PCA direction 1" in layout["xaxis"]["title"]["text"]
    assert "PCA direction 2" in layout["yaxis"]["title"]["text"]
    assert layout["xaxis2"]["title"]["text"] == "training step"
    assert "true" in layout["yaxis2"]["title"]["text"]
    assert "80 % + 10 %" in layout["title"]["text"] and "5 × 5" in layout["title"]["text"]


def test_the_3d_view_puts_each_path_on_the_surface(computed):
    _, _, _, piece, drawn = computed
    figure = landscape_figure_3d(piece, [drawn], "raw random")
    surface, path = figure["data"]
    assert surface["type"] == "surface" and path["type"] == "scatter3d"
    assert path["z"] == pytest.approx(torch.log10(drawn.projected.slice_loss).tolist(), rel=1e-4)
    assert _finite(surface["z"]) and figure["layout"]["scene"]["zaxis"]["title"]["text"] == "log10 loss"


def test_the_interpolation_figure_draws_the_computed_line(computed):
    trainer, data, final, _, _ = computed
    start = trainer.weight_path[0]
    ts = [0.0, 0.5, 1.0]
    losses, accuracies = interpolate(trainer.model, start, final, ts, data)
    figure = interpolation_figure(ts, losses, accuracies, "the initial weights", "the trained weights")
    loss, accuracy = figure["data"]
    assert loss["x"] == ts and loss["y"] == pytest.approx(losses.tolist(), rel=1e-4)
    assert accuracy["y"] == pytest.approx((100 * accuracies).tolist(), rel=1e-4)
    assert loss["y"][0] > loss["y"][-1], "training lowered the loss"
    assert figure["layout"]["xaxis"]["title"]["text"] == "t"
    assert "the initial weights (t = 0)" in figure["layout"]["title"]["text"]


def test_the_paths_play_snapshot_by_snapshot_and_end_as_drawn(computed):
    _, _, _, piece, drawn = computed
    other = DrawnPath("SGD", "#0072B2", drawn.steps, drawn.projected)
    figure = landscape_figure(piece, [drawn, other], "filter-normalized random")
    frames, data = figure["frames"], figure["data"]
    assert [f["name"] for f in frames] == [str(s) for s in drawn.steps]
    assert figure["layout"]["sliders"][0]["active"] == len(frames) - 1, "the whole paths are shown until played"
    for k, frame in enumerate(frames):
        named = {data[i].get("name"): (i, t) for i, t in zip(frame["traces"], frame["data"])}
        # Every trace a frame changes is a path's, never the map.
        assert 0 not in frame["traces"] and len(frame["traces"]) == len(frame["data"]) == 8
        for label in ("Adam", "SGD"):
            _, line = named[f"{label}'s path, projected"]
            full = _trace(figure, f"{label}'s path, projected")
            assert line["x"] == full["x"][:k + 1] and line["y"] == full["y"][:k + 1]
            assert len(line["text"]) == k + 1
            _, true = named[f"{label}: true loss"]
            assert true["x"] == list(drawn.steps[:k + 1])
    last = {i: t for i, t in zip(frames[-1]["traces"], frames[-1]["data"])}
    for i, trace in last.items():
        assert trace["x"] == data[i]["x"] and trace["y"] == data[i]["y"], "the last frame is the figure as drawn"
    # The loss panel's axes stand still while the paths grow.
    assert figure["layout"]["xaxis2"]["range"] == [0, drawn.steps[-1]]
    low, high = figure["layout"]["yaxis2"]["range"]
    losses = torch.cat([drawn.projected.true_loss, drawn.projected.slice_loss]).double()
    assert low < math.log10(float(losses.min())) and high > math.log10(float(losses.max()))
