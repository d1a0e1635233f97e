"""The real network's loss landscape as figures: the slice as a contour map (or a 3-D surface) with
training paths projected on it, beside each path's true loss against the slice's loss at its
projected points; and the loss along the straight line between two solutions.

The second panel is there because a projected path is not a path on the slice: the network moved
in millions of dimensions and the map shows two. Where the two lines of a run part, the map's
contours say nothing about where that run really was (Li et al. 2018; their readers' most asked
question).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from trainlab.compute.landscape.project import ProjectedPath
from trainlab.compute.landscape.slice import Slice
from trainlab.compute.landscape.study import Landscape
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.figures.animation import animation_controls
from trainlab.figures.style import FONT

# Low loss white, high loss grey: the optimizers' colours (blue, orange, green, pink, yellow,
# black) all stand out on it; a blue map hid SGD's and Adam's paths.
LANDSCAPE_COLOURS = [[0.0, "#ffffff"], [0.6, "#bdbdbd"], [1.0, "#636363"]]
LOSS_FLOOR = 1e-6  # log10 of a loss that rounds to zero would be -inf


def _r(x: float) -> float | None:
    """A short JSON number, or None (a gap) where the value is not finite."""
    return float(f"{x:.5g}") if math.isfinite(x) else None


def _log10(values: torch.Tensor) -> list:
    return [_r(v) for v in torch.log10(values.double().clamp(min=LOSS_FLOOR)).tolist()]


@dataclass(frozen=True)
class DrawnPath:
    """A training run as the landscape draws it: its name in student words ("Adam"), its colour,
    the training step of each snapshot and the snapshots projected on the slice's plane."""

    label: str
    colour: str
    steps: Sequence[int]
    projected: ProjectedPath


def _grid_text(piece: Slice) -> list[list[str]]:
    """Hover text per grid point: its loss and accuracy."""
    return [[f"loss {loss:.4g}, accuracy {100 * acc:.1f} %" for loss, acc in zip(row_l, row_a)]
            for row_l, row_a in zip(piece.loss.tolist(), piece.accuracy.tolist())]


def _path_hover(path: DrawnPath) -> list[str]:
    p = path.projected
    return [f"{path.label}, step {step}: true loss {float(t):.4g}, slice's loss here {float(s):.4g}, "
            f"{100 * float(o):.0f} % of the way off the plane"
            for step, t, s, o in zip(path.steps, p.true_loss, p.slice_loss, p.off_plane)]


def axis_titles(directions: str) -> tuple[str, str]:
    """What the map's axes are, in words: multiples of the two directions."""
    return f"α (along {directions} direction 1)", f"β (along {directions} direction 2)"


def contour_traces(piece: Slice, paths: Sequence[DrawnPath]) -> list[dict[str, Any]]:
    """The slice as filled contours of log10 loss, each path's projection as a line from its start
    (a circle) to its end (a star), and the slice's centre: the weights the slice goes through."""
    data: list[dict[str, Any]] = [{
        "type": "contour", "x": [_r(v) for v in piece.a.tolist()], "y": [_r(v) for v in piece.b.tolist()],
        "z": [_log10(row) for row in piece.loss], "text": _grid_text(piece), "colorscale": LANDSCAPE_COLOURS,
        "ncontours": 25, "name": "loss on the slice", "line": {"width": 0.5, "color": "rgba(60,60,60,0.35)"},
        "colorbar": {"title": {"text": "log10 loss"}, "x": 0.52, "len": 0.9, "thickness": 12},
        "hovertemplate": "α %{x:.3g}, β %{y:.3g}: %{text}<extra></extra>", "xaxis": "x", "yaxis": "y"}]
    for path in paths:
        xs = [_r(v) for v in path.projected.coords[:, 0].tolist()]
        ys = [_r(v) for v in path.projected.coords[:, 1].tolist()]
        data.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys,
                     "name": f"{path.label}'s path, projected", "legendgroup": path.label,
                     "line": {"color": path.colour, "width": 2.5}, "marker": {"size": 5, "color": path.colour},
                     "text": _path_hover(path), "hovertemplate": "%{text}<extra></extra>", "xaxis": "x", "yaxis": "y"})
        data.append({"type": "scatter", "mode": "markers", "x": [xs[0], xs[-1]], "y": [ys[0], ys[-1]],
                     "showlegend": False, "legendgroup": path.label, "hoverinfo": "skip",
                     "marker": {"symbol": ["circle-open", "star"], "size": [11, 14], "color": path.colour,
                                "line": {"color": path.colour, "width": 2}}, "xaxis": "x", "yaxis": "y"})
    data.append({"type": "scatter", "mode": "markers", "x": [0.0], "y": [0.0], "name": "the slice's centre",
                 "marker": {"symbol": "x", "size": 10, "color": "#000"}, "xaxis": "x", "yaxis": "y",
                 "hovertemplate": "the trained weights the slice goes through<extra></extra>"})
    return data


