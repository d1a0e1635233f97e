"""`trainlab landscape` as a user runs it: the JSON holds the slice and the projected paths, every
option reaches the study (or is refused, before anything is trained, in one line naming it, exit
status 2), and the table says what was computed. Tiny nets and grids: the numbers' meaning is
tested in tests/compute/landscape."""

from __future__ import annotations

import contextlib
import io
import json
import math

import pytest

from tests.export.test_export import run_failing
from trainlab.cli import main
from trainlab.compute.landscape import study

TINY = ["--width", "16", "--depth", "2", "--steps", "20", "--grid", "5", "--eval-samples", "100"]


def _json(argv: list[str]) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["landscape", *argv, "--json"]) == 0
    return json.loads(out.getvalue())


def _finite(values: list) -> bool:
    flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
    return all(v is not None and math.isfinite(v) for v in flat)


@pytest.fixture(scope="module")
def default_tiny() -> dict:
    return _json(TINY)


def test_the_json_holds_the_slice_and_every_runs_projected_path(default_tiny: dict) -> None:
    result = default_tiny
    assert len(result["alpha"]) == len(result["beta"]) == 5
    assert len(result["loss"]) == 5 and all(len(row) == 5 for row in result["loss"])
    assert _finite(result["loss"]) and _finite(result["accuracy"])
    assert [p["optimizer"] for p in result["paths"]] == ["sgd", "adam"]
    centre = result["paths"][0]
    # The slice goes through the first run's trained weights: its end is the centre.
    assert centre["true_loss"][-1] == pytest.approx(result["centre_loss"], rel=1e-5)
    assert centre["alpha"][-1] == pytest.approx(0, abs=1e-6) and centre["beta"][-1] == pytest.approx(0, abs=1e-6)
    for path in result["paths"]:
        assert len(path["steps"]) == len(path["alpha"]) == len(path["true_loss"]) == len(path["slice_loss"])
        assert path["steps"][-1] == 20
    assert result["explained"] is None and result["directions"] == "filter-normalized random"
    # The sharpness the explorer's note shows: the mean rise within ±0.5 of the centre.
    alpha, loss = result["alpha"], result["loss"]
    inside = [k for k, a in enumerate(alpha) if abs(a) <= 0.5]
    mean = sum(loss[i][j] for i in inside for j in inside) / len(inside) ** 2
    assert result["rise"] == {"radius": 0.5, "mean_rise": pytest.approx(mean - result["centre_loss"], rel=1e-6)}


def test_every_option_reaches_the_study() -> None:
    given = {"runs": "adam,momentum", "directions": "pca", "grid": "11", "span": "0.5", "width": "12", "depth": "1",
             "norm": "batch", "batch": "32", "steps": "30", "lr_scale": "2", "eval_samples": "50", "seed": "3",
             "net_seed": "4"}
    assert set(given) == {f.name for f in study.dataclasses.fields(study.LandscapeSpec)}
    argv = [part for name, value in given.items() for part in (f"--{name.replace('_', '-')}", value)]
    result = _json(argv)
    spec = result["spec"]
    assert spec == {"runs": ["adam", "momentum"], "directions": "pca", "grid": 11, "span": 0.5, "width": 12,
                    "depth": 1, "norm": "batch", "batch": 32, "steps": 30, "lr_scale": 2.0, "eval_samples": 50, "seed": 3,
                    "net_seed": 4}
    # ... and the study used them: the grid, the PCA plane, the runs and their length.
    assert len(result["alpha"]) == 11 and result["explained"] is not None
    assert [p["optimizer"] for p in result["paths"]] == ["adam", "momentum"]
    assert result["paths"][0]["steps"][-1] == 30
    extent = max(abs(v) for v in result["paths"][0]["alpha"] + result["paths"][0]["beta"])
    assert result["span"] == pytest.approx(0.5 * study.PCA_MARGIN * extent, rel=1e-5)


def test_the_seeds_change_the_directions_and_the_initial_weights(default_tiny: dict) -> None:
    other = _json([*TINY, "--seed", "1"])
    assert other["loss"] != default_tiny["loss"] and other["centre_loss"] == default_tiny["centre_loss"]
    moved = _json([*TINY, "--net-seed", "1"])
    assert moved["paths"][0]["true_loss"][0] != default_tiny["paths"][0]["true_loss"][0]


@pytest.mark.parametrize(("argv", "option"), [
    (["--runs", "sgd,newton"], "--runs"), (["--runs", ","], "--runs"), (["--runs", "sgd,sgd"], "--runs"),
    (["--directions", "pcb"], "--directions"), (["--grid", "7"], "--grid"), (["--grid", "x"], "--grid"),
    (["--span", "0"], "--span"), (["--span", "nan"], "--span"), (["--width", "8192"], "--width"),
    (["--depth", "0"], "--depth"), (["--norm", "layer"], "--norm"), (["--batch", "100"], "--batch"),
    (["--steps", "5"], "--steps"), (["--eval-samples", "5000"], "--eval-samples"), (["--seed", "-1"], "--seed"),
    (["--net-seed", "1.5"], "--net-seed"),
])
def test_a_bad_value_is_refused_in_one_line_naming_its_option(argv: list[str], option: str,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(study.LandscapeCache, "run", refuse)
    assert run_failing(["landscape", *argv], capsys).startswith(f"trainlab: error: {option}: ")


def test_the_table_says_what_was_computed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["landscape", *TINY, "--directions", "pca"]) == 0
    out = capsys.readouterr().out
    assert "SGD, Adam on the digits (2 x 16, batch 64, 20 steps), a 5 x 5 slice along PCA directions" in out
    assert "3 x 3 after" in out and "5 x 5 after" in out
    assert "the PCA directions explain" in out
    rows = [line for line in out.splitlines() if line.startswith(("SGD ", "Adam "))]
    assert len(rows) == 2 and all(row.count("→") == 2 for row in rows)  # true and sliced loss, start to end
