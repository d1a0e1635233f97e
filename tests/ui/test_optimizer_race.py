"""OptimizerRace without a browser: controls in, figure and notices out."""

from __future__ import annotations

import json

import pytest

from trainlab import OptimizerRace
from trainlab.presets import RACE_PRESETS


def notices(race: OptimizerRace, level: str) -> str:
    return race.status.texts(level)


def paths(race: OptimizerRace) -> dict[str, tuple]:
    assert race.wait(120)
    return {t["name"]: (tuple(t["x"]), tuple(t["y"])) for t in race.plot.figure["data"]
            if t.get("mode") == "lines" and t.get("xaxis") == "x"}


def test_constructor_sets_surface_racers_and_steps():
    race = OptimizerRace(surface="beale", racers={"adam": {"lr": 0.1}, "rmsprop": {"lr": 0.01}}, steps=50)
    drawn = paths(race)
    assert set(drawn) == {"Adam", "RMSProp"}
    assert race.surface.value == "beale" and race.steps.value == 50
    assert race.sliders["adam.lr"].value == pytest.approx(0.1, rel=0.01)
    assert len(race.result[0].points) == 51


@pytest.mark.parametrize("label", list(RACE_PRESETS))
def test_presets_set_what_they_name_and_show_the_lesson(label):
    race = OptimizerRace()
    paths(race)
    race.preset.value = label
    drawn = paths(race)
    preset = RACE_PRESETS[label]
    assert race.surface.value == preset.race.surface and race.steps.value == preset.race.steps
    assert {r.optimizer.name for r in race.result} == {r.name for r in preset.race.racers}
    assert len(drawn) == len(preset.race.racers)
    assert race.preset.value == label, "a preset must survive its own slider rounding"
    assert preset.lesson in notices(race, "info")


def test_changing_a_control_recomputes_and_redraws():
    race = OptimizerRace(preset="zig-zag: SGD vs momentum")
    before = paths(race)
    race.sliders["momentum.lr"].value = 0.02
    after = paths(race)
    assert after["SGD + momentum"] != before["SGD + momentum"] and after["SGD"] == before["SGD"]
    assert race.preset.value == "custom"


def test_divergence_is_stopped_and_reported():
    race = OptimizerRace(preset="too large a learning rate")
    paths(race)
    sgd = next(r for r in race.result if r.optimizer.name == "sgd")
    assert int(sgd.diverged_at[0]) > 0
    assert "SGD diverged at step" in notices(race, "warning")
    finite = json.dumps(race.plot.figure)  # no NaN or Infinity reaches the browser
    assert "NaN" not in finite and "Infinity" not in finite


def test_click_on_the_map_moves_the_start():
    race = OptimizerRace(preset="zig-zag: SGD vs momentum")
    paths(race)
    race.plot._on_front_end_message(race.plot, {"type": "click", "x": 2.0, "y": -1.0}, [])
    paths(race)
    assert (race.start_x.value, race.start_y.value) == (2.0, -1.0)
    assert race.result[0].points[0, 0].tolist() == [2.0, -1.0]


def test_frames_animate_the_race_in_the_browser_and_stay_small():
    race = OptimizerRace(surface="rosenbrock", steps=500, racers={
        "sgd": {"lr": 1e-3}, "momentum": {"lr": 1e-3}, "nesterov": {"lr": 1e-3}, "rmsprop": {"lr": 1e-2},
        "adam": {"lr": 0.05}, "adagrad": {"lr": 0.5}})
    paths(race)
    figure = race.plot.figure
    assert len(figure["frames"]) == 50
    assert figure["layout"]["sliders"][0]["steps"][-1]["label"] == "500"
    assert len(json.dumps(figure["frames"])) < 2_000_000
    assert race.plot.base[0]["type"] == "contour", "the contour map travels once, as a base trace"
    first, last = figure["frames"][0], figure["frames"][-1]
    assert len(first["data"][0]["x"]) == 1 and len(last["data"][0]["x"]) > 50, "paths grow frame by frame"
    assert "step 500" in last["layout"]["annotations"][0]["text"]


def test_state_panel_names_the_optimizer_buffers():
    race = OptimizerRace(surface="quadratic", racers={"adam": {"lr": 0.1}}, steps=20)
    paths(race)
    text = race.plot.figure["layout"]["annotations"][0]["text"]
    assert "first moment" in text and "second moment" in text and "m̂" in text


def test_three_d_view_and_back():
    race = OptimizerRace(preset="zig-zag: SGD vs momentum")
    paths(race)
    race.view.value = "3-D"
    race.wait()
    assert race.plot.figure["data"][0]["type"] == "surface" and race.plot.base == []
    race.view.value = "contour"
    race.wait()
    assert race.plot.base[0]["type"] == "contour"


def test_no_racer_gives_a_notice_and_keeps_the_figure():
    race = OptimizerRace(preset="zig-zag: SGD vs momentum")
    race.checks["sgd"].value = False
    before = paths(race)
    assert set(before) == {"SGD + momentum"}
    race.checks["momentum"].value = False
    assert "Tick at least one optimizer" in notices(race, "info")
    assert paths(race) == before
    race.checks["adam"].value = True
    assert set(paths(race)) == {"Adam"}
    assert "Tick at least one optimizer" not in notices(race, "info")


def test_basin_map_view_for_the_chosen_optimizer():
    race = OptimizerRace(surface="himmelblau", racers={"sgd": {"lr": 0.01}, "newton": {}}, steps=100)
    paths(race)
    race.show_state.value = "sgd"
    race.view.value = "basins"
    race.wait()
    heatmap = race.plot.figure["data"][0]
    assert heatmap["type"] == "heatmap" and len(heatmap["z"]) == 50
    assert {v for row in heatmap["z"] for v in row} >= {0, 1, 2, 3}, "all four of Himmelblau's basins"
    assert "SGD" in race.plot.figure["layout"]["title"]["text"]
    race.show_state.value = "newton"
    race.wait()
    assert "Newton" in race.status.text and "element-wise" in notices(race, "error")
