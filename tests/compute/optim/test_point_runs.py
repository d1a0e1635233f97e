"""The race's fast path (point_runs.py) against torch.optim: the written-out gradients against
autograd, and every trajectory, loss, gradient and state buffer against run_with_torch_optim
(torch.optim and autograd step by step, itself tested against torch.optim in test_runs.py)."""

from __future__ import annotations

import itertools

import pytest
import torch

from trainlab.compute.optim import point_runs
from trainlab.compute.optim.point_runs import STEPPERS
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.runs import Trajectory, run_optimizer, run_with_torch_optim
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import SURFACES, Surface, quadratic
from trainlab.presets import RACE_PRESETS

F64 = torch.float64
TOLERANCE = 1e-9  # absolute and relative: trajectories agree to rounding, not to the bit
POINTED = {name: make() for name, make in SURFACES.items() if make().point is not None}


def _same(ours: Trajectory, reference: Trajectory, what: str) -> None:
    assert int(ours.diverged_at[0]) == int(reference.diverged_at[0]), what
    assert ours.lrs == reference.lrs, what
    assert list(ours.state) == list(reference.state), what  # the same buffers, in the same order
    pairs = [("points", ours.points, reference.points), ("losses", ours.losses, reference.losses),
             ("grads", ours.grads, reference.grads)]
    pairs += [(name, ours.state[name], reference.state[name]) for name in reference.state]
    for name, a, b in pairs:
        assert a.shape == b.shape, f"{what}: {name} {tuple(a.shape)} vs {tuple(b.shape)}"
        torch.testing.assert_close(a, b, rtol=TOLERANCE, atol=TOLERANCE, msg=lambda m, n=name: f"{what}: {n}: {m}")


# --------------------------------------------------------------------------------------------
# the written-out losses and gradients
# --------------------------------------------------------------------------------------------

POINT_CASES = {**POINTED, "quadratic-c1000-a30": quadratic(1000.0, 30.0), "quadratic-c3-a-80": quadratic(3.0, -80.0)}


@pytest.mark.parametrize("key", list(POINT_CASES))
def test_point_function_is_the_surface_and_its_autograd_gradient(key: str) -> None:
    surface = POINT_CASES[key]
    x0, x1, y0, y1 = surface.view
    u = torch.rand(20, 2, generator=torch.Generator().manual_seed(4), dtype=F64)
    points = [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * b) for a, b in u.tolist()]
    for x, y in [*points, surface.start, *surface.minima, (40.0, -30.0)]:
        p = torch.tensor([x, y], dtype=F64, requires_grad=True)
        value = surface(p)
        (grad,) = torch.autograd.grad(value, p)
        value = value.detach()
        loss, gx, gy = surface.point(x, y)
        assert loss == pytest.approx(float(value), rel=1e-13, abs=1e-13), (key, x, y)
        scale = 1e-12 * (1 + float(grad.abs().max()))
        assert gx == pytest.approx(float(grad[0]), abs=scale), (key, x, y)
        assert gy == pytest.approx(float(grad[1]), abs=scale), (key, x, y)


def test_only_rastrigin_goes_without_a_point_function() -> None:
    """Rastrigin's runs are chaotic at the race's learning rates (see surfaces.py): torch.optim runs them."""
    assert set(SURFACES) - set(POINTED) == {"rastrigin"}


# --------------------------------------------------------------------------------------------
# trajectories
# --------------------------------------------------------------------------------------------

def test_every_elementwise_optimizer_has_a_fast_path() -> None:
    assert set(STEPPERS) == {name for name, info in OPTIMIZERS.items() if info.elementwise}


VARIANTS = {
    "defaults": {},
    "weight decay": {"weight_decay": 0.05},
    "noise": {"noise": 0.3},
}


@pytest.mark.parametrize(("name", "surface_name", "variant"),
                         list(itertools.product(STEPPERS, POINTED, VARIANTS)))
