"""The race's state panel fits its 40 % of the figure: no line longer than PANEL_CHARS, for every
optimizer, diverged or not, at every frame (the instructor's guide's slide layout clipped it)."""

from __future__ import annotations

import re

import pytest

from trainlab.compute.optim.race import Race
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.figures.race import PANEL_CHARS, frame_steps, state_text


def visible(line: str) -> str:
    return re.sub(r"<[^>]+>", "", line)


@pytest.mark.parametrize("surface", ["rosenbrock", "beale"])
def test_no_line_of_the_state_panel_is_longer_than_it_has_room_for(surface: str) -> None:
    # Large learning rates: some racers diverge, and numbers take their longest forms (1.23e+05).
    racers = tuple(OptimizerSpec(name, lr=min(10.0, OPTIMIZERS[name].race_lr * 20)) for name in OPTIMIZERS)
    runs = [Race(surface=surface, racers=(racer,), steps=60).run()[0] for racer in racers]
    assert any(int(run.diverged_at[0]) >= 0 for run in runs) and any(int(run.diverged_at[0]) < 0 for run in runs)
    longest = max((visible(line) for run in runs for step in frame_steps(60)
                   for line in state_text(run, step).split("<br>")), key=len)
    assert len(longest) <= PANEL_CHARS, longest
