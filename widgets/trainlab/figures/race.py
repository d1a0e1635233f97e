"""Turns optimizer trajectories into the race figure: a log-level contour map with every path,
loss against step, and the chosen optimizer's internal state, animated from precomputed frames."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from trainlab.compute.optim.registry import OPTIMIZERS, SYMBOLS
from trainlab.compute.optim.runs import Trajectory
from trainlab.compute.optim.surfaces import Surface, make_surface
from trainlab.figures.animation import animation_controls

# Okabe & Ito's palette: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
# Low loss light, high loss a pale blue: the coloured paths stay the boldest thing on the map.
SURFACE_COLOURS = [[0.0, "#ffffff"], [1.0, "#4a90c4"]]
MAX_FRAMES = 50
MAX_PATH_POINTS = 80
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12}


def colour(name: str) -> str:
    """The optimizer's own colour, from the registry: the same in every figure."""
    return OPTIMIZERS[name].colour


def _r(x: float) -> float | None:
    return float(f"{x:.5g}") if math.isfinite(x) else None


def log_levels(z: torch.Tensor) -> torch.Tensor:
    """log10 of the loss above its minimum on the grid: equal steps here are log-spaced levels."""
    low, high = float(z.min()), float(z.max())
    return torch.log10(z - low + 1e-3 * (high - low) + 1e-12)


def _pick(count: int, most: int) -> list[int]:
    """Up to `most` indices from 0..count-1, evenly spread, always with the last one."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


@dataclass
class _Rounded:
    """A run's path and losses as short JSON-ready numbers, formatted once for all frames."""

    run: Trajectory
    x: list
    y: list
    loss: list

    @classmethod
    def of(cls, run: Trajectory) -> _Rounded:
        pts = run.points[:, 0]
        return cls(run, [_r(v) for v in pts[:, 0].tolist()], [_r(v) for v in pts[:, 1].tolist()],
                   [_r(v) for v in run.losses[:, 0].tolist()])

    def upto(self, step: int) -> tuple[list[int], list, list, list]:
        idx = _pick(min(step, len(self.x) - 1) + 1, MAX_PATH_POINTS)
        return idx, [self.x[i] for i in idx], [self.y[i] for i in idx], [self.loss[i] for i in idx]


def _last(run: Trajectory) -> int:
    return run.points.shape[0] - 1


def state_text(run: Trajectory, step: int) -> str:
    """The optimizer's own numbers after `step` steps, as the lecture names them."""
    step = min(step, _last(run))
    x, y = run.points[step, 0].tolist()
    lines = [f"<b>{run.optimizer.label}</b>, step {step}: x = ({x:.4g}, {y:.4g}), loss {float(run.losses[step, 0]):.4g}"]
    if step > 0:
        g = run.grads[step - 1, 0].tolist()
        lines.append(f"gradient g = ({g[0]:.3g}, {g[1]:.3g}), lr {run.lrs[step - 1]:.3g}")
        for name, buffer in run.state.items():
            a, b = buffer[step - 1, 0].tolist()
            lines.append(f"{SYMBOLS.get(name, name)} ({name.replace('_', ' ')}) = ({a:.3g}, {b:.3g})")
    if int(run.diverged_at[0]) >= 0:
        lines.append(f"<span style='color:#b00'>diverged at step {int(run.diverged_at[0])}</span>")
    return "<br>".join(lines)


def _racer_traces(rounded: list[_Rounded], step: int) -> list[dict[str, Any]]:
    paths, losses = [], []
    for r in rounded:
        idx, xs, ys, loss = r.upto(step)
        name, c = r.run.optimizer.name, colour(r.run.optimizer.name)
        paths.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": r.run.optimizer.label,
                      "legendgroup": name, "line": {"color": c, "width": 2.5}, "xaxis": "x", "yaxis": "y"})
        paths.append({"type": "scatter", "mode": "markers", "x": xs[-1:], "y": ys[-1:], "showlegend": False,
                      "legendgroup": name, "hoverinfo": "skip",
                      "marker": {"color": c, "size": 11, "line": {"color": "white", "width": 1.5}},
                      "xaxis": "x", "yaxis": "y"})
        losses.append({"type": "scatter", "mode": "lines", "x": idx, "y": loss, "showlegend": False,
                       "legendgroup": name, "line": {"color": c, "width": 2}, "xaxis": "x2", "yaxis": "y2",
                       "name": r.run.optimizer.label})
    return paths + losses


