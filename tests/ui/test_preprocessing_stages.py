"""PreprocessingStages without a browser: settings in, figure, status, lessons and captions out.
What the numbers mean is tested in tests/compute/preprocess/."""

from __future__ import annotations

import pytest

from trainlab import PreprocessingStages
from trainlab.presets import PREPROCESSING_PRESETS


def drawn(widget: PreprocessingStages) -> dict:
    assert widget.wait(60)
    return widget.plot.figure


@pytest.fixture
def lab():
    widget = PreprocessingStages()
    yield widget
    widget.close()


def notices(widget) -> str:
    return " ".join(text for _, text in widget.status.notices)


def test_it_starts_on_the_cloud_and_keeps_the_stages_it_draws(lab):
    figure = drawn(lab)
    assert lab.stages is not None and len(figure["frames"]) == 5
    assert figure["frames"][0]["data"][0]["x"][0] == pytest.approx(float(lab.stages["raw"].points[0, 0]), rel=1e-4)
    assert "300 points through 5 stages" in lab.status.text
    assert lab.fields["example"].layout.display == "none" and lab.fields["step"].layout.display == "none"


def test_the_contour_view_holds_the_condition_numbers_it_shows(lab):
    drawn(lab)
    lab.view.value = "contours"
    figure = drawn(lab)
    assert set(lab.condition) == {"raw", "normalized", "whitened"}
    titles = " ".join(a["text"] for a in figure["layout"]["annotations"])
    for value in lab.condition.values():
        assert f"condition number {value:.3g}" in titles
    assert lab.condition["normalized"] < lab.condition["raw"] and lab.condition["whitened"] == pytest.approx(1)
    assert f"condition number {lab.condition['raw']:.3g} raw" in lab.status.text
    assert lab.fields["step"].layout.display != "none"


def test_the_images_view_follows_the_example(lab):
    lab.set(view="images", example=12)
    drawn(lab)
    assert lab.images.index == 12 and f"digit 12 (a {lab.images.label})" in lab.status.text
    assert lab.fields["angle"].layout.display == "none"


@pytest.mark.parametrize(("changes", "setting"), [({"view": "3-D"}, "view"), ({"angle": 400}, "angle"),
                                                  ({"step": 2.0}, "step"), ({"example": -1}, "example"),
                                                  ({"colour": "red"}, "colour")])
def test_a_bad_value_is_refused_by_name_and_the_figure_stays(lab, changes, setting):
    before = drawn(lab)
    problems = lab.set(**changes)
    assert problems and problems[0].startswith(f"{setting}="), problems
    assert drawn(lab) == before


@pytest.mark.parametrize("label", list(PREPROCESSING_PRESETS))
def test_a_lecture_case_shows_its_lesson_and_its_numbers_as_drawn(label):
    widget = PreprocessingStages(preset=label)
    try:
        drawn(widget)
        case = PREPROCESSING_PRESETS[label]
        flat = widget._model.flat(widget.settings)
        assert all(flat[k] == v for k, v in case.settings.items())
        result = {"cloud": widget.stages, "contours": widget.descents, "images": widget.images}[flat["view"]]
        assert case.lesson in notices(widget) and case.caption(result) in notices(widget)
    finally:
        widget.close()


def test_a_case_on_the_settings_already_drawn_still_states_its_numbers(lab):
    drawn(lab)
    lab.preset.value = "raw -> whitened: the four stages"  # the defaults: nothing to recompute
    drawn(lab)
    assert "the correlation stays" in notices(lab)
    lab.set(angle=10.0)
    drawn(lab)
    assert lab.preset.value == "custom" and "As drawn" not in notices(lab)


def test_a_link_moves_a_new_widget_to_the_same_view(lab):
    lab.set(view="contours", angle=-20.0, seed=3, steps=80)
    drawn(lab)
    other = PreprocessingStages()
    try:
        assert other.apply_query(lab.query()) == []
        assert other.settings == lab.settings
        drawn(other)
    finally:
        other.close()
