"""Every lecture point of the optimizer race draws its lesson: each claim of its text is checked on
the figure data that reaches the page, the live widget's (plot.figure) and the static export's.

What a frame draws is read as a student sees it: the paths on the map (x, y) and the loss curves
(step, loss) of that frame's traces, the slider's label and the state panel's text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from trainlab import OptimizerRace
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.export import RaceExport
from trainlab.export.race import race_page
from trainlab.presets import RACE_PRESETS

SOURCES = ("widget", "export")


@dataclass(frozen=True)
class Drawn:
    """One racer as a frame draws it."""

    x: np.ndarray
    y: np.ndarray
    steps: np.ndarray
    losses: np.ndarray

    def loss_at(self, step: int) -> float:
        (at,) = np.flatnonzero(self.steps == step)
        return float(self.losses[at])

    def distance_to(self, point: tuple[float, float]) -> np.ndarray:
        return np.hypot(self.x - point[0], self.y - point[1])


def sharp_turns(d: Drawn) -> int:
    """How often the drawn path turns back by more than 90 degrees from one segment to the next."""
    seg = np.diff(np.stack([d.x, d.y], axis=1), axis=0)
    return int(((seg[1:] * seg[:-1]).sum(axis=1) < 0).sum())


def segment_lengths(d: Drawn) -> np.ndarray:
    return np.hypot(np.diff(d.x), np.diff(d.y))


def drawn(frame: dict) -> dict[str, Drawn]:
    """Each racer's path and loss curve in a frame (or the figure itself), by its legend name."""
    def array(values: list) -> np.ndarray:
        return np.array([math.nan if v is None else v for v in values], dtype=float)

    paths = {t["name"]: t for t in frame["data"] if t.get("mode") == "lines" and t.get("xaxis") == "x"}
    curves = {t["name"]: t for t in frame["data"] if t.get("mode") == "lines" and t.get("xaxis") == "x2"}
    assert paths.keys() == curves.keys()
    return {name: Drawn(array(p["x"]), array(p["y"]), array(curves[name]["x"]), array(curves[name]["y"]))
            for name, p in paths.items()}


@cache
def _widget(label: str) -> tuple[dict, str]:
    race = OptimizerRace(preset=label)
    assert race.wait(300)
    figure, notices = race.plot.figure, race.status.text
    race.close()
    return figure, notices


@cache
def _export(label: str) -> tuple[dict, str]:
    job = RaceExport.from_preset(label)
    page = race_page(job, job.validate().run())
    return page.figure, " ".join(page.notes)


def figure_and_text(source: str, label: str) -> tuple[dict, str]:
    """The figure the page gets and the text shown with it (the widget's notices, the export's notes)."""
    return _widget(label) if source == "widget" else _export(label)


def last_frame(source: str, label: str) -> dict[str, Drawn]:
    figure, _ = figure_and_text(source, label)
    moving = figure["frames"][-1]["data"]
    assert figure["data"][-len(moving):] == moving, "the figure opens on its last frame"
    return drawn(figure["frames"][-1])


# -- the slider names the step drawn ------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("label", list(RACE_PRESETS))
def test_the_slider_names_the_step_the_figure_draws(source: str, label: str) -> None:
    figure, _ = figure_and_text(source, label)
    slider = figure["layout"]["sliders"][0]
    shown = slider["steps"][slider["active"]]["label"]
    assert shown == figure["frames"][-1]["name"]
    longest = max(int(d.steps[-1]) for d in drawn(figure).values())
    assert shown == str(longest)
    assert re.search(rf"</b>, step {longest}\b", figure["layout"]["annotations"][0]["text"]), "the state panel too"


