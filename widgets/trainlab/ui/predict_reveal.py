"""PredictReveal: a question with choices. The student commits a guess first; only then does the
attached widget move to the configuration that answers it, with the explanation beside it.

Committing before seeing is the point: a guess made after the figure has changed teaches
nothing. The question, choices and explanation may contain HTML (they are the author's text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from trainlab.ui.kit.lab_widget import LabWidget

_BOX = "border:1px solid #c3dafe;border-radius:6px;padding:6px 12px;background:#f5f8ff"


class PredictReveal(widgets.VBox):
    """PredictReveal("With ReLU and Xavier, the std per layer ...", ["stays", "halves in variance", "grows"],
    answer="halves in variance", explanation="...", widget=explorer, reveal={"activation": "relu"}).

    reveal: a state for `widget` (as its state() gives them) applied when the guess is committed;
    then: called after that, e.g. a dashboard's train or an explorer's sweep. Show it in the same
    output as its widget, VBox([explorer, question]): in Voila a second widget output of a page
    now and then failed to draw.
    """

    def __init__(self, question: str, choices: Sequence[str], answer: str, explanation: str, *,
                 widget: LabWidget | None = None, reveal: Mapping[str, Any] | None = None,
                 then: Callable[[], Any] | None = None) -> None:
        # Everything is checked when the instructor builds the question, not when a student
        # commits a guess in front of the class.
        if answer not in choices:
            raise ValueError(f"answer {answer!r} is not one of the choices {list(choices)}")
        if widget is not None and not isinstance(widget, LabWidget):
            raise TypeError(f"widget must be a trainlab widget (InitExplorer, OptimizerRace, ...), not {widget!r}")
        if reveal and widget is None:
            raise ValueError("reveal needs the widget to move")
        if reveal:
            problems = widget.check_state(reveal)
            if problems:
                raise ValueError(f"reveal: {'; '.join(problems)}")
        if then is not None and not callable(then):
            raise TypeError(f"then must be something to call, such as dashboard.train, not {then!r}")
        self.answer = answer
        self.explanation = explanation
        self.widget = widget
        self.reveal = dict(reveal or {})
        self.then = then
        self.guess: str | None = None
        self.choices = widgets.RadioButtons(options=list(choices), value=None, layout=widgets.Layout(width="auto"))
        self.commit = widgets.Button(description="Commit my guess", button_style="primary", disabled=True,
                                     layout=widgets.Layout(width="auto"))
        self.again = widgets.Button(description="try again", layout=widgets.Layout(width="auto", display="none"))
        self.verdict = widgets.HTML()
        self.choices.observe(self._chosen, "value")
        self.commit.on_click(lambda _: self.reveal_answer())
        self.again.on_click(lambda _: self.reset())
        # Layout and class given at creation: the widget's state is complete in its first message.
        super().__init__([widgets.HTML(f"<div><b>Predict.</b> {question}</div>"), self.choices,
                          widgets.HBox([self.commit, self.again]), self.verdict],
                         layout=widgets.Layout(border="1px solid #c3dafe", padding="6px 12px", margin="8px 0"),
                         _dom_classes=("trainlab-predict",))

    @property
    def revealed(self) -> bool:
        return self.guess is not None

    def reveal_answer(self) -> None:
        """Lock the chosen guess in, then show the answer and move the widget."""
        if self.choices.value is None or self.revealed:
            return
        self.guess = self.choices.value
        self.choices.disabled = self.commit.disabled = True
        self.again.layout.display = None
        right = self.guess == self.answer
        verdict = ("<b style='color:#057a55'>✓ Right.</b>" if right else
                   f"<b style='color:#c81e1e'>✗ Not quite:</b> the answer is <b>{self.answer}</b>.")
        self.verdict.value = f"<div class='trainlab-verdict' style='{_BOX}'>{verdict} {self.explanation}</div>"
        if self.reveal:
            self.widget.apply_state(self.reveal)
        if self.then is not None:
            self.then()

    def reset(self) -> None:
        """Let the student guess again (the widget stays where the answer left it)."""
        self.guess = None
        self.choices.disabled = False
        self.choices.value = None
        self.commit.disabled = True
        self.again.layout.display = "none"
        self.verdict.value = ""

    def _chosen(self, change: dict) -> None:
        self.commit.disabled = change["new"] is None or self.revealed