def _frame_layout(runs: list[Trajectory], selected: Trajectory | None, step: int) -> dict[str, Any]:
    text = state_text(selected, step) if selected is not None else ""
    return {
        "annotations": [{"text": text, "xref": "paper", "yref": "paper", "x": 0.6, "y": 0.25, "xanchor": "left",
                         "yanchor": "top", "align": "left", "showarrow": False, "font": {"size": 12}}],
        "shapes": [{"type": "line", "xref": "x2", "yref": "paper", "x0": step, "x1": step, "y0": 0.4, "y1": 1.0,
                    "line": {"color": "#888", "width": 1, "dash": "dot"}}],
    }


@lru_cache(maxsize=16)
def _surface_traces(name: str, params: tuple, grid_size: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The contour map and the minima markers of a surface: built once, reused by every race on it."""
    surface = make_surface(name, **dict(params))
    xs, ys, z = surface.grid(grid_size)
    contour = {
        "type": "contour", "x": [_r(v) for v in xs.tolist()], "y": [_r(v) for v in ys.tolist()],
        "z": [[float(f"{v:.4g}") for v in row] for row in log_levels(z).tolist()], "colorscale": SURFACE_COLOURS,
        "showscale": False, "ncontours": 30, "contours": {"coloring": "fill", "showlines": True},
        "line": {"width": 0.5, "color": "rgba(60,60,60,0.25)"}, "name": "surface",
        # "none", not "skip": no hover label, but clicks still report a point (the new start).
        "hoverinfo": "none",
        "xaxis": "x", "yaxis": "y"}
    minima = {
        "type": "scatter", "mode": "markers", "x": [m[0] for m in surface.minima], "y": [m[1] for m in surface.minima],
        "name": "minima", "marker": {"symbol": "star", "size": 13, "color": "white", "line": {"color": "#333", "width": 1}},
        "xaxis": "x", "yaxis": "y", "hovertemplate": "minimum (%{x:.3g}, %{y:.3g})<extra></extra>"}
    return contour, minima


def surface_traces(surface: Surface, grid_size: int = 200) -> list[dict[str, Any]]:
    """The race figure's base traces (contour map, minima): they change only with the surface."""
    return list(_surface_traces(surface.name, tuple(sorted(surface.params.items())), grid_size))


def frame_steps(longest: int, frames: int = MAX_FRAMES) -> list[int]:
    """The steps a race of `longest` steps gets an animation frame at: up to `frames`, evenly spread."""
    return sorted({round(j * longest / (frames - 1)) for j in range(frames)}) if longest and frames > 1 else []


def race_figure(surface: Surface, runs: list[Trajectory], selected: str | None, height: int = 620,
                frames: int = MAX_FRAMES) -> dict[str, Any]:
    """Paths over the surface_traces (left), loss per step (top right), state panel (bottom right),
    with up to `frames` animation frames. Trace indices in frames count the two base traces first."""
    data: list[dict[str, Any]] = []
    base_count = 2
    longest = max((_last(run) for run in runs), default=0)
    chosen = next((run for run in runs if run.optimizer.name == selected), runs[0] if runs else None)
    rounded = [_Rounded.of(run) for run in runs]
    data += _racer_traces(rounded, longest)
    moving = list(range(base_count, base_count + len(data)))
    frame_list = []
    for step in frame_steps(longest, frames):
        frame_list.append({"name": str(step), "data": _racer_traces(rounded, step), "traces": moving,
                           "layout": _frame_layout(runs, chosen, step)})
    all_losses = [v for run in runs for v in run.losses[:, 0].tolist() if math.isfinite(v)]
    log_loss = bool(all_losses) and min(all_losses) > 0
    x0, x1, y0, y1 = surface.view
    layout = {
        "height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
        "margin": {"l": 50, "r": 20, "t": 30, "b": 100}, "uirevision": surface.name,
        "xaxis": {"domain": [0.0, 0.52], "range": [x0, x1], "title": {"text": "x"}, "constrain": "domain"},
        "yaxis": {"domain": [0.0, 1.0], "range": [y0, y1], "title": {"text": "y"}},
        "xaxis2": {"domain": [0.6, 1.0], "anchor": "y2", "title": {"text": "step"}, "range": [0, max(longest, 1)]},
        "yaxis2": {"domain": [0.4, 1.0], "anchor": "x2", "type": "log" if log_loss else "linear",
                   "title": {"text": "loss"}, "exponentformat": "power", "gridcolor": "#eee"},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.06, "yanchor": "bottom"},
        **_frame_layout(runs, chosen, longest),
    }
    if frame_list:
        layout.update(animation_controls([f["name"] for f in frame_list], "step ", frame_ms=120, transition_ms=0))
    return {"data": data, "layout": layout, "frames": frame_list}


