"""Shareable widgets: state(), query(), apply_state()/apply_query(), the link control, and the
embedding options (controls, locked, compact) of InitExplorer, OptimizerRace and TrainingDashboard."""

from __future__ import annotations


import ipywidgets as widgets
import pytest

from trainlab import (ActivationGallery, InitExplorer, LandscapeExplorer, OptimizerRace, PreprocessingStages,
                      TrainingDashboard, ZeroCentredDemo)
from trainlab.presets import INIT_PRESETS, RACE_PRESETS, TRAIN_PRESETS
from trainlab.ui.kit.embedding import COMPACT_TEXT_SCALE

SMALL = {"width": 64, "depth": 3}


def warnings_shown(widget) -> list[str]:
    return [text for level, text in widget.status.notices if level == "warning"]


def explorer(**kwargs) -> InitExplorer:
    return InitExplorer(**SMALL, **kwargs)


def dashboard(**kwargs) -> TrainingDashboard:
    return TrainingDashboard(**SMALL, **kwargs)


def landscape(**kwargs) -> LandscapeExplorer:
    return LandscapeExplorer(runs="sgd", width=16, depth=2, steps=20, grid=5, eval_samples=50, **kwargs)


def gallery(**kwargs) -> ActivationGallery:
    return ActivationGallery(width=64, depth=3, layer=2, **kwargs)


def zero_centred(**kwargs) -> ZeroCentredDemo:
    return ZeroCentredDemo(steps=100, **kwargs)


def preprocessing(**kwargs) -> PreprocessingStages:
    return PreprocessingStages(**kwargs)


def settle(widget) -> None:
    if isinstance(widget, (InitExplorer, OptimizerRace, LandscapeExplorer, ActivationGallery, ZeroCentredDemo,
                           PreprocessingStages)):
        assert widget.wait(120)


# -- every control shows every value its setting allows ----------------------------------
def _bounds(widget) -> tuple[float, float]:
    if isinstance(widget, widgets.FloatLogSlider):
        return widget.base ** widget.min, widget.base ** widget.max
    return widget.min, widget.max


@pytest.mark.parametrize("make", [explorer, lambda: OptimizerRace(preset="zig-zag: SGD vs momentum"), dashboard,
                                  landscape, lambda: gallery(activation="leaky_relu"), zero_centred,
                                  lambda: preprocessing(view="contours")])
def test_sliders_span_exactly_the_range_their_setting_accepts(make):
    """A slider that is narrower than its setting would clamp a valid value a link or a script
    gives (showing one number while computing another); a wider one would offer refused values.
    Each slider's ends are accepted, and a step beyond either end is refused."""
    w = make()
    checked = 0
    for name, control in w.fields.items():
        shown = control.layout.display != "none"  # a hidden slider belongs to another choice
        if not shown or not isinstance(control, (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider)):
            continue
        checked += 1
        low, high = _bounds(control)
        for inside in (low, high):
            assert w.check_state({name: inside}) == [], (name, inside)
        below = low - abs(low) * 0.5 - (1 if isinstance(control, widgets.IntSlider) else 1e-3 * (high - low))
        above = high + abs(high) * 0.5 + 1
        for outside in (below, above):
            assert w.check_state({name: outside}), (name, outside)
    assert checked >= 1
    settle(w)


# -- state and query -----------------------------------------------------------------------
def test_new_widgets_have_an_empty_state():
    assert InitExplorer.state(explorer()) == {"width": 64, "depth": 3}, "only what differs from NetworkSpec()"
    race = OptimizerRace()
    assert race.state() == {} and race.query() == "" and race.share.query == ""
    assert TrainingDashboard().state() == {}
    settle(race)


def test_explorer_state_holds_only_changes_and_the_chosen_preset():
    e = explorer()
    e.fields["activation"].value = "relu"
    e.fields["std"].value = 0.05
    assert e.state() == {"width": 64, "depth": 3, "activation": "relu", "std": 0.05}
    assert e.query() == "width=64&depth=3&activation=relu&std=0.05" or set(e.query().split("&")) == {
        "width=64", "depth=3", "activation=relu", "std=0.05"}
    assert e.share.query == e.query(), "the link follows the controls"
    label = next(iter(INIT_PRESETS))
    e.preset.value = label
    assert e.state()["preset"] == label and e.share.query.startswith("preset=")
    settle(e)


