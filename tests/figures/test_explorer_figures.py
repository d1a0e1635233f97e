"""The explorer's figures say what they show: a sweep's every panel shows the frame on the slider,
the std plot explains what it cannot draw, and per-layer x ranges are announced."""

from __future__ import annotations

import math
import re


from trainlab.compute import NetworkSpec, run_pass, run_sweep
from trainlab.figures.explorer import histogram_figure, short_number, sweep_figure
from trainlab.figures.std_per_layer import std_figure

SMALL = {"width": 256, "depth": 4}


def _titles_std(frame: dict) -> list[str]:
    """The activation std each histogram title states, layer by layer."""
    return [m for a in frame["layout"]["annotations"] for m in re.findall(r"<br>std ([-\d.e+]+)", a["text"])]


def test_every_panel_of_a_sweep_frame_shows_that_frames_std() -> None:
    stds = [0.01, 0.05, 0.3]
    results = run_sweep(NetworkSpec(**SMALL), stds)
    figure = sweep_figure(results, "std")
    assert [f["name"] for f in figure["frames"]] == ["0.01", "0.05", "0.3"]
    for frame, result in zip(figure["frames"], results):
        measured = next(t for t in frame["data"] if t.get("name") == "measured")
        theory = next(t for t in frame["data"] if t.get("name") == "theory")
        assert measured["y"] == [layer.std for layer in result.layers]
        assert theory["y"] == [layer.theory_std for layer in result.layers]
        assert _titles_std(frame) == [short_number(v) for v in measured["y"]], "histogram titles and std panel agree"
        assert any(f"std {result.spec.std:.3g}" in a["text"] for a in frame["layout"]["annotations"])
    # One std axis for the whole sweep, so the line is seen to move.
    axis = next(v for k, v in figure["layout"].items() if k.startswith("yaxis") and v.get("title", {}).get("text") == "std")
    low = min(layer.std for r in results for layer in r.layers)
    assert axis["type"] == "log" and axis["range"][0] < math.log10(low)


def test_zero_init_std_plot_says_why_it_is_flat() -> None:
    figure = std_figure(run_pass(NetworkSpec(init="zeros", **SMALL)))
    (note,) = figure["layout"]["annotations"]
    assert "std is 0" in note["text"] and "zero init" in note["text"]
    assert std_figure(run_pass(NetworkSpec(**SMALL)))["layout"]["annotations"] == []


def _range_note(figure: dict) -> str:
    return " ".join(a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith("x axes"))


def test_per_layer_x_ranges_are_announced() -> None:
    exploding = histogram_figure(run_pass(NetworkSpec(activation="relu", std=0.3, **SMALL)))
    assert "each layer its own range (activations and gradients" in _range_note(exploding)
    ranges = {tuple(exploding["layout"][f"xaxis{i if i > 1 else ''}"]["range"]) for i in range(1, 5)}
    assert len(ranges) == 4
    kaiming = histogram_figure(run_pass(NetworkSpec(activation="relu", init="kaiming_normal", **SMALL)))
    assert _range_note(kaiming) == ""
