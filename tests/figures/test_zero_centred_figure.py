"""The zero-centred figure: both panels' traces, the titles and the shares line from the runs'
own numbers, the allowed quadrants at the current point, the frames and the fixed view."""

from __future__ import annotations

import pytest

from trainlab.compute.optim.zero_centred import ZeroCentredSpec, compare
from trainlab.figures.zero_centred import REACH, allowed_quadrants, view_of, zero_centred_figure


@pytest.fixture(scope="module")
def comparison():
    return compare(ZeroCentredSpec(lr=3.0))


def test_two_panels_with_contours_markers_and_paths(comparison):
    figure = zero_centred_figure(comparison)
    kinds = [(t["type"], t.get("xaxis")) for t in figure["data"]]
    assert kinds.count(("contour", "x")) == 1 and kinds.count(("contour", "x2")) == 1
    paths = [t for t in figure["data"] if t.get("name", "").startswith("SGD path")]
    assert [p["xaxis"] for p in paths] == ["x", "x2"]
    assert len(paths[0]["x"]) == comparison.positive.steps + 1, "the opening figure shows the finished runs"
    assert paths[1]["x"][-1] == pytest.approx(float(comparison.centred.path[-1, 0]), rel=1e-4)
    stars = [t for t in figure["data"] if t.get("name") == "target w*"]
    assert [(s["x"], s["y"]) for s in stars] == [([1.0], [-1.0])] * 2


def test_titles_and_shares_line_state_the_runs_numbers(comparison):
    texts = [a["text"] for a in zero_centred_figure(comparison)["layout"]["annotations"]]
    assert f"converged in {comparison.positive.converged_at} steps" in texts[0]
    assert f"converged in {comparison.centred.converged_at} steps" in texts[1]
    share = round(100 * comparison.centred.same_sign_share)
    assert texts[2] == (f"updates whose two components share a sign: 100 % with sigmoid inputs, {share} % with them "
                        "centred")


def test_a_run_that_does_not_converge_says_so_in_its_title():
    figure = zero_centred_figure(compare(ZeroCentredSpec(lr=0.01, steps=10)))
    assert "did not converge within 10 steps" in figure["layout"]["annotations"][0]["text"]


def test_the_allowed_quadrants_are_shaded_at_the_current_point_of_each_frame(comparison):
    figure = zero_centred_figure(comparison)
    frames = figure["frames"]
    assert 2 <= len(frames) <= 50 and frames[-1]["name"] == str(comparison.positive.steps)
    middle = frames[len(frames) // 2]
    step = int(middle["name"])
    a, b = comparison.positive.path[step].tolist()
    rects = [s for s in middle["layout"]["shapes"] if s["type"] == "rect"]
    assert {(r["x0"] <= a <= r["x1"], r["y0"] <= b <= r["y1"]) for r in rects} == {(True, True)}
    assert (rects[0]["x0"], rects[0]["y0"]) == (a, b), "(+,+): right of and above w"
    assert (rects[1]["x1"], rects[1]["y1"]) == (a, b), "(−,−): left of and below w"
    moving = middle["data"]
    assert len(moving) == len(middle["traces"]) == 4
    assert len(moving[0]["x"]) == step + 1


def test_the_view_is_fixed_square_and_bounded(comparison):
    figure = zero_centred_figure(comparison)
    x0, x1, y0, y1 = view_of(comparison)
    assert x1 - x0 == pytest.approx(y1 - y0)
    assert figure["layout"]["xaxis"]["range"] == figure["layout"]["xaxis2"]["range"] == [x0, x1]
    assert (x1 - x0) / 2 <= REACH * 8 ** 0.5 + 1e-9, "a flying path does not zoom the view out"
    diverged = compare(ZeroCentredSpec(lr=6.0))
    assert diverged.positive.diverged_at is not None
    v0, v1, *_ = view_of(diverged)
    assert v1 - v0 == pytest.approx(2 * REACH * 8 ** 0.5)


def test_quadrant_shapes_span_the_view():
    shapes = allowed_quadrants((0.5, -0.5), (-2.0, 2.0, -3.0, 1.0))
    assert [(s["x0"], s["x1"], s["y0"], s["y1"]) for s in shapes[:2]] == [(0.5, 2.0, -0.5, 1.0),
                                                                          (-2.0, 0.5, -3.0, -0.5)]
