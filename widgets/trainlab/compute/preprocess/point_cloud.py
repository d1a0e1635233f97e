"""A seeded 2-D Gaussian point cloud and its preprocessing stages: raw, zero-centred, normalized
(each feature's std 1), decorrelated (turned onto its principal axes: diagonal covariance) and
whitened (covariance the identity).

The maps are the training pipeline's own (train/datasets.py's fit_preprocessing, population
statistics: divide by n); only the decorrelated stage, which the pipeline has no use for, is
built here, as the centred points times the principal axes that pca_whiten found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from trainlab.compute.checks import SEED_RANGE, number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.train.datasets import fit_preprocessing

Tensor = torch.Tensor
STAGES = ("raw", "zero-centred", "normalized", "decorrelated", "whitened")
POINTS_RANGE = (10, 5000)
CENTRE_RANGE = (-5.0, 5.0)
SCALE_RANGE = (0.1, 5.0)
ANGLE_RANGE = (-90.0, 90.0)


@dataclass(frozen=True)
class CloudSpec:
    """`points` draws of a Gaussian with standard deviations scale_x and scale_y along axes turned
    by `angle` degrees (a turned, stretched cloud has correlated features), centred at
    (centre_x, centre_y)."""

    points: int = 300
    centre_x: float = 3.0
    centre_y: float = 2.0
    scale_x: float = 3.0
    scale_y: float = 0.5
    angle: float = 30.0
    seed: int = 0

    def validate(self) -> CloudSpec:
        whole_in("points", self.points, POINTS_RANGE)
        number_in("centre_x", self.centre_x, CENTRE_RANGE)
        number_in("centre_y", self.centre_y, CENTRE_RANGE)
        number_in("scale_x", self.scale_x, SCALE_RANGE)
        number_in("scale_y", self.scale_y, SCALE_RANGE)
        number_in("angle", self.angle, ANGLE_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        return self


def sample(spec: CloudSpec) -> Tensor:
    """The cloud's points, (points, 2) float64, the same for the same spec."""
    spec = spec.validate()
    generator = torch.Generator().manual_seed(spec.seed)
    z = torch.randn(spec.points, 2, generator=generator, dtype=torch.float64)
    a = math.radians(spec.angle)
    turn = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64)
    scales = torch.tensor([spec.scale_x, spec.scale_y], dtype=torch.float64)
    return (z * scales) @ turn.T + torch.tensor([spec.centre_x, spec.centre_y], dtype=torch.float64)


def covariance(x: Tensor) -> Tensor:
    """The population covariance (divide by n) of the (n, d) points x."""
    centred = x - x.mean(0)
    return centred.T @ centred / x.shape[0]


@dataclass(frozen=True, eq=False)
class Stage:
    """One stage of the cloud: its name (of STAGES), points (n, 2), mean (2,) and covariance (2, 2)."""

    name: str
    points: Tensor

    @property
    def mean(self) -> Tensor:
        return self.points.mean(0)

    @property
    def covariance(self) -> Tensor:
        return covariance(self.points)

    @property
    def correlation(self) -> float:
        c = self.covariance
        return float(c[0, 1] / (c[0, 0] * c[1, 1]).sqrt())


@dataclass(frozen=True, eq=False)
class CloudStages:
    """The cloud through STAGES, and the principal axes (columns, largest variance first) and
    their variances (the raw covariance's eigenvalues, descending) that PCA found."""

    spec: CloudSpec
    stages: tuple[Stage, ...]
    axes: Tensor
    eigenvalues: Tensor

    def __getitem__(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


def cloud_stages(spec: CloudSpec) -> CloudStages:
    """The cloud of `spec` through every stage of STAGES."""
    raw = sample(spec)
    centre = fit_preprocessing("centre", raw)
    standard = fit_preprocessing("standardize", raw)
    white = fit_preprocessing("pca_whiten", raw)
    if white.features != 2:  # cannot happen within the ranges: every cloud has spread along both axes
        raise SpecError("scale_y", "leaves the cloud without spread along one axis: nothing to whiten")
    axes = white.matrix * white.variances.sqrt()  # pca_whiten's matrix is axes / sqrt(eigenvalue)
    points = (raw, centre(raw), standard(raw), centre(raw) @ axes, white(raw))
    return CloudStages(spec, tuple(Stage(name, p) for name, p in zip(STAGES, points)), axes, white.variances)
