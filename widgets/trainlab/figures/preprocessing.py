"""The preprocessing lab's figures: the point cloud through its stages (an animation on fixed,
equal axes, each frame with its stage's covariance), the least-squares loss's contours with
gradient descent's path on raw, normalized and whitened inputs, and the digits' image
preprocessing (mean image, an example raw and after each lecture recipe)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainlab.compute.preprocess.conditioning import Descent
from trainlab.compute.preprocess.digit_images import PIXEL_RANGE, DigitImages
from trainlab.compute.preprocess.point_cloud import CloudStages, Stage
from trainlab.figures.animation import animation_controls
from trainlab.figures.style import ACT_COLOUR, FONT, GRAD_COLOUR

AXIS_MARGIN = 1.08  # the cloud's square box: every stage's farthest point, and this much more
PANEL_GAP = 0.06
INPUT_TITLES = {"raw": "raw inputs", "normalized": "normalized inputs", "whitened": "whitened inputs"}


def _r(x: float) -> float:
    return float(f"{x:.5g}")


def _base_layout(height: int, title: str) -> dict[str, Any]:
    return {"height": height, "font": FONT, "plot_bgcolor": "white", "paper_bgcolor": "white",
            "title": {"text": title, "font": {"size": 13}, "x": 0.0, "xanchor": "left", "xref": "paper"}}


# -- the cloud ---------------------------------------------------------------------------------
def covariance_text(stage: Stage) -> str:
    """The stage's covariance as two rows of numbers."""
    c = stage.covariance.tolist()
    return "<br>".join("[ " + "  ".join(f"{_r(0.0 if abs(v) < 5e-13 else v):>7.3g}" for v in row) + " ]" for row in c)


def _stage_annotation(stage: Stage) -> list[dict[str, Any]]:
    mean = ", ".join(f"{0.0 if abs(v) < 5e-13 else v:.2g}" for v in stage.mean.tolist())
    return [{"text": f"<b>{stage.name}</b><br>mean ({mean})<br>covariance<br>{covariance_text(stage)}",
             "xref": "paper", "yref": "paper", "x": 1.02, "y": 1.0, "xanchor": "left", "yanchor": "top",
             "align": "left", "showarrow": False, "font": {"family": "monospace", "size": 12}}]


def _points(stage: Stage) -> dict[str, Any]:
    return {"type": "scatter", "mode": "markers", "name": "the points", "x": [_r(v) for v in stage.points[:, 0].tolist()],
            "y": [_r(v) for v in stage.points[:, 1].tolist()],
            "marker": {"color": ACT_COLOUR, "size": 5, "opacity": 0.6}}


def cloud_figure(cloud: CloudStages, height: int = 540) -> dict[str, Any]:
    """Each stage a frame (play, or pick one on the slider) on one square box around the origin
    that holds every stage, so that the cloud's moves and stretches are seen as they are."""
    reach = max(float(stage.points.abs().max()) for stage in cloud.stages) * AXIS_MARGIN
    # constrain "domain": the square box narrows the plot instead of widening the x range.
    axis = {"range": [-_r(reach), _r(reach)], "zeroline": True, "zerolinecolor": "#999", "gridcolor": "#eee",
            "constrain": "domain"}
    origin = {"type": "scatter", "mode": "markers", "name": "origin (0, 0)", "x": [0], "y": [0],
              "marker": {"symbol": "x-thin", "size": 16, "line": {"width": 3, "color": GRAD_COLOUR}}}
    frames = [{"name": s.name, "data": [_points(s)], "traces": [0], "layout": {"annotations": _stage_annotation(s)}}
              for s in cloud.stages]
    first = cloud.stages[0]
    layout = {**_base_layout(height, f"{cloud.spec.points} points through {len(cloud.stages)} stages: "
                                     "play, or pick a stage on the slider"),
              # b: room for the legend and the slider as drawn (see figures/race.py)
              "margin": {"l": 55, "r": 200, "t": 50, "b": 134}, "uirevision": "cloud",
              "xaxis": {**axis, "title": {"text": "feature 1"}},
              "yaxis": {**axis, "title": {"text": "feature 2"}, "scaleanchor": "x", "scaleratio": 1},
              "annotations": _stage_annotation(first), "showlegend": True,
              "legend": {"x": 1.02, "y": 0.0, "xanchor": "left", "yanchor": "bottom"},
              **animation_controls([f["name"] for f in frames], "stage: ", frame_ms=1200, transition_ms=600)}
    return {"data": [_points(first), origin], "layout": layout, "frames": frames}


# -- the loss contours ---------------------------------------------------------------------------
def descent_title(d: Descent) -> str:
    got = f"within 1 % in {d.converged_in} step{'' if d.converged_in == 1 else 's'}" if d.converged_in is not None else f"not within 1 % in {d.steps} steps"
    return f"{INPUT_TITLES[d.inputs]}<br>condition number {d.condition:.3g}; GD {got}"


