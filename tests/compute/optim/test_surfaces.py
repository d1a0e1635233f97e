"""The 2-D loss surfaces: autograd gradients, the listed minima, the contour grid, and errors."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.surfaces import SURFACES, Surface, make_surface, quadratic

# Every surface by its default factory, plus the quadratic at a few conditions and angles.
CASES: dict[str, Surface] = {name: make() for name, make in SURFACES.items()}
CASES.update({
    "quadratic-c1": quadratic(1.0, 0.0),
    "quadratic-c5-a30": quadratic(5.0, 30.0),
    "quadratic-c100-a-45": quadratic(100.0, -45.0),
    "quadratic-c1000-a90": quadratic(1000.0, 90.0),
})
IDS = list(CASES)


def _random_points(surface: Surface, n: int, seed: int) -> torch.Tensor:
    """n float64 points drawn uniformly over the surface's view box."""
    x0, x1, y0, y1 = surface.view
    u = torch.rand(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return torch.stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]], dim=-1)


def _hessian(surface: Surface, point) -> torch.Tensor:
    p = torch.tensor(point, dtype=torch.float64)
    return torch.autograd.functional.hessian(surface.fn, p)


# --------------------------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", IDS)
def test_gradcheck_single_points(key):
    surface = CASES[key]
    for i, point in enumerate(_random_points(surface, 4, seed=1)):
        p = point.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(surface.fn, (p,), eps=1e-6, atol=1e-5, rtol=1e-4), (key, i)
    # the start point and the minima too
    for point in (surface.start, *surface.minima):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(surface.fn, (p,), eps=1e-6, atol=1e-5, rtol=1e-4), (key, point)


@pytest.mark.parametrize("key", IDS)
def test_gradcheck_batched_points(key):
    surface = CASES[key]
    batch = _random_points(surface, 6, seed=2).requires_grad_(True)
    assert torch.autograd.gradcheck(surface.fn, (batch,), eps=1e-6, atol=1e-5, rtol=1e-4)
    # A (N, 2) batch gives the same values and gradients as the points one at a time.
    values = surface(batch)
    assert values.shape == (6,)
    (grad,) = torch.autograd.grad(values.sum(), batch)
    for i in range(6):
        p = batch[i].detach().clone().requires_grad_(True)
        v = surface(p)
        assert v.shape == ()
        (g,) = torch.autograd.grad(v, p)
        torch.testing.assert_close(values[i].detach(), v.detach(), rtol=0, atol=1e-12)
        torch.testing.assert_close(grad[i], g, rtol=0, atol=1e-10)
    # (..., 2): extra leading dimensions evaluate too
    assert surface(batch.detach().reshape(2, 3, 2)).shape == (2, 3)


def test_known_values():
    """A few textbook values, so a surface cannot be silently replaced by another."""
    t = lambda *xy: torch.tensor(xy, dtype=torch.float64)  # noqa: E731
    assert float(CASES["rosenbrock"](t(1.0, 1.0))) == 0.0
    assert float(CASES["rosenbrock"](t(0.0, 0.0))) == pytest.approx(1.0)
    assert float(CASES["rosenbrock"](t(-1.5, 2.0))) == pytest.approx(2.5**2 + 100 * 0.25**2)
    assert float(CASES["beale"](t(3.0, 0.5))) == pytest.approx(0.0, abs=1e-15)
    assert float(CASES["beale"](t(0.0, 0.0))) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)
    assert float(CASES["himmelblau"](t(0.0, 0.0))) == pytest.approx(170.0)
    assert float(CASES["rastrigin"](t(0.0, 0.0))) == pytest.approx(0.0, abs=1e-12)
    assert float(CASES["rastrigin"](t(1.0, 1.0))) == pytest.approx(2.0)
    assert float(CASES["saddle"](t(1.0, 2.0))) == pytest.approx(-3.0)
    assert float(CASES["flat_saddle"](t(1.0, 2.0))) == pytest.approx(1 - 16 + 64 / 6)
    assert float(CASES["quadratic"](t(1.0, 1.0))) == pytest.approx(0.5 * (1 + 20))


# --------------------------------------------------------------------------------------------
# minima
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", IDS)
def test_minima_are_stationary_local_minima(key):
    surface = CASES[key]
    for point in surface.minima:
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(surface(p), p)
        assert g.abs().max() < 1e-6, (key, point, g)
        eig = torch.linalg.eigvalsh(_hessian(surface, point))
        assert (eig >= -1e-9).all(), (key, point, eig)
        # every listed minimum here is a strict one
        assert (eig > 1e-3).all(), (key, point, eig)
        # and nothing nearby is lower
        ring = p.detach() + 1e-3 * torch.tensor(
            [[math.cos(a), math.sin(a)] for a in torch.linspace(0, 2 * math.pi, 16).tolist()], dtype=torch.float64)
        assert (surface(ring) > surface(p.detach())).all(), (key, point)


