"""Why zero-centred inputs matter: one linear neuron y_hat = w·x with two weights, trained by SGD
on one example per step, once on positive inputs and once on the same inputs with their mean
taken away.

For one example the loss ½(w·x − y)² has the gradient (w·x − y)·x: a scalar times the input. When
every input is positive (sigmoid or ReLU outputs of a layer below, or raw positive data) both
components of that gradient carry the sign of the one scalar, so every update points into the
(+,+) or the (−,−) quadrant. A target that lies towards (+,−) from the start can then be reached
only by alternating steps: a zig-zag. With the mean removed, an update can point anywhere.

Batch 1 is where the constraint is exact: a mini-batch's gradient averages examples whose scalars
differ in sign, and may point anywhere. The positive inputs also make the problem ill-conditioned:
their mean adds a large eigenvalue to E[x xᵀ] along the (1, 1) direction, which caps the learning
rate, while the way to the target runs along the small one. Both effects are measured here
(`second_moment_eigenvalues`), not separated.

The counterpart is the same inputs minus their mean over the data set, not tanh: tanh(z) =
2·sigmoid(2z) − 1 is also zero-centred but twice as wide, so with one learning rate for both
sides the comparison would mix the mean with the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from trainlab.compute.cancel import CancelToken
from trainlab.compute.checks import SEED_RANGE, choice, number_in, whole_in
from trainlab.compute.errors import SpecError

Tensor = torch.Tensor
INPUTS = ("sigmoid", "relu")  # the positive inputs; each is compared with itself minus its mean
EXAMPLES_RANGE = (10, 1000)
WEIGHT_RANGE = (-3.0, 3.0)  # start and target components
LR_RANGE = (0.01, 10.0)
STEPS_RANGE = (10, 5000)
NOISE_RANGE = (0.0, 0.5)
TOLERANCE = 0.05  # converged: within this share of the start's distance from the target
DIVERGED = 1e6  # |w| beyond this: the run stops


@dataclass(frozen=True)
class ZeroCentredSpec:
    """One comparison: the positive `inputs` against the same inputs minus their mean, the same
    targets y = w*·x (+ noise), start, learning rate, step budget and seed on both sides."""

    inputs: str = "sigmoid"
    examples: int = 100
    target_1: float = 1.0
    target_2: float = -1.0
    start_1: float = -1.0
    start_2: float = 1.0
    lr: float = 3.0
    steps: int = 1000
    noise: float = 0.0
    seed: int = 0

    def validate(self) -> ZeroCentredSpec:
        choice("inputs", self.inputs, INPUTS)
        whole_in("examples", self.examples, EXAMPLES_RANGE)
        for name in ("target_1", "target_2", "start_1", "start_2"):
            number_in(name, getattr(self, name), WEIGHT_RANGE)
        number_in("lr", self.lr, LR_RANGE)
        whole_in("steps", self.steps, STEPS_RANGE)
        number_in("noise", self.noise, NOISE_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        if self.target == self.start:
            raise SpecError("target", f"must differ from the start {self.start}: there would be nothing to learn")
        return self

    @property
    def target(self) -> tuple[float, float]:
        return (self.target_1, self.target_2)

    @property
    def start(self) -> tuple[float, float]:
        return (self.start_1, self.start_2)

    def describe(self) -> str:
        return (f"{self.inputs} inputs vs centred, lr {self.lr:g}, {self.examples} examples, "
                f"up to {self.steps} steps, seed {self.seed}")


@dataclass(frozen=True)
class Data:
    """Inputs x (n, 2) and targets y (n,) of one side."""

    x: Tensor
    y: Tensor
    centred: bool

    def second_moment(self) -> Tensor:
        """E[x xᵀ] over the data: the Hessian of the mean loss ½(w·x − y)²."""
        return self.x.T @ self.x / self.x.shape[0]

    def loss(self, w: Tensor) -> Tensor:
        """The mean loss ½(w·x − y)² at weights w of shape (..., 2)."""
        residual = w @ self.x.T - self.y  # (..., n)
        return 0.5 * (residual ** 2).mean(-1)


def make_data(spec: ZeroCentredSpec) -> tuple[Data, Data]:
    """The positive side and its centred twin: z ~ N(0, I₂) (seeded), x = sigmoid(z) or relu(z),
    the twin x − mean(x); targets w*·x plus the same noise on both sides."""
    spec = spec.validate()
    gen = torch.Generator().manual_seed(spec.seed)
    z = torch.randn(spec.examples, 2, generator=gen, dtype=torch.float64)
    x = torch.sigmoid(z) if spec.inputs == "sigmoid" else torch.relu(z)
    centred = x - x.mean(0)
    noise = spec.noise * torch.randn(spec.examples, generator=gen, dtype=torch.float64)
    target = torch.tensor(spec.target, dtype=torch.float64)
    return Data(x, x @ target + noise, False), Data(centred, centred @ target + noise, True)


@dataclass(frozen=True)
class Descent:
    """One side's SGD run: the weights after each step (path[0] is the start), each update
    w_{t+1} − w_t, and when (if) it came within `tolerance` of the target."""

    data: Data
    path: Tensor  # (steps + 1, 2)
    updates: Tensor  # (steps, 2)
    order: Tensor  # (steps,) the example each step used
    target: tuple[float, float]
    tolerance: float
    converged_at: int | None  # the first step within tolerance of the target, None if none
    diverged_at: int | None
    budget: int  # the steps allowed

    @property
    def steps(self) -> int:
        return self.updates.shape[0]

    @property
    def same_sign_share(self) -> float:
        """The share of the updates that moved w whose two components do not have opposite signs
        (both ≥ 0 or both ≤ 0: towards the (+,+) or (−,−) quadrant); NaN if none moved."""
        moved = self.updates.abs().sum(1) > 0
        if not bool(moved.any()):
            return math.nan
        same = self.updates[:, 0] * self.updates[:, 1] >= 0
        return float(same[moved].double().mean())

    def second_moment_eigenvalues(self) -> tuple[float, float]:
        """E[x xᵀ]'s eigenvalues, small then large: the curvatures of the mean loss."""
        low, high = torch.linalg.eigvalsh(self.data.second_moment()).tolist()
        return low, high

    def outcome(self) -> str:
        """"converged in N steps", "diverged at step N" or "did not converge within N steps"."""
        if self.converged_at is not None:
            return f"converged in {self.converged_at} steps"
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        return f"did not converge within {self.budget} steps"


