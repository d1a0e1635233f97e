"""The zero-centred demo as a figure: two panels over the (w1, w2) plane, positive inputs on the
left and the same inputs minus their mean on the right, each with its loss contours, its SGD
path, the start and the target. On the positive side the quadrants every update must point into,
(+,+) and (−,−), are shaded at the current point. Animated over the steps (plotly's own play
button and slider), with axes fixed over the whole run."""

from __future__ import annotations

import math
from typing import Any

from trainlab.compute.optim.zero_centred import Comparison, Descent, loss_grid
from trainlab.figures.animation import animation_controls
from trainlab.figures.race import frame_steps
from trainlab.figures.style import FONT

SIDES = ("positive", "centred")
PATH_COLOURS = {"positive": "#D55E00", "centred": "#0072B2"}  # Okabe & Ito, as the race's
ALLOWED_FILL = "rgba(213, 94, 0, 0.13)"
CONTOUR_COLOURS = [[0.0, "#f7f7f7"], [1.0, "#bdbdbd"]]
FRAMES = 50
GRID = 60
PAD = 0.15  # the view's margin around start, target and paths, as a share of its half-width
REACH = 1.5  # the view's half-width is at most this times the start's distance from the target


def _r(x: float) -> float | None:
    return float(f"{x:.5g}") if math.isfinite(x) else None


def side_title(comparison: Comparison, side: str) -> str:
    run: Descent = getattr(comparison, side)
    name = comparison.spec.inputs
    what = f"{name} inputs (all ≥ 0)" if side == "positive" else f"{name} inputs minus their mean"
    return f"{what}: {run.outcome()}"


def shares_text(comparison: Comparison) -> str:
    """The line under the panels: the share of same-sign updates on each side."""
    p, c = comparison.positive.same_sign_share, comparison.centred.same_sign_share
    return (f"updates whose two components share a sign: {_pct(p)} with {comparison.spec.inputs} inputs, "
            f"{_pct(c)} with them centred")


def _pct(share: float) -> str:
    return "no update" if math.isnan(share) else f"{100 * share:.0f} %"


def view_of(comparison: Comparison) -> tuple[float, float, float, float]:
    """One square view box for both panels, centred between start and target: wide enough for
    every point of both paths, padded, but at most REACH times the start's distance from the target
    (a path that flies further, or diverges, is cut at the edge)."""
    (s1, s2), (t1, t2) = comparison.spec.start, comparison.spec.target
    cx, cy = (s1 + t1) / 2, (s2 + t2) / 2
    distance = math.hypot(t1 - s1, t2 - s2)
    half = distance / 2
    for run in (comparison.positive, comparison.centred):
        for a, b in run.path.tolist():
            if math.isfinite(a) and math.isfinite(b):
                half = max(half, abs(a - cx), abs(b - cy))
    half = min(half * (1 + PAD), REACH * distance)
    return (cx - half, cx + half, cy - half, cy + half)


def _axes(i: int) -> tuple[str, str]:
    return ("x", "y") if i == 0 else ("x2", "y2")


def _contours(run: Descent, view: tuple[float, float, float, float], i: int) -> dict[str, Any]:
    xs, ys, z = loss_grid(run.data, view, GRID)
    xa, ya = _axes(i)
    # log of the loss above its smallest on the grid: the valley's floor shows, not only its walls
    low = float(z.min())
    levels = (z - low + 1e-4 * (float(z.max()) - low) + 1e-12).log10()
    return {"type": "contour", "x": [_r(v) for v in xs.tolist()], "y": [_r(v) for v in ys.tolist()],
            "z": [[_r(v) for v in row] for row in levels.tolist()], "colorscale": CONTOUR_COLOURS,
            "showscale": False, "ncontours": 18, "contours": {"coloring": "fill", "showlines": True},
            "line": {"color": "#999", "width": 0.6}, "hoverinfo": "skip", "xaxis": xa, "yaxis": ya,
            "name": "log loss", "showlegend": False}


def _markers(comparison: Comparison, i: int) -> list[dict[str, Any]]:
    xa, ya = _axes(i)
    (s1, s2), (t1, t2) = comparison.spec.start, comparison.spec.target
    return [
        {"type": "scatter", "mode": "markers", "x": [s1], "y": [s2], "name": "start w₀", "showlegend": i == 0,
         "legendgroup": "start", "marker": {"symbol": "circle-open", "size": 12, "color": "#333", "line": {"width": 2}},
         "xaxis": xa, "yaxis": ya},
        {"type": "scatter", "mode": "markers", "x": [t1], "y": [t2], "name": "target w*", "showlegend": i == 0,
         "legendgroup": "target", "marker": {"symbol": "star", "size": 15, "color": "white",
                                             "line": {"color": "#333", "width": 1.2}},
         "xaxis": xa, "yaxis": ya},
    ]


def _upto(run: Descent, step: int) -> int:
    return min(step, run.steps)


