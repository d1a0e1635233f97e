"""Which steps of a long optimizer path (or loss curve) a figure sends, without changing its shape.

Every step is kept up to KEEP_EVERY_STEP: there the steps are what the student is looking at (a
zig-zag is a turn at every step). Beyond it, the Ramer-Douglas-Peucker rule keeps a step only
where leaving it out would move the drawn line by more than TOLERANCE of the axes' span, under
half a pixel on a plot up to 1,000 pixels wide: the line drawn is the line computed. A converged
tail of thousands of steps, all inside one pixel, then costs a handful of points.
"""

from __future__ import annotations

import numpy as np

KEEP_EVERY_STEP = 400
TOLERANCE = 5e-4  # of each axis' span: half a pixel at 1,000 pixels


def _segment_distances(points: np.ndarray, a: int, b: int) -> np.ndarray:
    """Distances of points a+1 .. b-1 from the segment points[a] - points[b]."""
    start, along = points[a], points[b] - points[a]
    inner = points[a + 1:b] - start
    length2 = float(along @ along)
    t = np.clip(inner @ along / length2, 0.0, 1.0) if length2 > 0 else np.zeros(len(inner))
    return np.hypot(*(inner - t[:, None] * along).T)


def simplify(points: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Ramer-Douglas-Peucker: a boolean mask over `points` (n, 2), in units where `tolerance` is
    the largest distance a left-out point may lie from the line drawn; first and last kept.
    Non-finite points are kept and split the path, as plotly breaks a line at them."""
    finite = np.isfinite(points).all(axis=1)
    keep = ~finite
    # Each run of finite points is a line of its own: its ends are kept, its inside simplified.
    change = np.flatnonzero(np.diff(np.concatenate([[False], finite, [False]]).astype(int)))
    stack = [(int(a), int(b) - 1) for a, b in zip(change[::2], change[1::2])]
    for a, b in stack:
        keep[[a, b]] = True
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        distances = _segment_distances(points, a, b)
        far = int(np.argmax(distances))
        if distances[far] > tolerance:
            keep[a + 1 + far] = True
            stack += [(a, a + 1 + far), (a + 1 + far, b)]
    return keep


class ThinnedPath:
    """The steps a figure draws of one path (n, 2), in units of its axes' spans, and of each
    prefix of it (an animation frame draws the path up to its step)."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = points
        self.kept = np.ones(len(points), dtype=bool)
        if len(points) > KEEP_EVERY_STEP + 1:
            self.kept[KEEP_EVERY_STEP:] = simplify(points[KEEP_EVERY_STEP:])

    def upto(self, step: int) -> list[int]:
        """The indices drawn for the path up to `step`: the kept ones before it, and the part
        since the last of them simplified on its own (the rule kept what was needed for the
        line to the next kept step, which may lie beyond `step`)."""
        step = min(step, len(self.points) - 1)
        before = np.flatnonzero(self.kept[:step + 1])
        last = int(before[-1])
        if last == step:
            return before.tolist()
        tail = last + np.flatnonzero(simplify(self.points[last:step + 1]))
        return [*before[:-1].tolist(), *tail.tolist()]
