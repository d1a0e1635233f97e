"""Turns PassResults into the explorer's plotly figures (plain dicts, ready for PlotlyView).

The layout (subplot grid, axes) is built once per grid shape with plotly's make_subplots;
an update only replaces trace data, axis ranges and title texts, so the browser's
Plotly.react changes the drawn paths in place instead of rebuilding the plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from plotly.subplots import make_subplots

from trainlab.compute import Histogram, LayerStats, PassResult
from trainlab.figures.animation import animation_controls

ACT_COLOUR = "#1f77b4"  # blue and orange: told apart with every common colour-vision deficiency
GRAD_COLOUR = "#e66100"
THEORY_COLOUR = "#5d3a9b"
MAX_SHOWN_LAYERS = 8
TRANSITION = {"duration": 150, "easing": "cubic-in-out"}
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12}


def shown_layers(depth: int) -> list[int]:
    """Indices of the layers that get a histogram: all of them up to 8, else 8 spread evenly."""
    if depth <= MAX_SHOWN_LAYERS:
        return list(range(depth))
    step = (depth - 1) / (MAX_SHOWN_LAYERS - 1)
    return sorted({round(i * step) for i in range(MAX_SHOWN_LAYERS)})


def _axis(kind: str, index: int) -> str:
    return kind if index == 1 else f"{kind}{index}"


@lru_cache(maxsize=16)
def _grid_layout(columns: int) -> dict[str, Any]:
    grid = make_subplots(rows=2, cols=columns, horizontal_spacing=0.012 + 0.2 / (columns * 6),
                         vertical_spacing=0.2)
    layout = grid.layout.to_plotly_json()
    for i in range(1, 2 * columns + 1):
        layout[f"xaxis{'' if i == 1 else i}"].update(showgrid=False, zeroline=True, zerolinecolor="#bbb",
                                                     tickfont={"size": 10}, nticks=4)
        layout[f"yaxis{'' if i == 1 else i}"].update(showticklabels=i in (1, columns + 1), rangemode="tozero",
                                                     showgrid=True, gridcolor="#eee", tickformat=".2~%",
                                                     tickfont={"size": 10})
    layout["yaxis"]["title"] = {"text": "activations h", "font": {"color": ACT_COLOUR}}
    layout[f"yaxis{columns + 1}"]["title"] = {"text": "gradients dL/dh", "font": {"color": GRAD_COLOUR}}
    return layout


def short_number(x: float) -> str:
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.2g}" if abs(x) < 1e-2 or abs(x) >= 1e3 else f"{x:.3f}".rstrip("0").rstrip(".") or "0"


def _hist_trace(hist: Histogram, index: int, colour: str, fill: str, name: str) -> dict[str, Any]:
    total = sum(hist.counts) or 1
    return {
        "type": "scatter", "mode": "lines", "name": name, "showlegend": False,
        "x": [float(f"{c:.6g}") for c in hist.centres],
        "y": [round(c / total, 5) for c in hist.counts],
        "line": {"shape": "hvh", "width": 1.4, "color": colour},
        "fill": "tozeroy", "fillcolor": fill,
        "xaxis": _axis("x", index), "yaxis": _axis("y", index),
        "hovertemplate": "%{x:.3g}: %{y:.1%}<extra>" + name + "</extra>",
    }


def _title(index: int, text: str) -> dict[str, Any]:
    return {"text": text, "xref": f"{_axis('x', index)} domain", "yref": f"{_axis('y', index)} domain",
            "x": 0.5, "y": 1.0, "yanchor": "bottom", "showarrow": False, "font": {"size": 11}}


def _act_title(layer: LayerStats) -> str:
    text = f"<b>layer {layer.layer}</b><br>mean {short_number(layer.mean)}<br>std {short_number(layer.std)}"
    return text + (f"<br><span style='color:#b00'>{layer.nonfinite} inf/NaN</span>" if layer.nonfinite else "")


def _grad_title(layer: LayerStats) -> str:
    text = f"dL/dh std {short_number(layer.grad_std)}"
    return text + (f"<br><span style='color:#b00'>{layer.grad_nonfinite} inf/NaN</span>" if layer.grad_nonfinite else "")


@dataclass(frozen=True)
class Panel:
    """One column of the histogram grid: a layer's activations above, its gradients below."""

    layer: int
    activations: Histogram
    gradients: Histogram
    act_title: str
    grad_title: str


def grid_parts(panels: list[Panel]) -> dict[str, Any]:
    """The changing parts of a histogram grid: traces and layout entries (titles, x ranges)."""
    columns = len(panels)
    data, annotations, ranges = [], [], {}
    for col, panel in enumerate(panels, start=1):
        for row, hist, colour, fill, title in (
            (0, panel.activations, ACT_COLOUR, "rgba(31,119,180,0.25)", panel.act_title),
            (1, panel.gradients, GRAD_COLOUR, "rgba(230,97,0,0.25)", panel.grad_title),
        ):
            index = row * columns + col
            name = f"layer {panel.layer} " + ("h" if row == 0 else "dL/dh")
            trace = _hist_trace(hist, index, colour, fill, name)
            data.append(trace)
            annotations.append(_title(index, title))
            # Every range is explicit: plotly's animated transitions keep the old range of an
            # autoranged axis, which clipped a histogram whose peak grew (seen in the browser).
            suffix = "" if index == 1 else str(index)
            ranges[f"xaxis{suffix}"] = [hist.lo, hist.hi]
            ranges[f"yaxis{suffix}"] = [0.0, 1.08 * max(trace["y"]) or 1.0]
    return {"data": data, "annotations": annotations, "ranges": ranges, "columns": columns}