def gap_traces(paths: Sequence[DrawnPath], xaxis: str = "x2", yaxis: str = "y2") -> list[dict[str, Any]]:
    """Per path: the network's true loss at each snapshot (solid) and the slice's loss at the
    snapshot's projected point (dashed), against the training step."""
    data = []
    for path in paths:
        steps = list(path.steps)
        data.append({"type": "scatter", "mode": "lines+markers", "x": steps, "name": f"{path.label}: true loss",
                     "y": [_r(v) for v in path.projected.true_loss.tolist()], "legendgroup": path.label,
                     "line": {"color": path.colour, "width": 2}, "marker": {"size": 4},
                     "xaxis": xaxis, "yaxis": yaxis})
        data.append({"type": "scatter", "mode": "lines", "x": steps, "name": f"{path.label}: loss on the map",
                     "y": [_r(v) for v in path.projected.slice_loss.tolist()], "legendgroup": path.label,
                     "line": {"color": path.colour, "width": 2, "dash": "dash"}, "xaxis": xaxis, "yaxis": yaxis})
    return data


def _title(piece: Slice, directions: str, explained: tuple[float, float] | None) -> str:
    text = f"loss on a {piece.size} × {piece.size} slice through the trained weights, {directions} directions"
    if explained is not None:
        text += f" (explaining {100 * explained[0]:.0f} % + {100 * explained[1]:.0f} % of the path's variance)"
    return text


def _upto(trace: dict[str, Any], n: int) -> dict[str, Any]:
    """A line trace cut after its first n points, for an animation frame."""
    return {key: trace[key][:n] for key in ("x", "y", "text") if key in trace}


def path_frames(data: list[dict[str, Any]], paths: Sequence[DrawnPath]) -> list[dict[str, Any]]:
    """One frame per snapshot: every path (on the map and in the loss panel) drawn up to it, its
    open circle at the start and its star where it is then. Frames change only the paths' traces,
    whose places in `data` (contour_traces then gap_traces) they name."""
    n = len(paths)
    longest = max(len(path.steps) for path in paths)
    frames = []
    for k in range(longest):
        traces, changed = [], []
        for i, path in enumerate(paths):
            line, ends = data[1 + 2 * i], data[2 + 2 * i]
            now = min(k, len(path.steps) - 1)
            true, mapped = data[2 + 2 * n + 2 * i], data[3 + 2 * n + 2 * i]
            changed += [_upto(line, now + 1), {"x": [ends["x"][0], line["x"][now]], "y": [ends["y"][0], line["y"][now]]},
                        _upto(true, now + 1), _upto(mapped, now + 1)]
            traces += [1 + 2 * i, 2 + 2 * i, 2 + 2 * n + 2 * i, 3 + 2 * n + 2 * i]
        longest_path = max(paths, key=lambda path: len(path.steps))
        frames.append({"name": str(longest_path.steps[k]), "data": changed, "traces": traces})
    return frames


def _loss_range(paths: Sequence[DrawnPath]) -> list[float]:
    """The loss panel's log10 range, fixed so that the axes stand still while the paths play."""
    values = torch.cat([torch.cat([p.projected.true_loss, p.projected.slice_loss]).double() for p in paths])
    values = values[torch.isfinite(values)].clamp(min=LOSS_FLOOR)
    if values.numel() == 0:
        return [-1.0, 1.0]
    low, high = math.log10(float(values.min())), math.log10(float(values.max()))
    margin = 0.05 * (high - low) or 0.25
    return [low - margin, high + margin]