def test_explorer_gain_of_the_scheme_is_left_out():
    e = explorer(init="kaiming_normal")
    assert "gain" not in e.state()
    e.fields["gain"].value = 0.5
    assert e.state()["gain"] == 0.5 and "std" not in e.state()
    settle(e)


def round_trip(a, b) -> None:
    settle(a)
    assert b.apply_query(a.query()) == []
    assert b.state() == a.state()
    assert b.share.query == a.share.query == a.query()
    assert not warnings_shown(b)
    settle(b)


def test_explorer_round_trip_through_a_query():
    a = explorer()
    a.fields["activation"].value = "relu"
    a.fields["init"].value = "xavier_uniform"
    a.fields["gain"].value = 0.7
    a.fields["norm"].value = "layer"
    a.fields["bias"].value = True
    round_trip(a, InitExplorer())


def test_explorer_round_trip_with_a_preset_with_special_characters():
    label = next(name for name in INIT_PRESETS if "," in name or " " in name)
    a = explorer(preset=label)
    assert a.state()["preset"] == label
    b = InitExplorer()
    round_trip(a, b)
    assert b.preset.value == label and INIT_PRESETS[label].lesson in b.status.text


def test_race_state_and_round_trip():
    a = OptimizerRace()
    a.surface.value = "quadratic"
    a.condition.value = 100
    a.sliders["adam.lr"].value = 0.1
    a.sliders["adam.beta1"].value = 0.8
    a.checks["sgd"].value = True
    a.steps.value = 120
    a.view.value = "3-D"
    state = a.state()
    assert state == {"surface": "quadratic", "condition": 100.0, "steps": 120, "view": "3-D",
                     "optimizers": "sgd,momentum,adam", "adam.lr": 0.1, "adam.beta1": 0.8}
    assert a.share.query == a.query()
    round_trip(a, OptimizerRace())


def test_race_start_point_and_preset_round_trip():
    a = OptimizerRace(preset=next(iter(RACE_PRESETS)))
    settle(a)
    a.start_x.value, a.start_y.value = 0.5, 1.25
    state = a.state()
    assert state["start"] == "0.5,1.25"
    round_trip(a, OptimizerRace())


def test_dashboard_state_and_round_trip():
    a = dashboard()
    assert a.state() == {"width": 64, "depth": 3}
    fields = a.fields
    fields["optimizer"].value = "momentum"
    fields["lr"].value = 0.05
    fields["momentum"].value = 0.8
    fields["dropout"].value = 0.2
    fields["patience"].value = 5
    a.fields["bias"].value = True
    assert a.state() == {"width": 64, "depth": 3, "bias": True, "optimizer": "momentum", "lr": 0.05,
                         "momentum": 0.8, "dropout": 0.2, "patience": 5}
    assert a.share.query == a.query()
    round_trip(a, TrainingDashboard())


def test_dashboard_preset_is_in_its_state():
    label = next(iter(TRAIN_PRESETS))
    a = dashboard()
    a.preset.value = label
    assert a.state()["preset"] == label
    b = TrainingDashboard()
    round_trip(a, b)
    assert b.preset.value == label


def test_apply_state_takes_typed_values():
    e = explorer()
    assert e.apply_state({"activation": "relu", "depth": 4, "bias": True, "std": 0.02}) == []
    assert e.state() == {"width": 64, "depth": 4, "activation": "relu", "bias": True, "std": 0.02}
    race = OptimizerRace()
    assert race.apply_state({"steps": 50, "start": (0.5, 1.0), "optimizers": ["sgd"], "sgd.lr": 0.02}) == []
    assert race.settings.race.start == (0.5, 1.0) and [r.name for r in race.settings.race.racers] == ["sgd"]
    assert race.sliders["sgd.lr"].value == pytest.approx(0.02, rel=0.01)
    dash = dashboard()
    assert dash.apply_state({"dataset": "moons", "steps": 80, "train_subset": 0}) == []
    assert dash.config.data.name == "moons" and dash.config.steps == 80 and dash.config.data.train_subset is None
    settle(e)
    settle(race)


# -- bad links -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [explorer, OptimizerRace, dashboard, landscape, gallery, zero_centred, preprocessing],
                         ids=["explorer", "race", "dashboard", "landscape", "gallery", "zero_centred", "preprocessing"])
