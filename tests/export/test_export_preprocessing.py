"""`trainlab export preprocessing`: a self-contained page whose figure animates a point cloud
through the preprocessing stages, with each stage's covariance; its options refused by name."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
import torch

from tests.export.test_export import assert_self_contained, figure_in_html, run_failing
from trainlab.cli import main
from trainlab.compute.preprocess.point_cloud import STAGES, CloudSpec, cloud_stages
from trainlab.export import PreprocessingExport, render
from trainlab.export.preprocessing import build
from trainlab.export.size import ESTIMATE_FACTOR, plotlyjs_bytes


@pytest.fixture(scope="module")
def cloud_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("export") / "cloud.html"
    assert main(["export", "preprocessing", "--points", "200", "--angle", "-40", "--seed", "2", "--out", str(out)]) == 0
    return out, figure_in_html(out.read_text(encoding="utf-8"))


def test_the_cloud_file_is_self_contained_and_valid(cloud_file: tuple[Path, dict]) -> None:
    path, figure = cloud_file
    assert_self_contained(path.read_text(encoding="utf-8"))
    go.Figure(figure)  # raises on any attribute plotly.js does not know


def test_every_stage_is_a_frame_of_the_cloud_the_options_asked_for(cloud_file: tuple[Path, dict]) -> None:
    path, figure = cloud_file
    assert [frame["name"] for frame in figure["frames"]] == list(STAGES)
    expected = cloud_stages(CloudSpec(points=200, angle=-40.0, seed=2))
    for frame, stage in zip(figure["frames"], expected.stages):
        xs, ys = frame["data"][0]["x"], frame["data"][0]["y"]
        assert len(xs) == 200
        torch.testing.assert_close(torch.tensor([xs, ys], dtype=torch.float64).T, stage.points, atol=1e-3, rtol=0)
    text = " ".join(path.read_text(encoding="utf-8").split())
    assert "200 points, std 3 and 0.5 turned by -40°, centred at (3, 2), seed 2" in text
    assert "whitened [ 1 0 ] [ 0 1 ]" in text, "the whitened stage's covariance, in the notes"


def test_the_estimate_is_close_to_the_real_size() -> None:
    for points in (50, 2000):
        job = PreprocessingExport(points=points)
        real = len(render(build(job)).encode("utf-8"))
        variable, guessed = real - plotlyjs_bytes(), job.estimate().total - plotlyjs_bytes()
        assert 1 / ESTIMATE_FACTOR <= variable / guessed <= ESTIMATE_FACTOR, (points, variable, guessed)


@pytest.mark.parametrize(("argv", "option"), [
    (["--angle", "200"], "--angle"), (["--points", "3"], "--points"), (["--scale-y", "0"], "--scale-y"),
    (["--seed", "-1"], "--seed"), (["--centre-x", "nan"], "--centre-x"),
])
def test_bad_options_are_refused_by_name(argv: list[str], option: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    err = run_failing(["export", "preprocessing", *argv, "--out", str(tmp_path / "x.html")], capsys)
    assert err.startswith(f"trainlab: error: {option}: ") or f"{option}: " in err
    assert not (tmp_path / "x.html").exists()
