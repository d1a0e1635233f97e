"""Optimizer trajectories on the 2-D surfaces: torch.optim where torch has the optimizer.

One run moves an (N, 2) tensor of points with one optimizer; its loss is the sum of the
points' losses, so for element-wise optimizers (all but L-BFGS and Newton) the N points move
exactly as N separate runs would: that is how a basin map runs 2,500 starts at once. Every
step records the points, losses, gradients, learning rate and the optimizer's own buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from trainlab.compute.optim import schedules
from trainlab.compute.optim import update_rules as rules
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.surfaces import Surface

Tensor = torch.Tensor
# The schedules the optimizer race offers (its dropdown, the CLI): a subset of
# schedules.SCHEDULES, each run with that module's defaults and no warm-up.
SCHEDULES = ("none", "step", "cosine", "exponential")
# Names of torch.optim's state buffers in the lecture's words.
_STATE_NAMES = {"momentum_buffer": "velocity", "sum": "grad_squared", "square_avg": "grad_squared",
                "exp_avg": "first_moment", "exp_avg_sq": "second_moment"}
REACHED = 1e-3  # a run has reached a minimum once it is this close to one
BOX_MARGIN = 10.0  # a run that leaves the view box by this many box sizes has diverged
# One recorded L-BFGS step is one iteration; its line search may evaluate the loss up to this
# often (torch defaults max_eval to 1.25 max_iter, which leaves a line search no evaluation).
LBFGS_MAX_EVALS = 25


@dataclass(frozen=True)
class OptimizerInfo:
    label: str
    default_lr: float
    elementwise: bool = True
    default_eps: float = 1e-8  # torch.optim's: 1e-10 for Adagrad, 1e-8 for the others


OPTIMIZERS: dict[str, OptimizerInfo] = {
    "sgd": OptimizerInfo("SGD", 0.01),
    "momentum": OptimizerInfo("SGD + momentum", 0.01),
    "nesterov": OptimizerInfo("Nesterov", 0.01),
    "adagrad": OptimizerInfo("AdaGrad", 0.5, default_eps=1e-10),
    "rmsprop": OptimizerInfo("RMSProp", 0.01),
    "adam": OptimizerInfo("Adam", 0.05),
    "adam_no_bias_correction": OptimizerInfo("Adam, no bias correction", 0.05),
    "adamw": OptimizerInfo("AdamW", 0.05),
    "lbfgs": OptimizerInfo("L-BFGS", 1.0, elementwise=False),
    "lbfgs_line_search": OptimizerInfo("L-BFGS + line search", 1.0, elementwise=False),
    "newton": OptimizerInfo("Newton", 1.0, elementwise=False),
}


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer and its hyperparameters; lr None means the optimizer's default."""

    name: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    decay: float = 0.99  # RMSProp's moving-average factor
    # None: torch's default, 0.01 for AdamW (decoupled) and 0 for the others (coupled: an L2
    # term's gradient, weight_decay * w, is added to the gradient before the update).
    weight_decay: float | None = None
    schedule: str = "none"

    @property
    def learning_rate(self) -> float:
        return OPTIMIZERS[self.name].default_lr if self.lr is None else self.lr

    @property
    def decay_amount(self) -> float:
        """The weight decay in use: the one given, else torch's default for the optimizer."""
        if self.weight_decay is not None:
            return self.weight_decay
        return 0.01 if self.name == "adamw" else 0.0

    @property
    def label(self) -> str:
        return OPTIMIZERS[self.name].label

    def validate(self) -> OptimizerSpec:
        if self.name not in OPTIMIZERS:
            raise SpecError("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, not {self.name!r}")
        if self.schedule not in SCHEDULES:
            raise SpecError("schedule", f"must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        _positive("lr", self.learning_rate, 10.0)
        _positive("eps", self.eps, 1.0)
        for name in ("momentum", "beta1", "beta2", "decay"):
            value = getattr(self, name)
            if not (_is_number(value) and 0.0 <= value < 1.0):
                raise SpecError(name, f"must be a number in [0, 1), not {value!r}")
        if not (_is_number(self.decay_amount) and 0.0 <= self.decay_amount <= 1.0):
            raise SpecError("weight_decay", f"must be a number from 0 to 1, not {self.weight_decay!r}")
        return self


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positive(field_name: str, value: Any, most: float) -> None:
    if not (_is_number(value) and 0.0 < value <= most):
        raise SpecError(field_name, f"must be a number above 0 and at most {most:g}, not {value!r}")


def learning_rates(spec: OptimizerSpec, steps: int) -> list[float]:
    """The learning rate of each step: the spec's schedule from compute.schedules with its
    defaults (step: x0.1 every third of the run; exponential: down to 1% at the end)."""
    return schedules.learning_rates(spec.learning_rate, schedules.ScheduleSpec(spec.schedule), steps)


@dataclass
class Trajectory:
    """points (steps+1, N, 2), losses (steps+1, N), grads (steps, N, 2), state buffers (steps, N, 2)
    each, lrs (steps,); diverged_at (N,): the step at which each point diverged, or -1."""

    optimizer: OptimizerSpec
    surface: Surface
    points: Tensor
    losses: Tensor
    grads: Tensor
    lrs: list[float]
    diverged_at: Tensor
    state: dict[str, Tensor] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.grads.shape[0]

    def steps_to_minimum(self, point: int = 0) -> int | None:
        """First step at which the point is within 1e-3 of a listed minimum, else None."""
        if not self.surface.minima:
            return None
        minima = torch.tensor(self.surface.minima, dtype=self.points.dtype)
        distance = torch.cdist(self.points[:, point], minima).amin(-1)
        hits = torch.nonzero(distance < REACHED)
        return int(hits[0]) if len(hits) else None

    def summary(self, point: int = 0) -> dict[str, Any]:
        diverged = int(self.diverged_at[point])
        last = diverged if diverged >= 0 else self.steps
        return {
            "optimizer": self.optimizer.name,
            "surface": self.surface.name,
            "final_point": [float(v) for v in self.points[last, point]],
            "final_loss": float(self.losses[last, point]),
            "steps_to_minimum": self.steps_to_minimum(point),
            "diverged": diverged >= 0,
            "diverged_at": diverged if diverged >= 0 else None,
        }


def torch_optimizer(spec: OptimizerSpec, params: list[Tensor] | list[dict[str, Any]]) -> torch.optim.Optimizer | None:
    """The torch.optim optimizer for `spec` over `params` (tensors or parameter groups; a group's
    own weight_decay wins), or None for Newton and Adam without bias correction, which torch lacks."""
    lr, betas, wd = spec.learning_rate, (spec.beta1, spec.beta2), spec.decay_amount
    make = {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, weight_decay=wd),
        "momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=spec.momentum, weight_decay=wd),
        "nesterov": lambda: torch.optim.SGD(params, lr=lr, momentum=spec.momentum, nesterov=True, weight_decay=wd),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=lr, eps=spec.eps, weight_decay=wd),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, alpha=spec.decay, eps=spec.eps, weight_decay=wd),
        "adam": lambda: torch.optim.Adam(params, lr=lr, betas=betas, eps=spec.eps, weight_decay=wd),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, betas=betas, eps=spec.eps, weight_decay=wd),
        "lbfgs": lambda: torch.optim.LBFGS(params, lr=lr, max_iter=1, max_eval=LBFGS_MAX_EVALS, history_size=20),
        "lbfgs_line_search": lambda: torch.optim.LBFGS(params, lr=lr, max_iter=1, max_eval=LBFGS_MAX_EVALS,
                                                       history_size=20, line_search_fn="strong_wolfe"),
    }.get(spec.name)
    return make() if make else None