def race_figure_3d(surface: Surface, runs: list[Trajectory], grid_size: int = 120, height: int = 620) -> dict[str, Any]:
    """The surface in 3-D (height: log10 of the loss above its minimum) with every full path on it."""
    xs, ys, z = surface.grid(grid_size)
    low, high = float(z.min()), float(z.max())
    offset = 1e-3 * (high - low) + 1e-12

    def height_of(loss: torch.Tensor) -> list:
        return [_r(v) for v in torch.log10((loss - low).clamp(min=0) + offset).tolist()]

    data: list[dict[str, Any]] = [{
        "type": "surface", "x": [_r(v) for v in xs.tolist()], "y": [_r(v) for v in ys.tolist()],
        "z": [[float(f"{v:.4g}") for v in row] for row in log_levels(z).tolist()],
        "colorscale": SURFACE_COLOURS, "showscale": False, "opacity": 0.9, "name": "surface"}]
    for run in runs:
        idx = _pick(_last(run) + 1, 300)
        pts = run.points[idx, 0]
        data.append({"type": "scatter3d", "mode": "lines", "name": run.optimizer.label,
                     "x": [_r(v) for v in pts[:, 0].tolist()], "y": [_r(v) for v in pts[:, 1].tolist()],
                     "z": height_of(run.losses[idx, 0]), "line": {"color": colour(run.optimizer.name), "width": 6}})
    layout = {"height": height, "font": FONT, "margin": {"l": 0, "r": 0, "t": 30, "b": 0}, "uirevision": "3d",
              "scene": {"xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}},
                        "zaxis": {"title": {"text": "log10 loss"}}},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.02}}
    return {"data": data, "layout": layout}


def basin_figure(surface: Surface, optimizer_label: str, basins: tuple, height: int = 620) -> dict[str, Any]:
    """Which minimum each start point on a grid over the view box reaches (grey: none, or diverged)."""
    xs, ys, index = basins
    count = len(surface.minima)
    colours = [PALETTE[i % len(PALETTE)] for i in range(count)]
    scale = [[0.0, "#d9d9d9"], [1.0 / (count + 1), "#d9d9d9"]]
    for i, c in enumerate(colours):
        scale += [[(i + 1) / (count + 1), c], [(i + 2) / (count + 1), c]]
    data = [
        {"type": "heatmap", "x": [_r(v) for v in xs.tolist()], "y": [_r(v) for v in ys.tolist()],
         "z": index.tolist(), "zmin": -1.5, "zmax": count - 0.5, "colorscale": scale, "showscale": False,
         "opacity": 0.8, "hovertemplate": "start (%{x:.3g}, %{y:.3g}) → minimum %{z}<extra></extra>", "name": "basins"},
        {"type": "scatter", "mode": "markers+text", "x": [m[0] for m in surface.minima], "y": [m[1] for m in surface.minima],
         "text": [str(i) for i in range(count)], "textposition": "top center", "name": "minima",
         "marker": {"symbol": "star", "size": 14, "color": "white", "line": {"color": "#333", "width": 1}}},
    ]
    x0, x1, y0, y1 = surface.view
    layout = {"height": height, "font": FONT, "plot_bgcolor": "white", "margin": {"l": 50, "r": 20, "t": 50, "b": 50},
              "title": {"text": f"basins of attraction for {optimizer_label}: the minimum each start point reaches "
                                "(grey: none or diverged)", "font": {"size": 13}},
              "xaxis": {"range": [x0, x1], "title": {"text": "x"}}, "yaxis": {"range": [y0, y1], "title": {"text": "y"}},
              "uirevision": "basins"}
    return {"data": data, "layout": layout}
