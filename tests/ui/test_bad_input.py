"""Bad input at every public entry point of the widgets: the constructor, set(), apply_state()
and apply_query(). Each bad value is refused with a message that names the setting, the widget
stays usable, and a call of the wrong kind raises a TypeError that says what it takes. Nothing
ends in a raw KeyError, IndexError, AttributeError or TraitError."""

from __future__ import annotations

import pytest

from trainlab import (ActivationGallery, InitExplorer, LandscapeExplorer, OptimizerRace, PredictReveal,
                      PreprocessingStages, TrainingDashboard, ZeroCentredDemo)

SMALL_NET = {"width": 64, "depth": 2}
SMALL_DASH = {"width": 64, "depth": 2, "steps": 20}
SMALL_GALLERY = {"width": 64, "depth": 3, "layer": 2}
SMALL_ZERO = {"steps": 100}
SMALL_LANDSCAPE = {"runs": "sgd", "width": 16, "depth": 2, "steps": 20, "grid": 5, "eval_samples": 50}

# (widget, constructor keyword arguments, the setting the refusal must name)
CONSTRUCTOR_VALUES = [
    (InitExplorer, {"bias": "yes"}, "bias"),
    (InitExplorer, {"depth": 0}, "depth"),
    (InitExplorer, {"activation": "swish"}, "activation"),
    (InitExplorer, {"std": -1.0}, "std"),
    (InitExplorer, {"init": "kaiming_normal", "std": 0.3}, "std"),
    (InitExplorer, {"width": 100, "norm": "group", "groups": 32}, "groups"),
    (InitExplorer, {"seed": -1}, "seed"),
    (OptimizerRace, {"racers": {"nope": {}}}, "optimizers"),
    (OptimizerRace, {"surface": "nope"}, "surface"),
    (OptimizerRace, {"start": (1,)}, "start"),
    (OptimizerRace, {"steps": 10**9}, "steps"),
    (OptimizerRace, {"steps": 0}, "steps"),
    (OptimizerRace, {"noise": 1e9}, "noise"),
    (OptimizerRace, {"racers": {"adam": {"lr": -1}}}, "adam.lr"),
    (OptimizerRace, {"racers": {"adam": {"momentum": 0.5}}}, "adam.momentum"),
    (OptimizerRace, {"surface": "rosenbrock", "condition": 30}, "condition"),
    (TrainingDashboard, {"lr": 1e3}, "lr"),
    (TrainingDashboard, {"dropout": 2}, "dropout"),
    (TrainingDashboard, {"dataset": "digits", "noise": 0.3}, "noise"),
    (TrainingDashboard, {"optimizer": "newton"}, "optimizer"),
    (TrainingDashboard, {"optimizer": "adam", "momentum": 0.5}, "momentum"),
    (TrainingDashboard, {"train_subset": 5}, "train_subset"),
    (TrainingDashboard, {"warmup": 100, "steps": 50}, "warmup"),
    (LandscapeExplorer, {"runs": "sgd,newton"}, "runs"),
    (LandscapeExplorer, {"directions": "diagonal"}, "directions"),
    (LandscapeExplorer, {"grid": 7}, "grid"),
    (LandscapeExplorer, {"span": 0}, "span"),
    (LandscapeExplorer, {"lr_scale": 100}, "lr_scale"),
    (LandscapeExplorer, {"batch": 100}, "batch"),
    (LandscapeExplorer, {"eval_samples": 5}, "eval_samples"),
    (ActivationGallery, {"activation": "swish"}, "activation"),
    (ActivationGallery, {"slope": -1}, "slope"),
    (ActivationGallery, {"alpha": 9}, "alpha"),
    (ActivationGallery, {"layer": 7}, "layer"),
    (ActivationGallery, {"depth": 0}, "depth"),
    (ZeroCentredDemo, {"inputs": "tanh"}, "inputs"),
    (ZeroCentredDemo, {"lr": 0}, "lr"),
    (ZeroCentredDemo, {"steps": 10**7}, "steps"),
    (ZeroCentredDemo, {"examples": 2}, "examples"),
    (ZeroCentredDemo, {"start_1": 7}, "start_1"),
    (ZeroCentredDemo, {"noise": 3}, "noise"),
    (ZeroCentredDemo, {"target_1": -1, "target_2": 1}, "target_1"),
    (PreprocessingStages, {"view": "3-D"}, "view"),
    (PreprocessingStages, {"points": 2}, "points"),
    (PreprocessingStages, {"scale_y": 0}, "scale_y"),
    (PreprocessingStages, {"step": 2.5}, "step"),
    (PreprocessingStages, {"example": 5000}, "example"),
]


