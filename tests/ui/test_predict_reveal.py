"""PredictReveal: commit a guess first, then see the answer and the widget move."""

from __future__ import annotations

import pytest

from trainlab import InitExplorer
from trainlab.ui.predict_reveal import PredictReveal

SMALL = {"width": 64, "depth": 3}
CHOICES = ["stays", "halves in variance", "grows"]


def question(**kwargs) -> PredictReveal:
    return PredictReveal("With ReLU and Xavier, the std per layer ...", CHOICES, "halves in variance",
                         "ReLU zeroes half of each layer's input.", **kwargs)


def test_commit_is_disabled_until_a_choice_is_made():
    q = question()
    assert q.commit.disabled and q.choices.value is None and not q.revealed
    q.reveal_answer()  # pressing early (e.g. from code) does nothing
    assert not q.revealed and q.verdict.value == ""
    q.choices.value = "grows"
    assert not q.commit.disabled
    assert q.again.layout.display == "none"


def test_a_right_guess_is_locked_in_and_confirmed():
    q = question()
    q.choices.value = "halves in variance"
    q.commit.click()
    assert q.revealed and q.guess == "halves in variance"
    assert q.choices.disabled and q.commit.disabled and q.again.layout.display is None
    assert "Right." in q.verdict.value and "Not quite" not in q.verdict.value
    assert "ReLU zeroes half" in q.verdict.value
    # The guess cannot change any more, nor can the answer be revealed twice.
    q.choices.value = "grows"
    assert q.commit.disabled
    q.reveal_answer()
    assert q.guess == "halves in variance"


def test_a_wrong_guess_shows_the_answer_and_the_explanation():
    q = question()
    q.choices.value = "stays"
    q.commit.click()
    assert "Not quite" in q.verdict.value and "Right." not in q.verdict.value
    assert "the answer is <b>halves in variance</b>" in q.verdict.value
    assert "ReLU zeroes half" in q.verdict.value


def test_commit_moves_the_widget_then_calls_then():
    explorer = InitExplorer(**SMALL)
    calls = []
    q = question(widget=explorer, reveal={"activation": "relu", "init": "xavier_normal"},
                 then=lambda: calls.append(explorer.state()))
    q.choices.value = "grows"
    assert explorer.fields["activation"].value == "tanh", "nothing moves before the guess"
    q.commit.click()
    assert explorer.fields["activation"].value == "relu"
    assert explorer.fields["init"].value == "xavier_normal"
    assert calls == [explorer.state()] and calls[0]["activation"] == "relu", "then runs after the reveal"
    assert explorer.wait(120) and explorer.result.spec.activation == "relu"


def test_try_again_resets_the_question_but_not_the_widget():
    explorer = InitExplorer(**SMALL)
    q = question(widget=explorer, reveal={"activation": "relu"})
    q.choices.value = "stays"
    q.commit.click()
    q.again.click()
    assert not q.revealed and q.guess is None and q.choices.value is None
    assert not q.choices.disabled and q.commit.disabled and q.again.layout.display == "none"
    assert q.verdict.value == ""
    assert explorer.fields["activation"].value == "relu"
    q.choices.value = "halves in variance"
    q.commit.click()
    assert "Right." in q.verdict.value
    explorer.wait(120)


def test_bad_questions_are_refused():
    with pytest.raises(ValueError, match="answer 'shrinks' is not one of the choices"):
        PredictReveal("?", CHOICES, "shrinks", "")
    with pytest.raises(ValueError, match="reveal needs the widget"):
        question(reveal={"activation": "relu"})
    explorer = InitExplorer(**SMALL)
    with pytest.raises(ValueError, match="reveal: ignored unknown setting 'activaton'"):
        question(widget=explorer, reveal={"activaton": "relu"})
    with pytest.raises(ValueError, match="reveal: ignored depth='deep'"):
        question(widget=explorer, reveal={"depth": "deep"})
    explorer.wait(120)
