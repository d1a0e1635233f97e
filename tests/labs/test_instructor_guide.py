"""The instructor's guide (and the README's copy of its example): its widgets and its reveal show
what its text says. The guide's explorer is 1024 wide; the README's is the default 4096."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from ipywidgets import VBox

from tests.conftest import ROOT
from tests.labs.labkit import SEEDS, answer, ratio_per_layer, run_cell, says, shot

LAB = "instructor_guide"


@pytest.fixture(scope="module")
def guide():
    out = {}
    namespace = run_cell(LAB, 0)
    explorer = namespace["explorer"]
    try:
        out["before"] = shot(explorer)
        out["locked"] = explorer.fields["activation"].disabled
        run_cell(LAB, 1, namespace)
        question, race = namespace["question"], namespace["race"]
        out["question"] = question
        answer(question)
        out["revealed"] = shot(explorer)
        out["gain shown"] = explorer.fields["gain"].value
        for seed in SEEDS[1:]:
            explorer.set(seed=seed)
            out["revealed", seed] = shot(explorer)
        explorer.set(seed=0)
        shot(explorer)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            run_cell(LAB, 2, namespace)
        out["printed"] = printed.getvalue().splitlines()
        race.close()
    finally:
        explorer.close()
    return out


def test_kaiming_before_the_reveal(guide):
    before = guide["before"]
    spec = before.result.spec
    assert (spec.activation, spec.init, spec.width) == ("relu", "kaiming_normal", 1024)
    says(LAB, "the activation is shown but locked")
    assert guide["locked"]
    stds = [layer.std for layer in before.layers]
    assert max(stds) / min(stds) < 1.2  # Kaiming: no layer-to-layer shrinking


def test_the_reveal_shrinks_by_one_over_root_two(guide):
    question = guide["question"]
    assert question.answer == "shrinks by about 1/√2 per layer"
    assert "the std shrinks by 1/√2" in question.explanation
    for revealed in (guide["revealed"], guide["revealed", 1], guide["revealed", 2]):
        spec = revealed.result.spec
        assert spec.init == "xavier_normal" and spec.knob_value == 1.0  # Xavier's own gain, not Kaiming's
        stds = [layer.std for layer in revealed.layers]
        assert stds == sorted(stds, reverse=True)
        assert ratio_per_layer(stds) == pytest.approx(0.5 ** 0.5, abs=0.04)
    assert guide["gain shown"] == pytest.approx(1.0)


def test_the_state_round_trip_prints_true(guide):
    says(LAB, "The same view in a new widget, built from the dict")
    assert guide["printed"][-1] == "True"


def test_readme_reveal_shrinks():
    """The README's embedding example, run as written (VBox is the one name it leaves to the reader)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "PredictReveal(" in b)
    namespace = {"VBox": VBox}
    exec(compile(block, "README.md", "exec"), namespace)
    explorer, question = namespace["explorer"], namespace["question"]
    try:
        shot(explorer)
        assert question.answer == "shrinks"
        answer(question)
        revealed = shot(explorer)
        assert revealed.result.spec.init == "xavier_normal" and revealed.result.spec.knob_value == 1.0
        stds = [layer.std for layer in revealed.layers]
        assert ratio_per_layer(stds) == pytest.approx(0.5 ** 0.5, abs=0.03)
    finally:
        explorer.close()