def test_unknown_and_bad_parameters_warn_and_the_rest_applies(make):
    w = make()
    settle(w)
    good = {InitExplorer: ("batch=7", lambda: w.fields["batch"].value == 7),
            OptimizerRace: ("noise=0.5", lambda: w.noise.value == 0.5),
            TrainingDashboard: ("steps=77", lambda: w.fields["steps"].value == 77),
            LandscapeExplorer: ("span=0.5", lambda: w.span.value == 0.5),
            ActivationGallery: ("layer=3", lambda: w.layer.value == 3),
            ZeroCentredDemo: ("examples=50", lambda: w.examples.value == 50),
            PreprocessingStages: ("angle=12", lambda: w.fields["angle"].value == 12)}
    text, applied = next(v for k, v in good.items() if isinstance(w, k))
    bad_value = {InitExplorer: "seed=two", OptimizerRace: "steps=two", TrainingDashboard: "seed=two",
                 LandscapeExplorer: "seed=two", ActivationGallery: "seed=two",
                 ZeroCentredDemo: "seed=two", PreprocessingStages: "seed=two"}[type(w)]
    problems = w.apply_query(f"?bogus=1&{bad_value}&theme=dark&{text}")
    assert applied(), "the good parameter still applies"
    assert len(problems) == 2
    shown = warnings_shown(w)
    assert len(shown) == 2 and all(note.startswith("Link:") for note in shown)
    assert "'bogus'" in shown[0] and "known:" in shown[0]
    assert "two" in shown[1] and "whole number" in shown[1]
    assert "theme" not in " ".join(shown), "Voila's own page parameters are not the widget's"
    settle(w)


def test_race_out_of_range_values_are_refused_by_name_and_the_rest_applies():
    race = OptimizerRace()
    problems = race.apply_query("steps=50000&adam.eps=1e-13&adam.lr=0.3")
    assert race.steps.value == 300 and race.sliders["adam.lr"].value == pytest.approx(0.3, rel=0.01)
    assert race.settings.race.racer("adam").lr == pytest.approx(0.3)
    assert any(p.startswith("steps=50000 refused") for p in problems)
    assert any(p.startswith("adam.eps=1e-13 refused") for p in problems)
    assert len(problems) == 2 and len(warnings_shown(race)) == 2
    race.apply_query("view=4-D")
    assert race.view.value == "contour" and "view='4-D': must be one of contour" in warnings_shown(race)[0]
    settle(race)


def test_explorer_out_of_range_values_are_reported_not_clamped():
    e = explorer()
    problems = e.apply_state({"std": 50})
    assert len(problems) == 1 and "std" in problems[0] and warnings_shown(e)[0].startswith("Link:")
    problems = e.apply_state({"init": "xavier_normal", "gain": 0.00001})
    assert problems and "gain" in problems[0], "a gain below the range is refused by name"
    assert e.settings.init == "xavier_normal" and warnings_shown(e)
    settle(e)


def test_dashboard_out_of_range_values_are_reported_not_clamped():
    dash = dashboard()
    problems = dash.apply_state({"dropout": 0.96, "lr": 1e-7})
    assert sorted(p.split("=")[0] for p in problems) == ["dropout", "lr"], problems
    assert len(warnings_shown(dash)) == 2
    assert dash.apply_state({"steps": 0}) and dash.config.steps == 500, "an invalid number keeps the old one"


def test_a_good_link_clears_the_previous_warnings():
    e = explorer()
    e.apply_query("bogus=1")
    assert warnings_shown(e)
    assert e.apply_query("activation=relu") == []
    settle(e)
    assert not warnings_shown(e)
    settle(e)


# -- embedding options ---------------------------------------------------------------------
def classes(widget) -> set[str]:
    return set(widget._dom_classes)


def test_explorer_controls_locked_and_compact():
    e = explorer(controls=["activation", "init"], locked=["depth"], compact=True)
    fields = e.fields
    assert "trainlab-hidden" in classes(fields["norm"]) and "trainlab-hidden" in classes(e.play)
    assert "trainlab-hidden" in classes(e.share) and "trainlab-hidden" in classes(e.preset)
    assert "trainlab-hidden" not in classes(fields["activation"]) | classes(fields["depth"])
    assert fields["depth"].disabled and not fields["activation"].disabled
    assert "trainlab-compact" in classes(e)
    assert e.histograms.text_scale == e.std_plot.text_scale == COMPACT_TEXT_SCALE
    assert e.histograms.fixed_height is not None
    settle(e)
    assert e.histograms.figure["layout"]["height"] == e.histograms.fixed_height
    # A locked control is the program's to move: a link still sets it.
    assert e.apply_state({"depth": 4}) == [] and fields["depth"].value == 4
    settle(e)


