"""One loss-landscape study from its settings: train the runs, choose the plane, slice it coarse to
fine, and project every run's path on it. What the command line, the static export and the widget
all compute, so that each of them only says what to compute and shows the result.

The first run is the centre: the slice goes through its trained weights, and PCA directions are
those of its path. Every run starts from the same initial weights (the network's seed), so their
paths part from one point.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.checks import SEED_RANGE, choice, number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.landscape.directions import pca_directions, random_directions
from trainlab.compute.landscape.evaluate import EvalSet, evaluate_one
from trainlab.compute.landscape.interpolate import interpolate
from trainlab.compute.landscape.project import ProjectedPath, projected_path
from trainlab.compute.landscape.slice import Slice, progressive_slice
from trainlab.compute.landscape.weights import Weights, weights_of
from trainlab.compute.net.spec import DEPTH_RANGE
from trainlab.compute.optim.registry import OPTIMIZERS, TRAINABLE
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer

# The plane's directions, and how the figures name them.
DIRECTIONS = {"filter": "filter-normalized random", "random": "raw random", "pca": "PCA"}
GRIDS = (5, 11, 21, 41)
SPAN_RANGE = (0.01, 10.0)
STEPS_RANGE = (10, 5000)
LR_SCALE_RANGE = (0.01, 10.0)
WIDTH_RANGE = (4, 4096)  # a landscape keeps every snapshot of the weights: 4096 is the most that fits
EVAL_RANGE = (10, 1797)  # the digits have 1,797 examples
BATCH_CHOICES = (16, 32, 64, 128, 256, 1024)
NORM_CHOICES = ("none", "batch")
SNAPSHOTS = 20  # about this many points per path: enough to see its shape, few to evaluate
PCA_MARGIN = 1.25  # a PCA slice spans the centre run's path, with this much room around it
CACHED_RUNS = 8
LINE_POINTS = tuple(-0.5 + k / 20 for k in range(41))  # t from -0.5 to 1.5: both ends and beyond them
RISE_RADIUS = 0.5  # the neighbourhood whose mean loss measures a minimum's sharpness, in direction units


@dataclass(frozen=True)
class LandscapeSpec:
    """What a landscape shows: the runs (optimizers, each at its training default learning rate
    times lr_scale), the network and training they share, the plane's directions and the grid.

    span: the slice's half-width, in units of the directions (filter-normalized or raw random), or
    as a multiple of the centre run's path's extent (PCA)."""

    runs: tuple[str, ...] = ("sgd", "adam")
    directions: str = "filter"
    grid: int = 41
    span: float = 1.0
    width: int = 256
    depth: int = 6
    norm: str = "none"
    batch: int = 64
    steps: int = 300
    lr_scale: float = 1.0
    eval_samples: int = 1000
    seed: int = 0  # of the random directions
    net_seed: int = 0  # of the initial weights every run starts from

    def validate(self) -> LandscapeSpec:
        if not self.runs:
            raise SpecError("runs", f"must name at least one optimizer from {', '.join(TRAINABLE)}")
        for name in self.runs:
            choice("runs", name, TRAINABLE)
        if len(set(self.runs)) != len(self.runs):
            raise SpecError("runs", f"names an optimizer twice: {', '.join(self.runs)}")
        choice("directions", self.directions, tuple(DIRECTIONS))
        if self.grid not in GRIDS:
            raise SpecError("grid", f"must be one of {', '.join(map(str, GRIDS))}, not {self.grid!r}")
        number_in("span", self.span, SPAN_RANGE)
        whole_in("width", self.width, WIDTH_RANGE)
        whole_in("depth", self.depth, DEPTH_RANGE)
        choice("norm", self.norm, NORM_CHOICES)
        if self.batch not in BATCH_CHOICES:
            raise SpecError("batch", f"must be one of {', '.join(map(str, BATCH_CHOICES))}, not {self.batch!r}")
        whole_in("steps", self.steps, STEPS_RANGE)
        number_in("lr_scale", self.lr_scale, LR_SCALE_RANGE)
        whole_in("eval_samples", self.eval_samples, EVAL_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        whole_in("net_seed", self.net_seed, SEED_RANGE)
        return self

    def replace(self, **changes: Any) -> LandscapeSpec:
        return dataclasses.replace(self, **changes)

    @property
    def directions_label(self) -> str:
        return DIRECTIONS[self.directions]

    @property
    def levels(self) -> tuple[int, ...]:
        """The grids drawn on the way to `grid`, coarse to fine, each nested in the next (41: 11, 21, 41)."""
        n = self.grid
        coarser = [(n - 1) // k + 1 for k in (4, 2) if (n - 1) % k == 0]
        return tuple(sorted({m for m in coarser if m >= 3} | {n}))

    def train_config(self, optimizer: str) -> TrainConfig:
        """One run's training: the digits, every run from the same initial weights."""
        return TrainConfig().with_settings(
            optimizer=optimizer, lr=OPTIMIZERS[optimizer].train_lr * self.lr_scale, width=self.width, depth=self.depth, norm=self.norm, batch=self.batch,
            steps=self.steps, record_every=max(1, self.steps // SNAPSHOTS), seed=self.net_seed)

    def describe(self) -> str:
        runs = ", ".join(OPTIMIZERS[name].label for name in self.runs)
        lr = "" if self.lr_scale == 1 else f", learning rates x {self.lr_scale:g}"
        return (f"{runs} on the digits ({self.depth} x {self.width}, batch {self.batch}, {self.steps} steps{lr}), a {self.grid} x "
                f"{self.grid} slice along {self.directions_label} directions")


@dataclass(frozen=True)
class TrainedRun:
    """A finished run: its optimizer, the step of each snapshot and the snapshots, the last being
    the trained weights."""

    optimizer: str
    steps: tuple[int, ...]
    path: tuple[Weights, ...]
    trainer: Trainer

    @property
    def label(self) -> str:
        return OPTIMIZERS[self.optimizer].label

    @property
    def final(self) -> Weights:
        return self.path[-1]


@dataclass(frozen=True)
class RunPath:
    """A run's path as the slice sees it."""

    optimizer: str
    label: str
    steps: tuple[int, ...]
    projected: ProjectedPath


@dataclass(frozen=True)
class Landscape:
    """One level of a study: the slice so far, every run's projected path and, for PCA
    directions, the share of the centre run's variance the two directions explain."""

    spec: LandscapeSpec
    slice: Slice
    paths: tuple[RunPath, ...]
    span: float
    explained: tuple[float, float] | None

    @property
    def finished(self) -> bool:
        return self.slice.size == self.spec.grid

    @property
    def centre_loss(self) -> float:
        return float(self.slice.loss[self.slice.size // 2, self.slice.size // 2])

    @property
    def rise(self) -> tuple[float, float] | None:
        """How sharp the minimum is on this slice: (radius, mean loss rise), the grid points with
        |α| and |β| at most the radius (RISE_RADIUS, or the span if smaller) averaged, less the
        centre's loss. None on a PCA plane, whose units are the path's, not the weights' own."""
        if self.spec.directions == "pca":
            return None
        radius = min(RISE_RADIUS, self.span)
        inside = self.slice.a.abs() <= radius * (1 + 1e-9)
        return radius, float(self.slice.loss[inside][:, inside].mean()) - self.centre_loss

    def to_dict(self) -> dict[str, Any]:
        """The study as plain numbers (JSON for the command line)."""
        piece = self.slice
        return {
            "spec": dataclasses.asdict(self.spec), "directions": self.spec.directions_label, "span": self.span,
            "explained": list(self.explained) if self.explained else None,
            "alpha": piece.a.tolist(), "beta": piece.b.tolist(), "loss": piece.loss.tolist(),
            "accuracy": piece.accuracy.tolist(), "centre_loss": self.centre_loss,
            "rise": dict(zip(("radius", "mean_rise"), self.rise)) if self.rise else None,
            "paths": [{"optimizer": p.optimizer, "label": p.label, "steps": list(p.steps),
                       "alpha": p.projected.coords[:, 0].tolist(), "beta": p.projected.coords[:, 1].tolist(),
                       "off_plane": p.projected.off_plane.tolist(), "true_loss": p.projected.true_loss.tolist(),
                       "slice_loss": p.projected.slice_loss.tolist()} for p in self.paths],
        }


class LandscapeCache:
    """Trained runs by their training configuration, and finished studies by their spec: a
    control that only changes the view, or comes back to earlier settings, trains nothing again.
    Several widgets' worker threads may share one: its tables are read and written under a lock
    (training runs outside it; two threads asking for the same new run both train it)."""

    def __init__(self) -> None:
        self._runs: OrderedDict[TrainConfig, TrainedRun] = OrderedDict()
        self._done: OrderedDict[LandscapeSpec, Landscape] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, config: TrainConfig, cancel: CancelToken = NEVER) -> TrainedRun:
        with self._lock:
            if config in self._runs:
                self._runs.move_to_end(config)
                return self._runs[config]
        trainer = Trainer(config, keep_weights=True)
        trainer.run(should_stop=lambda: cancel.cancelled)
        cancel.check()  # an unfinished run is not kept
        final = weights_of(trainer.model)
        run = TrainedRun(config.optimizer.name, (*(r.step for r in trainer.records), trainer.step),
                         (*trainer.weight_path, final), trainer)
        with self._lock:
            _keep(self._runs, config, run)
        return run

    def finished(self, spec: LandscapeSpec) -> Landscape | None:
        with self._lock:
            return self._done.get(spec)

    def keep(self, landscape: Landscape) -> None:
        with self._lock:
            _keep(self._done, landscape.spec, landscape)

    def trained(self) -> list[TrainConfig]:
        """The training configurations of the runs kept (for tests and scripts)."""
        with self._lock:
            return list(self._runs)


def _keep(table: OrderedDict, key: Any, value: Any) -> None:
    table[key] = value
    while len(table) > CACHED_RUNS:
        table.popitem(last=False)


def eval_set(trainer: Trainer, samples: int) -> EvalSet:
    """The fixed examples every point is evaluated on: the validation set first, then training
    examples to make up the number."""
    data = trainer.data
    return EvalSet(torch.cat([data.x_val, data.x_train])[:samples], torch.cat([data.y_val, data.y_train])[:samples])


def _quiet(_what: str, _done: float) -> None:
    pass


def landscape_levels(spec: LandscapeSpec, cache: LandscapeCache | None = None, cancel: CancelToken = NEVER,
                     on_phase: Callable[[str, float], None] = _quiet) -> Iterator[Landscape]:
    """The study, one Landscape per grid level, coarse to fine (one only, if it was finished
    before). Cancelled at the next check point once `cancel` is. on_phase(words, done) is told what
    is being computed next ("training Adam (2 of 2)") and the share of the study done so far (0 to
    1: training the runs is the first half, the slice's points the second), for a status line."""
    spec = spec.validate()
    cache = cache if cache is not None else LandscapeCache()
    done = cache.finished(spec)
    if done is not None:
        yield done
        return
    runs = []
    for k, name in enumerate(spec.runs, 1):
        on_phase(f"training {OPTIMIZERS[name].label} for {spec.steps} steps ({k} of {len(spec.runs)})",
                 0.5 * (k - 1) / len(spec.runs))
        runs.append(cache.run(spec.train_config(name), cancel))
    on_phase("projecting the paths on the plane", 0.5)
    centre = runs[0]
    model, base = centre.trainer.model, centre.final
    data = eval_set(centre.trainer, spec.eval_samples)
    explained = None
    if spec.directions == "pca":
        pca = pca_directions(centre.path, base)
        first, second, explained = pca.first, pca.second, pca.explained
    else:
        first, second = random_directions(base, spec.seed, filter_normalized=spec.directions == "filter")
    paths = []
    for run in runs:
        cancel.check()
        projected = projected_path(model, run.path, base, first, second, data)
        if run is not centre and spec.norm == "batch":
            # The slice, and so the sliced loss, uses the centre run's BatchNorm statistics; the
            # run's true loss is its own network's, with the statistics it gathered.
            true = [evaluate_one(run.trainer.model, theta, data)[0] for theta in run.path]
            projected = dataclasses.replace(projected, true_loss=torch.tensor(true, dtype=torch.float64))
        paths.append(RunPath(run.optimizer, run.label, run.steps, projected))
    span = spec.span
    if spec.directions == "pca":
        extent = float(paths[0].projected.coords.abs().max())
        span = spec.span * PCA_MARGIN * max(extent, 1e-6)
    on_phase(f"slicing: {spec.levels[0]} x {spec.levels[0]} points", 0.5)
    for piece in progressive_slice(model, base, first, second, data, span=span, levels=spec.levels, cancel=cancel):
        landscape = Landscape(spec, piece, tuple(paths), span, explained)
        if landscape.finished:
            cache.keep(landscape)
        else:
            finer = spec.levels[spec.levels.index(piece.size) + 1]
            on_phase(f"refining the slice from {piece.size} x {piece.size} to {finer} x {finer} points",
                     0.5 + 0.5 * piece.size ** 2 / spec.grid ** 2)  # the finer grids hold the coarser
        yield landscape


def compute_landscape(spec: LandscapeSpec, cache: LandscapeCache | None = None) -> Landscape:
    """The finished study (the command line's and the export's: no coarse levels to show)."""
    *_, last = landscape_levels(spec, cache)
    return last


@dataclass(frozen=True)
class Line:
    """The loss and accuracy along θ(t) = (1 − t) θ_start + t θ_end between two runs' trained weights."""

    start: str
    end: str
    t: tuple[float, ...]
    loss: torch.Tensor
    accuracy: torch.Tensor

    @property
    def barrier(self) -> float:
        """How far the loss between the two solutions rises above the higher of the two ends."""
        inside = [k for k, t in enumerate(self.t) if 0 <= t <= 1]
        ends = max(float(self.loss[inside[0]]), float(self.loss[inside[-1]]))
        return float(self.loss[inside].max()) - ends


def line_between(spec: LandscapeSpec, cache: LandscapeCache | None = None, cancel: CancelToken = NEVER) -> Line:
    """The straight line from the first run's trained weights (t = 0) to the second's (t = 1), on
    the study's evaluation examples; with BatchNorm, statistics gathered afresh at every point."""
    spec = spec.validate()
    if len(spec.runs) < 2:
        raise SpecError("view", "the line between two solutions needs two runs; tick a second optimizer")
    cache = cache if cache is not None else LandscapeCache()
    start, end = (cache.run(spec.train_config(name), cancel) for name in spec.runs[:2])
    data = eval_set(start.trainer, spec.eval_samples)
    train_x = start.trainer.data.x_train if spec.norm == "batch" else None
    loss, accuracy = interpolate(start.trainer.model, start.final, end.final, LINE_POINTS, data, train_x, cancel)
    return Line(start.label, end.label, LINE_POINTS, loss, accuracy)