def _build(cls, **kwargs):
    base = {InitExplorer: SMALL_NET, OptimizerRace: {}, TrainingDashboard: SMALL_DASH,
            LandscapeExplorer: SMALL_LANDSCAPE, ActivationGallery: SMALL_GALLERY,
            ZeroCentredDemo: SMALL_ZERO, PreprocessingStages: {}}[cls]
    return cls(**{**base, **kwargs})


@pytest.mark.parametrize("cls,kwargs,setting", CONSTRUCTOR_VALUES,
                         ids=[f"{c.__name__}-{s}-{i}" for i, (c, _, s) in enumerate(CONSTRUCTOR_VALUES)])
def test_a_bad_constructor_value_is_refused_by_name_and_the_widget_works(cls, kwargs, setting):
    widget = _build(cls, **kwargs)
    errors = [text for level, text in widget.status.notices if level == "error"]
    assert any(text.startswith(f"{setting}=") for text in errors), errors
    assert widget.wait(120)
    assert widget.set(**{}) == []  # still answers
    widget.close()


@pytest.mark.parametrize("cls,kwargs,setting", CONSTRUCTOR_VALUES,
                         ids=[f"{c.__name__}-{s}-{i}" for i, (c, _, s) in enumerate(CONSTRUCTOR_VALUES)])
def test_the_same_bad_value_through_a_link_is_refused_by_name(cls, kwargs, setting):
    widget = _build(cls)
    # In a link "yes" is a word for True; "maybe" is not one.
    state = {k: "maybe" if k == "bias" else v for k, v in kwargs.items()}
    if "racers" in kwargs:  # a link spells racers as optimizers=...&adam.lr=...
        racers = kwargs["racers"]
        state = {"optimizers": ",".join(racers), **{f"{n}.{h}": v for n, hs in racers.items() for h, v in hs.items()}}
    problems = widget.apply_state(state)
    assert any(setting in problem for problem in problems), problems
    assert widget.wait(120)
    widget.close()


@pytest.mark.parametrize("make", [lambda: _build(InitExplorer), lambda: _build(OptimizerRace),
                                  lambda: _build(TrainingDashboard), lambda: _build(LandscapeExplorer),
                                  lambda: _build(ActivationGallery), lambda: _build(ZeroCentredDemo),
                                  lambda: _build(PreprocessingStages)])
@pytest.mark.parametrize("call,arg", [("apply_state", None), ("apply_state", "activation=relu"),
                                      ("apply_state", 3), ("apply_query", None), ("apply_query", {"a": 1})])
def test_a_call_of_the_wrong_kind_says_what_it_takes(make, call, arg):
    widget = make()
    with pytest.raises(TypeError, match=call):
        getattr(widget, call)(arg)
    widget.close()


def test_unknown_keyword_arguments_are_refused_naming_them():
    with pytest.raises(TypeError, match="learning_rate"):
        InitExplorer(learning_rate=0.1)
    with pytest.raises(TypeError, match="racers"):
        OptimizerRace(racers=["adam"])
    with pytest.raises(TypeError, match="learning_rate"):
        TrainingDashboard(learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate"):
        LandscapeExplorer(learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate"):
        ActivationGallery(learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate"):
        ZeroCentredDemo(learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate"):
        PreprocessingStages(learning_rate=0.1)


@pytest.mark.parametrize("kwargs,message", [
    ({"reveal": {"std": -1}}, "std"),
    ({"reveal": {"colour": "red"}}, "colour"),
    ({"then": 42}, "then"),
    ({"answer": "maybe"}, "answer"),
])
def test_a_bad_question_is_refused_when_the_instructor_builds_it(kwargs, message):
    explorer = _build(InitExplorer)
    args = {"question": "?", "choices": ["yes", "no"], "answer": "yes", "explanation": "", "widget": explorer,
            **kwargs}
    with pytest.raises((TypeError, ValueError), match=message):
        PredictReveal(**args)
    explorer.close()
