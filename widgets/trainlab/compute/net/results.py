"""What one pass of the network returns: small host-side summaries, ready to draw or print."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from trainlab.compute.net.spec import NetworkSpec


@dataclass(frozen=True)
class Histogram:
    """`counts[i]` values fell in [lo + i * width, lo + (i + 1) * width); non-finite ones in none."""

    lo: float
    hi: float
    counts: list[int]

    @property
    def edges(self) -> list[float]:
        step = (self.hi - self.lo) / len(self.counts)
        return [self.lo + i * step for i in range(len(self.counts) + 1)]

    @property
    def centres(self) -> list[float]:
        step = (self.hi - self.lo) / len(self.counts)
        return [self.lo + (i + 0.5) * step for i in range(len(self.counts))]


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one hidden layer's output h (the "activations") and its gradients.

    saturated_fraction: share of f's outputs in a flat region (tanh, sigmoid; else None).
    dead_fraction: share of units inactive for every sample of the batch (ReLU family; else
    None). nonfinite: inf/NaN entries among the activations. grad_*: dL/dh; weight_grad_*:
    dL/dW (std from all entries, histogram from a fixed random block of them).
    """

    layer: int
    mean: float
    std: float
    saturated_fraction: float | None
    dead_fraction: float | None
    nonfinite: int
    preactivation_mean: float
    preactivation_std: float
    grad_mean: float
    grad_std: float
    grad_nonfinite: int
    weight_grad_mean: float
    weight_grad_std: float
    theory_std: float | None
    activation_hist: Histogram
    preactivation_hist: Histogram
    grad_hist: Histogram
    weight_grad_hist: Histogram


@dataclass(frozen=True)
class PassResult:
    """One configuration's forward and backward pass."""

    spec: NetworkSpec
    device: str
    ms: float  # wall time of the whole (possibly batched) pass that produced this result
    loss: float
    layers: list[LayerStats] = field(default_factory=list)

    @property
    def nonfinite(self) -> int:
        return sum(layer.nonfinite for layer in self.layers)

    def to_dict(self) -> dict:
        """Plain JSON-able form; per-layer histograms included."""
        return {
            "device": self.device,
            "ms": self.ms,
            "loss": self.loss,
            "spec": asdict(self.spec),
            "layers": [asdict(layer) for layer in self.layers],
        }
