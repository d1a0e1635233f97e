"""The training dashboard's plotly figures (plain dicts for PlotlyView): loss, accuracy and
learning-rate curves with earlier runs overlaid, per-layer histograms over training, the
decision boundary of a 2-D data set, and the preview of a learning-rate schedule."""

from __future__ import annotations

import math
from typing import Any

from trainlab.compute.train.history import Run
from trainlab.compute.train.trainer import Record, smoothed
from trainlab.figures.explorer import Panel, animated_grid_figure, grid_figure, grid_parts, short_number, shown_layers
from trainlab.figures.style import FONT

# Okabe-Ito, then Tol's muted colours: twelve that stay apart with the common colour-vision
# deficiencies. Run i keeps colour i; a 13th run on takes a dotted line in a colour used before.
RUN_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
               "#882255", "#44AA99", "#999933", "#AA4499"]
# A run whose loss goes this far above its start (the trainer's divergence rule) is drawn clipped
# at the top of the loss axis, with a marker, instead of rescaling the axis for every other run.
EXPLODED_FACTOR = 4.0
MAX_CURVE_POINTS = 800  # per-step curves are thinned to this many points before they are sent
MAX_FRAMES = 40  # histogram frames kept for scrubbing through a run
_BASE_LAYOUT = {"font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white"}


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def run_dash(index: int) -> str:
    return "solid" if index < len(RUN_COLOURS) else "dot"


def _thin(xs: list[int], ys: list[float]) -> tuple[list[int], list[float | None]]:
    stride = max(1, math.ceil(len(xs) / MAX_CURVE_POINTS))
    keep = list(range(0, len(xs), stride))
    if keep and keep[-1] != len(xs) - 1:
        keep.append(len(xs) - 1)
    return [xs[i] for i in keep], [_finite(ys[i]) for i in keep]


def _finite(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def _run_traces(run: Run, index: int, current: bool, show_legend: bool) -> list[dict[str, Any]]:
    steps = list(range(len(run.train_loss)))
    colour = run_colour(index)
    group = {"legendgroup": run.label, "line": {"color": colour, "width": 2.4 if current else 1.6,
                                                "dash": run_dash(index)}}
    traces = []
    if current:
        x, y = _thin(steps, run.train_loss)
        traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": "minibatch loss",
                       "showlegend": False, "opacity": 0.25, "legendgroup": run.label,
                       "line": {"color": colour, "width": 1}, "meta": "raw",
                       "hovertemplate": "step %{x}: %{y:.3f}<extra>raw</extra>"})
    x, y = _thin(steps, smoothed(run.train_loss))
    traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": run.label, "showlegend": show_legend,
                   **group, "hovertemplate": "step %{x}: train %{y:.3f}<extra>" + run.label + "</extra>"})
    dashed = {**group, "line": {**group["line"], "dash": "dash"}}
    record_steps = run.record_steps
    for axis, name, values in (("y", "val loss", run.val_loss), ("y2", "val accuracy", run.val_accuracy)):
        traces.append({"type": "scatter", "mode": "lines+markers", "x": record_steps, "y": [_finite(v) for v in values],
                       "name": name, "showlegend": False, **dashed, "marker": {"size": 4, "color": colour},
                       "xaxis": "x" if axis == "y" else "x2", "yaxis": axis,
                       "hovertemplate": "step %{x}: " + name + " %{y:.3f}<extra>" + run.label + "</extra>"})
    traces.append({"type": "scatter", "mode": "lines", "x": record_steps,
                   "y": [_finite(v) for v in run.train_eval_accuracy], "name": "train accuracy", "showlegend": False,
                   **group, "xaxis": "x2", "yaxis": "y2",
                   "hovertemplate": "step %{x}: train accuracy %{y:.3f}<extra>" + run.label + "</extra>"})
    x, y = _thin(list(range(len(run.lrs))), run.lrs)
    traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": "lr", "showlegend": False, **group,
                   "xaxis": "x3", "yaxis": "y3", "hovertemplate": "step %{x}: lr %{y:.3g}<extra>" + run.label + "</extra>"})
    return traces


