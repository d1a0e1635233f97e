"""The dashboard's curves: a run that explodes is clipped with a marker instead of flattening the
other runs, and every run keeps a colour of its own."""

from __future__ import annotations

import math

from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.history import Run
from trainlab.figures.training import RUN_COLOURS, curves_figure, dead_units_figure, run_colour, run_dash

LOG10 = math.log(10)


def _run(losses: list[float], label: str) -> Run:
    n = len(losses)
    return Run(TrainConfig(), "finished", losses, [0.1] * n, [0, n - 1], [losses[0], losses[-1]], [0.1, 0.5],
               [losses[0], losses[-1]], [0.1, 0.5], 10.0, None, label)


def _loss_traces(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if t.get("yaxis", "y") == "y"]


def test_an_exploding_run_is_clipped_with_a_marker_and_the_axis_fits_the_others():
    calm = _run([LOG10] * 50 + [0.4] * 50, "#1 lr 0.001")
    boom = _run([LOG10] * 50 + [9e6] * 50, "#2 lr 0.3")
    figure = curves_figure([calm, boom], None, 10, 100)
    top = figure["layout"]["yaxis"]["range"][1]
    assert LOG10 < top < 3, "the axis fits the runs that did not explode"
    assert all(v is None or v <= top for t in _loss_traces(figure) for v in t["y"])
    markers = [a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith("▲")]
    assert markers == ["▲ #2 lr 0.3: loss up to 9e+06"], "one marker per run, with the highest value"


def test_a_high_first_loss_and_a_climbing_validation_loss_stay_on_the_axis():
    """A bad init starts far above log 10 and overfitting climbs above it: both are lessons, not
    explosions, and are drawn whole."""
    bad_init = _run([25.0] * 20 + [2.0] * 80, "#1 std 1")
    overfit = _run([LOG10] + [0.01] * 99, "#2 subset")
    overfit.val_loss = [LOG10, 6.0]
    figure = curves_figure([bad_init, overfit], None, 10, 100)
    top = figure["layout"]["yaxis"]["range"][1]
    assert top > 25 and not [a for a in figure["layout"]["annotations"] if a["text"].startswith("▲")]


def test_runs_keep_distinct_colours_and_a_13th_run_is_dotted():
    assert len(set(RUN_COLOURS)) == len(RUN_COLOURS) == 12
    assert len({(run_colour(i), run_dash(i)) for i in range(24)}) == 24
    figure = curves_figure([_run([LOG10, 1.0], f"#{i + 1}") for i in range(3)], None, 10, 2)
    legend = [t for t in figure["data"] if t.get("showlegend")]
    assert len({t["line"]["color"] for t in legend}) == 3


def test_dead_units_figure_draws_each_layer_of_the_last_relu_run_and_every_relu_runs_share():
    relu = _run([2.3, 1.0], "#1 relu")
    relu.negative_units = [[0.0] * 6, [0.0, 0.2, 0.4, 0.4, 0.6, 0.8]]
    tanh = _run([2.3, 1.0], "#2 tanh")
    tanh.config = TrainConfig().with_settings(activation="tanh", init="xavier_normal")
    tanh.negative_units = [[0.0] * 6, [0.1] * 6]
    figure = dead_units_figure([relu, tanh], None)
    layers = [t for t in figure["data"] if t.get("xaxis", "x") == "x"]
    shares = [t for t in figure["data"] if t.get("xaxis") == "x2"]
    assert [t["name"] for t in layers] == [f"layer {i}" for i in range(1, 7)]
    assert layers[5]["y"] == [0.0, 0.8]
    assert [t["name"] for t in shares] == ["#1 relu"], "tanh has no dead units to draw"
    assert shares[0]["y"] == [0.0, 0.4] and shares[0]["line"]["color"] == run_colour(0)
    assert "dead" in figure["layout"]["annotations"][0]["text"]
    assert dead_units_figure([tanh], None) is None
