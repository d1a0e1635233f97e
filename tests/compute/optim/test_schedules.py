"""Learning-rate schedules against the course's closed forms, with and without warm-up; a real
optimizer driven by make_scheduler; the race's schedules; and the errors of a bad spec."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.runs import OptimizerSpec
from trainlab.compute.optim.runs import learning_rates as race_learning_rates
from trainlab.compute.optim.schedules import SCHEDULES, ScheduleSpec, learning_rates, make_scheduler

A0 = 0.3


def _closed_form(spec: ScheduleSpec, a0: float, steps: int) -> list[float]:
    """The course's formulas written out here: warm-up a0 (i + 1) / (W + 1) for i < W, then the
    schedule with t = i - W counted from 0 and T = steps - W."""
    w, big_t = spec.warmup, steps - spec.warmup
    every = spec.step_every if spec.step_every is not None else max(1, big_t // 3)
    k = -math.log(spec.final_fraction) / big_t
    out = []
    for i in range(steps):
        if i < w:
            out.append(a0 * (i + 1) / (w + 1))
            continue
        t = i - w
        out.append({
            "none": a0,
            "step": a0 * spec.step_gamma ** (t // every),
            "cosine": a0 / 2 * (1 + math.cos(math.pi * t / big_t)),
            "linear": a0 * (1 - t / big_t),
            "inverse_sqrt": a0 / math.sqrt(t + 1),
            "exponential": a0 * math.exp(-k * t),
        }[spec.name])
    return out


CASES = [
    (ScheduleSpec(name), steps) for name in SCHEDULES for steps in (1, 7, 100)
] + [
    (ScheduleSpec(name, warmup=w), steps) for name in SCHEDULES for w, steps in ((1, 2), (5, 40), (30, 31), (10, 200))
] + [
    (ScheduleSpec("step", step_every=4, step_gamma=0.5), 30),
    (ScheduleSpec("step", warmup=3, step_every=10, step_gamma=0.3), 50),
    (ScheduleSpec("step", step_every=500), 30),  # never reached: a constant lr
    (ScheduleSpec("exponential", final_fraction=0.2), 60),
    (ScheduleSpec("exponential", warmup=8, final_fraction=1e-4), 60),
    (ScheduleSpec("exponential", final_fraction=1.0), 10),
]
IDS = [f"{s.name}-w{s.warmup}-e{s.step_every}-g{s.step_gamma}-f{s.final_fraction}-{n}" for s, n in CASES]


@pytest.mark.parametrize("spec,steps", CASES, ids=IDS)
def test_learning_rates_are_the_closed_forms(spec, steps):
    lrs = learning_rates(A0, spec, steps)
    assert len(lrs) == steps and all(isinstance(v, float) for v in lrs)
    assert lrs == pytest.approx(_closed_form(spec, A0, steps), rel=1e-10, abs=1e-15)
    assert all(v >= 0.0 for v in lrs)
    if spec.warmup:
        w = spec.warmup
        # the warm-up rises in equal steps from a0 / (W + 1) and the schedule starts from a0
        rises = [b - a for a, b in zip(lrs[:w + 1], lrs[1:w + 1])]
        assert rises == pytest.approx([A0 / (w + 1)] * w, rel=1e-10)
        assert lrs[0] == pytest.approx(A0 / (w + 1), rel=1e-12) and lrs[0] > 0
        assert lrs[w] == pytest.approx(A0, rel=1e-12)
    assert max(lrs) == pytest.approx(A0, rel=1e-12)


@pytest.mark.parametrize("name", SCHEDULES)
def test_warm_up_then_the_same_schedule_as_without(name):
    """After W warm-up steps the lrs are those of the same schedule run alone for T = steps - W."""
    steps, w = 50, 12
    with_warmup = learning_rates(A0, ScheduleSpec(name, warmup=w), steps)
    alone = learning_rates(A0, ScheduleSpec(name), steps - w)
    assert with_warmup[w:] == pytest.approx(alone, rel=1e-12, abs=1e-15)


def test_schedule_end_points():
    steps = 40
    # cosine and linear head for 0 at t = T (one step after the last), exponential for 1%
    cosine = learning_rates(A0, ScheduleSpec("cosine"), steps)
    assert cosine[-1] == pytest.approx(A0 / 2 * (1 + math.cos(math.pi * (steps - 1) / steps)), rel=1e-10)
    assert learning_rates(A0, ScheduleSpec("linear"), steps)[-1] == pytest.approx(A0 / steps, rel=1e-10)
    exponential = learning_rates(A0, ScheduleSpec("exponential"), steps)
    assert exponential[-1] * (0.01 ** (1 / steps)) == pytest.approx(0.01 * A0, rel=1e-10)
    step = learning_rates(A0, ScheduleSpec("step"), 30)
    assert step[9] == A0 and step[10] == pytest.approx(0.1 * A0) and step[20] == pytest.approx(1e-2 * A0) == step[29]
    assert learning_rates(A0, ScheduleSpec("inverse_sqrt"), 4) == pytest.approx([A0, A0 / 2**0.5, A0 / 3**0.5, A0 / 2])


def test_none_is_constant_and_has_no_scheduler():
    assert learning_rates(A0, ScheduleSpec(), 5) == [A0] * 5
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=A0)
    assert make_scheduler(opt, ScheduleSpec(), 5) is None
    assert make_scheduler(opt, ScheduleSpec(warmup=2), 5) is not None


@pytest.mark.parametrize("spec", [ScheduleSpec(name, warmup=w) for name in SCHEDULES for w in (0, 6)],
                         ids=[f"{name}-w{w}" for name in SCHEDULES for w in (0, 6)])
def test_real_optimizer_runs_with_those_lrs(spec):
    """SGD on a quadratic, the scheduler stepped after each optimizer step: the lr read before each
    step is learning_rates', and the step actually taken is -lr * gradient."""
    steps = 25
    p = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=A0)
    scheduler = make_scheduler(opt, spec, steps)
    used = []
    for _ in range(steps):
        lr = opt.param_groups[0]["lr"]
        used.append(lr)
        opt.zero_grad()
        (p**2).sum().backward()
        before, grad = p.detach().clone(), p.grad.detach().clone()
        opt.step()
        torch.testing.assert_close(p.detach() - before, -lr * grad, rtol=1e-12, atol=0)
        if scheduler is not None:
            scheduler.step()
    assert used == learning_rates(A0, spec, steps)
    assert used == pytest.approx(_closed_form(spec, A0, steps), rel=1e-10, abs=1e-15)
    # stepped once more after the last optimizer step, the lr is still not negative
    assert opt.param_groups[0]["lr"] >= 0.0


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("steps,warmup", [(1, 0), (2, 1), (3, 0), (1000, 0), (1000, 999), (257, 31)])
def test_lrs_never_negative_or_above_the_base(name, steps, warmup):
    lrs = learning_rates(A0, ScheduleSpec(name, warmup=warmup), steps)
    assert len(lrs) == steps
    assert all(0.0 < v <= A0 * (1 + 1e-12) for v in lrs)