def test_fast_path_equals_torch_optim(name: str, surface_name: str, variant: str) -> None:
    changes = dict(VARIANTS[variant])
    noise = changes.pop("noise", 0.0)
    spec = OptimizerSpec(name, **changes)
    surface = POINTED[surface_name]
    ours = run_optimizer(surface, spec, None, 200, noise, seed=5)
    _same(ours, run_with_torch_optim(surface, spec, None, 200, noise, seed=5), f"{name} on {surface_name}, {variant}")


# Hyperparameters at the ends of their ranges and the branches they take in torch.optim: a beta1
# below 1/2 (torch.lerp's other form), momentum 0 (no buffer; Nesterov built as plain SGD), eps
# at its ends, schedules. Runs that bounce chaotically around a minimum are left out (Adam with
# beta2 0.5 and lr 0.05 on the quadratic, SGD on Rastrigin): there a rounding difference grows
# into another path, and torch.optim itself, run with ATEN_CPU_CAPABILITY=default instead of
# AVX-512, ends 0.05 and 0.8 away from its own path (measured with torch 2.13).
EDGE_SPECS = [
    OptimizerSpec("adam", lr=0.01, beta1=0.3, beta2=0.9, eps=1e-12),
    OptimizerSpec("adamw", lr=0.1, beta1=0.0, beta2=0.9999, eps=1.0, weight_decay=1.0),
    OptimizerSpec("adam", lr=0.05, schedule="cosine"),
    OptimizerSpec("momentum", lr=0.001, momentum=0.0),
    OptimizerSpec("nesterov", lr=0.001, momentum=0.0, schedule="step"),
    OptimizerSpec("nesterov", lr=0.001, momentum=0.9999),
    OptimizerSpec("rmsprop", lr=0.01, decay=0.0, eps=1e-12, schedule="exponential"),
    OptimizerSpec("adagrad", lr=1.5, eps=1.0, weight_decay=0.3),
    OptimizerSpec("adam_no_bias_correction", lr=0.05, beta1=0.5, weight_decay=0.2, schedule="step"),
    OptimizerSpec("sgd", lr=10.0),  # leaves the box at once
]


@pytest.mark.parametrize("spec", EDGE_SPECS, ids=[f"{s.name}-{i}" for i, s in enumerate(EDGE_SPECS)])
@pytest.mark.parametrize("surface_name", ["rosenbrock", "quadratic", "flat_saddle"])
def test_fast_path_equals_torch_optim_at_the_edges(spec: OptimizerSpec, surface_name: str) -> None:
    surface = POINTED[surface_name]
    ours = run_optimizer(surface, spec, (0.7, -0.4), 200)
    _same(ours, run_with_torch_optim(surface, spec, (0.7, -0.4), 200), f"{spec} on {surface_name}")


@pytest.mark.parametrize("label", list(RACE_PRESETS))
def test_every_lecture_race_equals_torch_optim(label: str) -> None:
    race = RACE_PRESETS[label].race
    surface = race.make_surface()
    for racer in race.racers:
        ours = run_optimizer(surface, racer, race.start, race.steps, race.noise, race.seed)
        reference = run_with_torch_optim(surface, racer, race.start, race.steps, race.noise, race.seed)
        _same(ours, reference, f"{label}: {racer.label}")


def test_what_takes_the_fast_path() -> None:
    rosenbrock = POINTED["rosenbrock"]
    assert point_runs.supports(rosenbrock, OptimizerSpec("adam"), 1)
    assert not point_runs.supports(rosenbrock, OptimizerSpec("adam"), 2)  # a batch: torch
    for coupled in ("lbfgs", "lbfgs_line_search", "newton"):
        assert not point_runs.supports(rosenbrock, OptimizerSpec(coupled), 1)
    assert not point_runs.supports(SURFACES["rastrigin"](), OptimizerSpec("sgd"), 1)


def test_a_surface_without_a_point_function_still_runs() -> None:
    plain = Surface("bowl", lambda p: (p * p).sum(-1), ((0.0, 0.0),), (-1.0, 1.0, -1.0, 1.0), (0.5, 0.5), "bowl")
    run = run_optimizer(plain, OptimizerSpec("sgd", lr=0.1), None, 10)
    assert run.points.shape == (11, 1, 2) and float(run.points[-1].abs().max()) < 0.1
