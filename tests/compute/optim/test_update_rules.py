"""The lecture's update rules against torch.optim, and against published check values."""

from __future__ import annotations

import pytest
import torch

from trainlab.compute.optim import update_rules as rules
from trainlab.compute.optim.runs import OptimizerSpec, run_optimizer
from trainlab.compute.optim.surfaces import Surface, quadratic, rosenbrock

F64 = torch.float64
STEPS = 100

SURFACES = {"rosenbrock": rosenbrock(), "quadratic": quadratic(20.0, 30.0)}
STARTS = {"rosenbrock": (-1.5, 2.0), "quadratic": (-3.5, 1.5)}

# name: (rule factory, torch.optim factory, lr on rosenbrock, lr on the quadratic)
CASES = {
    "sgd": (lambda lr: rules.PlainSGD(lr), lambda p, lr: torch.optim.SGD([p], lr=lr), 1e-3, 0.05),
    "momentum": (lambda lr: rules.Momentum(lr, rho=0.9),
                 lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9), 1e-3, 0.02),
    "nesterov": (lambda lr: rules.Nesterov(lr, rho=0.9),
                 lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True), 1e-3, 0.02),
    "adagrad": (lambda lr: rules.AdaGrad(lr, eps=1e-10),
                lambda p, lr: torch.optim.Adagrad([p], lr=lr, eps=1e-10), 0.5, 0.5),
    "rmsprop": (lambda lr: rules.RMSProp(lr, decay=0.95, eps=1e-8),
                lambda p, lr: torch.optim.RMSprop([p], lr=lr, alpha=0.95, eps=1e-8), 0.01, 0.01),
    "adam": (lambda lr: rules.Adam(lr, betas=(0.9, 0.999), eps=1e-8, bias_correction=True),
             lambda p, lr: torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999), eps=1e-8), 0.05, 0.05),
}
# the rule's buffer name -> torch.optim's name and the factor between them (Nesterov's v is -lr buf)
STATE_MAP = {
    "momentum": ("velocity", "momentum_buffer", lambda lr: 1.0),
    "nesterov": ("velocity", "momentum_buffer", lambda lr: -lr),
    "adagrad": ("grad_squared", "sum", lambda lr: 1.0),
    "rmsprop": ("grad_squared", "square_avg", lambda lr: 1.0),
    "adam": ("first_moment", "exp_avg", lambda lr: 1.0),
}


