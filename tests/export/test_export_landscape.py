"""`trainlab export landscape`: a self-contained page whose figure is the computed slice with the
runs' paths, its size estimated before training, and its options refused before training."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from tests.export.test_export import assert_self_contained, figure_in_html, run_failing
from trainlab.cli import main
from trainlab.compute.landscape import study
from trainlab.export import LandscapeExport, render
from trainlab.export.landscape import build
from trainlab.export.size import ESTIMATE_FACTOR, plotlyjs_bytes

TINY = ["--width", "16", "--depth", "2", "--steps", "20", "--grid", "5", "--eval-samples", "100"]


@pytest.fixture(scope="module")
def landscape_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("export") / "landscape.html"
    assert main(["export", "landscape", *TINY, "--directions", "pca", "--out", str(out)]) == 0
    return out, figure_in_html(out.read_text(encoding="utf-8"), frames=False)


def test_the_landscape_file_is_self_contained_and_valid(landscape_file: tuple[Path, dict]) -> None:
    path, figure = landscape_file
    assert_self_contained(path.read_text(encoding="utf-8"))
    go.Figure(figure)  # raises on any attribute plotly.js does not know


def test_the_landscape_file_draws_the_slice_and_both_paths(landscape_file: tuple[Path, dict]) -> None:
    path, figure = landscape_file
    contour = figure["data"][0]
    assert contour["type"] == "contour" and len(contour["z"]) == 5 and len(contour["x"]) == 5
    names = [trace.get("name") for trace in figure["data"]]
    for label in ("SGD", "Adam"):
        assert {f"{label}'s path, projected", f"{label}: true loss", f"{label}: loss on the map"} <= set(names)
    assert "PCA directions" in figure["layout"]["title"]["text"]
    text = path.read_text(encoding="utf-8")
    assert "trainlab: loss landscape of the digits net, SGD vs Adam" in text


def test_the_3d_view_is_exported_as_a_surface(tmp_path: Path) -> None:
    out = tmp_path / "surface.html"
    assert main(["export", "landscape", *TINY, "--runs", "adam", "--view", "3-D", "--out", str(out)]) == 0
    figure = figure_in_html(out.read_text(encoding="utf-8"), frames=False)
    assert [t["type"] for t in figure["data"]] == ["surface", "scatter3d"]


def test_the_estimate_is_close_to_the_real_size() -> None:
    job = LandscapeExport(width=16, depth=2, steps=20, grid=21, eval_samples=100)
    real = len(render(build(job)).encode("utf-8"))
    estimate = job.estimate()
    variable, guessed = real - plotlyjs_bytes(), estimate.total - plotlyjs_bytes()
    assert 1 / ESTIMATE_FACTOR <= variable / guessed <= ESTIMATE_FACTOR, (variable, guessed)


@pytest.mark.parametrize(("argv", "option"), [
    (["--view", "top"], "--view"), (["--grid", "9"], "--grid"), (["--runs", "lbfgs"], "--runs"),
    (["--max-mb", "1"], "--max-mb"),
])
def test_bad_options_are_refused_before_training(argv: list[str], option: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(study.LandscapeCache, "run", refuse)
    err = run_failing(["export", "landscape", *argv, "--out", str(tmp_path / "x.html")], capsys)
    # --max-mb 1 is within its range, but plotly.js alone is larger: the size refusal names it.
    assert f"{option}: " in err if option != "--max-mb" else "raise --max-mb" in err
