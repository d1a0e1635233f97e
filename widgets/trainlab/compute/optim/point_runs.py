"""One start point stepped in plain Python floats: the race's fast path.

A race steps about six optimizers 500 times each on one 2-D point. Through torch.optim every step
is an autograd call and an optimizer step on a 2-element tensor: about 330 µs of dispatch for a
few dozen flops, a second per race. Here the same updates run on Python floats with the
surface's gradient written out (Surface.point), in torch.optim's order of operations, so a
trajectory follows torch.optim's to rounding (tests hold them within 1e-9 of each other and of
torch.optim itself): a few µs per step.

Only what torch.optim does for these optimizers on a CPU tensor is mirrored here (its
single-tensor code path, no foreach, no maximize, no AMSGrad); anything else, and every batch of
points, runs through torch in runs.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import Surface

Pair = list[float]  # one value per coordinate
# step(point, grad, lr) -> the next point; updates the stepper's buffers in place.
Step = Callable[[Pair, Pair, float], Pair]


class _Stepper:
    """An optimizer's update for one point and its buffers by the lecture's names."""

    def __init__(self, step: Step, buffers: dict[str, Pair], hats: Callable[[], dict[str, Pair]] | None = None) -> None:
        self.step = step
        self.buffers = buffers
        self.hats = hats  # Adam's bias-corrected moments, derived from the buffers after a step

    def state(self) -> dict[str, Pair]:
        out = {name: list(value) for name, value in self.buffers.items()}
        return out | self.hats() if self.hats is not None else out


def _decayed(g: Pair, p: Pair, decay: float) -> Pair:
    """torch.optim's coupled weight decay, grad.add(param, alpha=decay)."""
    return [g[0] + decay * p[0], g[1] + decay * p[1]] if decay != 0 else g


def _sgd(spec: OptimizerSpec, nesterov: bool) -> _Stepper:
    momentum = spec.value("momentum") if "momentum" in spec.info.hyperparameters else 0.0
    decay = spec.value("weight_decay")
    nesterov = nesterov and momentum > 0  # the registry builds Nesterov with momentum 0 as plain SGD
    buffers: dict[str, Pair] = {}

    def step(p: Pair, g: Pair, lr: float) -> Pair:
        g = _decayed(g, p, decay)
        if momentum != 0:
            v = buffers.get("velocity")
            v = list(g) if v is None else [v[0] * momentum + g[0], v[1] * momentum + g[1]]
            buffers["velocity"] = v
            g = [g[0] + momentum * v[0], g[1] + momentum * v[1]] if nesterov else v
        return [p[0] + -lr * g[0], p[1] + -lr * g[1]]

    return _Stepper(step, buffers)


def _adagrad(spec: OptimizerSpec) -> _Stepper:
    eps, decay = spec.value("eps"), spec.value("weight_decay")
    r = [0.0, 0.0]

    def step(p: Pair, g: Pair, lr: float) -> Pair:
        g = _decayed(g, p, decay)
        out = []
        for i in (0, 1):
            r[i] = r[i] + 1.0 * g[i] * g[i]
            out.append(p[i] + -lr * g[i] / (math.sqrt(r[i]) + eps))
        return out

    return _Stepper(step, {"grad_squared": r})