def _moving(comparison: Comparison, step: int) -> list[dict[str, Any]]:
    """The paths and current points after `step` steps (a run that stopped keeps its end)."""
    traces = []
    for i, side in enumerate(SIDES):
        run: Descent = getattr(comparison, side)
        last = _upto(run, step)
        pts = run.path[: last + 1].tolist()
        xa, ya = _axes(i)
        colour = PATH_COLOURS[side]
        traces.append({"type": "scatter", "mode": "lines", "x": [_r(p[0]) for p in pts], "y": [_r(p[1]) for p in pts],
                       "name": f"SGD path, {side}", "line": {"color": colour, "width": 1.6}, "xaxis": xa, "yaxis": ya})
        traces.append({"type": "scatter", "mode": "markers", "x": [_r(pts[-1][0])], "y": [_r(pts[-1][1])],
                       "showlegend": False, "hoverinfo": "skip", "name": f"w after step {last}",
                       "marker": {"color": colour, "size": 10, "line": {"color": "white", "width": 1.5}},
                       "xaxis": xa, "yaxis": ya})
    return traces


def allowed_quadrants(point: tuple[float, float], view: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """Shapes on the positive panel: the (+,+) and (−,−) quadrants at `point` shaded (where every
    update can go) and the axes through it dashed."""
    a, b = point
    x0, x1, y0, y1 = view
    line = {"color": "#D55E00", "width": 1, "dash": "dash"}
    return [
        {"type": "rect", "xref": "x", "yref": "y", "x0": a, "x1": x1, "y0": b, "y1": y1, "fillcolor": ALLOWED_FILL,
         "line": {"width": 0}, "layer": "above"},
        {"type": "rect", "xref": "x", "yref": "y", "x0": x0, "x1": a, "y0": y0, "y1": b, "fillcolor": ALLOWED_FILL,
         "line": {"width": 0}, "layer": "above"},
        {"type": "line", "xref": "x", "yref": "y", "x0": x0, "x1": x1, "y0": b, "y1": b, "line": line},
        {"type": "line", "xref": "x", "yref": "y", "x0": a, "x1": a, "y0": y0, "y1": y1, "line": line},
    ]


def _frame_layout(comparison: Comparison, step: int, view: tuple[float, float, float, float]) -> dict[str, Any]:
    run = comparison.positive
    point = tuple(run.path[_upto(run, step)].tolist())
    if not all(math.isfinite(v) for v in point):
        return {"shapes": []}
    return {"shapes": allowed_quadrants(point, view)}


def zero_centred_figure(comparison: Comparison, height: int = 560, frames: int = FRAMES) -> dict[str, Any]:
    """Both panels, opening on the finished runs; up to `frames` animation frames over the steps."""
    view = view_of(comparison)
    base = [_contours(comparison.positive, view, 0), _contours(comparison.centred, view, 1),
            *_markers(comparison, 0), *_markers(comparison, 1)]
    longest = max(comparison.positive.steps, comparison.centred.steps)
    moving = list(range(len(base), len(base) + 4))
    frame_list = [{"name": str(step), "data": _moving(comparison, step), "traces": moving,
                   "layout": _frame_layout(comparison, step, view)} for step in frame_steps(longest, frames)]
    x0, x1, y0, y1 = view
    axis = {"range": [x0, x1], "constrain": "domain", "showgrid": False, "zeroline": True, "zerolinecolor": "#ccc",
            "title": {"text": "w₁"}}
    yaxis = {"range": [y0, y1], "constrain": "domain", "showgrid": False, "zeroline": True, "zerolinecolor": "#ccc",
             "title": {"text": "w₂"}, "scaleanchor": "x", "scaleratio": 1}
    titles = [side_title(comparison, side) for side in SIDES]
    layout = {
        "height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
        # b: room for the legend and the slider as drawn (see figures/race.py)
        "margin": {"l": 55, "r": 20, "t": 70, "b": 176}, "uirevision": "zero-centred",
        "xaxis": {**axis, "domain": [0.0, 0.47]}, "yaxis": {**yaxis, "domain": [0.0, 1.0]},
        "xaxis2": {**axis, "domain": [0.53, 1.0], "anchor": "y2"},
        "yaxis2": {**yaxis, "domain": [0.0, 1.0], "anchor": "x2", "scaleanchor": "x2", "title": {"text": ""}},
        "annotations": [
            {"text": titles[0], "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.02, "xanchor": "left",
             "yanchor": "bottom", "showarrow": False, "font": {"size": 13}},
            {"text": titles[1], "xref": "paper", "yref": "paper", "x": 0.53, "y": 1.02, "xanchor": "left",
             "yanchor": "bottom", "showarrow": False, "font": {"size": 13}},
            {"text": shares_text(comparison), "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.09,
             "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}},
        ],
        "legend": {"orientation": "h", "x": 0.0, "y": -0.42, "yanchor": "top"},
        **_frame_layout(comparison, longest, view),
    }
    if frame_list:
        layout.update(animation_controls([f["name"] for f in frame_list], "step ", frame_ms=120, transition_ms=0))
        layout["sliders"][0]["active"] = len(frame_list) - 1
    return {"data": [*base, *_moving(comparison, longest)], "layout": layout, "frames": frame_list}
