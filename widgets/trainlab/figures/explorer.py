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
from trainlab.figures.std_per_layer import note_annotation, std_axis, std_note, std_traces, x_axis
from trainlab.figures.style import ACT_COLOUR, FONT, GRAD_COLOUR, TRANSITION

MAX_SHOWN_LAYERS = 8
RANGES_NOTE = "ranges-note"  # the name of the annotation that says the x axes are per layer
# Left: the y tick labels and the row titles; right: half of the last panel's last x tick label.
MARGIN = {"l": 60, "r": 18}


def shown_layers(depth: int) -> list[int]:
    """Indices of the layers that get a histogram: all of them up to 8, else 8 spread evenly."""
    if depth <= MAX_SHOWN_LAYERS:
        return list(range(depth))
    step = (depth - 1) / (MAX_SHOWN_LAYERS - 1)
    return sorted({round(i * step) for i in range(MAX_SHOWN_LAYERS)})


def _axis(kind: str, index: int) -> str:
    return kind if index == 1 else f"{kind}{index}"


@lru_cache(maxsize=16)
def _grid_layout(columns: int, std_row: bool = False) -> dict[str, Any]:
    """The histogram grid's subplots; with `std_row`, a third row across the columns: the std per
    layer (axis 2 * columns + 1)."""
    specs = [[{}] * columns, [{}] * columns]
    if std_row:
        specs.append([{"colspan": columns}] + [None] * (columns - 1))
    grid = make_subplots(rows=len(specs), cols=columns, specs=specs, horizontal_spacing=0.012 + 0.2 / (columns * 6),
                         vertical_spacing=0.13 if std_row else 0.2)
    layout = grid.layout.to_plotly_json()
    # Fixed margins (MARGIN), not the default template's automatic ones: with those, and a right
    # margin 3 px too narrow for the last tick label, plotly.js drew every new plot of 12 panels
    # twice to widen it (132 against 79 ms in Chromium: benchmarks/bench_plotly_react.py).
    for axis in (k for k in layout if k.startswith(("xaxis", "yaxis"))):
        layout[axis]["automargin"] = False
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


def _ranges_note(layers: list[LayerStats]) -> str | None:
    """What a reader must know when the layers' x axes are not one range (see
    compute.net.layer_stats.layer_ranges): the panels then compare shapes, not sizes."""
    rows = [name for name, hists in (("activations", [layer.activation_hist for layer in layers]),
                                     ("gradients", [layer.grad_hist for layer in layers]))
            if len({(h.lo, h.hi) for h in hists}) > 1]
    if not rows:
        return None
    return (f"x axes: each layer its own range ({' and '.join(rows)}: the layers differ in scale by over 20x; "
            "compare their sizes by the std in the titles)")


def histogram_parts(result: PassResult) -> dict[str, Any]:
    layers = [result.layers[i] for i in shown_layers(len(result.layers))]
    parts = grid_parts([Panel(layer.layer, layer.activation_hist, layer.grad_hist, _act_title(layer),
                              _grad_title(layer)) for layer in layers])
    note = _ranges_note(layers)
    # Above the panels' titles; an empty text when there is none, so that every frame of a sweep
    # has the same annotations and a frame without the note clears the one before.
    parts["annotations"].append({"name": RANGES_NOTE, "text": note or "", "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.0,
                                 "xanchor": "left", "yanchor": "bottom", "yshift": 52, "showarrow": False,
                                 "font": {"size": 11, "color": "#8a4b00"}})
    return parts


def _with_ranges(layout: dict[str, Any], ranges: dict[str, list[float]]) -> dict[str, Any]:
    for axis, value in ranges.items():
        layout[axis] = {**layout[axis], "range": value, "autorange": False}
    return layout


