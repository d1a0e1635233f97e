"""Turns optimizer trajectories into the race figure: every path over the loss surface (a
picture under the axes, see surface_image), loss against step, and the chosen optimizer's
internal state, animated from precomputed frames. Paths are drawn as computed (path_thinning)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from trainlab.compute.optim.registry import OPTIMIZERS, SYMBOLS
from trainlab.compute.optim.runs import Trajectory
from trainlab.compute.optim.surfaces import Surface, make_surface
from trainlab.figures.animation import animation_controls
from trainlab.figures.path_thinning import ThinnedPath
from trainlab.figures.style import FONT
from trainlab.figures.surface_image import SURFACE_COLOURS, log_levels, surface_image

# Okabe & Ito's palette: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
MAX_FRAMES = 50


def colour(name: str) -> str:
    """The optimizer's own colour, from the registry: the same in every figure."""
    return OPTIMIZERS[name].colour


def _r(x: float) -> float | None:
    return float(f"{x:.5g}") if math.isfinite(x) else None


@dataclass(frozen=True)
class LossAxis:
    """The loss plot's fixed y axis over the whole race (an autoranged axis keeps a stale range
    through animated frames: the curve ran off its bottom in Chromium). Log where every loss is
    positive; `range` in the axis' own units (log10 on a log axis)."""

    log: bool
    range: tuple[float, float]

    @classmethod
    def of(cls, runs: list[Trajectory]) -> LossAxis:
        losses = [v for run in runs for v in run.losses[:, 0].tolist() if math.isfinite(v)]
        log = bool(losses) and min(losses) > 0
        values = [math.log10(v) for v in losses] if log else losses
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        margin = 0.05 * (hi - lo) or 0.5
        return cls(log, (lo - margin, hi + margin))

    def position(self, losses: np.ndarray) -> np.ndarray:
        """Where each loss sits on the axis, from 0 (bottom) to 1 (top); non-finite where it is not drawn."""
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(np.where(losses > 0, losses, np.nan)) if self.log else losses
        return (values - self.range[0]) / (self.range[1] - self.range[0])


def _on_map(points: np.ndarray, view: tuple[float, float, float, float]) -> np.ndarray:
    """Points (n, 2) in units of the map's axes' spans, where path_thinning's tolerance is under a pixel."""
    x0, x1, y0, y1 = view
    return np.stack([(points[:, 0] - x0) / (x1 - x0), (points[:, 1] - y0) / (y1 - y0)], axis=1)


@dataclass
class _Drawn:
    """A run as the figure draws it: its path and loss curve as short JSON-ready numbers,
    formatted once for all frames, and which steps each frame draws of them."""

    run: Trajectory
    x: list
    y: list
    loss: list
    path: ThinnedPath
    curve: ThinnedPath

    @classmethod
    def of(cls, run: Trajectory, view: tuple[float, float, float, float], axis: LossAxis, longest: int) -> _Drawn:
        points = run.points[:, 0].numpy()
        losses = run.losses[:, 0].numpy()
        on_plot = np.stack([np.arange(len(losses)) / max(longest, 1), axis.position(losses)], axis=1)
        return cls(run, [_r(v) for v in points[:, 0].tolist()], [_r(v) for v in points[:, 1].tolist()],
                   [_r(v) for v in losses.tolist()], ThinnedPath(_on_map(points, view)), ThinnedPath(on_plot))

    def path_upto(self, step: int) -> tuple[list, list]:
        idx = self.path.upto(step)
        return [self.x[i] for i in idx], [self.y[i] for i in idx]

    def loss_upto(self, step: int) -> tuple[list[int], list]:
        idx = self.curve.upto(step)
        return idx, [self.loss[i] for i in idx]


def _last(run: Trajectory) -> int:
    return run.points.shape[0] - 1


# The optimizer's buffers in a few words each: the state panel has 40 % of the figure's width,
# in the slide layout's large text too, so no line may be long (tests hold them to PANEL_CHARS).
BUFFER_NAMES = {"velocity": "velocity", "grad_squared": "g² history", "first_moment": "1st moment",
                "second_moment": "2nd moment", "first_moment_hat": "corrected",
                "second_moment_hat": "corrected"}
PANEL_CHARS = 38


def state_text(run: Trajectory, step: int) -> str:
    """The optimizer's own numbers after `step` steps, as the lecture names them, in short lines;
    a run that stopped (diverged) before `step` shows its last ones, and says so."""
    last = min(step, _last(run))
    x, y = run.points[last, 0].tolist()
    lines = [f"<b>{run.optimizer.label}</b>, step {step}", f"x = ({x:.4g}, {y:.4g})",
             f"loss {float(run.losses[last, 0]):.4g}" + (f", lr {run.lrs[last - 1]:.3g}" if last > 0 else "")]
    if last > 0:
        g = run.grads[last - 1, 0].tolist()
        lines.append(f"g = ({g[0]:.3g}, {g[1]:.3g})")
        for name, buffer in run.state.items():
            a, b = buffer[last - 1, 0].tolist()
            lines.append(f"{SYMBOLS.get(name, name)} = ({a:.3g}, {b:.3g}) {BUFFER_NAMES.get(name, '')}".rstrip())
    diverged = int(run.diverged_at[0])
    if diverged >= 0:
        shown = ": its last numbers" if last < step else ""
        lines.append(f"<span style='color:#b00'>diverged at step {diverged}{shown}</span>")
    return "<br>".join(lines)