@pytest.mark.parametrize("schedule", ["none", "step", "cosine", "exponential"])
def test_race_learning_rates_are_the_schedule_defaults(schedule):
    """optimizer_runs.learning_rates: step x0.1 every max(1, steps // 3); exponential to 1%."""
    for steps in (1, 2, 9, 100):
        ours = race_learning_rates(OptimizerSpec("sgd", lr=A0, schedule=schedule), steps)
        assert ours == learning_rates(A0, ScheduleSpec(schedule), steps)
        t = range(steps)
        closed = {
            "none": [A0] * steps,
            "step": [A0 * 0.1 ** (i // max(1, steps // 3)) for i in t],
            "cosine": [A0 / 2 * (1 + math.cos(math.pi * i / steps)) for i in t],
            "exponential": [A0 * 0.01 ** (i / steps) for i in t],
        }[schedule]
        assert ours == pytest.approx(closed, rel=1e-10, abs=1e-15)


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

BAD = [
    (dict(name="cyclic"), None, "schedule"),
    (dict(name="Cosine"), None, "schedule"),
    (dict(warmup=-1), None, "warmup"),
    (dict(warmup=2.5), None, "warmup"),
    (dict(warmup=True), None, "warmup"),
    (dict(warmup=10), 10, "warmup"),
    (dict(name="cosine", warmup=11), 10, "warmup"),
    (dict(step_every=0), None, "step_every"),
    (dict(step_every=3.0), None, "step_every"),
    (dict(step_gamma=0.0), None, "step_gamma"),
    (dict(step_gamma=-0.5), None, "step_gamma"),
    (dict(step_gamma=1.5), None, "step_gamma"),
    (dict(step_gamma=float("nan")), None, "step_gamma"),
    (dict(final_fraction=0.0), None, "final_fraction"),
    (dict(final_fraction=2.0), None, "final_fraction"),
    (dict(final_fraction=float("inf")), None, "final_fraction"),
    (dict(), 0, "steps"),
    (dict(), 2.0, "steps"),
]


@pytest.mark.parametrize("kwargs,steps,field", BAD, ids=[f"{f}-{i}" for i, (_, _, f) in enumerate(BAD)])
def test_bad_spec_is_a_spec_error_naming_the_field(kwargs, steps, field):
    spec = ScheduleSpec(**kwargs)
    with pytest.raises(SpecError) as err:
        spec.validate(steps)
    assert err.value.field == field
    assert str(err.value).startswith(field + ":") and "\n" not in str(err.value)
    with pytest.raises(SpecError) as err:
        learning_rates(A0, spec, 10 if steps is None else steps)
    assert err.value.field == field
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=A0)
    with pytest.raises(SpecError) as err:
        make_scheduler(opt, spec, 10 if steps is None else steps)
    assert err.value.field == field


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), "0.1"])
def test_bad_base_lr(lr):
    with pytest.raises(SpecError) as err:
        learning_rates(lr, ScheduleSpec("cosine"), 5)
    assert err.value.field == "lr"


def test_good_specs_validate():
    for name in SCHEDULES:
        assert ScheduleSpec(name).validate() == ScheduleSpec(name)
        assert ScheduleSpec(name, warmup=9).validate(10).warmup == 9
    assert ScheduleSpec("step", step_every=1, step_gamma=1.0, final_fraction=1.0).validate(1).step_every == 1
