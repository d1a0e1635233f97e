"""embedding.py: which controls show, which are locked, the compact layout and its text scale."""

from __future__ import annotations

import copy

import ipywidgets as widgets
import pytest

from trainlab.ui.kit.embedding import COMPACT_HEIGHT, COMPACT_SIDEBAR, COMPACT_TEXT_SCALE, Embedding, scale_text

HIDDEN = "trainlab-hidden"


def named() -> dict[str, widgets.DOMWidget]:
    return {"activation": widgets.Dropdown(options=["relu", "tanh"]), "depth": widgets.IntText(3),
            "sweep": widgets.Button(), "link": widgets.Checkbox()}


def test_of_turns_iterables_into_tuples():
    embedding = Embedding.of(iter(["depth"]), ["sweep"], True)
    assert embedding == Embedding(("depth",), ("sweep",), True)
    assert Embedding.of(None, None, False) == Embedding()
    assert Embedding.of([], None, False).controls == (), "an empty list shows nothing, unlike None"


def test_by_default_every_control_shows_and_none_is_locked():
    controls = named()
    Embedding().arrange(controls)
    for widget in controls.values():
        assert HIDDEN not in widget._dom_classes and not widget.disabled


def test_controls_not_chosen_are_hidden():
    controls = named()
    Embedding.of(["activation", "sweep"], None, False).arrange(controls)
    hidden = {name for name, widget in controls.items() if HIDDEN in widget._dom_classes}
    assert hidden == {"depth", "link"}
    assert not any(widget.disabled for widget in controls.values())


def test_locked_controls_show_but_are_disabled():
    controls = named()
    Embedding.of(["activation"], ["depth"], False).arrange(controls)
    assert controls["depth"].disabled and HIDDEN not in controls["depth"]._dom_classes, "locked implies shown"
    assert not controls["activation"].disabled
    assert HIDDEN in controls["sweep"]._dom_classes and HIDDEN in controls["link"]._dom_classes
    # Locking alone hides nothing.
    others = named()
    Embedding.of(None, ["sweep"], False).arrange(others)
    assert others["sweep"].disabled and not any(HIDDEN in w._dom_classes for w in others.values())


@pytest.mark.parametrize("controls, locked, message", [
    (["activaton"], None, r"unknown control 'activaton'; choose from activation, depth, sweep, link"),
    (None, ["x", "y"], r"unknown controls 'x', 'y'; choose from activation"),
    (["depth", "nope"], ["also"], r"unknown controls 'nope', 'also'")])
def test_unknown_names_raise_and_name_the_choices(controls, locked, message):
    widgets_ = named()
    with pytest.raises(ValueError, match=message):
        Embedding.of(controls, locked, False).arrange(widgets_)
    assert not any(w.disabled or HIDDEN in w._dom_classes for w in widgets_.values()), "nothing half-applied"


def test_locking_a_box_disables_the_controls_inside_it():
    x, y = widgets.FloatText(0.5), widgets.FloatText(1.0)
    title = widgets.HTML("<b>start</b>")
    controls = {"start": widgets.HBox([title, widgets.VBox([x, y])]), "depth": widgets.IntText(3)}
    Embedding.of(None, ["start"], False).arrange(controls)
    assert x.disabled and y.disabled, "a locked group of controls must not stay changeable"
    assert not controls["depth"].disabled


def test_layout_stacks_controls_above_figures_by_default():
    controls, figures, extras = [widgets.HTML("c1"), widgets.HTML("c2")], [widgets.HTML("f")], [widgets.HTML("e")]
    assert Embedding().layout(controls, figures, extras) == [*controls, *figures, *extras]
    assert Embedding().text_scale == 1.0


def test_compact_layout_puts_controls_in_a_sidebar_beside_the_figures():
    controls, figures, extras = [widgets.HTML("c1"), widgets.HTML("c2")], [widgets.HTML("f")], [widgets.HTML("e")]
    embedding = Embedding(compact=True)
    row, *rest = embedding.layout(controls, figures, extras)
    assert rest == extras
    sidebar, main = row.children
    assert list(sidebar.children) == controls and list(main.children) == figures
    assert sidebar.layout.width == COMPACT_SIDEBAR and sidebar.layout.max_height == f"{COMPACT_HEIGHT}px"
    assert sidebar.layout.overflow == "auto", "the sidebar scrolls when taller than the slide"
    assert embedding.text_scale == COMPACT_TEXT_SCALE > 1


def test_style_marks_only_the_compact_root():
    plain, compact = widgets.VBox(), widgets.VBox()
    Embedding().style(plain)
    Embedding(compact=True).style(compact)
    assert "trainlab-compact" not in plain._dom_classes and plain.layout.max_width is None
    assert "trainlab-compact" in compact._dom_classes and compact.layout.max_width == "1280px"


def layout_with_fonts() -> dict:
    return {"font": {"size": 12, "family": "sans-serif"}, "height": 400,
            "xaxis": {"tickfont": {"size": 10}, "title": {"text": "x", "font": {"size": 13, "color": "red"}}},
            "yaxis2": {"title": {"text": "no size", "font": {"color": "blue"}}},
            "annotations": [{"text": "a", "font": {"size": 11}}, {"text": "b", "x": 0.5}],
            "sliders": [{"font": {"size": 9}, "currentvalue": {"font": {"size": 10}}, "steps": [{"label": "1"}]}],
            "margin": {"l": 60, "t": 10}, "legend": {"font": {"size": 11}}}


def test_scale_text_scales_every_font_size_and_nothing_else():
    layout = layout_with_fonts()
    original = copy.deepcopy(layout)
    scaled = scale_text(layout, 1.5)
    assert layout == original, "the input is left unchanged"
    assert scaled["font"] == {"size": 18, "family": "sans-serif"}
    assert scaled["xaxis"]["tickfont"]["size"] == 15 and scaled["xaxis"]["title"]["font"] == {"size": 19.5,
                                                                                               "color": "red"}
    assert scaled["yaxis2"] == original["yaxis2"], "a font without a size inherits the scaled root"
    assert [a.get("font") for a in scaled["annotations"]] == [{"size": 16.5}, None]
    assert scaled["sliders"][0]["font"]["size"] == 13.5
    assert scaled["sliders"][0]["currentvalue"]["font"]["size"] == 15
    assert scaled["legend"]["font"]["size"] == 16.5
    # Sizes that are not text stay.
    assert scaled["height"] == 400 and scaled["margin"] == {"l": 60, "t": 10}
    assert scaled["annotations"][1] == {"text": "b", "x": 0.5}


def test_scale_text_rounds_to_a_tenth_and_is_identity_at_one():
    assert scale_text({"font": {"size": 12}}, 1.4)["font"]["size"] == 16.8
    assert scale_text({"font": {"size": 10}}, 1 / 3)["font"]["size"] == 3.3
    layout = layout_with_fonts()
    assert scale_text(layout, 1.0) == layout
