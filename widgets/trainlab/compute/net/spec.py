"""NetworkSpec: the one description of the deep net that every lab and the CLI share."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.checks import SEED_RANGE, choice, number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.net.init_schemes import INIT_SCHEMES, InitScheme

NORMS = ("none", "batch", "layer", "group")
NORM_PLACES = ("before", "after")
BN_MODES = ("train", "running")

DEPTH_RANGE = (1, 50)
WIDTH_RANGE = (2, 65536)
BATCH_RANGE = (1, 4096)
STD_RANGE = (1e-4, 10.0)
GAIN_RANGE = (1e-4, 10.0)
# What a sweep of the init knob spans by default: from vanishing through healthy to saturated or
# exploding, for the std-driven and the gain-driven schemes.
SWEEP_RANGES = {"std": (1e-3, 0.3), "gain": (0.25, 4.0)}
# The small positive bias some use with ReLU, so that units start out firing.
BIAS_VALUE = 0.01


@dataclass(frozen=True)
class NetworkSpec:
    """A stack of `depth` fully connected layers of `width` units fed a N(0, 1) batch.

    Layer l computes z = h @ W (+ bias), a = norm(z) if the norm goes before the activation,
    f = act(a), h = norm(f) if it goes after. `std` is the knob of the std-driven schemes
    (normal, uniform, constant's value); `gain` that of the fan-driven ones (None means the
    scheme's default gain, as torch.nn.init has it).
    """

    depth: int = 6
    width: int = 4096
    batch: int = 16
    activation: str = "tanh"
    init: str = "normal"
    std: float = 0.01
    gain: float | None = None
    norm: str = "none"
    norm_place: str = "before"
    bn_mode: str = "train"
    groups: int = 32
    bias: bool = False
    seed: int = 0

    @property
    def scheme(self) -> InitScheme:
        return INIT_SCHEMES[self.init]

    @property
    def knob_value(self) -> float:
        """The number the init scheme is driven by: its std, its gain, or 0 for zeros."""
        knob = self.scheme.knob
        if knob == "std":
            return self.std
        if knob == "gain":
            return self.scheme.default_gain if self.gain is None else self.gain
        return 0.0

    def with_knob(self, value: float) -> NetworkSpec:
        """The same network with the scheme's std or gain set to `value`."""
        field = "gain" if self.scheme.knob == "gain" else "std"
        return dataclasses.replace(self, **{field: value})

    def resolved(self) -> NetworkSpec:
        """The same network with the gain spelled out (None only where the scheme has no gain),
        so that two specs describing the same network compare equal."""
        return dataclasses.replace(self, gain=self.knob_value if self.scheme.knob == "gain" else None)

    def replace(self, **changes: object) -> NetworkSpec:
        return dataclasses.replace(self, **changes)

    def with_settings(self, **changes: object) -> NetworkSpec:
        """The spec with `changes`, as a user's change means them: a new init scheme starts from
        its own gain (the gain belongs to the scheme) unless a gain is given in the same call, and
        a std or gain the scheme is not set by is refused rather than kept unused."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise SpecError(sorted(unknown)[0], "is not a network setting")
        if "init" in changes and changes["init"] != self.init and "gain" not in changes:
            changes = {**changes, "gain": None}
        spec = dataclasses.replace(self, **changes)
        choice("init", spec.init, tuple(INIT_SCHEMES))
        for knob in ("std", "gain"):
            if changes.get(knob) is not None and spec.scheme.knob != knob:
                set_by = {"std": "its std", "gain": "its gain", "none": "nothing (it has no knob)"}[spec.scheme.knob]
                raise SpecError(knob, f"init {spec.init} is set by {set_by}, not a {knob}")
        return spec

    def describe(self) -> str:
        """The network in a few words, e.g. "relu · kaiming_normal gain 1.41 · batch norm before"."""
        knob = self.scheme.knob
        init = self.init if knob == "none" else f"{self.init} {knob} {self.knob_value:.3g}"
        norm = "no norm" if self.norm == "none" else f"{self.norm} norm {self.norm_place}"
        if self.norm == "batch":
            norm += f" ({self.bn_mode} stats)"
        return f"{self.activation} · {init} · {norm} · {self.depth}×{self.width} · batch {self.batch}"

    def validate(self) -> NetworkSpec:
        """Raise SpecError naming the first field that is out of range; return self if none."""
        choice("activation", self.activation, tuple(ACTIVATIONS))
        choice("init", self.init, tuple(INIT_SCHEMES))
        choice("norm", self.norm, NORMS)
        choice("norm_place", self.norm_place, NORM_PLACES)
        choice("bn_mode", self.bn_mode, BN_MODES)
        whole_in("depth", self.depth, DEPTH_RANGE)
        whole_in("width", self.width, WIDTH_RANGE)
        whole_in("batch", self.batch, BATCH_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        if not isinstance(self.bias, bool):
            raise SpecError("bias", f"must be True or False, not {self.bias!r}")
        if self.scheme.knob == "std":
            number_in("std", self.std, STD_RANGE)
        if self.scheme.knob == "gain" and self.gain is not None:
            number_in("gain", self.gain, GAIN_RANGE)
        if self.norm == "group":
            whole_in("groups", self.groups, (1, self.width))
            if self.width % self.groups:
                raise SpecError("groups", f"must divide the width {self.width}, {self.groups} does not")
        if self.norm == "batch" and self.batch < 2:
            # Running statistics too are gathered from training batches of this size.
            raise SpecError("batch", "BatchNorm needs a batch of at least 2: one value has no batch variance")
        return self
