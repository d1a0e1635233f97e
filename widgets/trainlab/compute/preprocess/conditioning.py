"""What preprocessing does to learning: least squares on the point cloud, with raw inputs and
with the same inputs normalized (and whitened), and plain gradient descent on each.

The model is linear without a bias, y ≈ x · w, with the loss L(w) = mean((x · w - y)²) / 2. The
targets are y = x · W_TRUE + NOISE · ε on the raw inputs, so the raw model fits them without a
bias. A preprocessed input is an affine map of the raw one ((x - mean) @ M), so on the
preprocessed sides the targets are centred by their mean (what a bias would learn); then the
same model fits them as well, and only the inputs' shape differs.

L is quadratic with Hessian XᵀX / n, the same at every w: its condition number λmax / λmin says
how stretched the loss's contours are. Gradient descent with step s / λmax (s = 1: the largest
step that still shrinks the steepest direction in one move; above 2 it diverges) shrinks the
error along an eigenvector of eigenvalue λ by the factor |1 - s λ / λmax| per step, so the flat
direction, λmin, needs about (λmax / λmin) · ln(1 / tolerance) / 2 steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from trainlab.compute.cancel import CancelToken
from trainlab.compute.checks import number_in, whole_in
from trainlab.compute.preprocess.point_cloud import CloudSpec, sample
from trainlab.compute.train.datasets import fit_preprocessing

Tensor = torch.Tensor
INPUTS = ("raw", "normalized", "whitened")
MAPS = {"normalized": "standardize", "whitened": "pca_whiten"}  # fit_preprocessing's kinds
W_TRUE = (-1.0, 3.0)  # leans on the cloud's narrow direction, where descent is slow
NOISE = 0.1
TOLERANCE = 0.01  # converged: the loss above its minimum is under 1 % of what it was at the start
STEPS_RANGE = (1, 500)
STEP_RANGE = (0.05, 1.95)  # the step, in units of 1 / λmax; 2 / λmax and beyond diverge
GRID = 61  # points a side of a contour grid
MARGIN = 0.15  # a contour box: the path and the minimum, with this share of its size all round


@dataclass(frozen=True)
class DescentSpec:
    """Gradient descent: `steps` steps of size step / λmax from w = 0."""

    steps: int = 50
    step: float = 1.0

    def validate(self) -> DescentSpec:
        whole_in("steps", self.steps, STEPS_RANGE)
        number_in("step", self.step, STEP_RANGE)
        return self


@dataclass(frozen=True, eq=False)
class Descent:
    """Least squares on one kind of input (of INPUTS), and gradient descent on it."""

    inputs: str
    x: Tensor  # (n, 2) float64, as the model sees them
    y: Tensor  # (n,)
    lr: float
    path: Tensor  # (steps + 1, 2): w before each step, and after the last
    losses: Tensor  # (steps + 1,): L along the path

    @property
    def hessian(self) -> Tensor:
        return self.x.T @ self.x / self.x.shape[0]

    @property
    def eigenvalues(self) -> Tensor:
        """The Hessian's eigenvalues, ascending."""
        return torch.linalg.eigvalsh(self.hessian)

    @property
    def condition(self) -> float:
        low, high = self.eigenvalues.tolist()
        return high / low

    @property
    def minimum(self) -> Tensor:
        """w*, where the gradient XᵀXw/n - Xᵀy/n is 0."""
        return torch.linalg.solve(self.hessian, self.x.T @ self.y / self.x.shape[0])

    @property
    def lowest_loss(self) -> float:
        return float(self.loss(self.minimum))

    def loss(self, w: Tensor) -> Tensor:
        """L at the weights w (..., 2)."""
        residual = w @ self.x.T - self.y  # (..., n)
        return residual.pow(2).mean(-1) / 2

    @property
    def converged_in(self) -> int | None:
        """The first step after which the loss above its minimum is under TOLERANCE of the start's;
        None if not within the steps taken."""
        excess = self.losses - self.lowest_loss
        below = (excess <= TOLERANCE * excess[0]).nonzero()
        return int(below[0]) if len(below) else None

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def grid(self, points: int = GRID) -> tuple[Tensor, Tensor, Tensor]:
        """(w1 values, w2 values, L - L* on the grid (w2, w1)): a square box around the path and
        the minimum, so that equal axes show the contours' true shape."""
        corners = torch.cat([self.path, self.minimum[None]])
        lo, hi = corners.amin(0), corners.amax(0)
        middle, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * (1 + 2 * MARGIN) + 1e-9
        w1 = torch.linspace(float(middle[0]) - half, float(middle[0]) + half, points, dtype=torch.float64)
        w2 = torch.linspace(float(middle[1]) - half, float(middle[1]) + half, points, dtype=torch.float64)
        mesh = torch.stack(torch.meshgrid(w2, w1, indexing="ij")[::-1], -1)  # (w2, w1, 2) holding (w1, w2)
        return w1, w2, self.loss(mesh) - self.lowest_loss


def _targets(raw: Tensor, seed: int) -> Tensor:
    generator = torch.Generator().manual_seed(seed + 1)  # not the cloud's own draws
    noise = torch.randn(raw.shape[0], generator=generator, dtype=torch.float64)
    return raw @ torch.tensor(W_TRUE, dtype=torch.float64) + NOISE * noise


def descend(inputs: str, x: Tensor, y: Tensor, spec: DescentSpec, cancel: CancelToken | None = None) -> Descent:
    """`spec.steps` steps of torch.optim.SGD (no momentum) from w = 0 at lr = step / λmax."""
    x, y = x.detach(), y.detach()
    lr = spec.step / float(torch.linalg.eigvalsh(x.T @ x / x.shape[0])[-1])
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    path, losses = [], []
    for _ in range(spec.steps + 1):
        if cancel is not None:
            cancel.check()
        optimizer.zero_grad()
        loss = (x @ w - y).pow(2).mean() / 2
        path.append(w.detach().clone())
        losses.append(loss.detach())
        if len(path) > spec.steps:
            break
        loss.backward()
        optimizer.step()
    return Descent(inputs, x, y, lr, torch.stack(path), torch.stack(losses))


def descents(cloud: CloudSpec, spec: DescentSpec, cancel: CancelToken | None = None) -> tuple[Descent, ...]:
    """Gradient descent on the cloud's least squares, one per kind of INPUTS."""
    spec = spec.validate()
    raw = sample(cloud)
    y = _targets(raw, cloud.seed)
    out = [descend("raw", raw, y, spec, cancel)]
    for inputs in INPUTS[1:]:
        out.append(descend(inputs, fit_preprocessing(MAPS[inputs], raw)(raw), y - y.mean(), spec, cancel))
    return tuple(out)


def steps_predicted(condition: float, step: float = 1.0) -> float:
    """The steps the flat direction needs at step / λmax, if it starts with all the error: its
    excess loss shrinks by (1 - step / condition)² a step. (A rough guide; tests compare.)"""
    rate = abs(1 - step / condition)
    return math.log(TOLERANCE) / (2 * math.log(rate)) if 0 < rate < 1 else 0.0
