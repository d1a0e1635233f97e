"""Optimizer trajectories on the 2-D surfaces against torch.optim run directly in the test;
schedules, noise, divergence, batching, basin maps and the errors of a bad spec."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.optim import update_rules as rules
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.runs import basin_map, learning_rates, run_optimizer, run_with_torch_optim
from trainlab.compute.optim.spec import RACE_SCHEDULES as SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import Surface, himmelblau, quadratic, rosenbrock, saddle

F64 = torch.float64
SURF = {"rosenbrock": rosenbrock(), "himmelblau": himmelblau()}
STARTS = {"rosenbrock": (-1.5, 2.0), "himmelblau": (-1.0, 0.5)}
TORCH_OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lbfgs",
                    "lbfgs_line_search"]
ELEMENTWISE = [name for name, info in OPTIMIZERS.items() if info.elementwise]

# Non-default hyperparameters, so a value that does not reach torch.optim shows.
SPECS = {
    "sgd": OptimizerSpec("sgd", lr=1e-3),
    "momentum": OptimizerSpec("momentum", lr=1e-3, momentum=0.8),
    "nesterov": OptimizerSpec("nesterov", lr=1e-3, momentum=0.85),
    "adagrad": OptimizerSpec("adagrad", lr=0.5, eps=1e-7),
    "rmsprop": OptimizerSpec("rmsprop", lr=0.01, decay=0.9, eps=1e-6),
    "adam": OptimizerSpec("adam", lr=0.05, beta1=0.85, beta2=0.99, eps=1e-7),
    "adamw": OptimizerSpec("adamw", lr=0.05, beta1=0.9, beta2=0.995, weight_decay=0.05),
    "lbfgs": OptimizerSpec("lbfgs", lr=1.0),
    "lbfgs_line_search": OptimizerSpec("lbfgs_line_search", lr=1.0),
}
# torch.optim's buffer -> the name run_optimizer records it under
TORCH_STATE = {"momentum_buffer": "velocity", "sum": "grad_squared", "square_avg": "grad_squared",
               "exp_avg": "first_moment", "exp_avg_sq": "second_moment"}
EXPECTED_STATE = {
    "sgd": set(), "momentum": {"velocity"}, "nesterov": {"velocity"}, "adagrad": {"grad_squared"},
    "rmsprop": {"grad_squared"}, "adam": {"first_moment", "second_moment", "first_moment_hat", "second_moment_hat"},
    "adamw": {"first_moment", "second_moment", "first_moment_hat", "second_moment_hat"},
    "adam_no_bias_correction": {"first_moment", "second_moment"},
    "lbfgs": set(), "lbfgs_line_search": set(), "newton": set(),
}


def _torch_optimizer(spec: OptimizerSpec, p: torch.Tensor) -> torch.optim.Optimizer:
    """The optimizer written out here from the spec's fields, not taken from the package."""
    lr, n, v = spec.lr, spec.name, spec.value
    if n == "sgd":
        return torch.optim.SGD([p], lr=lr)
    if n == "momentum":
        return torch.optim.SGD([p], lr=lr, momentum=v("momentum"))
    if n == "nesterov":
        return torch.optim.SGD([p], lr=lr, momentum=v("momentum"), nesterov=True)
    if n == "adagrad":
        return torch.optim.Adagrad([p], lr=lr, eps=v("eps"))
    if n == "rmsprop":
        return torch.optim.RMSprop([p], lr=lr, alpha=v("decay"), eps=v("eps"))
    if n == "adam":
        return torch.optim.Adam([p], lr=lr, betas=(v("beta1"), v("beta2")), eps=v("eps"))
    if n == "adamw":
        return torch.optim.AdamW([p], lr=lr, betas=(v("beta1"), v("beta2")), eps=v("eps"),
                                 weight_decay=v("weight_decay"))
    if n == "lbfgs":
        return torch.optim.LBFGS([p], lr=lr, max_iter=1, max_eval=25, history_size=20, line_search_fn=None)
    if n == "lbfgs_line_search":
        return torch.optim.LBFGS([p], lr=lr, max_iter=1, max_eval=25, history_size=20,
                                 line_search_fn="strong_wolfe")
    raise AssertionError(n)


def _torch_scheduler(schedule: str, opt: torch.optim.Optimizer, steps: int):
    sched = torch.optim.lr_scheduler
    if schedule == "none":
        return None
    if schedule == "step":
        return sched.StepLR(opt, step_size=steps // 3, gamma=0.1)
    if schedule == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=steps)
    if schedule == "exponential":
        return sched.ExponentialLR(opt, gamma=0.01 ** (1 / steps))
    raise AssertionError(schedule)