def _rmsprop(spec: OptimizerSpec) -> _Stepper:
    alpha, eps, decay = spec.value("decay"), spec.value("eps"), spec.value("weight_decay")
    r = [0.0, 0.0]

    def step(p: Pair, g: Pair, lr: float) -> Pair:
        g = _decayed(g, p, decay)
        out = []
        for i in (0, 1):
            r[i] = r[i] * alpha + (1 - alpha) * g[i] * g[i]
            out.append(p[i] + -lr * g[i] / (math.sqrt(r[i]) + eps))
        return out

    return _Stepper(step, {"grad_squared": r})


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp as ATen computes it (two forms, for precision on either side of 1/2)."""
    return start + weight * (end - start) if abs(weight) < 0.5 else end - (end - start) * (1 - weight)


def _adam(spec: OptimizerSpec) -> _Stepper:
    b1, b2, eps = spec.value("beta1"), spec.value("beta2"), spec.value("eps")
    decay, decoupled = spec.value("weight_decay"), spec.info.decoupled_decay
    m, v = [0.0, 0.0], [0.0, 0.0]
    t = [0]

    def step(p: Pair, g: Pair, lr: float) -> Pair:
        t[0] += 1
        if decoupled and decay != 0:
            p = [p[0] * (1 - lr * decay), p[1] * (1 - lr * decay)]
        elif decay != 0:
            g = _decayed(g, p, decay)
        correction1, correction2_sqrt = 1 - b1 ** t[0], (1 - b2 ** t[0]) ** 0.5
        step_size = lr / correction1
        out = []
        for i in (0, 1):
            m[i] = _lerp(m[i], g[i], 1 - b1)
            v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
            out.append(p[i] + -step_size * m[i] / (math.sqrt(v[i]) / correction2_sqrt + eps))
        return out

    def hats() -> dict[str, Pair]:
        c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
        return {"first_moment_hat": [m[0] / c1, m[1] / c1], "second_moment_hat": [v[0] / c2, v[1] / c2]}

    return _Stepper(step, {"first_moment": m, "second_moment": v}, hats)


def _adam_no_bias_correction(spec: OptimizerSpec) -> _Stepper:
    """update_rules.Adam(bias_correction=False), the rule the registry runs for it."""
    b1, b2, eps = spec.value("beta1"), spec.value("beta2"), spec.value("eps")
    m, v = [0.0, 0.0], [0.0, 0.0]

    def step(p: Pair, g: Pair, lr: float) -> Pair:
        out = []
        for i in (0, 1):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            out.append(p[i] - lr * m[i] / (math.sqrt(v[i]) + eps))
        return out

    return _Stepper(step, {"first_moment": m, "second_moment": v})


STEPPERS: dict[str, Callable[[OptimizerSpec], _Stepper]] = {
    "sgd": lambda s: _sgd(s, nesterov=False),
    "momentum": lambda s: _sgd(s, nesterov=False),
    "nesterov": lambda s: _sgd(s, nesterov=True),
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
    "adamw": _adam,
    "adam_no_bias_correction": _adam_no_bias_correction,
}


def supports(surface: Surface, spec: OptimizerSpec, points: int) -> bool:
    """Whether this path runs the case: one point, a written-out gradient, a written-out optimizer."""
    return points == 1 and surface.point is not None and spec.name in STEPPERS


def run_point(surface: Surface, spec: OptimizerSpec, start: Pair, lrs: list[float], noise: float, seed: int,
              outside: Callable[[float, float], bool]) -> tuple[list, list, list, dict[str, list], int]:
    """Step one point through len(lrs) steps as runs.run_optimizer does.

    Returns the points, losses, gradients and state buffers recorded at each step (as lists) and
    the step at which the point diverged (-1 if it did not); on divergence the run stops with the
    last good point repeated, as run_optimizer records it.
    """
    stepper = STEPPERS[spec.name](spec)
    # Decay torch does not apply itself is an L2 term 0.5 wd |x|^2 in the objective (see runs.py).
    l2 = 0.0 if spec.info.torch_decay else spec.value("weight_decay")
    generator = torch.Generator().manual_seed(seed) if noise > 0 else None
    point = surface.point

    def loss_and_grad(p: Pair) -> tuple[float, Pair]:
        try:
            loss, gx, gy = point(p[0], p[1])
        except OverflowError:  # a float ** overflowing, where torch gives inf: the run diverges here
            return math.inf, [math.nan, math.nan]
        if l2:
            gx, gy = gx + l2 * p[0], gy + l2 * p[1]
        if generator is not None:  # the same draws, in the same order, as the torch path's
            nx, ny = torch.randn((1, 2), generator=generator, dtype=torch.float64)[0].tolist()
            gx, gy = gx + noise * nx, gy + noise * ny
        return loss, [gx, gy]

    p = list(start)
    loss, grad = loss_and_grad(p)
    points, losses, grads, state = [p], [loss], [], {}
    diverged = -1
    for t, lr in enumerate(lrs):
        grads.append(grad)
        p = stepper.step(p, grad, lr)
        for name, value in stepper.state().items():
            state.setdefault(name, []).append(value)
        loss, grad = loss_and_grad(p)
        if not math.isfinite(loss) or outside(p[0], p[1]):  # as the torch path decides it
            diverged = t + 1
            points.append(points[-1])
            losses.append(losses[-1])
            break
        points.append(p)
        losses.append(loss)
    return points, losses, grads, state, diverged