def curves_figure(runs: list[Run], current: Run | None, classes: int, steps: int,
                  divergence: tuple[int, str] | None = None, height: int = 330) -> dict[str, Any]:
    """Loss (smoothed train solid, validation dashed), accuracy (train solid, validation dashed)
    and learning rate, for every earlier run and the current one (drawn last, on top)."""
    data: list[dict[str, Any]] = []
    shown = [*runs, *([current] if current else [])]
    for index, run in enumerate(shown):
        data += _run_traces(run, index, current=run is current, show_legend=True)
    chance = math.log(classes)
    # The axes span what has been trained (a long run's curve grows across the plot instead of
    # hugging the left edge); the planned number of steps until anything has.
    trained = [len(run.train_loss) for run in shown]
    longest = max(trained) if trained else steps
    shapes = [{"type": "line", "xref": "x", "yref": "y", "x0": 0, "x1": longest, "y0": chance, "y1": chance,
               "line": {"color": "#999", "width": 1, "dash": "dot"}}]
    annotations = [{"text": f"log {classes} = {chance:.2f}", "xref": "x", "yref": "y", "x": longest, "y": chance,
                    "xanchor": "right", "yanchor": "bottom", "showarrow": False, "font": {"size": 10, "color": "#777"}}]
    if divergence is not None:
        step, text = divergence
        shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": step, "x1": step, "y0": 0, "y1": 1,
                       "line": {"color": "#c81e1e", "width": 1.5}})
        annotations.append({"text": text, "xref": "x", "yref": "y domain", "x": step, "y": 1, "xanchor": "left",
                            "yanchor": "top", "showarrow": False, "font": {"size": 11, "color": "#c81e1e"}})
    axis = {"showgrid": True, "gridcolor": "#eee", "zeroline": False}
    top = loss_ceiling(shown, chance)
    annotations += _clip_losses(data, top)
    layout = {
        **_BASE_LAYOUT, "height": height, "margin": {"l": 55, "r": 15, "t": 34, "b": 40},
        "xaxis": {**axis, "domain": [0, 0.4], "title": {"text": "step"}, "range": [0, longest]},
        "yaxis": {**axis, "range": [0, top], "autorange": False, "title": {"text": "loss (train solid, val dashed)"}},
        "xaxis2": {**axis, "domain": [0.47, 0.76], "title": {"text": "step"}, "anchor": "y2", "range": [0, longest]},
        "yaxis2": {**axis, "anchor": "x2", "range": [0, 1.02], "tickformat": ".0%",
                   "title": {"text": "accuracy", "standoff": 2}},
        "xaxis3": {**axis, "domain": [0.83, 1.0], "title": {"text": "step"}, "anchor": "y3", "range": [0, longest]},
        "yaxis3": {**axis, "anchor": "x3", "rangemode": "tozero", "exponentformat": "power",
                   "title": {"text": "learning rate", "standoff": 2}},
        "shapes": shapes, "annotations": annotations,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 11}},
        "uirevision": "curves",
    }
    return {"data": data, "layout": layout}


def loss_ceiling(runs: list[Run], chance: float) -> float:
    """The top of the loss axis: above every loss a run reached before exploding (a value over
    EXPLODED_FACTOR times its start, or log C, whichever is larger), with a margin."""
    kept = [chance]
    for run in runs:
        values = [v for v in (*smoothed(run.train_loss), *run.val_loss) if math.isfinite(v)]
        start = next((v for v in run.train_loss if math.isfinite(v)), chance)
        limit = EXPLODED_FACTOR * max(chance, start)
        kept += [v for v in values if v <= limit]
    return 1.08 * max(kept)


def _clip_losses(data: list[dict[str, Any]], top: float) -> list[dict[str, Any]]:
    """Clip every loss curve at `top` (in place) and mark, once per run, where its loss first
    went over and the highest value it reached; the markers stack so that none hides another."""
    clipped: dict[str, tuple[float, float, str]] = {}  # run label -> (first step over, peak, colour)
    for trace in data:
        ys = trace.get("y") or []
        over = [i for i, v in enumerate(ys) if v is not None and v > top] if trace.get("yaxis", "y") == "y" else []
        if not over:
            continue
        trace["y"] = [top if v is not None and v > top else v for v in ys]
        label, peak = trace["legendgroup"], max(ys[i] for i in over)
        first, highest, _ = clipped.get(label, (math.inf, -math.inf, ""))
        clipped[label] = (min(first, trace["x"][over[0]]), max(highest, peak), trace["line"]["color"])
    return [{"text": f"▲ {label}: loss up to {peak:.3g}", "x": step, "y": top, "xref": "x", "yref": "y",
             "yshift": -14 * i, "showarrow": False, "yanchor": "top", "xanchor": "left",
             "font": {"size": 10, "color": colour}}
            for i, (label, (step, peak, colour)) in enumerate(clipped.items())]