def test_explorer_is_plain_without_options():
    e = explorer()
    assert "trainlab-compact" not in classes(e) and e.histograms.text_scale == 1.0
    assert e.histograms.fixed_height is None
    assert not any("trainlab-hidden" in classes(w) or w.disabled for w in e.fields.values())
    settle(e)


def test_race_controls_locked_and_compact():
    race = OptimizerRace(controls=["surface", "optimizers", "adam"], locked=["start", "race"], compact=True)
    assert "trainlab-hidden" in classes(race.steps) and "trainlab-hidden" in classes(race.rows["sgd"])
    assert "trainlab-hidden" not in classes(race.surface) | classes(race.rows["adam"])
    assert race.race.disabled and race.start_x.disabled and race.start_y.disabled
    assert not race.surface.disabled
    assert race.plot.text_scale == COMPACT_TEXT_SCALE and "trainlab-compact" in classes(race)
    settle(race)


def test_dashboard_controls_locked_and_compact():
    dash = dashboard(controls=["lr", "train"], locked=["optimizer"], compact=True)
    assert "trainlab-hidden" in classes(dash.fields["dataset"])
    assert "trainlab-hidden" in classes(dash.stop_button) and "trainlab-hidden" in classes(dash.share)
    assert "trainlab-hidden" not in classes(dash.fields["lr"]) | classes(dash.train_button)
    assert dash.fields["optimizer"].disabled
    for view in (dash.curves, dash.histograms, dash.decision, dash.lr_preview):
        assert view.text_scale == COMPACT_TEXT_SCALE
    assert dash.curves.figure["layout"]["height"] == dash.curves.fixed_height
    assert "trainlab-compact" in classes(dash)


@pytest.mark.parametrize("make", [explorer, OptimizerRace, dashboard, zero_centred],
                         ids=["explorer", "race", "dashboard", "zero_centred"])
def test_unknown_control_names_raise(make):
    with pytest.raises(ValueError, match=r"unknown control 'nonsense'; choose from .*preset"):
        make(controls=["nonsense"])
    with pytest.raises(ValueError, match=r"unknown control 'locknot'"):
        make(locked=["locknot"])


# -- the page's own query string -------------------------------------------------------------
def _page_sends(widget, query: str) -> None:
    """What share_link.js does on a Voila page opened with ?query."""
    widget.share._on_front_end_message(widget.share, {"type": "page-query", "query": query}, [])


def test_a_widget_follows_the_page_query_only_when_asked():
    w = explorer()
    settle(w)
    assert w.share.follow_page is False
    _page_sends(w, "activation=relu")
    settle(w)
    assert "activation" not in w.state(), "a widget that did not ask ignores the page's address"

    w.apply_page_query()
    assert w.share.follow_page is True
    _page_sends(w, "activation=relu&colour=red")
    settle(w)
    assert w.state()["activation"] == "relu"
    assert any("colour" in text for text in warnings_shown(w))


# -- the page's own echoes are not the student's changes -----------------------------------
def test_a_slider_rounding_its_value_is_not_a_change():
    """A slider sends back its value rounded to its step (0.9 came back as 0.9000000000000001):
    that is no change of setting, no recomputation, no leaving the lecture case."""
    e = InitExplorer(preset="tanh, std 0.01", **SMALL)
    settle(e)
    revision = e.histograms.revision
    e.fields["std"].value = 0.01 * (1 + 1e-12)
    settle(e)
    assert e.histograms.revision == revision and e.preset.value == "tanh, std 0.01"
    assert e.settings.std == 0.01


def test_a_hidden_control_cannot_refuse_anything():
    """Adam's (hidden) momentum slider echoing its value must not block Train (it did)."""
    dash = dashboard(optimizer="adam")
    assert dash.fields["momentum"].layout.display == "none"
    dash.fields["momentum"].value = 0.9000000000000001
    assert dash.refused == {} and not notices_of(dash, "error")
    dash.train()
    assert dash.wait(120) and dash.trainer is not None


def notices_of(widget, level: str) -> list[str]:
    return [text for lvl, text in widget.status.notices if lvl == level]
