"""Every optimizer trainlab knows, one row each: the one table the race, the trainer, the command
line, the export and the figures read.

A row says what the optimizer is called, which hyperparameters it takes (with their defaults
where they differ from the common ones), how torch.optim builds it (or which written-out rule runs
it, for the two torch lacks), what its state buffers are called in the lecture, its colour, and
whether it can train the deep net or only walk a 2-D surface. Adding an optimizer is adding a row
(and its update rule, if torch.optim has none).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.optim import update_rules as rules

if TYPE_CHECKING:
    from trainlab.compute.optim.spec import OptimizerSpec

Params = list[torch.Tensor] | list[dict[str, Any]]


@dataclass(frozen=True)
class Hyperparameter:
    """A number an optimizer is tuned by: its default, its range and how a control shows it."""

    name: str
    default: float
    low: float
    high: float
    log: bool = False  # spans decades: a log slider

    def check(self, value: Any) -> float:
        """The value if it is in range, else SpecError naming the hyperparameter and its range.
        The range is closed, so that a slider can show every value it allows."""
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
        if not (math.isfinite(number) and self.low <= number <= self.high):
            raise SpecError(self.name, f"must be a number from {self.low:g} to {self.high:g}, not {value!r}")
        return float(number)


HYPERPARAMETERS: dict[str, Hyperparameter] = {
    h.name: h
    for h in (
        # Below 1e-6 a learning rate moves nothing a student could see; at 1 a moving average
        # never forgets, so the averaging factors stop at 0.9999.
        Hyperparameter("lr", 0.01, 1e-6, 10.0, log=True),
        Hyperparameter("momentum", 0.9, 0.0, 0.9999),
        Hyperparameter("beta1", 0.9, 0.0, 0.9999),
        Hyperparameter("beta2", 0.999, 0.0, 0.9999),
        Hyperparameter("decay", 0.99, 0.0, 0.9999),  # RMSProp's moving-average factor
        Hyperparameter("eps", 1e-8, 1e-12, 1.0, log=True),
        # Coupled (an L2 term: weight_decay * w added to the gradient), or decoupled for AdamW.
        Hyperparameter("weight_decay", 0.0, 0.0, 1.0),
    )
}
# Every optimizer takes these; a row lists the others it takes.
COMMON = ("lr", "weight_decay")

# torch.optim's state buffers under the lecture's names, and the symbols the lecture writes.
TORCH_BUFFERS = {"momentum_buffer": "velocity", "sum": "grad_squared", "square_avg": "grad_squared",
                 "exp_avg": "first_moment", "exp_avg_sq": "second_moment"}
SYMBOLS = {"velocity": "v", "grad_squared": "r", "first_moment": "m", "second_moment": "v",
           "first_moment_hat": "m̂", "second_moment_hat": "v̂"}

# L-BFGS: one recorded step is one iteration; its line search may evaluate the loss up to this
# often (torch defaults max_eval to 1.25 max_iter, which leaves a line search no evaluation).
LBFGS_MAX_EVALS = 25
LBFGS_HISTORY = 20


@dataclass(frozen=True)
class OptimizerInfo:
    """One optimizer. `build` makes its torch.optim optimizer (None where torch has none: `rule`
    makes the written-out update rule instead, or the optimizer is Newton's method, which
    runs.py writes out). Decay that torch does not apply itself is added to the loss as an L2
    term, so that every optimizer takes weight_decay."""

    name: str
    label: str
    colour: str
    race_lr: float  # default learning rate on the 2-D surfaces
    train_lr: float | None  # default when training the deep net; None: 2-D surfaces only
    takes: tuple[str, ...] = ()  # hyperparameters besides lr and weight_decay
    defaults: dict[str, float] = field(default_factory=dict)  # where they differ from HYPERPARAMETERS'
    state: tuple[str, ...] = ()  # the buffers recorded, by their lecture names
    elementwise: bool = True  # False: couples the coordinates (one start point per run)
    build: Callable[[OptimizerSpec, Params], torch.optim.Optimizer] | None = None
    rule: Callable[[OptimizerSpec], rules.UpdateRule] | None = None
    closure: bool = False  # its step() re-evaluates the loss (L-BFGS and its line search)
    torch_decay: bool = True  # torch applies weight_decay itself (else an L2 term in the loss)
    decoupled_decay: bool = False  # AdamW: decay applied to the weights, not through the gradient
    note: str = ""  # how it is run, when not by torch.optim

    @property
    def hyperparameters(self) -> tuple[str, ...]:
        return (*COMMON, *self.takes)

    @property
    def trainable(self) -> bool:
        return self.train_lr is not None

    def default(self, name: str) -> float:
        if name in self.defaults:
            return self.defaults[name]
        if name == "lr":
            return self.race_lr
        return HYPERPARAMETERS[name].default


def _adam_like(spec: OptimizerSpec) -> dict[str, Any]:
    return {"lr": spec.value("lr"), "betas": (spec.value("beta1"), spec.value("beta2")), "eps": spec.value("eps"),
            "weight_decay": spec.value("weight_decay")}


def _lbfgs(line_search: str | None) -> Callable[[OptimizerSpec, Params], torch.optim.Optimizer]:
    def build(spec: OptimizerSpec, params: Params) -> torch.optim.Optimizer:
        return torch.optim.LBFGS(params, lr=spec.value("lr"), max_iter=1, max_eval=LBFGS_MAX_EVALS,
                                 history_size=LBFGS_HISTORY, line_search_fn=line_search)
    return build


_ADAM_STATE = ("first_moment", "second_moment", "first_moment_hat", "second_moment_hat")

OPTIMIZERS: dict[str, OptimizerInfo] = {
    o.name: o
    for o in (
        OptimizerInfo("sgd", "SGD", "#0072B2", 0.01, 0.05,
                      build=lambda s, p: torch.optim.SGD(p, lr=s.value("lr"), weight_decay=s.value("weight_decay"))),
        OptimizerInfo("momentum", "SGD + momentum", "#D55E00", 0.01, 0.01, ("momentum",), state=("velocity",),
                      build=lambda s, p: torch.optim.SGD(p, lr=s.value("lr"), momentum=s.value("momentum"),
                                                         weight_decay=s.value("weight_decay"))),
        # With momentum 0 Nesterov's step is plain SGD's, which torch refuses to build as Nesterov.
        OptimizerInfo("nesterov", "Nesterov", "#009E73", 0.01, 0.01, ("momentum",), state=("velocity",),
                      build=lambda s, p: torch.optim.SGD(p, lr=s.value("lr"), momentum=s.value("momentum"),
                                                         nesterov=s.value("momentum") > 0,
                                                         weight_decay=s.value("weight_decay"))),
        OptimizerInfo("adagrad", "AdaGrad", "#CC79A7", 0.5, 0.01, ("eps",), {"eps": 1e-10}, ("grad_squared",),
                      build=lambda s, p: torch.optim.Adagrad(p, lr=s.value("lr"), eps=s.value("eps"),
                                                             weight_decay=s.value("weight_decay"))),
        OptimizerInfo("rmsprop", "RMSProp", "#E69F00", 0.01, 1e-3, ("decay", "eps"), state=("grad_squared",),
                      build=lambda s, p: torch.optim.RMSprop(p, lr=s.value("lr"), alpha=s.value("decay"),
                                                             eps=s.value("eps"), weight_decay=s.value("weight_decay"))),
        OptimizerInfo("adam", "Adam", "#56B4E9", 0.05, 1e-3, ("beta1", "beta2", "eps"), state=_ADAM_STATE,
                      build=lambda s, p: torch.optim.Adam(p, **_adam_like(s))),
        OptimizerInfo("adam_no_bias_correction", "Adam, no bias correction", "#882255", 0.05, None,
                      ("beta1", "beta2", "eps"), state=("first_moment", "second_moment"),
                      rule=lambda s: rules.Adam(s.value("lr"), (s.value("beta1"), s.value("beta2")), s.value("eps"),
                                                bias_correction=False),
                      torch_decay=False, note="written out (torch.optim has no switch for it)"),
        OptimizerInfo("adamw", "AdamW", "#000000", 0.05, 1e-3, ("beta1", "beta2", "eps"), {"weight_decay": 0.01},
                      _ADAM_STATE, build=lambda s, p: torch.optim.AdamW(p, **_adam_like(s)), decoupled_decay=True),
        OptimizerInfo("lbfgs", "L-BFGS", "#44AA99", 1.0, None, elementwise=False, build=_lbfgs(None),
                      closure=True, torch_decay=False),
        OptimizerInfo("lbfgs_line_search", "L-BFGS + line search", "#999933", 1.0, None, elementwise=False,
                      build=_lbfgs("strong_wolfe"), closure=True, torch_decay=False),
        OptimizerInfo("newton", "Newton", "#AA4499", 1.0, None, elementwise=False, torch_decay=False,
                      note="written out: x -= lr H⁻¹ g with the exact Hessian from torch.autograd"),
    )
}
TRAINABLE = tuple(name for name, info in OPTIMIZERS.items() if info.trainable)


def optimizer_info(name: str) -> OptimizerInfo:
    """The row for `name`, or SpecError listing the optimizers there are."""
    if name not in OPTIMIZERS:
        raise SpecError("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, not {name!r}")
    return OPTIMIZERS[name]
