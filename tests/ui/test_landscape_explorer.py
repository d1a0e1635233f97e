"""LandscapeExplorer without a browser: controls in, figure, status and notices out. A tiny net
and grid: what the numbers mean is tested in tests/compute/landscape and tests/figures."""

from __future__ import annotations

import pytest

from trainlab import LandscapeExplorer
from trainlab.presets import LANDSCAPE_PRESETS

TINY = {"width": 12, "depth": 2, "steps": 20, "grid": 5, "eval_samples": 60}


def figure(explorer: LandscapeExplorer) -> dict:
    assert explorer.wait(120)
    return explorer.plot.figure


def names(explorer: LandscapeExplorer) -> set[str]:
    return {t.get("name") for t in figure(explorer)["data"]}


@pytest.fixture
def explorer():
    widget = LandscapeExplorer(**TINY)
    yield widget
    widget.close()


def test_it_builds_draws_the_slice_and_both_paths_and_says_what_it_drew(explorer):
    data = figure(explorer)["data"]
    assert data[0]["type"] == "contour" and len(data[0]["z"]) == 5
    assert {"SGD's path, projected", "Adam's path, projected", "SGD: true loss", "Adam: loss on the map"} <= names(
        explorer)
    assert "SGD, Adam: a 5 x 5 slice along filter-normalized random directions" in explorer.status.text
    assert explorer.state() == {"grid": 5, "width": 12, "depth": 2, "steps": 20, "eval_samples": 60}


def test_a_control_change_redraws_on_the_new_plane(explorer):
    before = figure(explorer)
    explorer.directions.value = "pca"
    after = figure(explorer)
    assert "PCA directions" in after["layout"]["title"]["text"] and after != before
    assert "The PCA directions explain" in explorer.status.texts("info")
    assert explorer.state()["directions"] == "pca" and "directions=pca" in explorer.query()


def test_the_slice_is_drawn_coarse_first_then_fine(explorer):
    figure(explorer)
    sizes = []
    show = explorer.plot.show
    # Every hand-over to the main thread runs at once: a busy kernel would drop a coarse level
    # that a finer one overtook before it was drawn (the keyed hand-over keeps the newest).
    explorer._main.call = lambda fn, key=None: fn()
    explorer.plot.show = lambda fig, base=None: (sizes.append(len(fig["data"][0]["z"])), show(fig, base))
    explorer.grid.value = 21
    figure(explorer)
    assert sizes == [6, 11, 21]


def test_a_bad_value_stays_in_its_control_with_a_notice_and_the_figure_stays(explorer):
    before = figure(explorer)
    explorer.steps.value = 3
    assert figure(explorer) == before
    assert explorer.steps.value == 3 and "steps" in explorer.refused
    assert "steps=3 refused" in explorer.status.texts("error") and "10 to 5000" in explorer.status.texts("error")
    explorer.checks["sgd"].value = False
    assert explorer.spec.runs == ("adam",)
    explorer.checks["adam"].value = False
    assert "runs" in explorer.status.texts("error")
    assert explorer.spec.runs == ("adam",), "the settings keep the last valid runs"


def test_the_view_redraws_the_cached_study_in_3d(explorer):
    figure(explorer)
    explorer._cache.run = None  # anything trained now would fail
    explorer.view.value = "3-D"
    try:
        assert [t["type"] for t in figure(explorer)["data"]] == ["surface", "scatter3d", "scatter3d"]
    finally:
        del explorer._cache.run


def test_the_line_view_draws_the_loss_between_the_two_runs_solutions(explorer):
    study = explorer.wait(120) and explorer.result
    explorer.view.value = "line"
    drawn = figure(explorer)
    loss = next(t for t in drawn["data"] if t["name"] == "loss")
    assert loss["x"][0] == -0.5 and loss["x"][-1] == 1.5 and len(loss["x"]) == 41
    # At t = 0 and t = 1 the line passes through the two runs' trained weights: their true losses.
    ends = {t: y for t, y in zip(loss["x"], loss["y"]) if t in (0.0, 1.0)}
    sgd, adam = (path.projected.true_loss[-1] for path in study.paths)
    assert ends[0.0] == pytest.approx(float(sgd), rel=1e-3) and ends[1.0] == pytest.approx(float(adam), rel=1e-3)
    assert explorer.status.line[0][1] == "SGD to Adam: the loss along the straight line between their weights"
    assert "Between the two solutions" in " ".join(t for _, t in explorer.status.notices)
    assert explorer.state()["view"] == "line"


def test_the_status_shows_each_phase_with_its_share_done(monkeypatch):
    shown = []
    widget = LandscapeExplorer(**{**TINY, "grid": 11, "seed": 5})  # a new plane: sliced afresh
    monkeypatch.setattr(widget.status, "set_busy", lambda what, progress=None: shown.append((what, progress)))
    try:
        widget.set(span=0.7)
        assert widget.wait(120)
        phases = [(what, done) for what, done in shown if done is not None]
        assert phases and [done for _, done in phases] == sorted(done for _, done in phases)
        assert phases[-1] == ("refining the slice from 6 x 6 to 11 x 11 points", pytest.approx(0.5 + 0.5 * 36 / 121))
    finally:
        widget.close()


def test_the_line_view_with_one_run_is_refused_by_name():
    widget = LandscapeExplorer(**TINY, runs="sgd")
    try:
        problems = widget.set(view="line")
        assert problems and problems[0].startswith("view=") and "two runs" in problems[0]
        assert widget.settings.view == "contour"
    finally:
        widget.close()


def test_the_next_change_cancels_the_computation_under_way(explorer):
    figure(explorer)
    explorer.set(steps=30)
    first = explorer._latest
    explorer.set(steps=40)  # before the first has been drawn
    assert first is not None and first.cancel.cancelled
    figure(explorer)
    assert not explorer.status.texts("error")
    assert explorer.result.spec.steps == 40 and explorer.result.paths[0].steps[-1] == 40


@pytest.mark.parametrize("label", list(LANDSCAPE_PRESETS))
def test_a_lecture_case_sets_what_it_names_and_shows_its_lesson(label):
    widget = LandscapeExplorer(preset=label, **TINY)
    try:
        figure(widget)
        flat = widget._model.flat(widget.settings)
        assert all(str(flat[k]) == str(v) for k, v in LANDSCAPE_PRESETS[label].settings.items() if k not in TINY)
        assert LANDSCAPE_PRESETS[label].lesson in widget.status.texts("info")
    finally:
        widget.close()


def test_a_link_moves_a_new_widget_to_the_same_view(explorer):
    figure(explorer)
    explorer.set(directions="random", norm="batch")
    other = LandscapeExplorer()
    try:
        other.apply_query(explorer.query())
        assert other.spec == explorer.spec
    finally:
        other.close()


def test_close_stops_the_worker():
    widget = LandscapeExplorer(**TINY)
    figure(widget)
    assert widget._worker.alive
    widget.close()
    assert not widget._worker.alive