def landscape_figure(piece: Slice, paths: Sequence[DrawnPath], directions: str,
                     explained: tuple[float, float] | None = None, height: int = 600) -> dict[str, Any]:
    """The contour map with the projected paths (left) and the true vs sliced loss along each
    path (right), the paths animated snapshot by snapshot (drawn whole until played).
    `directions` names the plane's directions in words ("filter-normalized random")."""
    x_title, y_title = axis_titles(directions)
    span = float(piece.a[-1]) if piece.size else 1.0
    data = contour_traces(piece, paths) + gap_traces(paths)
    frames = path_frames(data, paths) if paths else []
    layout = {
        "height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
        # b: room for the legend and the slider as drawn (see figures/race.py)
        "margin": {"l": 55, "r": 20, "t": 60, "b": 165}, "uirevision": "landscape",
        "title": {"text": _title(piece, directions, explained), "font": {"size": 13}, "xref": "paper", "x": 0.0, "xanchor": "left"},
        "xaxis": {"domain": [0.0, 0.5], "range": [-span, span], "title": {"text": x_title}, "showgrid": False,
                  "zeroline": False},
        "yaxis": {"domain": [0.0, 1.0], "range": [-span, span], "title": {"text": y_title}, "showgrid": False,
                  "zeroline": False, "scaleanchor": "x", "constrain": "domain"},
        "xaxis2": {"domain": [0.64, 1.0], "anchor": "y2", "title": {"text": "training step"}, "gridcolor": "#eee",
                   "range": [0, max((max(p.steps) for p in paths), default=1)]},
        "yaxis2": {"domain": [0.0, 0.8], "anchor": "x2", "type": "log", "exponentformat": "power",
                   "range": _loss_range(paths) if paths else None, "autorange": not paths,
                   "title": {"text": "loss: true (solid) vs on the map (dashed)"}, "gridcolor": "#eee"},
        "legend": {"x": 0.64, "y": 1.0, "yanchor": "top", "font": {"size": 11}},
    }
    if frames:
        layout.update(animation_controls([f["name"] for f in frames], "training step ", frame_ms=250,
                                         transition_ms=0))
        layout["sliders"][0]["active"] = len(frames) - 1
        # Below the map's axis title, not over it.
        layout["updatemenus"][0]["y"], layout["sliders"][0]["y"] = -0.2, -0.16
    return {"data": data, "layout": layout, "frames": frames}


def landscape_figure_3d(piece: Slice, paths: Sequence[DrawnPath], directions: str,
                        height: int = 560) -> dict[str, Any]:
    """The slice as a surface (height: log10 loss) with each projected path lying on it at the
    slice's loss (where the map puts it, not where the network was)."""
    x_title, y_title = axis_titles(directions)
    data: list[dict[str, Any]] = [{
        "type": "surface", "x": [_r(v) for v in piece.a.tolist()], "y": [_r(v) for v in piece.b.tolist()],
        "z": [_log10(row) for row in piece.loss], "text": _grid_text(piece), "colorscale": LANDSCAPE_COLOURS,
        "showscale": False, "opacity": 0.92, "name": "loss on the slice",
        "hovertemplate": "α %{x:.3g}, β %{y:.3g}: %{text}<extra></extra>"}]
    for path in paths:
        data.append({"type": "scatter3d", "mode": "lines+markers", "name": f"{path.label}'s path, projected",
                     "x": [_r(v) for v in path.projected.coords[:, 0].tolist()],
                     "y": [_r(v) for v in path.projected.coords[:, 1].tolist()],
                     "z": _log10(path.projected.slice_loss), "text": _path_hover(path),
                     "hovertemplate": "%{text}<extra></extra>",
                     "line": {"color": path.colour, "width": 6}, "marker": {"size": 3, "color": path.colour}})
    layout = {"height": height, "font": FONT, "margin": {"l": 0, "r": 0, "t": 40, "b": 0}, "uirevision": "landscape3d",
              "title": {"text": _title(piece, directions, None), "font": {"size": 13}, "xref": "paper", "x": 0.0, "xanchor": "left"},
              "scene": {"xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
                        "zaxis": {"title": {"text": "log10 loss"}}},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.0}}
    return {"data": data, "layout": layout}


def interpolation_figure(ts: Sequence[float], losses: torch.Tensor, accuracies: torch.Tensor,
                         start: str, end: str, height: int = 400) -> dict[str, Any]:
    """Loss (left axis) and accuracy (right axis) along θ(t) = (1 − t) θ_start + t θ_end, the two
    solutions named in words (`start` at t = 0, `end` at t = 1)."""
    t = [_r(float(v)) for v in ts]
    data = [
        {"type": "scatter", "mode": "lines+markers", "x": t, "y": [_r(v) for v in losses.tolist()], "name": "loss",
         "line": {"color": "#0072B2", "width": 2.5}, "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "x": t, "y": [_r(100 * v) for v in accuracies.tolist()],
         "name": "accuracy (%)", "line": {"color": "#D55E00", "width": 2, "dash": "dot"}, "yaxis": "y2"},
    ]
    layout = {"height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
              "margin": {"l": 60, "r": 60, "t": 50, "b": 50}, "uirevision": "interpolation",
              "title": {"text": f"the straight line from {start} (t = 0) to {end} (t = 1)", "font": {"size": 13}},
              "xaxis": {"title": {"text": "t"}, "gridcolor": "#eee"},
              "yaxis": {"title": {"text": "loss"}, "type": "log", "exponentformat": "power", "gridcolor": "#eee"},
              "yaxis2": {"title": {"text": "accuracy (%)"}, "overlaying": "y", "side": "right", "range": [0, 100]},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.12}}
    return {"data": data, "layout": layout}


def drawn_paths(landscape: Landscape) -> list[DrawnPath]:
    """Every run of a study as the figures draw it, in its optimizer's own colour."""
    return [DrawnPath(p.label, OPTIMIZERS[p.optimizer].colour, p.steps, p.projected) for p in landscape.paths]