def test_minima_lists():
    assert CASES["rosenbrock"].minima == ((1.0, 1.0),)
    assert CASES["beale"].minima == ((3.0, 0.5),)
    assert len(CASES["himmelblau"].minima) == 4
    assert CASES["saddle"].minima == ()
    assert set(CASES["flat_saddle"].minima) == {(0.0, 2.0), (0.0, -2.0)}
    # Himmelblau's four minima all have loss 0 (the global minimum value).
    him = CASES["himmelblau"]
    values = him(torch.tensor(him.minima, dtype=torch.float64))
    assert values.abs().max() < 1e-20


def test_saddles_are_saddles():
    eig = torch.linalg.eigvalsh(_hessian(CASES["saddle"], (0.0, 0.0)))
    assert eig.min() < 0 < eig.max()
    # the flat saddle: zero gradient and zero curvature along y at the origin
    fs = CASES["flat_saddle"]
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fs(p), p)
    assert g.abs().max() == 0.0
    torch.testing.assert_close(_hessian(fs, (0.0, 0.0)), torch.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=torch.float64))


@pytest.mark.parametrize("key", IDS)
def test_start_and_minima_inside_view(key):
    surface = CASES[key]
    x0, x1, y0, y1 = surface.view
    assert x0 < x1 and y0 < y1
    for x, y in (surface.start, *surface.minima):
        assert x0 <= x <= x1 and y0 <= y <= y1, (key, (x, y))


@pytest.mark.parametrize("condition,angle", [(1.0, 0.0), (20.0, 0.0), (5.0, 30.0), (100.0, -45.0), (1000.0, 90.0)])
def test_quadratic_condition_and_angle(condition, angle):
    surface = quadratic(condition, angle)
    assert surface.params == {"condition": condition, "angle": angle}
    eigvals, eigvecs = torch.linalg.eigh(_hessian(surface, (0.3, -0.7)))
    torch.testing.assert_close(eigvals, torch.tensor([1.0, condition], dtype=torch.float64), rtol=1e-12, atol=1e-9)
    if condition > 1:
        # the steep axis is the y axis rotated by `angle` degrees
        a = math.radians(angle)
        steep = torch.tensor([-math.sin(a), math.cos(a)], dtype=torch.float64)
        assert abs(float(eigvecs[:, 1] @ steep)) == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------------------------
# grid
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["quadratic", "rosenbrock", "himmelblau", "saddle", "quadratic-c5-a30"])
@pytest.mark.parametrize("n", [2, 7, 30])
def test_grid_shapes_and_values(key, n):
    surface = CASES[key]
    xs, ys, z = surface.grid(n)
    assert xs.shape == (n,) and ys.shape == (n,) and z.shape == (n, n)
    assert xs.dtype == ys.dtype == z.dtype == torch.float64
    x0, x1, y0, y1 = surface.view
    assert (float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])) == pytest.approx((x0, x1, y0, y1))
    assert not z.requires_grad
    # rows are y, columns x
    for i, j in [(0, 0), (0, n - 1), (n - 1, 0), (n // 2, n // 3)]:
        expected = surface(torch.stack([xs[j], ys[i]]))
        torch.testing.assert_close(z[i, j], expected, rtol=0, atol=1e-12)


def test_grid_float32():
    xs, ys, z = CASES["rosenbrock"].grid(5, dtype=torch.float32)
    assert xs.dtype == ys.dtype == z.dtype == torch.float32
    assert z.shape == (5, 5)


# --------------------------------------------------------------------------------------------
# make_surface and its errors
# --------------------------------------------------------------------------------------------

def test_make_surface_builds_every_surface():
    for name in SURFACES:
        surface = make_surface(name)
        assert isinstance(surface, Surface) and surface.name == name
    q = make_surface("quadratic", condition=50.0, angle=15.0)
    assert q.params == {"condition": 50.0, "angle": 15.0}
    p = torch.tensor([1.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(q(p), quadratic(50.0, 15.0)(p))


def test_make_surface_unknown_name():
    with pytest.raises(SpecError) as err:
        make_surface("himmelbrau")
    assert err.value.field == "surface"
    assert "himmelbrau" in str(err.value)


@pytest.mark.parametrize("condition", [0.5, 2000.0, float("nan"), float("inf"), 0.0, -3.0])
def test_make_surface_bad_condition(condition):
    with pytest.raises(SpecError) as err:
        make_surface("quadratic", condition=condition)
    assert err.value.field == "condition"


@pytest.mark.parametrize("angle", [float("nan"), float("inf")])
def test_make_surface_bad_angle(angle):
    with pytest.raises(SpecError) as err:
        make_surface("quadratic", angle=angle)
    assert err.value.field == "angle"


@pytest.mark.parametrize("name", [n for n in SURFACES if n != "quadratic"])
def test_make_surface_params_for_surface_without_params(name):
    with pytest.raises(SpecError) as err:
        make_surface(name, condition=10.0)
    assert err.value.field == "surface"
    assert name in str(err.value)


def test_make_surface_unknown_quadratic_parameter_is_a_spec_error():
    """errors.py: SpecError is *the one* exception the compute layer raises for a configuration
    a user got wrong. An unknown parameter name for the quadratic currently escapes as a bare
    TypeError from quadratic(**params)."""
    with pytest.raises(SpecError):
        make_surface("quadratic", conditon=10.0)
