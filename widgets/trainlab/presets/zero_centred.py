"""The zero-centred demo's lecture cases. A lesson states no number; each case's caption states
the numbers from the comparison the widget has drawn, so what the student reads is what the
panels show. tests/presets/test_zero_centred_presets.py checks every claim for seeds 0-2."""

from __future__ import annotations

from typing import Any

from trainlab.compute.optim.zero_centred import Comparison, Descent
from trainlab.presets.case import Case


def _eigen(run: Descent) -> str:
    low, high = run.second_moment_eigenvalues()
    return f"{low:.3f} and {high:.3f}"


def caption(comparison: Comparison) -> str:
    """The numbers every case rests on, as drawn."""
    p, c = comparison.positive, comparison.centred
    name = comparison.spec.inputs
    return (f"As drawn: with {name} inputs SGD {p.outcome()}, with them centred {c.outcome()} "
            f"(lr {comparison.spec.lr:g}, seed {comparison.spec.seed}). Updates pointing into (+,+) or (−,−): "
            f"{100 * p.same_sign_share:.0f} % on the positive side, {100 * c.same_sign_share:.0f} % on the centred "
            f"side. E[x xᵀ] has eigenvalues {_eigen(p)} with the positive inputs, {_eigen(c)} centred.")


# A case names every setting its lesson depends on; the seed stays as the user has it.
_BASE: dict[str, Any] = {"examples": 100, "start_1": -1.0, "start_2": 1.0, "target_1": 1.0, "target_2": -1.0,
                         "steps": 1000, "noise": 0.0}

ZERO_CENTRED_PRESETS: dict[str, Case] = {
    p.label: p
    for p in (
        Case(
            "sigmoid outputs vs centred: zig-zag", _BASE | {"inputs": "sigmoid", "lr": 3.0},
            "Sigmoid outputs are all positive, so each single-example gradient (w·x − y)·x has two components "
            "of one sign: every step moves w up-right or down-left (shaded). The target lies down-right of the "
            "start, so SGD gets there only by alternating steps. The same inputs minus their mean let a step "
            "point anywhere: the path runs nearly straight, and at this learning rate it arrives in fewer steps. "
            "Part of the cost is conditioning: the mean adds a large eigenvalue to E[x xᵀ] along (1, 1), a steep "
            "direction across which the positive side bounces.",
            caption),
        Case(
            "ReLU outputs vs centred", _BASE | {"inputs": "relu", "lr": 1.0},
            "ReLU outputs are zero or positive: a step can move one weight alone (when the other input is zero), "
            "never the two in opposite directions. ReLU's outputs spread more than sigmoid's, so the mean "
            "weighs less, yet at this learning rate the positive side still zig-zags and needs more steps than "
            "the centred one.",
            caption),
        Case(
            "sigmoid, small lr: the same pace", _BASE | {"inputs": "sigmoid", "lr": 0.5},
            "With a small learning rate both sides take about the same number of steps: along the way to the "
            "target both losses curve alike, and the steep direction the mean adds is not yet stirred. Centring "
            "pays off as the learning rate grows: it is the positive inputs that cap it.",
            caption),
    )
}