def contours_figure(descents: Sequence[Descent], height: int = 470) -> dict[str, Any]:
    """One panel per kind of input: log10 of the loss above its minimum (contours), gradient
    descent's path from w = 0, and the minimum; each panel square, its title the Hessian's
    condition number and the steps descent took to get within 1 % of the minimum."""
    n = len(descents)
    width = (1.0 - PANEL_GAP * (n - 1)) / n
    data: list[dict[str, Any]] = []
    layout = {**_base_layout(height, f"L(w) = mean((x·w - y)²)/2: contours of log10(L - L*), and {descents[0].steps} "
                                     "steps of gradient descent at step 1/λmax × the step setting"),
              "margin": {"l": 50, "r": 20, "t": 95, "b": 50}, "uirevision": "contours", "showlegend": True,
              "legend": {"orientation": "h", "x": 0.0, "y": -0.12}, "annotations": []}
    for i, d in enumerate(descents):
        suffix = "" if i == 0 else str(i + 1)
        x, y = f"x{suffix}", f"y{suffix}"
        w1, w2, excess = d.grid()
        floor = max(float(excess.max()) * 1e-6, 1e-12)
        data.append({"type": "contour", "x": [_r(v) for v in w1.tolist()], "y": [_r(v) for v in w2.tolist()],
                     "z": [[_r(v) for v in row] for row in excess.clamp(min=floor).log10().tolist()],
                     "colorscale": "Viridis", "reversescale": True, "showscale": False, "ncontours": 18,
                     "contours": {"coloring": "lines"}, "line": {"width": 1.2}, "name": "log10(L - L*)",
                     "showlegend": i == 0, "xaxis": x, "yaxis": y, "hoverinfo": "skip"})
        data.append({"type": "scatter", "mode": "lines+markers", "x": [_r(v) for v in d.path[:, 0].tolist()],
                     "y": [_r(v) for v in d.path[:, 1].tolist()], "name": "gradient descent from w = 0",
                     "showlegend": i == 0, "line": {"color": GRAD_COLOUR, "width": 2},
                     "marker": {"size": 4, "color": GRAD_COLOUR}, "xaxis": x, "yaxis": y})
        best = d.minimum.tolist()
        data.append({"type": "scatter", "mode": "markers", "x": [_r(best[0])], "y": [_r(best[1])],
                     "name": "the minimum w*", "showlegend": i == 0, "xaxis": x, "yaxis": y,
                     "marker": {"symbol": "star", "size": 13, "color": "#222"}})
        start = i * (width + PANEL_GAP)
        layout[f"xaxis{suffix}"] = {"domain": [start, start + width], "anchor": y, "title": {"text": "w1"},
                                    "range": [_r(float(w1[0])), _r(float(w1[-1]))], "gridcolor": "#eee"}
        layout[f"yaxis{suffix}"] = {"anchor": x, "title": {"text": "w2"}, "scaleanchor": x, "scaleratio": 1,
                                    "range": [_r(float(w2[0])), _r(float(w2[-1]))], "gridcolor": "#eee"}
        layout["annotations"].append({"text": descent_title(d), "xref": "paper", "yref": "paper",
                                      "x": start + width / 2, "y": 1.02, "xanchor": "center", "yanchor": "bottom",
                                      "showarrow": False, "font": {"size": 12}})
    return {"data": data, "layout": layout}


# -- the digits ----------------------------------------------------------------------------------
def image_panels(images: DigitImages) -> list[tuple[str, Any, bool]]:
    """(title, (8, 8) image, whether it is centred on 0) for each panel, in the order drawn."""
    m, s = images.channel_mean, images.channel_std
    return [
        (f"mean image of {images.training_images}<br>training images", images.mean_image, False),
        (f"example {images.index} (a {images.label}),<br>raw pixels 0-16", images.example, False),
        ("minus the mean image<br>(AlexNet)", images.minus_mean_image, True),
        (f"minus the channel mean {m:.2f}<br>(VGG)", images.minus_channel_mean, True),
        (f"(x - {m:.2f}) / std {s:.2f}<br>(ResNet)", images.channel_standardized, True),
    ]


def images_figure(images: DigitImages, height: int = 360) -> dict[str, Any]:
    """The mean image, the example raw, and the example after each recipe; centred images on a
    blue-white-red scale with 0 white, the others in grey from 0 to 16."""
    panels = image_panels(images)
    n = len(panels)
    width = (1.0 - 0.03 * (n - 1)) / n
    data, annotations = [], []
    layout: dict[str, Any] = {
        **_base_layout(height, f"Digits' training split: one channel, per-channel mean {images.channel_mean:.2f} and "
                               f"std {images.channel_std:.2f} (pixel units, 0-16)"),
        "margin": {"l": 20, "r": 20, "t": 100, "b": 20}, "uirevision": "images"}
    for i, (title, image, centred) in enumerate(panels):
        suffix = "" if i == 0 else str(i + 1)
        values = [[_r(v) for v in row] for row in image.tolist()]
        trace = {"type": "heatmap", "z": values, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "name": title,
                 "showscale": False, "hovertemplate": "row %{y}, column %{x}: %{z:.3g}<extra></extra>"}
        if centred:
            reach = max(float(image.abs().max()), 1e-9)
            trace.update(colorscale="RdBu", reversescale=True, zmin=-_r(reach), zmax=_r(reach), zmid=0)
        else:
            trace.update(colorscale="Greys", zmin=PIXEL_RANGE[0], zmax=PIXEL_RANGE[1])
        data.append(trace)
        start = i * (width + 0.03)
        layout[f"xaxis{suffix}"] = {"domain": [start, start + width], "anchor": f"y{suffix}", "visible": False,
                                    "constrain": "domain"}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "autorange": "reversed", "visible": False,
                                    "scaleanchor": f"x{suffix}", "scaleratio": 1, "constrain": "domain"}
        annotations.append({"text": title, "xref": "paper", "yref": "paper", "x": start + width / 2, "y": 1.0,
                            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}})
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}