def _panels(record: Record) -> list[Panel]:
    panels = []
    for i in shown_layers(len(record.layers)):
        layer = record.layers[i]
        act = f"<b>layer {i + 1}</b><br>std {short_number(layer.std)}<br>update/weight {layer.update_ratio:.1e}"
        panels.append(Panel(i + 1, layer.activation_hist, layer.grad_hist, act, f"dL/dh std {short_number(layer.grad_std)}"))
    return panels


def histograms_figure(record: Record, height: int = 400) -> dict[str, Any]:
    """The latest record's per-layer histograms (drawn while training runs)."""
    figure = grid_figure(grid_parts(_panels(record)), height, "training-histograms")
    # Redraws come several times a second with new axis ranges: an animated transition would
    # still be moving (and drawing at stale ranges) when the next one arrives.
    del figure["layout"]["transition"]
    figure["layout"]["title"] = {"text": f"step {record.step}", "x": 0.01, "y": 0.99, "font": {"size": 12}}
    return figure


def histogram_history_figure(records: list[Record], height: int = 460) -> dict[str, Any]:
    """Every (or, for long runs, an even selection of) record as a frame: scrub through training."""
    stride = max(1, math.ceil(len(records) / MAX_FRAMES))
    picked = records[::stride]
    if picked[-1] is not records[-1]:
        picked.append(records[-1])
    frames = [(f"{r.step}", grid_parts(_panels(r))) for r in picked]
    figure = animated_grid_figure(frames, "step ", height, "training-histograms")
    figure["layout"]["sliders"][0]["active"] = len(frames) - 1
    figure["layout"]["sliders"][0]["font"] = {"size": 9}
    figure["layout"]["margin"]["b"] = 110
    figure["data"] = frames[-1][1]["data"]
    figure["layout"]["annotations"] = frames[-1][1]["annotations"]
    for axis, rng in frames[-1][1]["ranges"].items():
        figure["layout"][axis] = {**figure["layout"][axis], "range": rng, "autorange": False}
    return figure


def decision_figure(xs: list[float], ys: list[float], p: list[list[float]], points: list[list[float]],
                    labels: list[int], height: int = 330) -> dict[str, Any]:
    """P(class 1) over the plane, its 0.5 contour (the decision boundary) and the training points."""
    data = [
        {"type": "heatmap", "x": xs, "y": ys, "z": p, "zmin": 0, "zmax": 1, "zsmooth": "best",
         "colorscale": [[0, "#a6cee3"], [0.5, "#ffffff"], [1, "#fdbf6f"]], "showscale": False, "showlegend": False,
         "hovertemplate": "(%{x:.2f}, %{y:.2f}): P(class 1) %{z:.2f}<extra></extra>"},
        {"type": "contour", "x": xs, "y": ys, "z": p, "showscale": False, "contours": {
            "start": 0.5, "end": 0.5, "size": 1, "coloring": "none"}, "line": {"color": "#333", "width": 2},
         "hoverinfo": "skip", "showlegend": False},
    ]
    for cls, colour in ((0, "#1f78b4"), (1, "#e66100")):
        chosen = [pt for pt, label in zip(points, labels) if label == cls]
        data.append({"type": "scatter", "mode": "markers", "x": [round(pt[0], 4) for pt in chosen],
                     "y": [round(pt[1], 4) for pt in chosen], "name": f"class {cls}",
                     "marker": {"size": 4, "color": colour, "line": {"width": 0.5, "color": "white"}}})
    layout = {**_BASE_LAYOUT, "height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
              "title": {"text": "decision boundary (P = 0.5)", "font": {"size": 13}, "x": 0.02},
              "xaxis": {"range": [xs[0], xs[-1]], "showgrid": False, "zeroline": False},
              "yaxis": {"range": [ys[0], ys[-1]], "showgrid": False, "zeroline": False, "scaleanchor": "x"},
              "legend": {"orientation": "h", "y": -0.08}, "uirevision": "decision"}
    return {"data": data, "layout": layout}


# Activations for which "pre-activation <= 0 on every validation image" is drawn: ReLU, whose
# units are then dead, and the two the labs set against it, whose units still pass a gradient there.
NEGATIVE_SIDE = ("relu", "leaky_relu", "elu")
LAYER_COLOURS = ["#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154"]  # viridis, shallow to deep