def grid_figure(parts: dict[str, Any], height: int, uirevision: str, std_row: bool = False,
                top: int = 70) -> dict[str, Any]:
    """`top`: the margin above the panels' titles (the explorer's note on x ranges goes there)."""
    layout = _with_ranges(dict(_grid_layout(parts["columns"], std_row)), parts["ranges"])
    layout.update(annotations=parts["annotations"], height=height, margin={**MARGIN, "t": top, "b": 30},
                  font=FONT, plot_bgcolor="white", paper_bgcolor="white", transition=TRANSITION,
                  uirevision=uirevision)
    return {"data": parts["data"], "layout": layout}


def animated_grid_figure(frames: list[tuple[str, dict[str, Any]]], prefix: str, height: int,
                         uirevision: str, std_row: bool = False, top: int = 60,
                         transition_ms: int = 300) -> dict[str, Any]:
    """A histogram grid with one animation frame per (name, grid_parts), a slider and play buttons."""
    plotly_frames = []
    for name, parts in frames:
        layout = {"annotations": parts["annotations"]}
        layout.update({axis: {"range": rng, "autorange": False} for axis, rng in parts["ranges"].items()})
        plotly_frames.append({"name": name, "data": parts["data"], "layout": layout})
    figure = grid_figure(frames[0][1], height, uirevision, std_row)
    figure["layout"].update(transition={"duration": 0}, margin={**MARGIN, "t": top, "b": 90},
                            **animation_controls([f["name"] for f in plotly_frames], prefix,
                                                 transition_ms=transition_ms))
    figure["frames"] = plotly_frames
    return figure


NOTE_TOP = 80  # px above the panels: their titles, and over them the note on x ranges
SWEEP_TRANSITION = {"duration": 0}


def histogram_figure(result: PassResult, height: int = 430) -> dict[str, Any]:
    return grid_figure(histogram_parts(result), height, "explorer", top=NOTE_TOP)


def _with_std_panel(parts: dict[str, Any], result: PassResult) -> dict[str, Any]:
    """A sweep frame's histograms and, across the third row, its std per layer: the panel moves
    with the slider, as the histograms do (the single-pass std plot beside them is hidden)."""
    axis = 2 * parts["columns"] + 1
    note = std_note(result)
    title = {"text": f"std of activations per layer, {result.spec.scheme.knob} {result.spec.knob_value:.3g}: "
                     "measured (blue) and theory (dashed)", "xref": f"x{axis} domain", "yref": f"y{axis} domain",
             "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}}
    annotations = [title, note_annotation(note or "", f"x{axis} domain", f"y{axis} domain")]
    if not note:  # the same annotations in every frame: an empty one where there is no note
        annotations[1].update(bgcolor="rgba(0,0,0,0)", bordercolor="rgba(0,0,0,0)")
    traces = [{**trace, "showlegend": False} for trace in std_traces(result, axis)]
    return {**parts, "data": parts["data"] + traces, "annotations": parts["annotations"] + annotations}


def sweep_figure(results: list[PassResult], knob: str, height: int = 720) -> dict[str, Any]:
    """The histogram figure with one animation frame per swept value, a slider and play buttons,
    and below it the std per layer of the frame shown, on one axis for the whole sweep."""
    frames = [(f"{r.spec.knob_value:.3g}", _with_std_panel(histogram_parts(r), r)) for r in results]
    # Each frame drawn whole (SWEEP_TRANSITION): plotly animates a change of axis ranges and
    # draws the traces only after it, so mid-way panels showed one frame's data on another's axes.
    figure = animated_grid_figure(frames, f"{knob} = ", height, "explorer", std_row=True, top=NOTE_TOP,
                                  transition_ms=SWEEP_TRANSITION["duration"])
    axis = 2 * frames[0][1]["columns"] + 1
    layout = figure["layout"]
    layout[f"xaxis{axis}"] = {**layout[f"xaxis{axis}"], **x_axis(len(results[0].layers))}
    layout[f"yaxis{axis}"] = {**layout[f"yaxis{axis}"], **std_axis(results), "title": {"text": "std"}}
    return figure