def _grad(surface: Surface, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(surface(x).sum(), x)
    return g


def _rule_run(rule: rules.UpdateRule, surface: Surface, start, steps: int):
    x = torch.tensor(start, dtype=F64)
    xs, states = [x.clone()], []
    for _ in range(steps):
        x = rule.step(x, _grad(surface, x))
        xs.append(x.clone())
        states.append({k: v.clone() for k, v in rule.state.items()})
    return torch.stack(xs), states


def _torch_run(make_opt, surface: Surface, start, steps: int, lr: float):
    p = torch.tensor(start, dtype=F64, requires_grad=True)
    opt = make_opt(p, lr)
    xs, states = [p.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        surface(p).sum().backward()
        opt.step()
        xs.append(p.detach().clone())
        states.append({k: v.clone() for k, v in opt.state[p].items() if torch.is_tensor(v) and v.shape == p.shape})
    return torch.stack(xs), states


@pytest.mark.parametrize("surface_name", list(SURFACES))
@pytest.mark.parametrize("name", list(CASES))
def test_rule_follows_torch_optim(name, surface_name):
    make_rule, make_opt, lr_ros, lr_quad = CASES[name]
    lr = lr_ros if surface_name == "rosenbrock" else lr_quad
    surface, start = SURFACES[surface_name], STARTS[surface_name]
    ours, our_states = _rule_run(make_rule(lr), surface, start, STEPS)
    ref, ref_states = _torch_run(make_opt, surface, start, STEPS, lr)
    assert torch.isfinite(ref).all()
    # the run actually goes somewhere
    assert (ref[-1] - ref[0]).norm() > 0.05
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    if name in STATE_MAP:
        ours_key, torch_key, factor = STATE_MAP[name]
        for t in (0, 1, STEPS // 2, STEPS - 1):
            torch.testing.assert_close(our_states[t][ours_key], factor(lr) * ref_states[t][torch_key],
                                       rtol=1e-9, atol=1e-9)
    if name == "adam":
        for t in (0, STEPS - 1):
            torch.testing.assert_close(our_states[t]["second_moment"], ref_states[t]["exp_avg_sq"],
                                       rtol=1e-9, atol=1e-12)


def test_step_counter_and_state_names():
    x, g = torch.tensor([1.0, -2.0], dtype=F64), torch.tensor([0.5, 0.25], dtype=F64)
    expected = {rules.PlainSGD: set(), rules.Momentum: {"velocity"}, rules.Nesterov: {"velocity"},
                rules.AdaGrad: {"grad_squared"}, rules.RMSProp: {"grad_squared"},
                rules.Adam: {"first_moment", "second_moment", "first_moment_hat", "second_moment_hat"}}
    for cls, names in expected.items():
        rule = cls(0.1)
        for _ in range(3):
            out = rule.step(x, g)
        assert rule.t == 3
        assert set(rule.state) == names, cls
        assert out.shape == x.shape
        # x itself is not modified in place
        assert x.tolist() == [1.0, -2.0]
    assert set(rules.Adam(0.1, bias_correction=False).state) == set()
    with pytest.raises(NotImplementedError):
        rules.UpdateRule(0.1).step(x, g)


# --------------------------------------------------------------------------------------------
# Adam's bias correction
# --------------------------------------------------------------------------------------------

def test_adam_without_bias_correction_differs_from_torch_adam():
    surface, start, lr = SURFACES["quadratic"], STARTS["quadratic"], 0.05
    ours, states = _rule_run(rules.Adam(lr, bias_correction=False), surface, start, 20)
    ref, _ = _torch_run(CASES["adam"][1], surface, start, 20, lr)
    # torch Adam's first step moves every coordinate by lr (m_hat / sqrt(v_hat) = sign g)
    torch.testing.assert_close((ref[1] - ref[0]).abs(), torch.full((2,), lr, dtype=F64), rtol=1e-6, atol=0)
    # without the correction: m = 0.1 g, v = 0.001 g^2, so the step is lr * 0.1 / sqrt(0.001) = 3.16 lr
    torch.testing.assert_close((ours[1] - ours[0]).abs(), torch.full((2,), lr * 0.1 / 0.001**0.5, dtype=F64),
                               rtol=1e-6, atol=0)
    for t in range(1, 4):
        assert (ours[t] - ref[t]).abs().max() > 1e-2, t
    assert "first_moment_hat" not in states[0]
    # the uncorrected moments are the same moving averages torch keeps
    g0 = _grad(surface, torch.tensor(start, dtype=F64))
    torch.testing.assert_close(states[0]["first_moment"], 0.1 * g0)
    torch.testing.assert_close(states[0]["second_moment"], 0.001 * g0 * g0)


def test_adam_bias_correction_switched_back_on_equals_torch_adam():
    surface, start, lr = SURFACES["rosenbrock"], STARTS["rosenbrock"], 0.05
    rule = rules.Adam(lr, bias_correction=False)
    rule.bias_correction = True
    ours, states = _rule_run(rule, surface, start, STEPS)
    ref, ref_states = _torch_run(CASES["adam"][1], surface, start, STEPS, lr)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    # the corrected moments: m / (1 - b1^t), v / (1 - b2^t)
    t = 5
    torch.testing.assert_close(states[t - 1]["first_moment_hat"], ref_states[t - 1]["exp_avg"] / (1 - 0.9**t))
    torch.testing.assert_close(states[t - 1]["second_moment_hat"], ref_states[t - 1]["exp_avg_sq"] / (1 - 0.999**t))


# --------------------------------------------------------------------------------------------
# published check values
# --------------------------------------------------------------------------------------------

def test_cs231n_momentum_check_values():
    """CS231n's sgd_momentum check: v = rho v - lr dw; w += v. Our rule keeps v_ours = -v_cs / lr."""
    n, lr, rho = 20, 1e-3, 0.9
    w = torch.linspace(-0.4, 0.6, n, dtype=F64).reshape(4, 5)
    dw = torch.linspace(-0.6, 0.4, n, dtype=F64).reshape(4, 5)
    v_cs = torch.linspace(0.6, 0.9, n, dtype=F64).reshape(4, 5)
    rule = rules.Momentum(lr, rho=rho)
    rule.state["velocity"] = -v_cs / lr
    next_w = rule.step(w, dw)
    assert float(next_w[0, 0]) == pytest.approx(0.1406, abs=1e-4)
    assert float(next_w[3, 4]) == pytest.approx(1.4096, abs=1e-4)
    # the whole array matches the CS231n convention, and so does the velocity
    torch.testing.assert_close(next_w, w + (rho * v_cs - lr * dw), rtol=0, atol=1e-12)
    torch.testing.assert_close(-lr * rule.state["velocity"], rho * v_cs - lr * dw, rtol=0, atol=1e-12)


def _d2l_f(p: torch.Tensor) -> torch.Tensor:
    return p[..., 0] ** 2 + 2 * p[..., 1] ** 2


D2L_END = (-0.057646, -0.000073)


def test_d2l_gradient_descent_trace_with_plain_sgd():
    rule = rules.PlainSGD(0.1)
    x = torch.tensor([-5.0, -2.0], dtype=F64)
    for _ in range(20):
        x = rule.step(x, torch.stack([2 * x[0], 4 * x[1]]))
    assert float(x[0]) == pytest.approx(D2L_END[0], abs=1e-6)
    assert float(x[1]) == pytest.approx(D2L_END[1], abs=1e-6)
    # closed form: x1 = -5 * 0.8^20, x2 = -2 * 0.6^20
    torch.testing.assert_close(x, torch.tensor([-5 * 0.8**20, -2 * 0.6**20], dtype=F64), rtol=1e-12, atol=0)


def test_d2l_gradient_descent_trace_with_run_optimizer():
    surface = Surface("d2l", _d2l_f, ((0.0, 0.0),), (-6.0, 6.0, -3.0, 3.0), (-5.0, -2.0), "x1^2 + 2 x2^2")
    run = run_optimizer(surface, OptimizerSpec("sgd", lr=0.1), (-5.0, -2.0), 20)
    assert run.points.shape == (21, 1, 2)
    end = run.points[-1, 0]
    assert float(end[0]) == pytest.approx(D2L_END[0], abs=1e-6)
    assert float(end[1]) == pytest.approx(D2L_END[1], abs=1e-6)
    # every step of the trace, not just the last
    k = torch.arange(21, dtype=F64)
    torch.testing.assert_close(run.points[:, 0, 0], -5 * 0.8**k, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(run.points[:, 0, 1], -2 * 0.6**k, rtol=1e-12, atol=1e-15)
    assert run.summary()["diverged"] is False


# --------------------------------------------------------------------------------------------
# Nesterov: look-ahead form, change of variables and torch
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface_name", list(SURFACES))
def test_nesterov_change_of_variables_equals_lookahead_and_torch(surface_name):
    """The lecture: v' = rho v - lr g(x + rho v); x' = x + v'. With x~ = x + rho v the same run
    reads v' = rho v - lr g(x~); x~ += -rho v + (1 + rho) v', which is rules.Nesterov, and
    torch's SGD(nesterov=True) follows x~."""
    surface, start = SURFACES[surface_name], STARTS[surface_name]
    lr, rho = CASES["nesterov"][2 if surface_name == "rosenbrock" else 3], 0.9
    # the look-ahead form, written out here
    x = torch.tensor(start, dtype=F64)
    v = torch.zeros(2, dtype=F64)
    lookahead = [x + rho * v]
    for _ in range(STEPS):
        v = rho * v - lr * _grad(surface, x + rho * v)
        x = x + v
        lookahead.append(x + rho * v)
    lookahead = torch.stack(lookahead)
    ours, _ = _rule_run(rules.Nesterov(lr, rho), surface, start, STEPS)
    ref, _ = _torch_run(CASES["nesterov"][1], surface, start, STEPS, lr)
    torch.testing.assert_close(ours, lookahead, rtol=0, atol=1e-9)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    # and it is not plain momentum
    plain, _ = _rule_run(rules.Momentum(lr, rho), surface, start, STEPS)
    assert (plain - ours).abs().max() > 1e-3