def histogram_parts(result: PassResult) -> dict[str, Any]:
    layers = [result.layers[i] for i in shown_layers(len(result.layers))]
    return grid_parts([Panel(layer.layer, layer.activation_hist, layer.grad_hist, _act_title(layer),
                             _grad_title(layer)) for layer in layers])


def _with_ranges(layout: dict[str, Any], ranges: dict[str, list[float]]) -> dict[str, Any]:
    for axis, value in ranges.items():
        layout[axis] = {**layout[axis], "range": value, "autorange": False}
    return layout


def grid_figure(parts: dict[str, Any], height: int, uirevision: str) -> dict[str, Any]:
    layout = _with_ranges(dict(_grid_layout(parts["columns"])), parts["ranges"])
    layout.update(annotations=parts["annotations"], height=height, margin={"l": 60, "r": 10, "t": 70, "b": 30},
                  font=FONT, plot_bgcolor="white", paper_bgcolor="white", transition=TRANSITION,
                  uirevision=uirevision)
    return {"data": parts["data"], "layout": layout}


def animated_grid_figure(frames: list[tuple[str, dict[str, Any]]], prefix: str, height: int,
                         uirevision: str) -> dict[str, Any]:
    """A histogram grid with one animation frame per (name, grid_parts), a slider and play buttons."""
    plotly_frames = []
    for name, parts in frames:
        layout = {"annotations": parts["annotations"]}
        layout.update({axis: {"range": rng, "autorange": False} for axis, rng in parts["ranges"].items()})
        plotly_frames.append({"name": name, "data": parts["data"], "layout": layout})
    figure = grid_figure(frames[0][1], height, uirevision)
    figure["layout"].update(transition={"duration": 0}, margin={"l": 60, "r": 10, "t": 60, "b": 90},
                            **animation_controls([f["name"] for f in plotly_frames], prefix))
    figure["frames"] = plotly_frames
    return figure


def histogram_figure(result: PassResult, height: int = 430) -> dict[str, Any]:
    return grid_figure(histogram_parts(result), height, "explorer")


def sweep_figure(results: list[PassResult], knob: str, height: int = 500) -> dict[str, Any]:
    """The histogram figure with one animation frame per swept value, a slider and play buttons."""
    return animated_grid_figure([(f"{r.spec.knob_value:.3g}", histogram_parts(r)) for r in results], f"{knob} = ",
                                height, "explorer")


def _value_range(values: list[float], log: bool) -> list[float]:
    """An explicit axis range around `values` (log10 units on a log axis), with a margin."""
    if not values:
        return [0.0, 1.0]
    if log:
        lo, hi = math.log10(min(values)), math.log10(max(values))
        return [lo - 0.1 - 0.05 * (hi - lo), hi + 0.1 + 0.05 * (hi - lo)]
    lo, hi = min(0.0, min(values)), max(values)
    return [lo, hi * 1.1 if hi > 0 else 1.0]


def std_figure(result: PassResult, height: int = 260) -> dict[str, Any]:
    """Std of each layer's activations, measured and as the variance recursion predicts."""
    layers = [layer.layer for layer in result.layers]
    measured = [layer.std if math.isfinite(layer.std) else None for layer in result.layers]
    theory = [layer.theory_std for layer in result.layers]
    positive = [v for v in measured + theory if v is not None and v > 0]
    log = len(positive) == len([v for v in measured + theory if v is not None]) and bool(positive)
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": "measured", "x": layers, "y": measured,
         "line": {"color": ACT_COLOUR, "width": 2}, "marker": {"size": 7},
         "hovertemplate": "layer %{x}: std %{y:.3g}<extra>measured</extra>"},
        {"type": "scatter", "mode": "lines", "name": "theory", "x": layers, "y": theory,
         "line": {"color": THEORY_COLOUR, "width": 2, "dash": "dash"},
         "hovertemplate": "layer %{x}: std %{y:.3g}<extra>theory</extra>"},
    ]
    layout = {
        "height": height, "margin": {"l": 60, "r": 10, "t": 36, "b": 40}, "font": FONT,
        "title": {"text": "std of activations per layer", "font": {"size": 13}, "x": 0.02},
        "xaxis": {"title": {"text": "layer"}, "dtick": 1 if len(layers) <= 20 else 5,
                  "range": [0.5, len(layers) + 0.5], "autorange": False},
        "yaxis": {"type": "log" if log else "linear", "range": _value_range(positive if log else
                                                                            [v for v in measured + theory if v is not None], log),
                  "autorange": False, "exponentformat": "power", "gridcolor": "#eee"},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.12},
        "plot_bgcolor": "white", "paper_bgcolor": "white", "transition": TRANSITION,
        "uirevision": "std",
    }
    return {"data": data, "layout": layout}
