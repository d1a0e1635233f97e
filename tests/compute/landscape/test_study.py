"""A landscape study from its settings: the nested levels it draws on the way, the runs sharing
their start, the cache that trains nothing twice, and cancellation that keeps nothing half done."""

from __future__ import annotations

import pytest

from trainlab.compute.cancel import Cancelled, CancelToken
from trainlab.compute.errors import SpecError
from trainlab.compute.landscape.study import LandscapeCache, LandscapeSpec, landscape_levels

TINY = LandscapeSpec(width=16, depth=2, steps=20, grid=5, eval_samples=60)


@pytest.mark.parametrize(("grid", "levels"), [(5, (3, 5)), (11, (6, 11)), (21, (6, 11, 21)), (41, (11, 21, 41))])
def test_the_levels_nest_coarse_to_fine(grid: int, levels: tuple[int, ...]) -> None:
    assert LandscapeSpec(grid=grid).levels == levels


def test_a_study_draws_each_level_and_a_second_look_trains_nothing() -> None:
    cache = LandscapeCache()
    levels = list(landscape_levels(TINY, cache))
    assert [level.slice.size for level in levels] == [3, 5] and levels[-1].finished
    sgd, adam = levels[-1].paths
    assert float(sgd.projected.true_loss[0]) == pytest.approx(float(adam.projected.true_loss[0])), "one start"
    cache.run = None  # type: ignore[method-assign]  # anything trained now would fail
    again = list(landscape_levels(TINY, cache))
    assert len(again) == 1 and again[0] is levels[-1]


def test_a_cancelled_study_keeps_no_half_trained_run() -> None:
    cache, cancel = LandscapeCache(), CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        next(landscape_levels(TINY, cache, cancel))
    assert cache.trained() == []


def test_a_bad_setting_is_refused_by_name() -> None:
    with pytest.raises(SpecError) as error:
        next(landscape_levels(TINY.replace(runs=())))
    assert error.value.field == "runs"


def test_the_phases_say_what_is_computed_and_how_much_is_done() -> None:
    phases: list[tuple[str, float]] = []
    list(landscape_levels(TINY.replace(grid=21), LandscapeCache(), on_phase=lambda words, done: phases.append((words, done))))
    words, done = zip(*phases)
    assert words[0] == "training SGD for 20 steps (1 of 2)" and words[1] == "training Adam for 20 steps (2 of 2)"
    assert list(done) == sorted(done) and done[0] == 0.0 and done[1] == 0.25 and max(done) < 1.0
    # Training is the first half, the slice's points the second: 6 x 6, then 11 x 11, of 21 x 21.
    assert phases[-2:] == [("refining the slice from 6 x 6 to 11 x 11 points", pytest.approx(0.5 + 0.5 * 36 / 441)),
                           ("refining the slice from 11 x 11 to 21 x 21 points", pytest.approx(0.5 + 0.5 * 121 / 441))]
