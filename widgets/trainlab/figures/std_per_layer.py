"""The std of each layer's activations, measured and as the variance recursion predicts: a figure
beside a single pass, and a panel of the sweep's animated figure that moves with its slider.
What the plot cannot draw (every std 0, overflowed layers) it says in words."""

from __future__ import annotations

import math
from typing import Any

from trainlab.compute import PassResult
from trainlab.figures.style import ACT_COLOUR, FONT, THEORY_COLOUR, TRANSITION


def _drawable(result: PassResult) -> tuple[list[float | None], list[float | None]]:
    """Measured and predicted std per layer; None where there is none to draw."""
    measured = [layer.std if math.isfinite(layer.std) else None for layer in result.layers]
    return measured, [layer.theory_std for layer in result.layers]


def std_axis(results: list[PassResult]) -> dict[str, Any]:
    """One y axis for every result (a sweep's frames share it, so the line is seen to move): log
    where every value drawn is positive, with an explicit range (log10 units on a log axis)."""
    values = [v for r in results for series in _drawable(r) for v in series if v is not None]
    positive = [v for v in values if v > 0]
    log = bool(positive) and len(positive) == len(values)
    if not values:
        span = [0.0, 1.0]
    elif log:
        lo, hi = math.log10(min(positive)), math.log10(max(positive))
        span = [lo - 0.1 - 0.05 * (hi - lo), hi + 0.1 + 0.05 * (hi - lo)]
    else:
        lo, hi = min(0.0, min(values)), max(values)
        span = [lo, hi * 1.1 if hi > 0 else 1.0]
    return {"type": "log" if log else "linear", "range": span, "autorange": False, "exponentformat": "power",
            "gridcolor": "#eee"}


def std_traces(result: PassResult, axis: int = 1) -> list[dict[str, Any]]:
    """The measured and the predicted line, on the subplot `axis` (1: x and y, n: xn and yn)."""
    layers = [layer.layer for layer in result.layers]
    measured, theory = _drawable(result)
    on = {"xaxis": "x" if axis == 1 else f"x{axis}", "yaxis": "y" if axis == 1 else f"y{axis}"}
    return [
        {"type": "scatter", "mode": "lines+markers", "name": "measured", "x": layers, "y": measured, **on,
         "line": {"color": ACT_COLOUR, "width": 2}, "marker": {"size": 7},
         "hovertemplate": "layer %{x}: std %{y:.3g}<extra>measured</extra>"},
        {"type": "scatter", "mode": "lines", "name": "theory", "x": layers, "y": theory, **on,
         "line": {"color": THEORY_COLOUR, "width": 2, "dash": "dash"},
         "hovertemplate": "layer %{x}: std %{y:.3g}<extra>theory</extra>"},
    ]


def std_note(result: PassResult) -> str | None:
    """Why the plot shows no line, or only part of one."""
    if all(layer.std == 0 for layer in result.layers):
        why = ("zero init: every weight is 0, so every unit of a layer computes the same number"
               if result.spec.init == "zeros" else "every unit of a layer computes the same number")
        return f"Every layer's std is 0 ({why}):<br>the activations do not vary, so the line lies on the axis."
    lost = [layer.layer for layer in result.layers if not math.isfinite(layer.std)]
    if lost:
        return f"Layers {lost[0]} to {lost[-1]} overflowed (inf/NaN): no std to draw there."
    return None


def note_annotation(text: str, xref: str = "paper", yref: str = "paper") -> dict[str, Any]:
    return {"text": text, "xref": xref, "yref": yref, "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 12, "color": "#444"}, "bgcolor": "rgba(255,255,255,0.9)", "bordercolor": "#ccc",
            "borderpad": 4}


def x_axis(depth: int) -> dict[str, Any]:
    return {"title": {"text": "layer"}, "dtick": 1 if depth <= 20 else 5, "range": [0.5, depth + 0.5],
            "autorange": False}


def std_figure(result: PassResult, height: int = 260) -> dict[str, Any]:
    """Std of each layer's activations, measured and as the variance recursion predicts."""
    note = std_note(result)
    layout = {
        "height": height, "margin": {"l": 60, "r": 10, "t": 36, "b": 40}, "font": FONT,
        "title": {"text": "std of activations per layer", "font": {"size": 13}, "x": 0.02},
        "xaxis": x_axis(len(result.layers)), "yaxis": std_axis([result]),
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.12},
        "annotations": [note_annotation(note)] if note else [],
        "plot_bgcolor": "white", "paper_bgcolor": "white", "transition": TRANSITION, "uirevision": "std",
    }
    return {"data": std_traces(result), "layout": layout}