def _torch_reference(surface: Surface, spec: OptimizerSpec, start, steps: int):
    """points (steps+1, N, 2), losses (steps+1, N), lrs, and torch's state after each step."""
    p = torch.tensor(start, dtype=F64).reshape(-1, 2).clone().requires_grad_(True)
    opt = _torch_optimizer(spec, p)
    scheduler = _torch_scheduler(spec.schedule, opt, steps)

    def closure():
        opt.zero_grad()
        loss = surface(p).sum()
        loss.backward()
        return loss

    points, lrs, states = [p.detach().clone()], [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        if spec.name.startswith("lbfgs"):
            opt.step(closure)
        else:
            closure()
            opt.step()
        if scheduler is not None:
            scheduler.step()
        points.append(p.detach().clone())
        states.append({k: v.detach().clone() for k, v in opt.state[p].items() if k in TORCH_STATE})
    points = torch.stack(points)
    with torch.no_grad():
        losses = surface(points)
    return points, losses, lrs, states


def _single_grad(surface: Surface, point: torch.Tensor) -> torch.Tensor:
    q = point.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(surface(q).sum(), q)
    return g


# --------------------------------------------------------------------------------------------
# trajectories against torch.optim
# --------------------------------------------------------------------------------------------

CASES = [(name, surf, "none") for name in TORCH_OPTIMIZERS for surf in SURF] + [
    ("momentum", "rosenbrock", "step"), ("adam", "himmelblau", "cosine"), ("rmsprop", "rosenbrock", "exponential"),
    ("lbfgs_line_search", "rosenbrock", "cosine"), ("adagrad", "himmelblau", "step"),
    ("nesterov", "himmelblau", "exponential"), ("adamw", "rosenbrock", "step"), ("lbfgs", "rosenbrock", "exponential"),
    ("sgd", "himmelblau", "cosine"),
]


@pytest.mark.parametrize("name,surface_name,schedule", CASES, ids=["-".join(c) for c in CASES])
def test_trajectory_equals_torch_optim(name, surface_name, schedule):
    surface, start = SURF[surface_name], STARTS[surface_name]
    steps = 150
    spec = OptimizerSpec(**{**SPECS[name].__dict__, "schedule": schedule})
    run = run_optimizer(surface, spec, start, steps)
    ref_points, ref_losses, ref_lrs, ref_states = _torch_reference(surface, spec, start, steps)

    d = int(run.diverged_at[0])
    if name == "lbfgs" and surface_name == "himmelblau":
        # L-BFGS without a line search takes a wild step out of Himmelblau's box; torch does the
        # same at the same step, and run_optimizer stops there.
        assert d > 50
        assert float(ref_points[d].abs().max()) > 50.0
        torch.testing.assert_close(run.points[:d], ref_points[:d], rtol=0, atol=1e-9)
        torch.testing.assert_close(run.points[d], ref_points[d - 1], rtol=0, atol=1e-9)
        steps = d - 1
        ref_points, ref_losses, ref_lrs = ref_points[:d], ref_losses[:d], ref_lrs[:d - 1]
        run.points, run.losses, run.grads, run.lrs = run.points[:d], run.losses[:d], run.grads[:d - 1], run.lrs[:d - 1]
        run.state = {k: v[:d - 1] for k, v in run.state.items()}
    else:
        assert d == -1
    assert run.points.shape == (steps + 1, 1, 2) and run.losses.shape == (steps + 1, 1)
    assert run.grads.shape == (steps, 1, 2) and run.steps == steps
    assert (ref_points[-1] - ref_points[0]).norm() > 0.1  # the reference goes somewhere
    torch.testing.assert_close(run.points, ref_points, rtol=0, atol=1e-9)
    torch.testing.assert_close(run.losses, ref_losses, rtol=1e-9, atol=1e-9)
    assert run.lrs == pytest.approx(ref_lrs, rel=1e-12, abs=0)
    if schedule != "none":
        assert run.lrs[-1] < 0.5 * run.lrs[0]
    # grads are the gradients at the recorded points
    for t in (0, 1, steps // 2, steps - 1):
        torch.testing.assert_close(run.grads[t], _single_grad(surface, run.points[t]), rtol=1e-12, atol=1e-12)
    # state buffers: the names of the lecture, the values of torch's buffers at every step
    assert set(run.state) == EXPECTED_STATE[name]
    for torch_key, ours in TORCH_STATE.items():
        if ours in run.state and torch_key in ref_states[0]:
            assert run.state[ours].shape == (steps, 1, 2)
            ref = torch.stack([s[torch_key] for s in ref_states])
            torch.testing.assert_close(run.state[ours], ref, rtol=1e-9, atol=1e-12)
    if name in ("adam", "adamw"):
        # the bias-corrected moments m / (1 - b1^t), v / (1 - b2^t), t = 1, 2, ...
        t = torch.arange(1, steps + 1, dtype=F64)[:, None, None]
        m = torch.stack([s["exp_avg"] for s in ref_states])
        v = torch.stack([s["exp_avg_sq"] for s in ref_states])
        torch.testing.assert_close(run.state["first_moment_hat"], m / (1 - spec.value('beta1')**t), rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(run.state["second_moment_hat"], v / (1 - spec.value('beta2')**t), rtol=1e-9, atol=1e-12)
        # and the step is lr * m_hat / (sqrt(v_hat) + eps) (constant lr here)
        if schedule == "none" and name == "adam":
            step = -spec.lr * run.state["first_moment_hat"] / (run.state["second_moment_hat"].sqrt() + spec.value('eps'))
            torch.testing.assert_close(run.points[1:] - run.points[:-1], step, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_recorded_state_names(name):
    spec = OptimizerSpec(name, lr=SPECS[name].lr if name in SPECS else None)
    run = run_optimizer(SURF["himmelblau"], spec, STARTS["himmelblau"], 5)
    assert set(run.state) == EXPECTED_STATE[name]
    for buffer in run.state.values():
        assert buffer.shape == (5, 1, 2)
        assert torch.isfinite(buffer).all()
        assert buffer.abs().sum() > 0


def test_momentum_velocity_is_the_torch_buffer():
    """The first step's velocity is the gradient itself; after that rho v + g."""
    run = run_optimizer(SURF["rosenbrock"], SPECS["momentum"], STARTS["rosenbrock"], 3)
    v, g = run.state["velocity"], run.grads
    torch.testing.assert_close(v[0], g[0], rtol=0, atol=0)
    torch.testing.assert_close(v[1], 0.8 * v[0] + g[1], rtol=1e-12, atol=1e-12)


def test_adam_no_bias_correction_follows_the_rule():
    surface, start, spec = SURF["himmelblau"], STARTS["himmelblau"], OptimizerSpec("adam_no_bias_correction", lr=0.05)
    run = run_optimizer(surface, spec, start, 60)
    rule = rules.Adam(0.05, (0.9, 0.999), 1e-8, bias_correction=False)
    x = torch.tensor([start], dtype=F64)
    for t in range(60):
        x = rule.step(x, _single_grad(surface, x))
        torch.testing.assert_close(run.points[t + 1], x, rtol=0, atol=1e-12)
    torch.testing.assert_close(run.state["first_moment"][-1], rule.state["first_moment"], rtol=0, atol=1e-12)
    with_correction = run_optimizer(surface, OptimizerSpec("adam", lr=0.05), start, 60)
    assert (with_correction.points[1] - run.points[1]).abs().max() > 0.05


def test_lbfgs_line_search_moves():
    surface = SURF["rosenbrock"]
    run = run_optimizer(surface, OptimizerSpec("lbfgs_line_search"), None, 10)
    assert (run.points[1, 0] - run.points[0, 0]).norm() > 1e-3
    assert float(run.losses[-1, 0]) < 0.5 * float(run.losses[0, 0])
    assert (run.losses[1:, 0] <= run.losses[:-1, 0] + 1e-12).all()  # strong Wolfe: never uphill
    ls = run_optimizer(surface, OptimizerSpec("lbfgs_line_search"), None, 200)
    assert ls.steps_to_minimum() is not None


# --------------------------------------------------------------------------------------------
# weight decay: every optimizer takes it, and it changes every trajectory
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_weight_decay_reaches_every_optimizer(name):
    surface, start = SURF["himmelblau"], STARTS["himmelblau"]
    plain = run_optimizer(surface, OptimizerSpec(name, weight_decay=0.0), start, 40)
    decayed = run_optimizer(surface, OptimizerSpec(name, weight_decay=0.3), start, 40)
    assert (plain.points[-1] - decayed.points[-1]).abs().max() > 1e-3
    # the recorded loss is the surface's own (what the map shows), the decay only moves the point
    torch.testing.assert_close(decayed.losses, surface(decayed.points), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["adam_no_bias_correction", "newton", "lbfgs", "lbfgs_line_search"])
def test_decay_torch_lacks_is_coupled_l2(name):
    """Where torch applies no weight_decay, it is the L2 term 0.5 wd |x|^2: the same run as on a
    surface with that term added by hand."""
    base = SURF["himmelblau"]
    wd = 0.2
    with_l2 = Surface("l2", lambda p: base(p) + 0.5 * wd * p.square().sum(-1), base.minima, base.view, base.start, "")
    ours = run_optimizer(base, OptimizerSpec(name, weight_decay=wd), STARTS["himmelblau"], 25)
    by_hand = run_optimizer(with_l2, OptimizerSpec(name), STARTS["himmelblau"], 25)
    k = min(ours.points.shape[0], by_hand.points.shape[0])
    torch.testing.assert_close(ours.points[:k], by_hand.points[:k], rtol=1e-9, atol=1e-9)


def test_weight_decay_of_sgd_is_torchs_coupled_l2():
    spec = OptimizerSpec("sgd", lr=0.01, weight_decay=0.1)
    run = run_optimizer(SURF["himmelblau"], spec, STARTS["himmelblau"], 5)
    x = torch.tensor([STARTS["himmelblau"]], dtype=F64)
    for t in range(5):
        x = x - 0.01 * (_single_grad(SURF["himmelblau"], x) + 0.1 * x)
        torch.testing.assert_close(run.points[t + 1], x, rtol=0, atol=1e-12)


def test_adagrad_eps_is_torchs_default_everywhere():
    assert OptimizerSpec("adagrad").value("eps") == 1e-10
    assert OptimizerSpec("adam").value("eps") == 1e-8
    assert OptimizerSpec("adamw").value("weight_decay") == 0.01


# --------------------------------------------------------------------------------------------
# Newton
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition,angle", [(20.0, 0.0), (1000.0, 30.0), (1.0, 0.0), (7.0, -60.0)])
def test_newton_one_step_on_the_quadratic(condition, angle):
    surface = quadratic(condition, angle)
    run = run_optimizer(surface, OptimizerSpec("newton"), (-3.5, 1.5), 1)
    torch.testing.assert_close(run.points[1, 0], torch.zeros(2, dtype=F64), rtol=0, atol=1e-12)
    assert run.steps_to_minimum() == 1
    assert float(run.losses[1, 0]) < 1e-20


def test_newton_on_rosenbrock():
    run = run_optimizer(SURF["rosenbrock"], OptimizerSpec("newton"), None, 10)
    reached = run.steps_to_minimum()
    assert reached is not None and reached <= 6
    assert (run.points[-1, 0] - torch.tensor([1.0, 1.0], dtype=F64)).abs().max() < 1e-3
    # each step is x -= H^-1 g, checked here with the analytic Hessian
    x, y = (float(v) for v in run.points[0, 0])
    grad = torch.tensor([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], dtype=F64)
    hess = torch.tensor([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]], dtype=F64)
    expected = torch.tensor([x, y], dtype=F64) - torch.linalg.solve(hess, grad)
    torch.testing.assert_close(run.points[1, 0], expected, rtol=0, atol=1e-10)


# --------------------------------------------------------------------------------------------
# learning-rate schedules
# --------------------------------------------------------------------------------------------

def _scheduler_sequence(schedule: str, lr: float, steps: int) -> list[float]:
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = _torch_scheduler(schedule, dummy, steps)
    out = []
    for _ in range(steps):
        out.append(dummy.param_groups[0]["lr"])
        dummy.step()
        scheduler.step()
    return out


@pytest.mark.parametrize("steps", [9, 100, 301])
@pytest.mark.parametrize("schedule", ["step", "cosine", "exponential"])
def test_learning_rates_match_torch_schedulers(schedule, steps):
    spec = OptimizerSpec("momentum", lr=0.2, schedule=schedule)
    ours = learning_rates(spec, steps)
    assert len(ours) == steps
    assert ours == pytest.approx(_scheduler_sequence(schedule, 0.2, steps), rel=1e-12, abs=0)
    t = torch.arange(steps, dtype=F64)
    if schedule == "step":
        closed = 0.2 * 0.1 ** torch.div(t, steps // 3, rounding_mode="floor")
    elif schedule == "cosine":
        closed = 0.1 * (1 + torch.cos(math.pi * t / steps))
    else:
        closed = 0.2 * 0.01 ** (t / steps)
    assert ours == pytest.approx(closed.tolist(), rel=1e-9, abs=1e-15)


def test_learning_rates_none_and_defaults():
    assert learning_rates(OptimizerSpec("sgd", lr=0.3), 4) == [0.3] * 4
    assert learning_rates(OptimizerSpec("adam"), 3) == [OPTIMIZERS["adam"].race_lr] * 3
    assert set(SCHEDULES) == {"none", "step", "cosine", "exponential"}


def test_schedule_drives_the_steps():
    spec = OptimizerSpec("sgd", lr=0.01, schedule="step")
    run = run_optimizer(SURF["himmelblau"], spec, STARTS["himmelblau"], 30)
    assert run.lrs == learning_rates(spec, 30)
    steps_taken = run.points[1:, 0] - run.points[:-1, 0]
    lrs = torch.tensor(run.lrs, dtype=F64)[:, None]
    torch.testing.assert_close(steps_taken, -lrs * run.grads[:, 0], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------------
# noise
# --------------------------------------------------------------------------------------------

def test_noise_is_seeded():
    surface, spec = SURF["himmelblau"], OptimizerSpec("momentum", lr=0.005)
    a = run_optimizer(surface, spec, None, 100, noise=2.0, seed=3)
    b = run_optimizer(surface, spec, None, 100, noise=2.0, seed=3)
    c = run_optimizer(surface, spec, None, 100, noise=2.0, seed=4)
    clean = run_optimizer(surface, spec, None, 100)
    zero = run_optimizer(surface, spec, None, 100, noise=0.0, seed=4)
    assert torch.equal(a.points, b.points) and torch.equal(a.grads, b.grads)
    assert (a.points - c.points).abs().max() > 1e-2
    assert (a.points - clean.points).abs().max() > 1e-2
    assert torch.equal(zero.points, clean.points) and torch.equal(zero.grads, clean.grads)


def test_noise_scale_on_the_recorded_gradients():
    """The recorded gradient is the true gradient plus N(0, noise^2), and the step uses it."""
    surface, noise = SURF["himmelblau"], 1.5
    run = run_optimizer(surface, OptimizerSpec("sgd", lr=0.01), None, 300, noise=noise, seed=0)
    true = torch.stack([_single_grad(surface, run.points[t]) for t in range(run.steps)])
    residual = (run.grads - true).flatten()
    assert abs(float(residual.mean())) < 0.2
    assert float(residual.std()) == pytest.approx(noise, rel=0.1)
    torch.testing.assert_close(run.points[1:] - run.points[:-1], -0.01 * run.grads, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------------------------

def test_sgd_diverges_on_rosenbrock():
    run = run_optimizer(SURF["rosenbrock"], OptimizerSpec("sgd", lr=0.1), None, 200)
    d = int(run.diverged_at[0])
    assert d > 0
    summary = run.summary()
    assert summary["diverged"] is True and summary["diverged_at"] == d
    assert torch.isfinite(run.points).all() and torch.isfinite(run.losses).all()
    assert torch.isfinite(run.grads).all()
    assert run.points.shape[0] == d + 1 and run.steps == d and len(run.lrs) == d
    # the diverged step repeats the last good point
    assert torch.equal(run.points[d], run.points[d - 1])
    assert summary["final_point"] == run.points[d - 1, 0].tolist()
    # the torch reference of the same run really does blow up at step d
    ref, ref_losses, _, _ = _torch_reference(SURF["rosenbrock"], OptimizerSpec("sgd", lr=0.1), (-1.5, 2.0), d)
    torch.testing.assert_close(run.points[:d], ref[:d], rtol=0, atol=1e-9)
    assert (not torch.isfinite(ref_losses[d]).all()) or ref[d].abs().max() > 40


def test_momentum_leaves_the_saddle_box():
    surface = saddle()
    run = run_optimizer(surface, OptimizerSpec("momentum"), None, 300)
    d = int(run.diverged_at[0])
    assert d > 0 and run.summary()["diverged"] is True
    assert torch.isfinite(run.points).all() and torch.isfinite(run.losses).all()
    assert run.summary()["steps_to_minimum"] is None
    # the escape is along y (the downhill direction), and the next torch step is out of the box
    ref, _, _, _ = _torch_reference(surface, OptimizerSpec("momentum", lr=0.01), surface.start, d)
    torch.testing.assert_close(run.points[:d], ref[:d], rtol=0, atol=1e-9)
    span = 10 * 4.0
    assert float(ref[d - 1, 0, 1].abs()) <= span < float(ref[d, 0, 1].abs())


def test_no_divergence_without_cause():
    run = run_optimizer(quadratic(), OptimizerSpec("sgd", lr=0.05), None, 200)
    assert int(run.diverged_at[0]) == -1 and run.summary()["diverged"] is False
    assert run.summary()["diverged_at"] is None


def test_batched_run_with_diverging_points_matches_single_runs():
    """On the saddle two of three starts escape (at different steps); the one on the x axis
    converges. Each point's record equals its own single run, frozen after it diverged."""
    surface, spec, steps = saddle(), OptimizerSpec("momentum", lr=0.01), 200
    starts = torch.tensor([[-1.8, 0.001], [-1.8, 0.0], [1.0, -0.5]], dtype=F64)
    run = run_optimizer(surface, spec, starts, steps)
    assert run.points.shape == (steps + 1, 3, 2) and run.steps == steps
    d0, d1, d2 = run.diverged_at.tolist()
    assert d0 > 0 and d1 == -1 and d2 > 0 and d0 != d2
    assert torch.isfinite(run.points).all() and torch.isfinite(run.losses).all()
    for i in range(3):
        # the same engine one point at a time (a lone point takes the fast path, tested in test_point_runs.py)
        single = run_with_torch_optim(surface, spec, starts[i], steps)
        d = int(single.diverged_at[0])
        assert d == run.diverged_at.tolist()[i]
        k = single.points.shape[0]
        torch.testing.assert_close(run.points[:k, i], single.points[:, 0], rtol=0, atol=1e-12)
        torch.testing.assert_close(run.losses[:k, i], single.losses[:, 0], rtol=0, atol=1e-12)
        if d > 0:
            assert (run.points[d:, i] == run.points[d - 1, i]).all()
            assert (run.losses[d:, i] == run.losses[d - 1, i]).all()
        assert run.summary(i) == single.summary(0)
    assert run.summary(1)["final_point"] == pytest.approx([0.0, 0.0], abs=1e-3)


def test_batched_divergence_freezes_every_record():
    """Module docstring: 'A point whose loss turns inf/NaN or that leaves the box diverges: its
    run stops there (the recorded values after it repeat the last good ones)', and 'Every step
    records the points, losses, gradients, learning rate and the optimizer's own buffers'.
    In an (N, 2) run only points and losses are frozen: the recorded gradients and state buffers
    of a diverged point keep following the runaway point and turn inf/NaN."""
    surface = SURF["rosenbrock"]
    starts = torch.tensor([[-1.5, 2.0], [1.0, 1.0]], dtype=F64)
    run = run_optimizer(surface, OptimizerSpec("momentum", lr=0.1), starts, 20)
    d = int(run.diverged_at[0])
    assert d > 0
    assert torch.isfinite(run.grads).all(), "recorded gradients of the diverged point are not finite"
    assert torch.isfinite(run.state["velocity"]).all(), "recorded velocity of the diverged point is not finite"
    assert (run.grads[d:, 0] == run.grads[d - 1, 0]).all()


# --------------------------------------------------------------------------------------------
# summary and steps_to_minimum
# --------------------------------------------------------------------------------------------

def test_summary_and_steps_to_minimum_adam_on_quadratic():
    surface = quadratic()
    run = run_optimizer(surface, OptimizerSpec("adam"), None, 500)
    summary = run.summary()
    assert set(summary) == {"optimizer", "surface", "final_point", "final_loss", "steps_to_minimum", "diverged",
                            "diverged_at"}
    assert summary["optimizer"] == "adam" and summary["surface"] == "quadratic"
    assert summary["final_point"] == run.points[-1, 0].tolist()
    assert summary["final_loss"] == float(run.losses[-1, 0])
    assert summary["diverged"] is False and summary["diverged_at"] is None
    k = summary["steps_to_minimum"]
    assert k == run.steps_to_minimum() and isinstance(k, int) and 1 <= k < 500
    distance = run.points[:, 0].norm(dim=-1)
    assert distance[k] < 1e-3 and (distance[:k] >= 1e-3).all()
    assert summary["final_loss"] < 1e-6
    # too few steps: not reached
    assert run_optimizer(surface, OptimizerSpec("adam"), None, k - 1).steps_to_minimum() is None
    # a surface without minima has no steps_to_minimum
    assert run_optimizer(saddle(), OptimizerSpec("sgd"), None, 5).steps_to_minimum() is None


def test_summary_of_a_batched_point():
    surface = SURF["himmelblau"]
    starts = torch.tensor([[2.5, 2.5], [-2.5, 2.5]], dtype=F64)
    run = run_optimizer(surface, OptimizerSpec("adam", lr=0.05), starts, 300)
    s0, s1 = run.summary(0), run.summary(1)
    assert s0["final_point"] == pytest.approx([3.0, 2.0], abs=1e-3)
    assert s1["final_point"] == pytest.approx(list(surface.minima[1]), abs=1e-3)
    assert s0["steps_to_minimum"] == run.steps_to_minimum(0) is not None
    assert s1["steps_to_minimum"] == run.steps_to_minimum(1) is not None


def test_default_start_and_lr():
    surface = SURF["rosenbrock"]
    run = run_optimizer(surface, OptimizerSpec("adam"), None, 3)
    assert run.points[0, 0].tolist() == list(surface.start)
    assert run.lrs == [OPTIMIZERS["adam"].race_lr] * 3
    assert OptimizerSpec("adagrad").learning_rate == OPTIMIZERS["adagrad"].race_lr
    assert OptimizerSpec("adagrad", lr=0.3).learning_rate == 0.3


# --------------------------------------------------------------------------------------------
# batched runs = independent runs
# --------------------------------------------------------------------------------------------

BATCH_LR = {"sgd": 0.005, "momentum": 0.002, "nesterov": 0.002, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.05,
            "adamw": 0.05, "adam_no_bias_correction": 0.05}


def test_batch_lr_table_covers_every_elementwise_optimizer():
    assert set(BATCH_LR) == set(ELEMENTWISE)
    assert {"lbfgs", "lbfgs_line_search", "newton"}.isdisjoint(ELEMENTWISE)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_batched_run_equals_independent_runs(name):
    surface, steps = SURF["himmelblau"], 80
    starts = torch.rand(16, 2, generator=torch.Generator().manual_seed(7), dtype=F64) * 8 - 4
    spec = OptimizerSpec(name, lr=BATCH_LR[name])
    batch = run_optimizer(surface, spec, starts, steps)
    assert batch.points.shape == (steps + 1, 16, 2)
    assert (batch.diverged_at == -1).all()
    for i in range(16):
        single = run_with_torch_optim(surface, spec, starts[i], steps)  # the same engine, one point
        torch.testing.assert_close(batch.points[:, i], single.points[:, 0], rtol=0, atol=1e-12)
        torch.testing.assert_close(batch.losses[:, i], single.losses[:, 0], rtol=0, atol=1e-12)
        for key, buffer in single.state.items():
            torch.testing.assert_close(batch.state[key][:, i], buffer[:, 0], rtol=0, atol=1e-12)
    # the runs really went different ways
    assert len({tuple(round(v, 2) for v in p) for p in batch.points[-1].tolist()}) > 1


# --------------------------------------------------------------------------------------------
# basin map
# --------------------------------------------------------------------------------------------

def _himmelblau_grad(x: float, y: float) -> tuple[float, float]:
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def test_basin_map_on_himmelblau():
    surface, n, steps, lr = SURF["himmelblau"], 12, 200, 0.01
    xs, ys, basins = basin_map(surface, OptimizerSpec("sgd", lr=lr), n=n, steps=steps)
    assert xs.shape == (n,) and ys.shape == (n,) and basins.shape == (n, n)
    x0, x1, y0, y1 = surface.view
    assert (float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])) == (x0, x1, y0, y1)
    assert set(basins.flatten().tolist()) == {0, 1, 2, 3}
    minima = surface.minima
    # independent runs, plain Python gradient descent, one start at a time (rows: y)
    for i, y in enumerate(ys.tolist()):
        for j, x in enumerate(xs.tolist()):
            px, py = x, y
            for _ in range(steps):
                gx, gy = _himmelblau_grad(px, py)
                px, py = px - lr * gx, py - lr * gy
            dist = [math.hypot(px - mx, py - my) for mx, my in minima]
            expected = dist.index(min(dist)) if min(dist) < 0.1 else -1
            assert int(basins[i, j]) == expected, (x, y, (px, py))
    # the quadrant of each minimum maps to it
    assert int(basins[-1, -1]) == 0 and int(basins[-1, 0]) == 1
    assert int(basins[0, 0]) == 2 and int(basins[0, -1]) == 3


def test_basin_map_agrees_with_run_optimizer():
    surface, spec = SURF["himmelblau"], OptimizerSpec("adam", lr=0.05)
    xs, ys, basins = basin_map(surface, spec, n=5, steps=150)
    minima = torch.tensor(surface.minima, dtype=F64)
    for i, j in [(0, 0), (1, 3), (2, 2), (4, 1), (3, 4)]:
        run = run_optimizer(surface, spec, (float(xs[j]), float(ys[i])), 150)
        dist = (minima - run.points[-1, 0]).norm(dim=-1)
        expected = int(dist.argmin()) if float(dist.min()) < 0.1 and int(run.diverged_at[0]) < 0 else -1
        assert int(basins[i, j]) == expected


@pytest.mark.parametrize("name", ["lbfgs", "lbfgs_line_search", "newton"])
def test_basin_map_refuses_coupled_optimizers(name):
    with pytest.raises(SpecError) as err:
        basin_map(SURF["himmelblau"], OptimizerSpec(name), n=3, steps=2)
    assert err.value.field == "optimizer"


def test_basin_map_refuses_surface_without_minima():
    with pytest.raises(SpecError) as err:
        basin_map(saddle(), OptimizerSpec("sgd"), n=3, steps=2)
    assert err.value.field == "surface"


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

BAD_SPECS = [
    (dict(name="sgd", lr=0.0), "lr"),
    (dict(name="sgd", lr=float("nan")), "lr"),
    (dict(name="sgd", lr=100.0), "lr"),
    (dict(name="sgd", lr=-0.1), "lr"),
    (dict(name="momentum", momentum=1.0), "momentum"),
    (dict(name="adam", beta2=-0.1), "beta2"),
    (dict(name="adam", beta1=float("nan")), "beta1"),
    (dict(name="rmsprop", decay=1.5), "decay"),
    (dict(name="adam", eps=0.0), "eps"),
    (dict(name="adamw", weight_decay=2.0), "weight_decay"),
    (dict(name="rprop"), "optimizer"),
    (dict(name="sgd", schedule="linear"), "schedule"),
    # a hyperparameter the optimizer does not take is refused, not ignored
    (dict(name="adam", momentum=0.5), "momentum"),
    (dict(name="sgd", beta1=0.8), "beta1"),
    (dict(name="momentum", eps=1e-6), "eps"),
    (dict(name="newton", decay=0.9), "decay"),
]


@pytest.mark.parametrize("kwargs,field", BAD_SPECS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_SPECS)])
def test_bad_spec_is_a_spec_error_naming_the_field(kwargs, field):
    spec = OptimizerSpec(**kwargs)
    with pytest.raises(SpecError) as err:
        spec.validate()
    assert err.value.field == field
    assert str(err.value).startswith(field + ":")
    with pytest.raises(SpecError) as err:
        run_optimizer(SURF["rosenbrock"], spec, None, 5)
    assert err.value.field == field


def test_good_spec_validates():
    for name in OPTIMIZERS:
        assert OptimizerSpec(name).validate().name == name
    assert OptimizerSpec("momentum", lr=10.0, momentum=0.0).validate().lr == 10.0


@pytest.mark.parametrize("kwargs,field", [
    (dict(steps=0), "steps"), (dict(steps=20000), "steps"), (dict(steps=2.5), "steps"),
    (dict(noise=-1.0), "noise"), (dict(noise=float("nan")), "noise"), (dict(noise=1000.0), "noise"),
    (dict(start=(float("nan"), 1.0)), "start"), (dict(start=[[0.0, 1.0], [float("inf"), 0.0]]), "start"),
])
def test_bad_run_arguments(kwargs, field):
    with pytest.raises(SpecError) as err:
        run_optimizer(SURF["rosenbrock"], OptimizerSpec("sgd"), **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("name", ["newton", "lbfgs", "lbfgs_line_search"])
def test_coupled_optimizers_refuse_several_starts(name):
    with pytest.raises(SpecError) as err:
        run_optimizer(SURF["rosenbrock"], OptimizerSpec(name), [[0.0, 0.0], [1.0, 0.5]], 3)
    assert err.value.field == "optimizer"
    # one start in an (1, 2) array is fine
    assert run_optimizer(SURF["rosenbrock"], OptimizerSpec(name), [[0.0, 0.0]], 2).points.shape == (3, 1, 2)


@pytest.mark.parametrize("start", [[1.0, 2.0, 3.0], [], [[1.0, 2.0, 3.0]]], ids=["three", "empty", "row-of-three"])
def test_start_of_the_wrong_shape_is_a_spec_error(start):
    """errors.py: SpecError is the one exception the compute layer raises for a configuration a
    user got wrong. A start that is not (2,) or (N, 2) currently escapes as a RuntimeError from
    reshape(-1, 2), and an empty start runs with N = 0 points instead of being refused."""
    with pytest.raises(SpecError) as err:
        run_optimizer(SURF["rosenbrock"], OptimizerSpec("sgd"), start, 3)
    assert err.value.field == "start"
