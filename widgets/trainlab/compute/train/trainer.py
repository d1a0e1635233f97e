"""Minibatch training of the deep net on a real data set, recorded as it goes.

The trainer runs in chunks of `record_every` steps. At the first step of each chunk it also
takes a record of the network as it stands: the step's activations and their gradients
(moments and histograms per layer, computed on the device), the update-to-weight ratio of the
step's update, and the loss and accuracy on the validation set and on part of the training set.
Everything a record needs, and the chunk's per-step training losses, come to the host in one
transfer; the steps in between never wait for the device. Between chunks the caller can stop,
and `run` resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.compute.net import layer_stats as ls
from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.train.datasets import Dataset, load
from trainlab.compute.train.model import DeepNet, negative_share
from trainlab.compute.devices import free_bytes, pick_device
from trainlab.compute.errors import SpecError
from trainlab.compute.net.network_pass import output_range
from trainlab.compute.optim.runs import torch_optimizer
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.net.results import Histogram
from trainlab.compute.optim.schedules import make_scheduler
from trainlab.compute.net.weight_cache import seeded_generator

Tensor = torch.Tensor
# A loss this many times the starting loss (or log C) for DIVERGE_STEPS steps in a row, or an
# inf/NaN loss, has blown up: the run is stopped there.
DIVERGE_FACTOR = 4.0
DIVERGE_STEPS = 10
# The training-set loss and accuracy of a record are measured on this many training examples.
TRAIN_EVAL_EXAMPLES = 512
_BATCH_STREAM = -6


@dataclass(frozen=True)
class LayerRecord:
    """One hidden layer at one record: its activations (output before dropout), dL/d(activations),
    and ||dW|| / ||W|| of the step's update (about 1e-3 is the usual healthy figure)."""

    mean: float
    std: float
    grad_std: float
    update_ratio: float
    inactive_fraction: float | None  # ReLU family: units off for the whole batch; tanh/sigmoid: saturated
    # Units whose pre-activation is <= 0 on the whole validation set (in eval mode): for ReLU, dead.
    negative_fraction: float
    activation_hist: Histogram
    grad_hist: Histogram


@dataclass(frozen=True)
class Record:
    step: int  # the network after `step` updates
    lr: float  # the learning rate of this step's update
    train_loss: float  # this step's minibatch loss (train mode)
    val_loss: float
    val_accuracy: float
    train_eval_loss: float  # on TRAIN_EVAL_EXAMPLES training examples, eval mode
    train_eval_accuracy: float
    seconds: float  # training time so far, up to the start of this record's chunk
    layers: list[LayerRecord]


@dataclass(frozen=True)
class Divergence:
    step: int
    loss: float
    cause: str

    @property
    def message(self) -> str:
        return f"Training diverged at step {self.step} (loss {self.loss:.3g}): {self.cause}"


@dataclass
class _Best:
    step: int
    val_loss: float
    state: dict[str, Tensor] = field(repr=False)


