"""Two-dimensional loss surfaces for the optimizer lab, as differentiable torch functions.

Every surface evaluates a tensor of points (..., 2) at once, knows its minima, a view box that
shows them, and a start point where the classic behaviour shows. `noise` > 0 stands for
minibatch noise: the trajectory code adds seeded Gaussian noise of that scale to each gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from trainlab.compute.checks import number_in
from trainlab.compute.errors import SpecError

Tensor = torch.Tensor
Box = tuple[float, float, float, float]  # x min, x max, y min, y max
# The loss and its gradient (f, df/dx, df/dy) at one point, in plain floats: a race steps one
# point hundreds of times, where a torch call per step costs more than the arithmetic.
PointFn = Callable[[float, float], tuple[float, float, float]]
CONDITION_RANGE = (1.0, 1000.0)
ANGLE_RANGE = (-90.0, 90.0)  # degrees: the quadratic at a + 180 is the quadratic at a


@dataclass(frozen=True)
class Surface:
    name: str
    fn: Callable[[Tensor], Tensor]  # (..., 2) -> (...)
    minima: tuple[tuple[float, float], ...]
    view: Box
    start: tuple[float, float]
    description: str
    params: dict[str, float] = field(default_factory=dict)
    point: PointFn | None = None  # fn and its gradient written out for one point (tested against autograd)

    def __call__(self, points: Tensor) -> Tensor:
        return self.fn(points)

    def grid(self, n: int, dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor, Tensor]:
        """x (n,), y (n,) and the loss on the n x n grid (rows: y), for a contour map."""
        x0, x1, y0, y1 = self.view
        xs = torch.linspace(x0, x1, n, dtype=dtype)
        ys = torch.linspace(y0, y1, n, dtype=dtype)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        with torch.no_grad():
            z = self.fn(torch.stack([gx, gy], dim=-1))
        return xs, ys, z


def _xy(p: Tensor) -> tuple[Tensor, Tensor]:
    return p[..., 0], p[..., 1]


def quadratic(condition: float = 20.0, angle: float = 0.0) -> Surface:
    """0.5 (u^2 + condition v^2) in axes rotated by `angle` degrees: the Hessian's condition
    number is `condition`, so plain SGD zig-zags along the steep axis."""
    number_in("condition", condition, CONDITION_RANGE)
    number_in("angle", angle, ANGLE_RANGE)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u * u + condition * v * v)

    def point(x: float, y: float) -> tuple[float, float, float]:
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u * u + condition * v * v), c * u - s * condition * v, s * u + c * condition * v

    return Surface("quadratic", fn, ((0.0, 0.0),), (-4.0, 4.0, -3.0, 3.0), (-3.5, 1.5),
                   "ill-conditioned quadratic", {"condition": condition, "angle": angle}, point)


def saddle() -> Surface:
    return Surface("saddle", lambda p: p[..., 0] ** 2 - p[..., 1] ** 2, (), (-2.0, 2.0, -2.0, 2.0), (-1.8, 0.001),
                   "saddle x^2 - y^2: no minimum, a run that escapes it leaves the box",
                   point=lambda x, y: (x**2 - y**2, 2 * x, -2 * y))


def flat_saddle() -> Surface:
    """x^2 - y^4 + y^6 / 6: the gradient along y grows like y^3, so the origin is a flat saddle."""
    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        return x * x - y**4 + y**6 / 6.0

    def point(x: float, y: float) -> tuple[float, float, float]:
        return x * x - y**4 + y**6 / 6.0, 2 * x, -4 * y**3 + y**5

    return Surface("flat_saddle", fn, ((0.0, 2.0), (0.0, -2.0)), (-2.5, 2.5, -3.0, 3.0), (-2.0, 0.05),
                   "saddle with a flat region around it, minima at y = +-2", point=point)


def rosenbrock() -> Surface:
    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def point(x: float, y: float) -> tuple[float, float, float]:
        valley = y - x * x
        return (1 - x) ** 2 + 100 * valley**2, -2 * (1 - x) - 400 * x * valley, 200 * valley

    return Surface("rosenbrock", fn, ((1.0, 1.0),), (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0),
                   "Rosenbrock's banana valley", point=point)


def beale() -> Surface:
    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y**3) ** 2

    def point(x: float, y: float) -> tuple[float, float, float]:
        a, b, c = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y**3
        return (a**2 + b**2 + c**2, 2 * (a * (y - 1) + b * (y * y - 1) + c * (y**3 - 1)),
                2 * x * (a + 2 * b * y + 3 * c * y * y))

    return Surface("beale", fn, ((3.0, 0.5),), (-4.5, 4.5, -4.5, 4.5), (1.0, 1.4), "Beale's function", point=point)


def himmelblau() -> Surface:
    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def point(x: float, y: float) -> tuple[float, float, float]:
        a, b = x * x + y - 11, x + y * y - 7
        return a**2 + b**2, 4 * x * a + 2 * b, 2 * a + 4 * y * b

    minima = ((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
              (-3.779310253377747, -3.283185991286170), (3.584428340330492, -1.848126526964404))
    return Surface("himmelblau", fn, minima, (-5.0, 5.0, -5.0, 5.0), (0.0, 0.0), "Himmelblau: four minima",
                   point=point)


def rastrigin() -> Surface:
    def fn(p: Tensor) -> Tensor:
        x, y = _xy(p)
        return 20 + x * x - 10 * torch.cos(2 * math.pi * x) + y * y - 10 * torch.cos(2 * math.pi * y)

    # No point function: at the race's learning rates plain SGD bounces chaotically between the
    # bumps, and math.sin, one ulp away from torch.sin now and then, grows that into another path.
    # These runs stay on torch.optim, the reference.
    return Surface("rastrigin", fn, ((0.0, 0.0),), (-5.12, 5.12, -5.12, 5.12), (3.3, 2.6),
                   "Rastrigin: a local minimum near every integer point")


SURFACES: dict[str, Callable[..., Surface]] = {
    "quadratic": quadratic, "saddle": saddle, "flat_saddle": flat_saddle, "rosenbrock": rosenbrock,
    "beale": beale, "himmelblau": himmelblau, "rastrigin": rastrigin,
}


def make_surface(name: str, **params: float) -> Surface:
    if name not in SURFACES:
        raise SpecError("surface", f"must be one of {', '.join(SURFACES)}, not {name!r}")
    allowed = {"condition", "angle"} if name == "quadratic" else set()
    unknown = set(params) - allowed
    if unknown:
        takes = "takes condition and angle" if allowed else "takes no parameters"
        raise SpecError("surface", f"{name} {takes}, not {', '.join(sorted(unknown))}")
    return SURFACES[name](**params)