# -- each lesson --------------------------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
def test_zig_zag_sgd_zig_zags_and_momentum_arrives_first(source: str) -> None:
    label = "zig-zag: SGD vs momentum"
    lesson = RACE_PRESETS[label].lesson
    step = int(re.search(r"At step (\d+) its loss is over 1,000 times lower", lesson).group(1))
    runs = last_frame(source, label)
    sgd, momentum = runs["SGD"], runs["SGD + momentum"]
    assert len(sgd.x) == step + 1, "every step of the zig-zag is drawn"
    assert sharp_turns(sgd) >= 30 and sharp_turns(sgd) >= 5 * sharp_turns(momentum), (sharp_turns(sgd),
                                                                                    sharp_turns(momentum))
    assert momentum.loss_at(step) * 1000 < sgd.loss_at(step)
    assert sgd.distance_to((0.0, 0.0))[-1] > 0.1, "SGD has not arrived at step 150"
    # The picture mid-race as well: the zig-zag is there while it happens.
    figure, _ = figure_and_text(source, label)
    middle = drawn(figure["frames"][len(figure["frames"]) // 3])
    assert sharp_turns(middle["SGD"]) >= 5 * max(1, sharp_turns(middle["SGD + momentum"]))


def test_zig_zag_no_sgd_learning_rate_catches_momentum() -> None:
    """"No learning rate makes SGD faster here": every stable one is far behind at step 150."""
    race = RACE_PRESETS["zig-zag: SGD vs momentum"].race
    momentum = race.replace(racers=(race.racer("momentum"),)).run()[0]
    for lr in np.linspace(0.002, 0.0199, 10):
        sgd = race.replace(racers=(OptimizerSpec("sgd", lr=float(lr)),)).run()[0]
        assert float(sgd.losses[150, 0]) > 1000 * float(momentum.losses[150, 0]), lr


@pytest.mark.parametrize("source", SOURCES)
def test_saddle_sgd_creeps_and_momentum_rolls_off_into_a_minimum(source: str) -> None:
    runs = last_frame(source, "saddle: SGD stuck vs momentum")
    sgd, momentum = runs["SGD"], runs["SGD + momentum"]
    assert abs(sgd.y[-1] - sgd.y[0]) < 0.01 and abs(sgd.y[-1]) < 0.1, "SGD stays by the saddle"
    assert min(momentum.distance_to((0.0, 2.0))[-1], momentum.distance_to((0.0, -2.0))[-1]) < 0.05


@pytest.mark.parametrize("source", SOURCES)
def test_adagrad_stalls_before_it_arrives_and_rmsprop_arrives(source: str) -> None:
    runs = last_frame(source, "AdaGrad stalls vs RMSProp")
    adagrad, rmsprop = runs["AdaGrad"], runs["RMSProp"]
    steps = segment_lengths(adagrad)
    assert steps[-1] < 0.01 * steps[0], "AdaGrad's last steps are tiny"
    assert adagrad.distance_to((0.0, 0.0))[-1] > 0.1, "... before it arrives"
    assert rmsprop.distance_to((0.0, 0.0))[-1] < 1e-3


@pytest.mark.parametrize("source", SOURCES)
def test_rosenbrock_both_follow_the_valley_momentum_ahead(source: str) -> None:
    runs = last_frame(source, "Adam vs SGD+momentum on Rosenbrock")
    adam, momentum = runs["Adam"], runs["SGD + momentum"]
    for run in (adam, momentum):
        assert abs(run.y[-1] - run.x[-1] ** 2) < 0.05, "on the valley floor y = x^2"
        assert run.distance_to((1.0, 1.0))[-1] < 0.25 * run.distance_to((1.0, 1.0))[0], "towards (1, 1)"
    assert momentum.losses[-1] < adam.losses[-1], "momentum is ahead"


def test_rosenbrock_momentum_needs_its_tuned_rate_and_adam_does_not() -> None:
    race = RACE_PRESETS["Adam vs SGD+momentum on Rosenbrock"].race
    fast = race.replace(racers=(OptimizerSpec("momentum", lr=0.003, momentum=0.9),)).run()[0]
    assert 0 < int(fast.diverged_at[0]) <= 10, "at 0.003 it diverges within a few steps"
    for lr in (0.02, 0.5):
        assert int(race.replace(racers=(OptimizerSpec("adam", lr=lr),)).run()[0].diverged_at[0]) == -1


@pytest.mark.parametrize("source", SOURCES)
def test_without_bias_correction_the_first_steps_are_three_times_too_large_and_overshoot(source: str) -> None:
    runs = last_frame(source, "Adam with and without bias correction")
    adam, raw = runs["Adam"], runs["Adam, no bias correction"]
    assert segment_lengths(raw)[0] / segment_lengths(adam)[0] == pytest.approx(math.sqrt(1000) / 10, rel=0.05)

    def climb(losses: np.ndarray) -> float:
        """How far the loss climbs back up after a low, over the first ten steps: an overshoot."""
        first = losses[:11]
        return max(first[j] / first[:j].min() for j in range(1, len(first)))

    assert climb(raw.losses) > 10 and climb(raw.losses) > 5 * climb(adam.losses), "the raw steps overshoot"


@pytest.mark.parametrize("source", SOURCES)
def test_too_large_a_learning_rate_diverges_and_says_so(source: str) -> None:
    label = "too large a learning rate"
    runs = last_frame(source, label)
    sgd, nesterov = runs["SGD"], runs["Nesterov"]
    _, text = figure_and_text(source, label)
    at = int(re.search(r"SGD(?: \(lr [\d.]+\))?:? diverged at step (\d+)", text).group(1))
    assert 0 < at < 100 and sgd.steps[-1] == at, "its path and loss stop where it diverged"
    assert nesterov.steps[-1] == 100 and nesterov.losses[-1] < 1e-2, "Nesterov converges"


def _first_step_at(run: Drawn, point: tuple[float, float], within: float) -> int | None:
    hits = np.flatnonzero(run.distance_to(point) < within)
    return int(hits[0]) if len(hits) else None


@pytest.mark.parametrize("source", SOURCES)
def test_lbfgs_reaches_the_minimum_in_a_few_dozen_steps_and_wanders_with_noise(source: str) -> None:
    exact = last_frame(source, "L-BFGS, deterministic")
    noisy = last_frame(source, "L-BFGS, noisy gradients")
    name = "L-BFGS + line search"
    # Every step is drawn (200 steps), so a path's index is its step.
    assert 12 <= _first_step_at(exact[name], (1.0, 1.0), 1e-3) <= 60
    assert _first_step_at(exact["Adam"], (1.0, 1.0), 1e-3) is None
    assert _first_step_at(noisy[name], (1.0, 1.0), 0.05) is None, "with noise it never gets there"
    assert sharp_turns(noisy[name]) >= 5 * max(1, sharp_turns(exact[name])), "it wanders"


def test_every_lecture_point_has_its_test() -> None:
    tested = {"zig-zag: SGD vs momentum", "saddle: SGD stuck vs momentum", "AdaGrad stalls vs RMSProp",
              "Adam vs SGD+momentum on Rosenbrock", "Adam with and without bias correction",
              "too large a learning rate", "L-BFGS, deterministic", "L-BFGS, noisy gradients"}
    assert set(RACE_PRESETS) == tested
