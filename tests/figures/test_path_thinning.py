"""Path thinning draws the line computed: every step where steps are few, and beyond them no
left-out step farther than the tolerance (under half a pixel) from the line drawn, in every
animation frame's prefix of the path."""

from __future__ import annotations

import numpy as np
import pytest

from trainlab.figures.path_thinning import KEEP_EVERY_STEP, TOLERANCE, ThinnedPath, simplify


def _distance_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab, ap = b - a, p - a
    t = 0.0 if not ab.any() else min(1.0, max(0.0, float(ap @ ab) / float(ab @ ab)))
    return float(np.hypot(*(ap - t * ab)))


def worst_gap(points: np.ndarray, drawn: list[int]) -> float:
    """The largest distance of a step from the segment drawn in its place."""
    worst = 0.0
    for a, b in zip(drawn[:-1], drawn[1:]):
        for i in range(a + 1, b):
            worst = max(worst, _distance_to_segment(points[i], points[a], points[b]))
    return worst


def zig_zag(n: int) -> np.ndarray:
    """SGD on a steep valley: across the valley at every step, slowly along it."""
    k = np.arange(n)
    return np.stack([0.05 + 0.9 * 0.99**k, 0.5 + 0.4 * (-0.9) ** k], axis=1)


def converging_spiral(n: int) -> np.ndarray:
    k = np.arange(n)
    r = 0.45 * 0.995**k
    return np.stack([0.5 + r * np.cos(0.3 * k), 0.5 + r * np.sin(0.3 * k)], axis=1)


def noisy_walk(n: int, seed: int = 0) -> np.ndarray:
    return 0.5 + np.cumsum(np.random.default_rng(seed).normal(0, 0.004, (n, 2)), axis=0)


def test_every_step_is_drawn_where_steps_are_few() -> None:
    path = ThinnedPath(zig_zag(KEEP_EVERY_STEP + 1))
    assert path.upto(KEEP_EVERY_STEP) == list(range(KEEP_EVERY_STEP + 1))
    assert path.upto(57) == list(range(58))
    # A longer path still draws each of its first KEEP_EVERY_STEP steps.
    long = ThinnedPath(zig_zag(3000))
    assert long.upto(2999)[:KEEP_EVERY_STEP + 1] == list(range(KEEP_EVERY_STEP + 1))


@pytest.mark.parametrize("make", [zig_zag, converging_spiral, noisy_walk])
def test_no_step_left_out_is_farther_than_the_tolerance_in_any_frame(make) -> None:
    points = make(3000)
    path = ThinnedPath(points)
    for step in (0, 1, 399, 400, 401, 777, 1500, 2998, 2999):
        drawn = path.upto(step)
        assert drawn[0] == 0 and drawn[-1] == step and drawn == sorted(set(drawn))
        assert worst_gap(points, drawn) <= TOLERANCE, step


def test_a_converged_tail_costs_a_handful_of_points() -> None:
    drawn = ThinnedPath(converging_spiral(5000)).upto(4999)
    assert len(drawn) < KEEP_EVERY_STEP + 600


def test_non_finite_points_are_kept_and_split_the_line() -> None:
    points = np.array([[0.0, 0.0], [0.5, 1e-5], [1.0, 0.0], [np.nan, np.nan], [2.0, 0.0], [2.5, 0.0], [3.0, 0.0]])
    assert simplify(points, 1e-3).tolist() == [True, False, True, True, True, False, True]
