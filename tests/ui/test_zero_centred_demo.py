"""ZeroCentredDemo without a browser: controls in, figure, numbers, status and notices out. What
the runs mean is tested in tests/compute/optim/test_zero_centred.py, the lessons' claims in
tests/presets/test_zero_centred_presets.py."""

from __future__ import annotations

import pytest

from trainlab import ZeroCentredDemo
from trainlab.presets import ZERO_CENTRED_PRESETS

FAST = {"steps": 300}


def drawn(demo: ZeroCentredDemo) -> dict:
    assert demo.wait(60)
    return demo.plot.figure


@pytest.fixture
def demo():
    widget = ZeroCentredDemo(**FAST)
    yield widget
    widget.close()


def test_it_draws_both_sides_and_holds_the_numbers_it_shows(demo):
    figure = drawn(demo)
    c = demo.comparison
    assert demo.steps_to_converge == {"positive": c.positive.converged_at, "centred": c.centred.converged_at}
    assert demo.same_sign_share["positive"] == 1.0 and demo.same_sign_share["centred"] < 0.8
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert titles[0].endswith(c.positive.outcome()) and titles[1].endswith(c.centred.outcome())
    status = demo.status.text
    assert f"sigmoid: {c.positive.outcome()}, 100 % same-sign updates" in status
    assert f"sigmoid centred: {c.centred.outcome()}" in status
    assert figure["frames"], "animated over the steps"


def test_a_control_recomputes_with_its_value(demo):
    drawn(demo)
    demo.inputs.value = "relu"
    demo.lr.value = 1.0
    drawn(demo)
    assert demo.comparison.spec.inputs == "relu" and demo.comparison.spec.lr == pytest.approx(1.0)
    assert "relu inputs (all ≥ 0)" in demo.plot.figure["layout"]["annotations"][0]["text"]
    demo.target_1.value = 2.0
    drawn(demo)
    assert demo.comparison.spec.target == (2.0, -1.0)
    stars = [t for t in demo.plot.figure["data"] if t.get("name") == "target w*"]
    assert stars[0]["x"] == [2.0]


@pytest.mark.parametrize(("changes", "setting"), [({"lr": 50.0}, "lr"), ({"inputs": "tanh"}, "inputs"),
                                                  ({"examples": 3}, "examples"), ({"start_2": 9.0}, "start_2"),
                                                  ({"target_1": -1.0, "target_2": 1.0}, "target"),
                                                  ({"colour": "red"}, "colour")])
def test_a_bad_value_is_refused_by_name_and_the_figure_stays(demo, changes, setting):
    before = drawn(demo)
    problems = demo.set(**changes)
    assert problems and any(p.startswith(f"{setting}=") or setting in p for p in problems), problems
    assert drawn(demo) is before
    assert demo.settings.lr == 3.0 and demo.settings.start_2 == 1.0


def test_a_refused_control_value_stays_in_it_with_a_notice(demo):
    drawn(demo)
    demo.examples.value = 5
    assert demo.refused and "examples" in demo.refused
    assert demo.settings.examples == 100
    assert any("examples=5 refused" in text for level, text in demo.status.notices if level == "error")


@pytest.mark.parametrize("label", list(ZERO_CENTRED_PRESETS))
def test_a_lecture_case_sets_what_it_names_and_shows_its_lesson_and_its_numbers(label):
    widget = ZeroCentredDemo(preset=label)
    try:
        drawn(widget)
        flat = widget._model.flat(widget.settings)
        assert all(flat[k] == v for k, v in ZERO_CENTRED_PRESETS[label].settings.items())
        notices = " ".join(t for _, t in widget.status.notices)
        assert ZERO_CENTRED_PRESETS[label].lesson in notices
        assert ZERO_CENTRED_PRESETS[label].caption(widget.comparison) in notices
        widget.set(seed=1)
        drawn(widget)
        assert widget.preset.value == label, "the seed is not part of the case"
        assert "seed 1" in " ".join(t for _, t in widget.status.notices), "the caption follows the drawn run"
    finally:
        widget.close()


def test_leaving_the_case_drops_its_caption():
    widget = ZeroCentredDemo(preset=next(iter(ZERO_CENTRED_PRESETS)))
    try:
        drawn(widget)
        widget.set(lr=0.5, steps=200)
        drawn(widget)
        assert widget.preset.value == "custom"
        assert not any(t.startswith("As drawn") for _, t in widget.status.notices)
    finally:
        widget.close()


def test_a_case_chosen_on_the_settings_drawn_states_its_numbers_without_a_new_run():
    label = next(iter(ZERO_CENTRED_PRESETS))
    widget = ZeroCentredDemo(preset=label)
    try:
        drawn(widget)
        lr = widget.settings.lr
        caption = ZERO_CENTRED_PRESETS[label].caption(widget.comparison)
        widget.set(lr=lr / 2)
        drawn(widget)
        widget.set(lr=lr)  # back to the case's settings, now as "custom"
        drawn(widget)
        notices = " ".join(t for _, t in widget.status.notices)
        assert widget.preset.value == "custom" and caption not in notices
        revision = widget.plot.revision
        widget.preset.value = label
        drawn(widget)
        notices = " ".join(t for _, t in widget.status.notices)
        assert widget.plot.revision == revision, "nothing to recompute"
        assert caption in notices and ZERO_CENTRED_PRESETS[label].lesson in notices
    finally:
        widget.close()


def test_a_link_moves_a_new_widget_to_the_same_view(demo):
    demo.set(inputs="relu", lr=0.8, start_1=-2.0, seed=2)
    drawn(demo)
    other = ZeroCentredDemo()
    try:
        assert other.apply_query(demo.query()) == []
        assert other.settings == demo.settings
        drawn(other)
    finally:
        other.close()


def test_embedding_hides_locks_and_scales():
    widget = ZeroCentredDemo(controls=["lr", "inputs"], locked=["inputs"], compact=True, **FAST)
    try:
        assert "trainlab-hidden" in widget.seed._dom_classes and "trainlab-hidden" not in widget.lr._dom_classes
        assert widget.inputs.disabled and not widget.lr.disabled
        assert "trainlab-compact" in widget._dom_classes and widget.plot.fixed_height is not None
        drawn(widget)
    finally:
        widget.close()