def dead_units_figure(runs: list[Run], current: Run | None, height: int = 280) -> dict[str, Any] | None:
    """Left: each layer's share of units negative on the whole validation set over the run shown
    (the current one, else the last); right: the share of all hidden units for every run with a
    ReLU-family activation, in its colour from the curves. None if no run has one."""
    shown = [*runs, *([current] if current else [])]
    drawn = [(i, r) for i, r in enumerate(shown) if r.config.network.activation in NEGATIVE_SIDE and r.negative_units]
    if not drawn:
        return None
    index, last = drawn[-1]
    depth = len(last.negative_units[0])
    data = []
    for layer in range(depth):
        colour = LAYER_COLOURS[round(layer * (len(LAYER_COLOURS) - 1) / max(1, depth - 1))]
        data.append({"type": "scatter", "mode": "lines", "x": last.record_steps, "name": f"layer {layer + 1}",
                     "y": [round(row[layer], 4) for row in last.negative_units], "line": {"color": colour, "width": 2},
                     "legendgroup": "layers", "hovertemplate": f"layer {layer + 1}, step %{{x}}: %{{y:.0%}}<extra></extra>"})
    for i, run in drawn:
        data.append({"type": "scatter", "mode": "lines", "x": run.record_steps, "name": run.label, "showlegend": False,
                     "y": [round(sum(row) / len(row), 4) for row in run.negative_units], "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": run_colour(i), "width": 2.4 if run is current else 1.6, "dash": run_dash(i)},
                     "hovertemplate": "step %{x}: %{y:.0%}<extra>" + run.label + "</extra>"})
    axis = {"showgrid": True, "gridcolor": "#eee", "zeroline": False, "title": {"text": "step"}}
    share = {"showgrid": True, "gridcolor": "#eee", "range": [0, 1.02], "tickformat": ".0%"}
    dead = "dead" if last.config.network.activation == "relu" else "negative on all (not dead)"
    layout = {
        **_BASE_LAYOUT, "height": height, "margin": {"l": 55, "r": 15, "t": 40, "b": 40},
        "xaxis": {**axis, "domain": [0, 0.45]}, "xaxis2": {**axis, "domain": [0.57, 1.0], "anchor": "y2"},
        "yaxis": {**share, "title": {"text": "units, per layer"}},
        "yaxis2": {**share, "anchor": "x2", "title": {"text": "all hidden units"}},
        "annotations": [
            {"text": f"{last.label}: units {dead} on every validation image", "xref": "paper", "yref": "paper",
             "x": 0, "y": 1.08, "xanchor": "left", "showarrow": False, "font": {"size": 12}},
            {"text": "each ReLU-family run (colours as above)", "xref": "paper", "yref": "paper", "x": 0.57,
             "y": 1.08, "xanchor": "left", "showarrow": False, "font": {"size": 12}}],
        "legend": {"x": 0.46, "xanchor": "right", "y": 1, "font": {"size": 10}, "bgcolor": "rgba(255,255,255,0.7)"},
        "uirevision": "dead-units",
    }
    return {"data": data, "layout": layout}


def placeholder(text: str, height: int = 60) -> dict[str, Any]:
    """An empty figure that says what will appear in its place."""
    return {"data": [], "layout": {**_BASE_LAYOUT, "height": height, "annotations": [{
        "text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}],
        "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def lr_preview_figure(lrs: list[float], height: int = 150) -> dict[str, Any]:
    x, y = _thin(list(range(len(lrs))), lrs)
    return {
        "data": [{"type": "scatter", "mode": "lines", "x": x, "y": y, "line": {"color": "#5d3a9b", "width": 2},
                  "fill": "tozeroy", "fillcolor": "rgba(93,58,155,0.12)",
                  "hovertemplate": "step %{x}: lr %{y:.3g}<extra></extra>"}],
        "layout": {**_BASE_LAYOUT, "height": height, "margin": {"l": 50, "r": 10, "t": 26, "b": 26},
                   "title": {"text": "learning rate over the run", "font": {"size": 12}, "x": 0.02},
                   "xaxis": {"showgrid": False, "range": [0, max(1, len(lrs) - 1)]},
                   "yaxis": {"rangemode": "tozero", "gridcolor": "#eee", "exponentformat": "power"},
                   "uirevision": "lr"},
    }
