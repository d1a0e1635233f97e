"""What the lab tests share: a lab's text and code as stored, its cells run as the lab runs them,
its questions answered as a student answers them, and the numbers its widgets show.

A lab test ties a sentence to the widget: `says(lab, "...")` fails when the sentence is edited, so
that the test holding it is looked at again, and the assertions after it read what the widget
drew (the explorer's PassResult, table, notices and figure; a dashboard's runs, records and
notices) for seeds 0, 1 and 2 where the seed matters.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from tests.conftest import LABS

SEEDS = (0, 1, 2)
LOG10 = math.log(10)


def _cells(lab: str) -> list[dict]:
    return json.loads((LABS / f"{lab}.ipynb").read_text(encoding="utf-8"))["cells"]


def text(lab: str) -> str:
    """Everything a student reads in the lab: its markdown and the strings of its code cells,
    with runs of white space made single spaces."""
    return " ".join(" ".join("".join(cell["source"]).split()) for cell in _cells(lab))


def says(lab: str, sentence: str) -> None:
    """The lab still says `sentence` (white space and line breaks aside)."""
    assert " ".join(sentence.split()) in text(lab), f"{lab} no longer says: {sentence!r}"


def code(lab: str, index: int = 0) -> str:
    """The source of the lab's index-th code cell."""
    return "".join([c for c in _cells(lab) if c["cell_type"] == "code"][index]["source"])


def run_cell(lab: str, index: int = 0, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the lab's index-th code cell as the notebook runs it; its names are returned."""
    namespace = {} if namespace is None else namespace
    exec(compile(code(lab, index), f"{lab} code cell {index}", "exec"), namespace)
    return namespace


def answer(question: Any, choice: str | None = None) -> None:
    """Commit a guess as a student does (the right one unless `choice` is given): the question
    reveals its answer and moves its widget."""
    question.choices.value = question.answer if choice is None else choice
    question.reveal_answer()


def notices(widget: Any, level: str | None = None) -> str:
    """The widget's notices as one text (of one level, if given)."""
    return " ".join(t for lvl, t in widget.status.notices if level is None or lvl == level)


# -- the explorer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shot:
    """What the explorer showed once its pass was drawn."""

    result: Any  # PassResult
    table: str
    notices: str
    figure: dict

    @property
    def layers(self) -> list:
        return self.result.layers

    def column(self, name: str) -> list[str]:
        """A column of the table as drawn (its cells' text)."""
        rows = re.findall(r"<tr>(.*?)</tr>", self.table)
        head = re.findall(r"<th>(.*?)</th>", rows[0])
        at = head.index(name)
        return [re.sub(r"<[^>]+>", "", re.findall(r"<td>(.*?)</td>", row)[at]) for row in rows[1:]]

    def histogram(self, layer: int, kind: str = "h") -> tuple[list[float], list[float]]:
        """The drawn histogram of a layer ("h" activations, "dL/dh" gradients): bin centres and
        the fraction of values in each."""
        trace = next(t for t in self.figure["data"] if t.get("name") == f"layer {layer} {kind}")
        return trace["x"], trace["y"]


def shot(explorer: Any) -> Shot:
    assert explorer.wait(600), "the explorer did not finish its pass"
    return Shot(explorer.result, explorer.table.value, notices(explorer), explorer.histograms.figure)


def choose_case(explorer: Any, label: str) -> Shot:
    """Pick a lecture case in the explorer's menu, as a student does."""
    explorer.preset.value = label
    return shot(explorer)


def move(widget: Any, **values: Any) -> None:
    """Move controls as a student does (each through its own control)."""
    for name, value in values.items():
        control = widget._controls[name]
        control.widget.value = control.to_widget(value)


def ratio_per_layer(values: list[float]) -> float:
    """The geometric mean factor from one layer to the next."""
    return (values[-1] / values[0]) ** (1 / (len(values) - 1))


# -- the dashboard -----------------------------------------------------------------------------
def trained(dash: Any) -> Any:
    """Press Train and wait until the run (or the lecture case's runs) has finished."""
    dash.train()
    assert dash.wait(1800), "training did not finish"
    return dash


def runs(dash: Any) -> list:
    """Every run the dashboard overlays, the current one last."""
    return dash._history_with_current().runs


def smoothed(values: list[float]) -> list[float]:
    from trainlab.compute.train.trainer import smoothed as ema
    return ema(values)


def mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite)


def last100(run: Any) -> float:
    """The level a run's loss curve ends at: its mean minibatch loss over the last 100 steps."""
    return mean(run.train_loss[-100:])


def best_val(run: Any) -> tuple[float, int]:
    """The lowest validation loss of a run and the step it was recorded at."""
    return min((v, s) for v, s in zip(run.val_loss, run.record_steps) if math.isfinite(v))


def diverged(run: Any) -> bool:
    return run.outcome.startswith("Training diverged")


# Per-layer columns of a pass the widget showed, as the labs' tests read them.
def stds(result) -> list:
    """Every layer's activation std in the pass shown."""
    return [layer.std for layer in result.layers]


def grads(result) -> list:
    """Every layer's dL/dh std."""
    return [layer.grad_std for layer in result.layers]


def weight_grads(result) -> list:
    """Every layer's dL/dW std."""
    return [layer.weight_grad_std for layer in result.layers]


def saturated(result) -> list:
    """Every layer's saturated share."""
    return [layer.saturated_fraction for layer in result.layers]
