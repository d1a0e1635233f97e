"""The data sets the training labs learn from: the one place in trainlab that knows about data.

`load(DataSpec(...))` returns a :class:`Dataset`: a seeded, stratified train/validation split,
preprocessed with statistics of the training split only, as float32 inputs and int64 labels on
the device (`fit_on` can fit them on the validation split or on both instead: the classic leak,
for a lab to measure). The fitted preprocessing is kept (`Dataset.prepare`) so that new raw points, such as
the grid of a decision boundary over a 2-D set, are mapped exactly as the training data was.

    digits   sklearn's bundled 8x8 digit images (1,797 images, 64 features, 10 classes)
    spirals  two interleaved spirals (2-D, 2 classes)
    moons    sklearn's two half moons (2-D, 2 classes)
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

from trainlab.compute.checks import SEED_RANGE, number_in, whole_in
from trainlab.compute.errors import SpecError

Tensor = torch.Tensor
DATASETS = ("digits", "spirals", "moons")
PREPROCESSING = ("none", "centre", "standardize", "pca_whiten")
# The examples the preprocessing statistics are fitted on: the training split is the rule; the
# other two are the classic mistake, kept so that a lab can measure what it leaks.
FIT_ON = ("train", "validation", "all")

DIGITS_EXAMPLES = 1797  # len(load_digits().target), so that validate() need not load the images
CLASSES = {"digits": 10, "spirals": 2, "moons": 2}
SAMPLES_RANGE = (50, 20_000)
VAL_FRACTION_RANGE = (0.05, 0.9)  # with SAMPLES_RANGE: every class can be in both splits
NOISE_RANGE = (0.0, 1.0)
DEFAULT_NOISE = 0.2
DEFAULT_SAMPLES = 1000
SPIRAL_TURNS = 1.5
# A direction whose spread is below this fraction of the largest is numerically no spread at all
# (the always-0 corner pixels of digits: about 1e-17 of the largest eigenvalue).
DEGENERATE_RTOL = 1e-9
BOUNDS_MARGIN = 0.1  # raw_bounds: this fraction of the larger side of the data's box, all round


@dataclass(frozen=True)
class DataSpec:
    """Which data set, how it is split and preprocessed. noise and samples belong to the 2-D sets
    (None: their defaults) and are refused for the digits, which have neither."""

    name: str = "digits"
    preprocessing: str = "standardize"
    val_fraction: float = 0.2
    train_subset: int | None = None  # only the first n training examples (overfitting lesson); None: all
    fit_on: str = "train"  # which examples the preprocessing statistics come from (FIT_ON)
    noise: float | None = None  # std of the Gaussian noise of a 2-D set, in its raw units
    samples: int | None = None  # points of a 2-D set, before the split
    seed: int = 0

    @property
    def classes(self) -> int:
        return CLASSES[self.name]

    @property
    def is_2d(self) -> bool:
        return self.name != "digits"

    @property
    def noise_value(self) -> float:
        return DEFAULT_NOISE if self.noise is None else self.noise

    @property
    def samples_value(self) -> int:
        return DEFAULT_SAMPLES if self.samples is None else self.samples

    def with_settings(self, **changes: object) -> DataSpec:
        """The spec with `changes`; a change of data set resets noise and samples (they belong to
        a 2-D set) unless they are given in the same call."""
        if "name" in changes and changes["name"] != self.name:
            changes = {"noise": None, "samples": None, **changes}
        return dataclasses.replace(self, **changes)

    def split_sizes(self) -> tuple[int, int]:
        """(training examples, validation examples) before train_subset."""
        n = self.samples_value if self.is_2d else DIGITS_EXAMPLES
        n_val = round(self.val_fraction * n)
        return n - n_val, n_val

    def validate(self) -> DataSpec:
        """Raise SpecError naming the first field that is out of range; return self if none."""
        if self.name not in DATASETS:
            raise SpecError("dataset", f"must be one of {', '.join(DATASETS)}, not {self.name!r}")
        if self.preprocessing not in PREPROCESSING:
            raise SpecError("preprocessing", f"must be one of {', '.join(PREPROCESSING)}, "
                                             f"not {self.preprocessing!r}")
        if self.fit_on not in FIT_ON:
            raise SpecError("fit_on", f"must be one of {', '.join(FIT_ON)}, not {self.fit_on!r}")
        number_in("val_fraction", self.val_fraction, VAL_FRACTION_RANGE)
        for name, value in (("noise", self.noise), ("samples", self.samples)):
            if value is not None and not self.is_2d:
                raise SpecError(name, f"belongs to the 2-D sets ({', '.join(DATASETS[1:])}); {self.name} has none")
        number_in("noise", self.noise_value, NOISE_RANGE)
        whole_in("samples", self.samples_value, SAMPLES_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        if self.train_subset is not None:
            # At least one example per class: the subset is drawn class by class, so then every
            # class is in it.
            whole_in("train_subset", self.train_subset, (self.classes, self.split_sizes()[0]))
        return self




@dataclass(frozen=True, eq=False)
class Preprocessing:
    """The fitted affine map raw -> (raw - mean) @ matrix, held in float64 on the CPU.

    mean (raw features,), matrix (raw features, features): identity for none and centre, the
    diagonal 1 / std for standardize, the principal axes over sqrt(eigenvalue) for pca_whiten.
    """

    kind: str
    mean: Tensor
    matrix: Tensor
    variances: Tensor | None = None  # pca_whiten: the training variance along each kept axis

    @property
    def raw_features(self) -> int:
        return self.matrix.shape[0]

    @property
    def features(self) -> int:
        return self.matrix.shape[1]

    def __call__(self, raw: Tensor) -> Tensor:
        """(..., raw features) -> (..., features), float64 on the CPU."""
        return (raw.detach().to("cpu", torch.float64) - self.mean) @ self.matrix


def fit_preprocessing(kind: str, x: Tensor) -> Preprocessing:
    """Fit `kind` on the (n, d) training inputs x. Statistics are population ones (divide by n,
    as sklearn's StandardScaler does), so the training set comes out with std / covariance 1."""
    x = x.to("cpu", torch.float64)
    d = x.shape[1]
    identity = torch.eye(d, dtype=torch.float64)
    if kind == "none":
        return Preprocessing(kind, torch.zeros(d, dtype=torch.float64), identity)
    mean = x.mean(0)
    if kind == "centre":
        return Preprocessing(kind, mean, identity)
    centred = x - mean
    if kind == "standardize":
        std = centred.pow(2).mean(0).sqrt()
        # A constant feature (the always-0 corner pixels of digits) is 0 for every training point
        # once centred; dividing it by its std of 0 would give 0/0 = NaN there and +-inf for any
        # other point, so it is divided by 1 and stays 0, as in sklearn's StandardScaler.
        scale = torch.where(std > DEGENERATE_RTOL * std.max(), std, torch.ones_like(std))
        return Preprocessing(kind, mean, torch.diag(1.0 / scale))
    if kind == "pca_whiten":
        eigenvalues, axes = torch.linalg.eigh(centred.T @ centred / x.shape[0])
        eigenvalues, axes = eigenvalues.flip(0), axes.flip(1)  # largest variance first, as in PCA
        # Directions without spread (eigenvalue ~0, numerically even slightly negative) are
        # dropped rather than divided by sqrt(eigenvalue + eps): the training data has nothing
        # along them to whiten, and a new point off the training subspace would be blown up by
        # 1 / sqrt(eps). Every kept axis is divided by its exact sqrt(eigenvalue), so the training
        # covariance is the identity; digits keeps 60 or 61 of its 64 axes (it depends on the split).
        keep = eigenvalues > DEGENERATE_RTOL * eigenvalues[0]
        return Preprocessing(kind, mean, axes[:, keep] / eigenvalues[keep].sqrt(), eigenvalues[keep])
    raise SpecError("preprocessing", f"must be one of {', '.join(PREPROCESSING)}, not {kind!r}")


@dataclass
class Dataset:
    """A split data set, preprocessed; the *_raw inputs are before preprocessing (float32)."""

    spec: DataSpec
    x_train: Tensor  # float32 (n_train, features)
    y_train: Tensor  # int64 (n_train,)
    x_val: Tensor
    y_val: Tensor
    classes: int
    features: int  # after preprocessing: pca_whiten may drop directions without spread
    transform: Preprocessing
    x_train_raw: Tensor
    x_val_raw: Tensor

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    @property
    def is_2d(self) -> bool:
        """Two input features: the lab can draw the decision boundary."""
        return self.features == 2 and self.transform.raw_features == 2

    @property
    def raw_bounds(self) -> tuple[float, float, float, float]:
        """(x0, x1, y0, y1): the box of every raw point with a margin, for a decision-boundary grid."""
        if not self.is_2d:
            raise SpecError("dataset", f"{self.spec.name} has {self.transform.raw_features} features, "
                                       "not 2: it has no 2-D box to draw")
        points = torch.cat([self.x_train_raw, self.x_val_raw]).double()
        lo, hi = points.amin(0).tolist(), points.amax(0).tolist()
        margin = BOUNDS_MARGIN * max(hi[0] - lo[0], hi[1] - lo[1])
        return lo[0] - margin, hi[0] + margin, lo[1] - margin, hi[1] + margin

    def prepare(self, raw: Tensor) -> Tensor:
        """Raw inputs (..., raw features) mapped with the training statistics: float32 on the device."""
        raw = torch.as_tensor(raw)
        if raw.dim() == 0 or raw.shape[-1] != self.transform.raw_features:
            raise SpecError("inputs", f"must have {self.transform.raw_features} features in the last "
                                      f"dimension, not shape {tuple(raw.shape)}")
        return self.transform(raw).to(torch.float32).to(self.device)


def _spirals(samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Archimedean spirals, the second the first turned by pi; the radius grows by 2 a turn,
    so neighbouring arms are 1 apart and `noise` is in units of that gap."""
    rng = np.random.default_rng(seed)
    labels = np.arange(samples) % 2
    # sqrt spreads the points evenly along the arms, whose length grows with the radius.
    angle = np.sqrt(rng.uniform(0.0, 1.0, samples)) * SPIRAL_TURNS * 2 * np.pi
    radius = angle / np.pi
    turned = angle + np.pi * labels
    points = np.stack([radius * np.cos(turned), radius * np.sin(turned)], axis=1)
    return points + noise * rng.standard_normal((samples, 2)), labels


@functools.cache
def _raw(name: str, samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw inputs (n, d) float32 and labels (n,) int64, read-only since they are shared."""
    if name == "digits":
        bunch = load_digits()
        x, y = bunch.data, bunch.target
    elif name == "spirals":
        x, y = _spirals(samples, noise, seed)
    else:
        x, y = make_moons(n_samples=samples, noise=noise, random_state=seed)
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _class_by_class(labels: np.ndarray) -> np.ndarray:
    """An order of the (shuffled) examples that takes one of each class in turn, so that the
    first n hold every class once n >= classes and stay as balanced as the data allow."""
    rank = np.zeros(len(labels), dtype=np.int64)  # how many of its class come before it
    for c in np.unique(labels):
        where = labels == c
        rank[where] = np.arange(where.sum())
    return np.lexsort((np.arange(len(labels)), rank))


def load(spec: DataSpec, device: torch.device | str = "cpu") -> Dataset:
    """The data set of `spec`, split, subset and preprocessed, its tensors on `device`."""
    spec.validate()
    if spec.name == "digits":
        x, y = _raw("digits", 0, 0.0, 0)  # the images take no samples, noise or seed
    else:
        x, y = _raw(spec.name, spec.samples_value, float(spec.noise_value), spec.seed)
    n_train, n_val = spec.split_sizes()
    if len(y) != n_train + n_val:
        raise SpecError("dataset", f"{spec.name} has {len(y)} examples, not the expected {n_train + n_val}")
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=n_val, random_state=spec.seed,
                                                      shuffle=True, stratify=y)
    order = _class_by_class(y_train)
    if spec.train_subset is not None:
        order = order[:spec.train_subset]
    raw_train, raw_val = torch.from_numpy(x_train[order]), torch.from_numpy(np.array(x_val))
    fitted_on = {"train": raw_train, "validation": raw_val, "all": torch.cat([raw_train, raw_val])}[spec.fit_on]
    transform = fit_preprocessing(spec.preprocessing, fitted_on)
    return Dataset(
        spec=spec,
        x_train=transform(raw_train).to(device, torch.float32),
        y_train=torch.from_numpy(y_train[order]).to(device),
        x_val=transform(raw_val).to(device, torch.float32),
        y_val=torch.from_numpy(np.array(y_val)).to(device),
        classes=spec.classes,
        features=transform.features,
        transform=transform,
        x_train_raw=raw_train.to(device),
        x_val_raw=raw_val.to(device),
    )
