"""Lab 01's activation gallery as a figure: f (left) and f' (right) on the same pre-activations,
the flat regions shaded on both, and under f the distribution of one layer's real pre-activations
(from a pass of the deep net), so that the student sees which part of f the network uses."""

from __future__ import annotations

from typing import Any

from trainlab.compute.net.activation_curves import X_RANGE, Curve
from trainlab.compute.net.results import Histogram
from trainlab.figures.style import ACT_COLOUR, FONT, GRAD_COLOUR

FLAT_FILL = "rgba(120, 120, 120, 0.18)"
HIST_COLOUR = "rgba(93, 58, 155, 0.35)"


def _r(x: float) -> float:
    return float(f"{x:.5g}")


def _shaded(curve: Curve, xref: str, yref: str) -> list[dict[str, Any]]:
    return [{"type": "rect", "xref": xref, "yref": f"{yref} domain", "x0": start, "x1": end, "y0": 0, "y1": 1,
             "fillcolor": FLAT_FILL, "line": {"width": 0}, "layer": "below"}
            for start, end in curve.flat_intervals()]


def beyond_range(hist: Histogram) -> float:
    """The share of a histogram's values whose bins lie outside the curves' range (not drawn)."""
    total = sum(hist.counts)
    outside = sum(c for c, x in zip(hist.counts, hist.centres) if not X_RANGE[0] <= x <= X_RANGE[1])
    return outside / total if total else 0.0


def gallery_figure(curve: Curve, hist: Histogram | None = None, layer: int | None = None,
                   height: int = 440) -> dict[str, Any]:
    """The two panels; with `hist` (layer `layer`'s pre-activations), its bars under f as a share
    of the layer's values, and the share that falls in a flat region in the title."""
    name = curve.spec.activation
    xs = [_r(v) for v in curve.x.tolist()]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": xs, "y": [_r(v) for v in curve.f.tolist()], "name": f"{name}(x)",
         "line": {"color": ACT_COLOUR, "width": 3}, "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "x": xs, "y": [_r(v) for v in curve.df.tolist()], "name": f"{name}'(x)",
         "line": {"color": GRAD_COLOUR, "width": 3}, "xaxis": "x2", "yaxis": "y2"},
        {"type": "scatter", "mode": "lines", "x": list(X_RANGE), "y": [curve.threshold] * 2,
         "name": "1 % of the largest |f'|", "line": {"color": "#555", "width": 1, "dash": "dash"},
         "xaxis": "x2", "yaxis": "y2"},
    ]
    title = f"{name}: f and f', flat regions (|f'| under 1 % of its largest) shaded"
    if hist is not None:
        total = sum(hist.counts) or 1
        data.append({"type": "bar", "x": [_r(c) for c in hist.centres], "y": [_r(100 * c / total) for c in hist.counts],
                     "width": (hist.hi - hist.lo) / len(hist.counts), "marker": {"color": HIST_COLOUR},
                     "name": f"layer {layer}'s pre-activations (% of values)", "xaxis": "x", "yaxis": "y3"})
        title = (f"{name}: {100 * curve.flat_share(hist):.0f} % of layer {layer}'s pre-activations fall where f is flat "
                 "(shaded)")
        if beyond_range(hist) > 0:
            title += f"; {100 * beyond_range(hist):.0f} % lie beyond ±{X_RANGE[1]:g}, not drawn"
    layout = {
        "height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
        # b: room for the legend as drawn (see figures/race.py)
        "margin": {"l": 55, "r": 55, "t": 60, "b": 90}, "uirevision": "gallery", "bargap": 0,
        "title": {"text": title, "font": {"size": 13}, "x": 0.0, "xanchor": "left", "xref": "paper"},
        "xaxis": {"domain": [0.0, 0.44], "range": list(X_RANGE), "title": {"text": "pre-activation x"},
                  "gridcolor": "#eee", "zeroline": True},
        "yaxis": {"title": {"text": "f(x)"}, "gridcolor": "#eee", "zeroline": True},
        "yaxis3": {"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                   "title": {"text": "% of the layer's values"}, "visible": hist is not None},
        "xaxis2": {"domain": [0.56, 1.0], "anchor": "y2", "range": list(X_RANGE),
                   "title": {"text": "pre-activation x"}, "gridcolor": "#eee", "zeroline": True},
        "yaxis2": {"anchor": "x2", "title": {"text": "f'(x), by autograd"}, "gridcolor": "#eee", "zeroline": True},
        "shapes": _shaded(curve, "x", "y") + _shaded(curve, "x2", "y2"),
        "legend": {"orientation": "h", "x": 0.0, "y": -0.16},
    }
    return {"data": data, "layout": layout}