def descend(data: Data, spec: ZeroCentredSpec, cancel: CancelToken | None = None) -> Descent:
    """torch.optim.SGD on one example per step (the examples shuffled again each epoch, the same
    order on both sides), from the start until within tolerance of the target or `steps` steps."""
    spec = spec.validate()
    target = torch.tensor(spec.target, dtype=torch.float64)
    w = torch.tensor(spec.start, dtype=torch.float64, requires_grad=True)
    tolerance = TOLERANCE * float((target - w.detach()).norm())
    optimizer = torch.optim.SGD([w], lr=spec.lr)
    gen = torch.Generator().manual_seed(spec.seed + 1)
    path, used = [w.detach().clone()], []
    converged = diverged = None
    order: list[int] = []
    for step in range(1, spec.steps + 1):
        if cancel is not None and step % 256 == 1:  # at the first step, then every 256
            cancel.check()
        if not order:
            order = torch.randperm(data.x.shape[0], generator=gen).tolist()
        i = order.pop()
        used.append(i)
        optimizer.zero_grad()
        loss = 0.5 * (w @ data.x[i] - data.y[i]) ** 2
        loss.backward()
        optimizer.step()
        now = w.detach().clone()
        path.append(now)
        if not bool(now.isfinite().all()) or float(now.abs().max()) > DIVERGED:
            diverged = step
            break
        if float((now - target).norm()) < tolerance:
            converged = step
            break
    points = torch.stack(path)
    return Descent(data, points, points[1:] - points[:-1], torch.tensor(used, dtype=torch.long), spec.target,
                   tolerance, converged, diverged, spec.steps)


@dataclass(frozen=True)
class Comparison:
    """Both sides of one spec: `positive` on the raw inputs, `centred` on them minus their mean."""

    spec: ZeroCentredSpec
    positive: Descent
    centred: Descent


def compare(spec: ZeroCentredSpec, cancel: CancelToken | None = None) -> Comparison:
    spec = spec.validate()
    positive, centred = make_data(spec)
    return Comparison(spec, descend(positive, spec, cancel), descend(centred, spec, cancel))


def loss_grid(data: Data, view: tuple[float, float, float, float], size: int = 60) -> tuple[Tensor, Tensor, Tensor]:
    """The mean loss on a size × size grid over view (w1 from, to, w2 from, to): xs, ys, z[j, i]."""
    x0, x1, y0, y1 = view
    xs = torch.linspace(x0, x1, size, dtype=torch.float64)
    ys = torch.linspace(y0, y1, size, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (size, size, 2), [j, i] = (xs[i], ys[j])
    return xs, ys, data.loss(grid)