def _racer_traces(drawn: list[_Drawn], step: int) -> list[dict[str, Any]]:
    paths, losses = [], []
    for d in drawn:
        xs, ys = d.path_upto(step)
        idx, loss = d.loss_upto(step)
        name, c = d.run.optimizer.name, colour(d.run.optimizer.name)
        paths.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": d.run.optimizer.label,
                      "legendgroup": name, "line": {"color": c, "width": 2.5}, "xaxis": "x", "yaxis": "y"})
        paths.append({"type": "scatter", "mode": "markers", "x": xs[-1:], "y": ys[-1:], "showlegend": False,
                      "legendgroup": name, "hoverinfo": "skip",
                      "marker": {"color": c, "size": 11, "line": {"color": "white", "width": 1.5}},
                      "xaxis": "x", "yaxis": "y"})
        losses.append({"type": "scatter", "mode": "lines", "x": idx, "y": loss, "showlegend": False,
                       "legendgroup": name, "line": {"color": c, "width": 2}, "xaxis": "x2", "yaxis": "y2",
                       "name": d.run.optimizer.label})
    return paths + losses


def _frame_layout(selected: Trajectory | None, step: int) -> dict[str, Any]:
    text = state_text(selected, step) if selected is not None else ""
    return {
        "annotations": [{"text": text, "xref": "paper", "yref": "paper", "x": 0.6, "y": 0.25, "xanchor": "left",
                         "yanchor": "top", "align": "left", "showarrow": False, "font": {"size": 11}}],
        "shapes": [{"type": "line", "xref": "x2", "yref": "paper", "x0": step, "x1": step, "y0": 0.4, "y1": 1.0,
                    "line": {"color": "#888", "width": 1, "dash": "dot"}}],
    }


@lru_cache(maxsize=16)
def _minima(name: str, params: tuple) -> dict[str, Any]:
    surface = make_surface(name, **dict(params))
    return {
        "type": "scatter", "mode": "markers", "x": [m[0] for m in surface.minima], "y": [m[1] for m in surface.minima],
        "name": "minima", "marker": {"symbol": "star", "size": 13, "color": "white", "line": {"color": "#333", "width": 1}},
        "xaxis": "x", "yaxis": "y", "hovertemplate": "minimum (%{x:.3g}, %{y:.3g})<extra></extra>"}


def surface_traces(surface: Surface) -> list[dict[str, Any]]:
    """The race figure's base traces, which change only with the surface: the minima's stars."""
    return [_minima(surface.name, tuple(sorted(surface.params.items())))]


def frame_steps(longest: int, frames: int = MAX_FRAMES) -> list[int]:
    """The steps a race of `longest` steps gets an animation frame at: up to `frames`, evenly spread."""
    return sorted({round(j * longest / (frames - 1)) for j in range(frames)}) if longest and frames > 1 else []


def race_figure(surface: Surface, runs: list[Trajectory], selected: str | None, height: int = 620,
                frames: int = MAX_FRAMES) -> dict[str, Any]:
    """Paths over the surface (left), loss per step (top right), state panel (bottom right), with
    up to `frames` animation frames; drawn after the surface_traces, which frames count first.
    It opens on the finished race, and its slider says so."""
    longest = max((_last(run) for run in runs), default=0)
    chosen = next((run for run in runs if run.optimizer.name == selected), runs[0] if runs else None)
    axis = LossAxis.of(runs)
    drawn = [_Drawn.of(run, surface.view, axis, longest) for run in runs]
    data = _racer_traces(drawn, longest)
    base_count = len(surface_traces(surface))
    moving = list(range(base_count, base_count + len(data)))
    frame_list = [{"name": str(step), "data": _racer_traces(drawn, step), "traces": moving,
                   "layout": _frame_layout(chosen, step)} for step in frame_steps(longest, frames)]
    x0, x1, y0, y1 = surface.view
    layout = {
        "height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
        # Room for the legend above and the slider below as plotly.js lays them out at 1,400 px: a
        # margin they must push wider costs plotly.js a second pass over them on every new plot.
        "margin": {"l": 50, "r": 20, "t": 68, "b": 138}, "uirevision": surface.name,
        # The map is a picture: a click anywhere on it reports where (the new start point).
        "images": [surface_image(surface)], "clickanywhere": True,
        "xaxis": {"domain": [0.0, 0.52], "range": [x0, x1], "title": {"text": "x"}, "constrain": "domain",
                  "showgrid": False, "zeroline": False},
        "yaxis": {"domain": [0.0, 1.0], "range": [y0, y1], "title": {"text": "y"}, "showgrid": False,
                  "zeroline": False},
        "xaxis2": {"domain": [0.6, 1.0], "anchor": "y2", "title": {"text": "step"}, "range": [0, max(longest, 1)]},
        "yaxis2": {"domain": [0.4, 1.0], "anchor": "x2", "type": "log" if axis.log else "linear",
                   "range": list(axis.range), "autorange": False, "title": {"text": "loss"},
                   "exponentformat": "power", "gridcolor": "#eee"},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.06, "yanchor": "bottom"},
        **_frame_layout(chosen, longest),
    }
    if frame_list:
        layout.update(animation_controls([f["name"] for f in frame_list], "step ", frame_ms=120, transition_ms=0))
        layout["sliders"][0]["active"] = len(frame_list) - 1
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
        idx = ThinnedPath(_on_map(run.points[:, 0].numpy(), surface.view)).upto(_last(run))
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