def _readable_state(spec: OptimizerSpec, state: dict[str, Any]) -> dict[str, Tensor]:
    """torch.optim's buffers under the lecture's names; for Adam also the bias-corrected moments."""
    out = {_STATE_NAMES[key]: buffer.detach().clone() for key, buffer in state.items() if key in _STATE_NAMES}
    if "first_moment" in out:
        t = float(state["step"])
        out["first_moment_hat"] = out["first_moment"] / (1 - spec.beta1**t)
        out["second_moment_hat"] = out["second_moment"] / (1 - spec.beta2**t)
    return out


def _outside(surface: Surface, points: Tensor) -> Tensor:
    x0, x1, y0, y1 = surface.view
    span = BOX_MARGIN * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return ((points[..., 0] - cx).abs() > span) | ((points[..., 1] - cy).abs() > span)


def _start_points(start: Any) -> Tensor:
    """(N, 2) float64 start points from a point (x, y) or a list of them."""
    try:
        p = torch.as_tensor(start, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise SpecError("start", f"must be a point (x, y) or a list of points, not {start!r}") from None
    if p.numel() == 0 or p.shape[-1] != 2 or p.dim() > 2:
        raise SpecError("start", f"must be a point (x, y) or a list of points, not shape {tuple(p.shape)}")
    if not torch.isfinite(p).all():
        raise SpecError("start", "must be finite numbers")
    return p.reshape(-1, 2).clone()


def _freeze_after_divergence(grads: Tensor, state: dict[str, Tensor], diverged: Tensor) -> None:
    """In a batched run, repeat each diverged point's last good gradient and state to the end."""
    for i in torch.nonzero(diverged >= 0).flatten().tolist():
        d = int(diverged[i])  # points[d] is already the frozen copy of points[d - 1]
        grads[d:, i] = grads[d - 1, i]
        for buffer in state.values():
            buffer[d - 1:, i] = buffer[d - 2, i] if d >= 2 else 0.0


def run_optimizer(surface: Surface, spec: OptimizerSpec, start: Any = None, steps: int = 200,
                  noise: float = 0.0, seed: int = 0) -> Trajectory:
    """Run `spec` for `steps` steps from `start` ((2,) or (N, 2); default: the surface's start).

    noise > 0 adds N(0, noise^2) to every gradient component (seeded), standing for minibatch
    noise. A point whose loss turns inf/NaN or that leaves the box diverges: its run stops there
    (the recorded values after it repeat the last good ones).
    """
    spec.validate()
    if not (isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= 10_000):
        raise SpecError("steps", f"must be a whole number from 1 to 10000, not {steps!r}")
    if not (_is_number(noise) and 0.0 <= noise <= 100.0):
        raise SpecError("noise", f"must be a number from 0 to 100, not {noise!r}")
    p = _start_points(surface.start if start is None else start)
    n = p.shape[0]
    if n > 1 and not OPTIMIZERS[spec.name].elementwise:
        raise SpecError("optimizer", f"{spec.label} couples the coordinates: run one start point at a time")
    p.requires_grad_(True)
    generator = torch.Generator().manual_seed(seed)
    lrs = learning_rates(spec, steps)
    optimizer = torch_optimizer(spec, [p])
    rule = rules.Adam(spec.learning_rate, (spec.beta1, spec.beta2), spec.eps, bias_correction=False) \
        if spec.name == "adam_no_bias_correction" else None

    def loss_and_grad() -> tuple[Tensor, Tensor]:
        losses = surface(p)
        (grad,) = torch.autograd.grad(losses.sum(), p)
        if noise > 0:
            grad = grad + noise * torch.randn(grad.shape, generator=generator, dtype=grad.dtype)
        return losses.detach(), grad

    points = [p.detach().clone()]
    losses_log, grads_log, state_log = [], [], {}
    diverged = torch.full((n,), -1, dtype=torch.long)
    losses, grad = loss_and_grad()
    losses_log.append(losses)
    for t in range(steps):
        if optimizer is not None:
            optimizer.param_groups[0]["lr"] = lrs[t]
        grads_log.append(grad)
        with torch.no_grad():
            if spec.name.startswith("lbfgs"):

                def closure() -> Tensor:
                    # L-BFGS evaluates the loss again, and more often inside its line search.
                    with torch.enable_grad():
                        losses_now, g = loss_and_grad()
                    p.grad = g
                    return losses_now.sum()

                optimizer.step(closure)
            elif spec.name == "newton":
                with torch.enable_grad():
                    hessian = torch.autograd.functional.hessian(lambda q: surface(q).sum(), p.detach())
                step = torch.linalg.pinv(hessian.reshape(2, 2)) @ grad.reshape(2)
                p -= lrs[t] * step.reshape(1, 2)
            elif rule is not None:
                rule.lr = lrs[t]
                p.copy_(rule.step(p.detach().clone(), grad))
                for name, buffer in rule.state.items():
                    state_log.setdefault(name, []).append(buffer.clone())
            else:
                p.grad = grad
                optimizer.step()
        if optimizer is not None:
            for name, buffer in _readable_state(spec, optimizer.state[p]).items():
                state_log.setdefault(name, []).append(buffer)
        losses, grad = loss_and_grad()
        bad = (~torch.isfinite(losses) | _outside(surface, p.detach())) & (diverged < 0)
        diverged[bad] = t + 1
        stopped = diverged >= 0
        now = p.detach().clone()
        if stopped.any():
            # Freeze diverged points at their last good value; nothing after is drawn as data.
            now[stopped] = points[-1][stopped]
            losses = torch.where(stopped, losses_log[-1], losses)
            if n == 1:
                points.append(now)
                losses_log.append(losses)
                break
        points.append(now)
        losses_log.append(losses)
    done = len(points) - 1
    state = {name: torch.stack(buffers) for name, buffers in state_log.items()}
    grads = torch.stack(grads_log[:done])
    if n > 1:
        _freeze_after_divergence(grads, state, diverged)
    return Trajectory(spec, surface, torch.stack(points), torch.stack(losses_log), grads, lrs[:done], diverged, state)


def basin_map(surface: Surface, spec: OptimizerSpec, n: int = 50, steps: int = 300) -> tuple[Tensor, Tensor, Tensor]:
    """Which listed minimum each of n x n start points over the view box ends nearest to.

    Returns x (n,), y (n,) and an (n, n) tensor (rows: y) of minimum indices; -1 where the run
    diverged or ended farther than 0.1 from every minimum.
    """
    if not OPTIMIZERS[spec.name].elementwise:
        raise SpecError("optimizer", f"a basin map needs an element-wise optimizer, not {spec.label}")
    if not surface.minima:
        raise SpecError("surface", f"{surface.name} has no minimum to map basins of")
    x0, x1, y0, y1 = surface.view
    xs = torch.linspace(x0, x1, n, dtype=torch.float64)
    ys = torch.linspace(y0, y1, n, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    starts = torch.stack([gx.flatten(), gy.flatten()], dim=-1)
    run = run_optimizer(surface, spec, starts, steps)
    final = run.points[-1]
    distance = torch.cdist(final, torch.tensor(surface.minima, dtype=final.dtype))
    nearest = distance.argmin(-1)
    basin = torch.where((distance.amin(-1) < 0.1) & (run.diverged_at < 0), nearest, torch.full_like(nearest, -1))
    return xs, ys, basin.reshape(n, n)

