"""Learning-rate schedules, built from torch.optim.lr_scheduler, with an optional linear warm-up.

Every schedule follows a formula from the course, with t counted in optimizer steps from the end
of the warm-up and T = steps - warmup the length of the schedule proper:

    step          a0 * gamma ** (t // step_every)
    cosine        a0 / 2 * (1 + cos(pi t / T))
    linear        a0 * (1 - t / T)
    inverse_sqrt  a0 / sqrt(t + 1)          (a0 / sqrt(t) with t counted from 1)
    exponential   a0 * exp(-k t), k = -ln(final_fraction) / T

The warm-up (Goyal et al. 2017) rises in equal steps, a0 (i + 1) / (warmup + 1) at step i, so
that the next step, the schedule's t = 0, is a0. The scheduler is stepped once per optimizer
step, after optimizer.step().
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.optim import lr_scheduler

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.checks import whole_in
from trainlab.compute.errors import SpecError

SCHEDULES = ("none", "step", "cosine", "linear", "inverse_sqrt", "exponential")
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule; see the module docstring for the formulas."""

    name: str = "none"
    warmup: int = 0  # steps of linear warm-up before the schedule proper (Goyal et al. 2017)
    step_every: int | None = None  # StepLR's step size; None: a third of the steps after warm-up
    step_gamma: float = 0.1
    final_fraction: float = 0.01  # exponential: the lr after the whole run, as a fraction of a0

    def validate(self, steps: int | None = None) -> ScheduleSpec:
        """Raise SpecError naming the first field that is out of range; return self if none.

        With `steps` given, also check that the warm-up leaves at least one step of schedule.
        """
        if self.name not in SCHEDULES:
            raise SpecError("schedule", f"must be one of {', '.join(SCHEDULES)}, not {self.name!r}")
        whole_in("warmup", self.warmup, (0, MAX_STEPS))
        if self.step_every is not None:
            whole_in("step_every", self.step_every, (1, MAX_STEPS))
        # Above 0: a factor of 0 stops training for good; at most 1: these schedules decay.
        for field_name in ("step_gamma", "final_fraction"):
            value = getattr(self, field_name)
            if not (_is_number(value) and 0.0 < value <= 1.0):
                raise SpecError(field_name, f"must be a number above 0 and at most 1, not {value!r}")
        if steps is not None:
            whole_in("steps", steps, (1, MAX_STEPS))
            if self.warmup >= steps:
                raise SpecError("warmup", f"must be fewer than the {steps} steps of the run, not {self.warmup}")
        return self


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)



def _main_scheduler(optimizer: torch.optim.Optimizer, spec: ScheduleSpec, length: int) -> lr_scheduler.LRScheduler:
    """The schedule proper over `length` steps, starting from the base lr at its t = 0."""
    if spec.name == "none":
        return lr_scheduler.LambdaLR(optimizer, lambda i: 1.0)
    if spec.name == "step":
        every = spec.step_every if spec.step_every is not None else max(1, length // 3)
        return lr_scheduler.StepLR(optimizer, step_size=every, gamma=spec.step_gamma)
    if spec.name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=length)
    if spec.name == "linear":
        # torch accepts end_factor = 0 (it refuses only a start_factor of 0), so LinearLR itself
        # goes from a0 at t = 0 to 0 at t = T.
        return lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=length)
    if spec.name == "inverse_sqrt":
        return lr_scheduler.LambdaLR(optimizer, lambda i: 1.0 / math.sqrt(i + 1))
    if spec.name == "exponential":
        # gamma ** T = final_fraction: the lr reaches that fraction of a0 at the end of the run.
        return lr_scheduler.ExponentialLR(optimizer, gamma=spec.final_fraction ** (1.0 / length))
    raise SpecError("schedule", f"must be one of {', '.join(SCHEDULES)}, not {spec.name!r}")


def make_scheduler(optimizer: torch.optim.Optimizer, spec: ScheduleSpec,
                   steps: int) -> lr_scheduler.LRScheduler | None:
    """The scheduler for a run of `steps` optimizer steps; None for a constant lr.

    Step it once per optimizer step, after optimizer.step(). The optimizer's lr when it is
    built is the base lr a0.
    """
    spec.validate(steps)
    if spec.name == "none" and spec.warmup == 0:
        return None
    main = _main_scheduler(optimizer, spec, steps - spec.warmup)
    if spec.warmup == 0:
        return main
    # A start factor of 1 / (warmup + 1) makes the warm-up a0 (i + 1) / (warmup + 1): equal
    # rises from a small positive lr (LinearLR refuses a start factor of 0, and a step at lr 0
    # would be wasted), reaching a0 exactly at the milestone.
    warm = lr_scheduler.LinearLR(optimizer, start_factor=1.0 / (spec.warmup + 1), end_factor=1.0,
                                 total_iters=spec.warmup)
    # SequentialLR resets the lr to a0 and undoes the initial steps the two schedulers took when
    # built; at the milestone it puts the main schedule at t = 0 (its closed form, or for LambdaLR
    # its lambda, at 0: a0) instead of stepping it, so the schedule proper starts from t = 0.
    return lr_scheduler.SequentialLR(optimizer, [warm, main], milestones=[spec.warmup])


def learning_rates(base_lr: float, spec: ScheduleSpec, steps: int, cancel: CancelToken = NEVER) -> list[float]:
    """The lr each of the `steps` optimizer steps runs with (param_groups[0]["lr"] at the step),
    from a real scheduler driving a dummy optimizer; Cancelled once `cancel` is (checked every
    thousand steps: a 100,000-step schedule takes seconds)."""
    if not (_is_number(base_lr) and base_lr > 0.0):
        raise SpecError("lr", f"the base learning rate must be a number above 0, not {base_lr!r}")
    spec.validate(steps)
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make_scheduler(dummy, spec, steps)
    if scheduler is None:
        return [float(base_lr)] * steps
    out = []
    dummy.step()  # no gradient, so nothing moves; torch wants an optimizer.step() before scheduler.step()
    for step in range(steps):
        if step % 1000 == 0:
            cancel.check()
        out.append(float(dummy.param_groups[0]["lr"]))
        scheduler.step()
    return out