def smoothed(values: list[float], beta: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction (non-finite values are skipped)."""
    out, average, weight = [], 0.0, 0.0
    for value in values:
        if math.isfinite(value):
            average = beta * average + (1 - beta) * value
            weight = beta * weight + (1 - beta)
        out.append(average / weight if weight else math.nan)
    return out


def check_fits(config: TrainConfig, dataset: Dataset, device: torch.device) -> None:
    """SpecError if the weights, their gradients, the optimizer's buffers and the best-weights
    copy (5 copies), and the activations of an evaluation pass would not fit."""
    spec = config.network
    params = dataset.features * spec.width + (spec.depth - 1) * spec.width**2 + spec.width * dataset.classes
    rows = max(spec.batch, len(dataset.y_val), TRAIN_EVAL_EXAMPLES)
    need = 4 * (5 * params + 8 * spec.depth * rows * spec.width)
    free = free_bytes(device)
    if need > 0.8 * free:
        raise SpecError("width", f"depth {spec.depth} x width {spec.width} needs about {need / 1e9:.1f} GB to train "
                                 f"but {free / 1e9:.1f} GB is free on {device.type}: choose a smaller width or depth")


class Trainer:
    """One training run: the model, its optimizer and schedule, and what has been recorded."""

    def __init__(self, config: TrainConfig, device: str | torch.device = "auto", keep_weights: bool = False) -> None:
        """keep_weights: keep a copy of the weights at every record (weight_path), for a loss
        landscape's path; off by default, since a 4096-wide net's copies would fill a GPU."""
        self.config = config.validate()
        self.keep_weights = keep_weights
        self.weight_path: list[dict[str, Tensor]] = []
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.data = load(config.data, self.device)
        if config.network.batch > len(self.data.y_train):
            raise SpecError("batch", f"must be at most the {len(self.data.y_train)} training examples, "
                                     f"not {config.network.batch}")
        check_fits(config, self.data, self.device)
        self.model = DeepNet(config.network, self.data.features, self.data.classes, config.dropout, self.device)
        self.optimizer = torch_optimizer(config.optimizer, self.model.decay_groups(config.optimizer.value("weight_decay")))
        self.scheduler = make_scheduler(self.optimizer, config.schedule, config.steps)
        self.step = 0
        self.records: list[Record] = []
        self.train_losses: list[float] = []  # every step's minibatch loss, up to the last record's chunk
        self.lrs: list[float] = []  # every step's learning rate
        self.divergence: Divergence | None = None
        self.stopped_early = False
        self._too_high = 0  # steps in a row with a loss above the divergence limit
        self.best: _Best | None = None
        self.seconds = 0.0
        self._losses = torch.empty(config.steps, device=self.device)
        self._host_losses = 0  # how many of _losses are on the host
        self._order = torch.empty(0, dtype=torch.long, device=self.device)
        self._cursor = 0
        self._generator = seeded_generator(config.data.seed, _BATCH_STREAM, self.device)
        n_eval = min(TRAIN_EVAL_EXAMPLES, len(self.data.y_train))
        self._train_eval = (self.data.x_train[:n_eval], self.data.y_train[:n_eval])

    # -- state ---------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.step >= self.config.steps or self.divergence is not None or self.stopped_early

    @property
    def initial_loss(self) -> float | None:
        return self.records[0].train_loss if self.records else None

    def steps_per_second(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else 0.0

    # -- running -------------------------------------------------------------------------------
    def run(self, should_stop: Callable[[], bool] = lambda: False,
            on_record: Callable[[Record], None] | None = None) -> None:
        """Train until the configured number of steps, a divergence, early stopping, or until
        should_stop() says so; it is asked after every chunk of record_every steps."""
        self.model.train()
        while not self.finished:
            # Wall time, the caller's drawing included: steps/s is the rate the user gets.
            start = time.perf_counter()
            record = self._chunk()
            self.records.append(record)
            self._check(record)
            if on_record is not None:
                on_record(record)
            self.seconds += time.perf_counter() - start
            if should_stop():
                return

    def _chunk(self) -> Record:
        """The record step, then steps up to the next record (or the last step)."""
        every, last = self.config.record_every, self.config.steps - 1
        # Dropout draws its masks from torch's global generator: seeding it per chunk (and giving
        # the caller's state back afterwards) makes a run repeatable, stopped and resumed or not.
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices, device_type=self.device.type):
            torch.manual_seed(self.config.network.seed * 1_000_003 + self.step)
            if self.keep_weights:
                self.weight_path.append({name: p.detach().clone() for name, p in self.model.named_parameters()})
            summary = self._step(recording=True)
            step = self.step - 1
            stop = min(last, (step // every + 1) * every)
            while self.step < stop:
                self._step(recording=False)
        summary["losses"] = self._losses[self._host_losses:self.step]
        host = ls.to_host(summary)
        self._host_losses = self.step
        self.train_losses.extend(host["losses"].tolist())
        return self._record(step, host)

    def _next_batch(self) -> tuple[Tensor, Tensor]:
        batch = self.config.network.batch
        if self._cursor + batch > len(self._order):
            # A fresh permutation each epoch; the last incomplete batch of an epoch is skipped.
            self._order = torch.randperm(len(self.data.y_train), generator=self._generator, device=self.device)
            self._cursor = 0
        index = self._order[self._cursor:self._cursor + batch]
        self._cursor += batch
        return self.data.x_train[index], self.data.y_train[index]

    def _step(self, recording: bool) -> dict[str, Tensor]:
        x, y = self._next_batch()
        logits, activations = self.model.forward_traced(x)
        loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        if recording:
            for f in activations:
                f.retain_grad()
        loss.backward()
        self._losses[self.step] = loss.detach()
        summary: dict[str, Tensor] = {}
        if recording:
            summary = self._layer_summary(activations)
            summary.update(self._evaluate())
            self._remember_if_best(summary["val_loss"])
            before = [w.detach().clone() for w in self.model.layer_weights()]
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        if recording:
            with torch.no_grad():
                summary["update_ratio"] = torch.stack([(w - b).norm() / b.norm().clamp(min=1e-30)
                                                       for w, b in zip(self.model.layer_weights(), before)])
        self.lrs.append(lr)
        if self.scheduler is not None:
            self.scheduler.step()
        self.step += 1
        return summary

    def _layer_summary(self, activations: list[Tensor]) -> dict[str, Tensor]:
        spec, bins = self.config.network, self.config.bins
        with torch.no_grad():
            # Layers go where the explorer has the configurations of a sweep, (1, L, N): each
            # layer then gets its own histogram range. Activations grow or shrink with depth as
            # the net trains, and one shared range would squash the small layers into one bin.
            f = ls.finite_only(torch.stack([a.detach().flatten() for a in activations]).unsqueeze(0))
            g = ls.finite_only(torch.stack([a.grad.flatten() for a in activations]).unsqueeze(0))
            out: dict[str, Tensor] = {}
            out["mean"], out["std"], out["nonfinite"] = ls.finite_moments(f)
            _, out["grad_std"], _ = ls.finite_moments(g)
            lo, hi = ls.activation_range(f, output_range(spec))
            out["act_lo"], out["act_hi"], out["act_counts"] = lo, hi, ls.histograms(f, lo, hi, bins)
            lo, hi = ls.symmetric_range(g)
            out["grad_lo"], out["grad_hi"], out["grad_counts"] = lo, hi, ls.histograms(g, lo, hi, bins)
            act = ACTIVATIONS[spec.activation]
            if spec.norm == "none" or spec.norm_place == "before":
                # Measured on the activation's own output; a norm after it would move the values.
                if act.saturated is not None:
                    out["inactive"] = torch.stack([act.saturated(a.detach()).float().mean() for a in activations])
                elif act.inactive is not None:
                    out["inactive"] = torch.stack([(a.detach() <= 0).all(0).float().mean() for a in activations])
        return out

    @contextlib.contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Eval mode (dropout off, BatchNorm on its running statistics), unless the network's
        bn_mode is "train": BatchNorm then normalizes with the evaluated batch's own statistics
        (a classic train/test bug to show), its running statistics left as they were."""
        # In eval mode BatchNorm leaves its buffers alone; in train mode they are kept and put back.
        batch_norms = [m for m in self.model.modules() if isinstance(m, nn.BatchNorm1d)] \
            if self.config.network.bn_mode == "train" else []
        kept = [{name: b.clone() for name, b in m.named_buffers()} for m in batch_norms]
        self.model.eval()
        for m in batch_norms:
            m.train()
        try:
            with torch.no_grad():
                yield
        finally:
            for m, buffers in zip(batch_norms, kept):
                for name, value in buffers.items():
                    getattr(m, name).copy_(value)
            self.model.train()

    def _evaluate(self) -> dict[str, Tensor]:
        out = {}
        with self._evaluating():
            for name, (x, y) in (("val", (self.data.x_val, self.data.y_val)), ("train_eval", self._train_eval)):
                logits, _, preactivations = self.model.trace(x)
                if name == "val":
                    out["negative"] = negative_share(preactivations)
                out[f"{name}_loss"] = F.cross_entropy(logits, y)
                out[f"{name}_accuracy"] = (logits.argmax(-1) == y).float().mean()
        return out

    def _remember_if_best(self, val_loss: Tensor) -> None:
        # Reading the loss is a sync, but one per record: the record transfer syncs anyway.
        loss = float(val_loss)
        if math.isfinite(loss) and (self.best is None or loss < self.best.val_loss):
            state = {name: value.detach().clone() for name, value in self.model.state_dict().items()}
            self.best = _Best(self.step, loss, state)

    def _record(self, step: int, host: dict[str, Tensor]) -> Record:
        def hist(prefix: str, layer: int) -> Histogram:
            counts = host[f"{prefix}_counts"][0, layer].round().long().tolist()
            return Histogram(float(host[f"{prefix}_lo"][layer]), float(host[f"{prefix}_hi"][layer]), counts)

        layers = [
            LayerRecord(
                mean=float(host["mean"][0, layer]), std=float(host["std"][0, layer]),
                grad_std=float(host["grad_std"][0, layer]), update_ratio=float(host["update_ratio"][layer]),
                inactive_fraction=float(host["inactive"][layer]) if "inactive" in host else None,
                negative_fraction=float(host["negative"][layer]),
                activation_hist=hist("act", layer), grad_hist=hist("grad", layer),
            )
            for layer in range(self.config.network.depth)
        ]
        return Record(step=step, lr=self.lrs[step], train_loss=self.train_losses[step],
                      val_loss=float(host["val_loss"]), val_accuracy=float(host["val_accuracy"]),
                      train_eval_loss=float(host["train_eval_loss"]),
                      train_eval_accuracy=float(host["train_eval_accuracy"]), seconds=self.seconds, layers=layers)

    # -- after each chunk ----------------------------------------------------------------------
    def _check(self, record: Record) -> None:
        limit = DIVERGE_FACTOR * max(self.initial_loss if math.isfinite(self.initial_loss) else 0.0,
                                     math.log(self.data.classes))
        for step in range(record.step, len(self.train_losses)):
            loss = self.train_losses[step]
            # A few bad minibatches are a spike; a run of them, or inf/NaN, is a divergence.
            self._too_high = self._too_high + 1 if loss > limit else 0
            if not math.isfinite(loss) or self._too_high >= DIVERGE_STEPS:
                first = step - self._too_high + 1 if math.isfinite(loss) else step
                self.divergence = Divergence(first, self.train_losses[first], self._likely_cause(first))
                return
        if not math.isfinite(record.val_loss):
            self.divergence = Divergence(record.step, record.val_loss, self._likely_cause(record.step))
            return
        patience = self.config.patience
        if patience is not None and self.best is not None:
            records_since_best = sum(r.step > self.best.step for r in self.records)
            self.stopped_early = records_since_best >= patience

    def _likely_cause(self, step: int) -> str:
        first = self.records[0]
        expected = math.log(self.data.classes)
        exploded = any(not math.isfinite(layer.std) or layer.std > 1e3 for layer in first.layers)
        if exploded or not math.isfinite(first.train_loss) or first.train_loss > 2 * expected:
            return (f"a bad initialization: the first loss was {first.train_loss:.3g}, far from log({self.data.classes})"
                    f" = {expected:.2f}, and the activations of the last layer had std {first.layers[-1].std:.3g}. "
                    "Try an init scaled to the fan-in (Xavier, Kaiming) or a normalization layer.")
        lr = self.lrs[min(step, len(self.lrs) - 1)]
        return (f"the learning rate is too high ({lr:.3g} at that step). Try one 3 to 10 times smaller, "
                "or a warm-up.")

    # -- using the result ----------------------------------------------------------------------
    def restore_best(self) -> int | None:
        """Load the weights of the best validation loss seen (early stopping); return its step."""
        if self.best is None:
            return None
        self.model.load_state_dict(self.best.state)
        return self.best.step

    def accuracy(self, split: str = "val") -> float:
        """The current model's accuracy on the validation or training split, in eval mode."""
        x, y = (self.data.x_val, self.data.y_val) if split == "val" else (self.data.x_train, self.data.y_train)
        with self._evaluating():
            return float((self.model(x).argmax(-1) == y).float().mean())

    def decision_map(self, n: int = 80) -> tuple[Tensor, Tensor, Tensor]:
        """For a 2-D data set: x (n,), y (n,) over the raw data's box and the probability of
        class 1 on the n x n grid (rows: y), in eval mode."""
        if not self.data.is_2d:
            raise SpecError("data", f"{self.data.spec.name} is not 2-D: it has no decision boundary to draw")
        x0, x1, y0, y1 = self.data.raw_bounds
        xs = torch.linspace(x0, x1, n, device=self.device)
        ys = torch.linspace(y0, y1, n, device=self.device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        grid = self.data.prepare(torch.stack([gx.flatten(), gy.flatten()], -1))
        with self._evaluating():
            p = self.model(grid).softmax(-1)[:, 1].reshape(n, n)
        host = ls.to_host({"x": xs, "y": ys, "p": p})
        return host["x"], host["y"], host["p"]
