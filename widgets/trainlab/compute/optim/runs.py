"""Optimizer trajectories on the 2-D surfaces: torch.optim where torch has the optimizer.

One run moves an (N, 2) tensor of points with one optimizer; its loss is the sum of the
points' losses, so for element-wise optimizers (all but L-BFGS and Newton) the N points move
exactly as N separate runs would: that is how a basin map runs 2,500 starts at once. Every
step records the points, losses, gradients, learning rate and the optimizer's own buffers.

A single start point of an element-wise optimizer (every racer of a race) takes the fast path of
point_runs.py instead: the same updates on Python floats, about a hundred times faster, tested
against run_with_torch_optim here and against torch.optim itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import torch

from trainlab.compute.checks import number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.optim import point_runs, schedules
from trainlab.compute.optim.registry import TORCH_BUFFERS, Params
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import Surface

Tensor = torch.Tensor
REACHED = 1e-3  # a run has reached a minimum once it is this close to one
BOX_MARGIN = 10.0  # a run that leaves the view box by this many box sizes has diverged
STEPS_RANGE = (1, 10_000)
NOISE_RANGE = (0.0, 10.0)  # gradient noise of 10 already hides every surface's own gradient


def learning_rates(spec: OptimizerSpec, steps: int) -> list[float]:
    """The learning rate of each step: the spec's schedule from compute.optim.schedules with its
    defaults (step: x0.1 every third of the run; exponential: down to 1% at the end)."""
    return list(_learning_rates(spec.learning_rate, spec.schedule, steps))


@lru_cache(maxsize=64)
def _learning_rates(lr: float, schedule: str, steps: int) -> tuple[float, ...]:
    # Stepping a torch scheduler costs milliseconds per 500 steps, and a race asks again and
    # again; a constant lr needs no scheduler (nor torch.optim's first import, seconds long).
    if schedule == "none":
        return (float(lr),) * steps
    return tuple(schedules.learning_rates(lr, schedules.ScheduleSpec(schedule), steps))


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


def torch_optimizer(spec: OptimizerSpec, params: Params) -> torch.optim.Optimizer | None:
    """The torch.optim optimizer for `spec` over `params` (tensors or parameter groups; a group's
    own weight_decay wins), or None where the registry runs a written-out rule instead."""
    build = spec.info.build
    return build(spec, params) if build is not None else None


def _readable_state(spec: OptimizerSpec, state: dict[str, Any]) -> dict[str, Tensor]:
    """torch.optim's buffers under the lecture's names; for Adam also the bias-corrected moments."""
    out = {TORCH_BUFFERS[key]: buffer.detach().clone() for key, buffer in state.items() if key in TORCH_BUFFERS}
    if "first_moment" in out:
        t = float(state["step"])
        out["first_moment_hat"] = out["first_moment"] / (1 - spec.value("beta1")**t)
        out["second_moment_hat"] = out["second_moment"] / (1 - spec.value("beta2")**t)
    return out


def _outside(surface: Surface, x: Any, y: Any) -> Any:
    """Whether the point (x, y) left the box: floats or tensors of coordinates."""
    x0, x1, y0, y1 = surface.view
    span = BOX_MARGIN * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (abs(x - cx) > span) | (abs(y - cy) > span)


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
    p = _checked_start(surface, spec, start, steps, noise)
    if point_runs.supports(surface, spec, p.shape[0]):
        return _point_run(surface, spec, p, steps, noise, seed)
    return _torch_run(surface, spec, p, steps, noise, seed)


def run_with_torch_optim(surface: Surface, spec: OptimizerSpec, start: Any = None, steps: int = 200,
                         noise: float = 0.0, seed: int = 0) -> Trajectory:
    """run_optimizer through torch.optim and autograd, step by step, whatever the case: the path
    for batches of points, L-BFGS and Newton, and the reference the fast path is tested against."""
    return _torch_run(surface, spec, _checked_start(surface, spec, start, steps, noise), steps, noise, seed)


def _checked_start(surface: Surface, spec: OptimizerSpec, start: Any, steps: int, noise: float) -> Tensor:
    """The (N, 2) start points, once every argument of a run is checked."""
    spec.validate()
    whole_in("steps", steps, STEPS_RANGE)
    number_in("noise", noise, NOISE_RANGE)
    p = _start_points(surface.start if start is None else start)
    if p.shape[0] > 1 and not spec.info.elementwise:
        raise SpecError("optimizer", f"{spec.label} couples the coordinates: run one start point at a time")
    return p


def _point_run(surface: Surface, spec: OptimizerSpec, p: Tensor, steps: int, noise: float, seed: int) -> Trajectory:
    lrs = learning_rates(spec, steps)
    points, losses, grads, state, diverged = point_runs.run_point(
        surface, spec, p[0].tolist(), lrs, noise, seed, lambda x, y: _outside(surface, x, y))
    f64 = torch.float64
    return Trajectory(spec, surface, torch.tensor(points, dtype=f64).view(-1, 1, 2),
                      torch.tensor(losses, dtype=f64).view(-1, 1), torch.tensor(grads, dtype=f64).view(-1, 1, 2),
                      lrs[:len(grads)], torch.tensor([diverged]),
                      {name: torch.tensor(values, dtype=f64).view(-1, 1, 2) for name, values in state.items()})


def _torch_run(surface: Surface, spec: OptimizerSpec, p: Tensor, steps: int, noise: float, seed: int) -> Trajectory:
    info = spec.info
    n = p.shape[0]
    p.requires_grad_(True)
    generator = torch.Generator().manual_seed(seed)
    lrs = learning_rates(spec, steps)
    optimizer = torch_optimizer(spec, [p])
    rule = info.rule(spec) if info.rule is not None else None
    # Weight decay torch does not apply itself is an L2 term 0.5 * wd * |x|^2 in the objective,
    # which adds wd * x to the gradient: the coupled decay torch.optim's SGD or Adam apply.
    l2 = 0.0 if info.torch_decay else spec.value("weight_decay")

    def objective(q: Tensor) -> tuple[Tensor, Tensor]:
        """The surface's loss per point (what the map shows) and the sum the optimizer minimizes."""
        losses = surface(q)
        total = losses.sum() + (0.5 * l2 * q.square().sum() if l2 else 0.0)
        return losses, total

    def loss_and_grad() -> tuple[Tensor, Tensor, Tensor]:
        losses, total = objective(p)
        (grad,) = torch.autograd.grad(total, p)
        if noise > 0:
            grad = grad + noise * torch.randn(grad.shape, generator=generator, dtype=grad.dtype)
        return losses.detach(), total.detach(), grad

    points = [p.detach().clone()]
    losses_log, grads_log, state_log = [], [], {}
    diverged = torch.full((n,), -1, dtype=torch.long)
    losses, _, grad = loss_and_grad()
    losses_log.append(losses)
    for t in range(steps):
        if optimizer is not None:
            optimizer.param_groups[0]["lr"] = lrs[t]
        grads_log.append(grad)
        with torch.no_grad():
            if info.closure:

                def closure() -> Tensor:
                    # L-BFGS evaluates the loss again, and more often inside its line search.
                    with torch.enable_grad():
                        _, total, g = loss_and_grad()
                    p.grad = g
                    return total

                optimizer.step(closure)
            elif optimizer is None and rule is None:  # Newton's method, written out
                with torch.enable_grad():
                    hessian = torch.autograd.functional.hessian(lambda q: objective(q)[1], p.detach())
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
        losses, _, grad = loss_and_grad()
        now = p.detach()
        bad = (~torch.isfinite(losses) | _outside(surface, now[:, 0], now[:, 1])) & (diverged < 0)
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
    if not spec.info.elementwise:
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

