"""The preprocessing figures show the numbers they are given: a frame per stage on one fixed,
square box holding every stage, each with its covariance; a contour panel per kind of input with
its condition number; the image panels with the training statistics."""

from __future__ import annotations

import pytest

from trainlab.compute.preprocess.conditioning import DescentSpec, descents
from trainlab.compute.preprocess.digit_images import digit_images
from trainlab.compute.preprocess.point_cloud import STAGES, CloudSpec, cloud_stages
from trainlab.figures.preprocessing import cloud_figure, contours_figure, covariance_text, images_figure


def test_the_cloud_animates_its_stages_on_fixed_equal_axes_that_hold_every_stage():
    cloud = cloud_stages(CloudSpec(seed=1))
    figure = cloud_figure(cloud)
    assert [f["name"] for f in figure["frames"]] == list(STAGES)
    assert [s["label"] for s in figure["layout"]["sliders"][0]["steps"]] == list(STAGES)
    layout = figure["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["xaxis"]["range"] == layout["yaxis"]["range"]
    low, high = layout["xaxis"]["range"]
    assert low < 0 < high, "the origin is in the box"
    for frame, stage in zip(figure["frames"], cloud.stages):
        xs, ys = frame["data"][0]["x"], frame["data"][0]["y"]
        assert len(xs) == cloud.spec.points and low <= min(xs + ys) and max(xs + ys) <= high
        text = frame["layout"]["annotations"][0]["text"]
        assert stage.name in text and covariance_text(stage) in text
    assert figure["data"][1]["x"] == [0] and figure["data"][1]["y"] == [0], "the origin is marked"
    whitened = figure["frames"][-1]["layout"]["annotations"][0]["text"]
    assert whitened.count("1 ]") == 1 and "[       1" in whitened, whitened


def test_the_contour_panels_title_their_condition_numbers_and_steps():
    ds = descents(CloudSpec(seed=0), DescentSpec(steps=30))
    figure = contours_figure(ds)
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert len(titles) == 3
    for title, d in zip(titles, ds):
        assert f"condition number {d.condition:.3g}" in title
        assert ("not within 1 % in 30 steps" in title) == (d.converged_in is None)
    paths = [t for t in figure["data"] if t["type"] == "scatter" and t["mode"] == "lines+markers"]
    assert [len(p["x"]) for p in paths] == [31, 31, 31], "the same number of steps on every side"
    for i in ("", "2", "3"):
        assert figure["layout"][f"yaxis{i}"]["scaleanchor"] == f"x{i}"


def test_the_image_panels_show_the_training_statistics():
    images = digit_images(example=4, seed=2)
    figure = images_figure(images)
    heatmaps = figure["data"]
    assert len(heatmaps) == 5
    assert heatmaps[0]["z"][3][4] == pytest.approx(float(images.mean_image[3, 4]), rel=1e-4)
    assert heatmaps[2]["z"][3][4] == pytest.approx(float(images.minus_mean_image[3, 4]), rel=1e-4, abs=1e-9)
    text = " ".join(a["text"] for a in figure["layout"]["annotations"]) + figure["layout"]["title"]["text"]
    assert f"{images.channel_mean:.2f}" in text and f"{images.channel_std:.2f}" in text
    assert f"(a {images.label})" in text
    assert all(h["zmid"] == 0 for h in heatmaps[2:]), "centred images: 0 in the middle of the colour scale"
