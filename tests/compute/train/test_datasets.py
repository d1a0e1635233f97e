"""Data sets: the seeded stratified split, preprocessing fitted on the training split only (against
sklearn's scalers where it has them), the 2-D sets and their box, prepare(), train_subset, and the
errors of a bad spec."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from trainlab.compute.train import datasets
from trainlab.compute.train.datasets import DATASETS, PREPROCESSING, DataSpec, Dataset, load
from trainlab.compute.errors import SpecError

F64 = torch.float64


def _population_cov(x: torch.Tensor) -> torch.Tensor:
    c = x.double() - x.double().mean(0)
    return c.T @ c / x.shape[0]


def _raw_constant(d: Dataset) -> torch.Tensor:
    """(raw features,) bool: features that take one value over the training split."""
    raw = d.x_train_raw
    return (raw == raw[0]).all(0)


# --------------------------------------------------------------------------------------------
# digits and the split
# --------------------------------------------------------------------------------------------

def test_digits_shapes_classes_and_split():
    d = load(DataSpec("digits", "none"))
    assert d.classes == 10 and d.features == 64 and not d.is_2d
    assert d.x_train.shape == (1438, 64) and d.x_val.shape == (359, 64)
    assert 1438 + 359 == datasets.DIGITS_EXAMPLES == len(load_digits().target)
    assert d.x_val.shape[0] == round(0.2 * 1797)
    assert d.x_train.dtype == torch.float32 and d.x_val.dtype == torch.float32
    assert d.y_train.dtype == torch.int64 and d.y_val.dtype == torch.int64
    assert d.y_train.shape == (1438,) and d.y_val.shape == (359,)
    assert set(d.y_train.tolist()) == set(range(10)) == set(d.y_val.tolist())
    # stratified: each class's share of the validation set is its share of the data, to one example
    counts = np.bincount(load_digits().target)
    val_counts = torch.bincount(d.y_val, minlength=10).numpy()
    assert np.abs(val_counts - counts * 359 / 1797).max() <= 1.0
    # no preprocessing: the pixels themselves, 0 to 16, every image once in one split or the other
    assert torch.equal(d.x_train, d.x_train_raw) and float(d.x_train.max()) == 16.0
    both = torch.cat([d.x_train, d.x_val]).numpy().astype(np.float64)
    images = load_digits().data
    assert sorted(map(tuple, both)) == sorted(map(tuple, images))


def test_split_is_seeded():
    a, b = load(DataSpec(seed=3)), load(DataSpec(seed=3))
    other = load(DataSpec(seed=4))
    assert torch.equal(a.x_train_raw, b.x_train_raw) and torch.equal(a.y_val, b.y_val)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.x_val, b.x_val)
    assert not torch.equal(a.y_val, other.y_val)
    assert a.x_val_raw.shape == other.x_val_raw.shape
    assert not torch.equal(a.x_val_raw, other.x_val_raw)


@pytest.mark.parametrize("fraction", [0.05, 0.33, 0.9])
def test_val_fraction(fraction):
    d = load(DataSpec(val_fraction=fraction))
    assert d.x_val.shape[0] == round(fraction * 1797) and d.x_train.shape[0] == 1797 - round(fraction * 1797)
    assert DataSpec(val_fraction=fraction).split_sizes() == (d.x_train.shape[0], d.x_val.shape[0])
    assert set(d.y_train.tolist()) == set(range(10)) == set(d.y_val.tolist())


def test_raw_data_are_cached_and_read_only():
    load(DataSpec("moons", seed=11))
    hits = datasets._raw.cache_info().hits
    d = load(DataSpec("moons", seed=11))
    assert datasets._raw.cache_info().hits == hits + 1
    x, _ = datasets._raw("moons", 1000, 0.2, 11)
    assert not x.flags.writeable
    d.x_train_raw.zero_()  # the dataset's tensors are its own: the cache is unchanged
    assert torch.equal(load(DataSpec("moons", seed=11)).x_val_raw, load(DataSpec("moons", seed=11)).x_val_raw)
    assert float(load(DataSpec("moons", seed=11)).x_train_raw.abs().sum()) > 0


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_tensors_on_the_device(device):
    d = load(DataSpec("spirals"), device=device)
    for t in (d.x_train, d.y_train, d.x_val, d.y_val, d.x_train_raw, d.x_val_raw):
        assert t.device == torch.device("cpu")
    assert d.prepare(torch.zeros(3, 2)).device == torch.device("cpu")


# --------------------------------------------------------------------------------------------
# preprocessing
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_standardize(name):
    d = load(DataSpec(name, "standardize"))
    x = d.x_train.double()
    varying = ~_raw_constant(d)
    assert x.mean(0).abs().max() < 1e-6
    torch.testing.assert_close(x.std(0, unbiased=False)[varying], torch.ones(int(varying.sum()), dtype=F64),
                               rtol=0, atol=1e-5)
    # a constant feature (digits' always-0 pixels) is divided by 1, not 0: it is 0, not NaN
    assert (x[:, ~varying] == 0).all()
    if name == "digits":
        assert int((~varying).sum()) >= 3
    # the same numbers as sklearn's StandardScaler fitted on the training split, for both splits
    scaler = StandardScaler().fit(d.x_train_raw.numpy().astype(np.float64))
    for ours, raw in ((d.x_train, d.x_train_raw), (d.x_val, d.x_val_raw)):
        expected = torch.from_numpy(scaler.transform(raw.numpy().astype(np.float64)))
        torch.testing.assert_close(ours.double(), expected, rtol=1e-6, atol=1e-5)
    # the validation split is mapped with the training statistics, not standardized on its own
    val = d.x_val.double()
    assert val.mean(0).abs().max() > 1e-3
    assert (val.std(0, unbiased=False)[varying] - 1).abs().max() > 1e-3


@pytest.mark.parametrize("name", DATASETS)
def test_centre(name):
    d = load(DataSpec(name, "centre"))
    mean = d.x_train_raw.double().mean(0)
    torch.testing.assert_close(d.transform.mean, mean, rtol=0, atol=1e-12)
    assert d.x_train.double().mean(0).abs().max() < 1e-5
    torch.testing.assert_close(d.x_train.double(), d.x_train_raw.double() - mean, rtol=0, atol=1e-6)
    torch.testing.assert_close(d.x_val.double(), d.x_val_raw.double() - mean, rtol=0, atol=1e-6)
    # centring keeps the spread: the variances are those of the raw data
    torch.testing.assert_close(d.x_train.double().var(0), d.x_train_raw.double().var(0), rtol=1e-5, atol=1e-8)
    assert d.x_val.double().mean(0).abs().max() > 1e-4


@pytest.mark.parametrize("spec", [DataSpec("digits", "pca_whiten"), DataSpec("digits", "pca_whiten", seed=1),
                                  DataSpec("spirals", "pca_whiten"), DataSpec("moons", "pca_whiten"),
                                  DataSpec("moons", "pca_whiten", noise=0.0),
                                  DataSpec("digits", "pca_whiten", train_subset=30)],
                         ids=["digits", "digits-seed1", "spirals", "moons", "moons-no-noise", "digits-subset30"])
def test_pca_whiten(spec):
    d = load(spec)
    x = d.x_train.double()
    # every kept axis has variance 1 and the axes are uncorrelated
    torch.testing.assert_close(_population_cov(x), torch.eye(d.features, dtype=F64), rtol=0, atol=1e-4)
    assert x.mean(0).abs().max() < 1e-5
    # the kept axes are the directions with spread: as many as the centred training data's rank
    rank = int(torch.linalg.matrix_rank(d.x_train_raw.double() - d.x_train_raw.double().mean(0)))
    assert d.features == rank == d.x_val.shape[1]
    if spec.name == "digits" and spec.train_subset is None:
        assert 55 <= d.features < 64
    if spec.train_subset is not None:
        assert d.features <= spec.train_subset - 1
    # variances in decreasing order, as PCA has them
    variances = d.transform.variances
    assert (variances[:-1] >= variances[1:]).all()
    # sklearn's PCA whitens with the n - 1 variance and may flip an axis: the same up to those
    n = x.shape[0]
    pca = PCA(n_components=min(d.features, 20), whiten=True, svd_solver="full")
    pca.fit(d.x_train_raw.numpy().astype(np.float64))
    k = pca.n_components_
    for ours, raw in ((d.x_train, d.x_train_raw), (d.x_val, d.x_val_raw)):
        theirs = torch.from_numpy(pca.transform(raw.numpy().astype(np.float64))) / math.sqrt((n - 1) / n)
        ours = ours.double()[:, :k]
        signs = torch.sign((ours * theirs).sum(0))
        torch.testing.assert_close(ours, theirs * signs, rtol=1e-4, atol=1e-3)
    # the validation split is not whitened on its own statistics
    assert (_population_cov(d.x_val.double()) - torch.eye(d.features, dtype=F64)).abs().max() > 1e-3


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("preprocessing", PREPROCESSING)
@pytest.mark.parametrize("extra", [{}, {"train_subset": 12}, {"seed": 5, "val_fraction": 0.5}],
                         ids=["default", "subset12", "seed5-half"])
def test_everything_finite(name, preprocessing, extra):
    d = load(DataSpec(name, preprocessing, **extra))
    for t in (d.x_train, d.x_val, d.x_train_raw, d.x_val_raw):
        assert torch.isfinite(t).all()
    assert d.x_train.shape[1] == d.x_val.shape[1] == d.features >= 1
    for matrix in (d.transform.mean, d.transform.matrix):
        assert torch.isfinite(matrix).all()
    assert torch.isfinite(d.prepare(torch.randn(50, d.transform.raw_features) * 20)).all()


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("preprocessing", PREPROCESSING)
def test_prepare_reproduces_the_splits(name, preprocessing):
    d = load(DataSpec(name, preprocessing))
    assert torch.equal(d.prepare(d.x_train_raw), d.x_train)
    assert torch.equal(d.prepare(d.x_val_raw), d.x_val)
    out = d.prepare(d.x_val_raw[:5].double())
    assert out.dtype == torch.float32 and out.shape == (5, d.features)
    torch.testing.assert_close(d.prepare(d.x_val_raw[3]), d.x_val[3])  # a single point works too
    with pytest.raises(SpecError) as err:
        d.prepare(torch.zeros(4, d.transform.raw_features + 1))
    assert err.value.field == "inputs"


# --------------------------------------------------------------------------------------------
# the 2-D sets
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["spirals", "moons"])
@pytest.mark.parametrize("preprocessing", PREPROCESSING)
def test_two_d_sets(name, preprocessing):
    d = load(DataSpec(name, preprocessing, samples=600))
    assert d.is_2d and d.features == 2 and d.classes == 2
    assert d.x_train.shape == (480, 2) and d.x_val.shape == (120, 2)
    assert d.x_train_raw.shape == (480, 2) and d.x_val_raw.shape == (120, 2)
    for labels in (d.y_train, d.y_val):
        assert torch.bincount(labels).tolist() == [len(labels) // 2] * 2  # both classes, balanced
    x0, x1, y0, y1 = d.raw_bounds
    points = torch.cat([d.x_train_raw, d.x_val_raw]).double()
    assert x0 < float(points[:, 0].min()) and float(points[:, 0].max()) < x1
    assert y0 < float(points[:, 1].min()) and float(points[:, 1].max()) < y1
    # the grid of a decision boundary goes through the training statistics too
    xs, ys = torch.linspace(x0, x1, 7), torch.linspace(y0, y1, 5)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)
    mapped = d.prepare(grid)
    assert mapped.shape == (5, 7, 2) and torch.isfinite(mapped).all()
    torch.testing.assert_close(mapped.reshape(-1, 2), d.prepare(grid.reshape(-1, 2)))


def test_moons_are_sklearns():
    d = load(DataSpec("moons", "none", samples=300, noise=0.1, seed=7))
    x, y = make_moons(n_samples=300, noise=0.1, random_state=7)
    ours = torch.cat([d.x_train_raw, d.x_val_raw]).numpy()
    labels = torch.cat([d.y_train, d.y_val]).numpy()
    expected = sorted(zip(map(tuple, x.astype(np.float32)), y))
    assert sorted(zip(map(tuple, ours), labels)) == expected


def test_spirals_lie_on_their_arms():
    """Without noise, class c's points are r (cos a, sin a) with r = (a - c pi) / pi: radius
    growing by 2 a turn, the second arm the first turned by half a turn."""
    d = load(DataSpec("spirals", "none", noise=0.0, samples=400))
    points = torch.cat([d.x_train_raw, d.x_val_raw]).double()
    labels = torch.cat([d.y_train, d.y_val]).double()
    radius = points.norm(dim=1)
    angle = torch.atan2(points[:, 1], points[:, 0])
    offset = torch.remainder(radius * math.pi - angle + math.pi * labels + math.pi, 2 * math.pi) - math.pi
    assert offset.abs().max() < 1e-4
    assert float(radius.max()) <= 2 * datasets.SPIRAL_TURNS + 1e-5
    noisy = load(DataSpec("spirals", "none", noise=0.3, samples=400))
    assert not torch.equal(noisy.x_train_raw, d.x_train_raw)
    assert torch.equal(load(DataSpec("spirals", seed=2)).x_val_raw, load(DataSpec("spirals", seed=2)).x_val_raw)
    assert not torch.equal(load(DataSpec("spirals", seed=2)).x_val_raw, load(DataSpec("spirals", seed=3)).x_val_raw)


def test_digits_have_no_raw_bounds():
    d = load(DataSpec("digits"))
    assert not d.is_2d
    with pytest.raises(SpecError) as err:
        d.raw_bounds
    assert err.value.field == "dataset"


# --------------------------------------------------------------------------------------------
# train_subset
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,n", [("digits", 10), ("digits", 37), ("digits", 200), ("moons", 2), ("spirals", 51)])
def test_train_subset(name, n):
    full = load(DataSpec(name, "none"))
    d = load(DataSpec(name, "none", train_subset=n))
    assert d.x_train.shape[0] == n and d.y_train.shape == (n,) and d.x_train_raw.shape[0] == n
    # the first n training examples of the full split; validation untouched
    assert torch.equal(d.x_train_raw, full.x_train_raw[:n]) and torch.equal(d.y_train, full.y_train[:n])
    assert torch.equal(d.x_val, full.x_val) and torch.equal(d.y_val, full.y_val)
    # every class, as balanced as n allows
    counts = torch.bincount(d.y_train, minlength=d.classes)
    assert int(counts.min()) >= 1 and int(counts.max() - counts.min()) <= 1


def test_train_subset_statistics_are_the_subsets():
    d = load(DataSpec("digits", "standardize", train_subset=40))
    assert d.x_train.double().mean(0).abs().max() < 1e-5
    torch.testing.assert_close(d.transform.mean, d.x_train_raw.double().mean(0), rtol=0, atol=1e-12)


def test_train_subset_up_to_the_training_set():
    n_train, _ = DataSpec().split_sizes()
    assert load(DataSpec(train_subset=n_train)).x_train.shape[0] == n_train
    for bad in (9, n_train + 1, 0, -5, 2.5, True):
        with pytest.raises(SpecError) as err:
            load(DataSpec(train_subset=bad))
        assert err.value.field == "train_subset"
    with pytest.raises(SpecError) as err:
        DataSpec("moons", train_subset=1).validate()
    assert err.value.field == "train_subset"
    with pytest.raises(SpecError):  # 0.5 of 100 leaves 50 for training
        DataSpec("moons", samples=100, val_fraction=0.5, train_subset=51).validate()
    assert DataSpec("moons", samples=100, val_fraction=0.5, train_subset=50).validate()


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

BAD = [
    (dict(name="mnist"), "dataset"),
    (dict(name="Digits"), "dataset"),
    (dict(preprocessing="zca"), "preprocessing"),
    (dict(preprocessing="center"), "preprocessing"),
    (dict(val_fraction=0.0), "val_fraction"),
    (dict(val_fraction=1.0), "val_fraction"),
    (dict(val_fraction=-0.2), "val_fraction"),
    (dict(val_fraction=float("nan")), "val_fraction"),
    (dict(val_fraction="0.2"), "val_fraction"),
    (dict(noise=-0.1), "noise"),
    (dict(noise=5.0), "noise"),
    (dict(noise=float("inf")), "noise"),
    (dict(name="moons", samples=10), "samples"),
    (dict(name="spirals", samples=10**6), "samples"),
    (dict(samples=100.0), "samples"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(train_subset=5), "train_subset"),
]


@pytest.mark.parametrize("kwargs,field", BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
def test_bad_spec_is_a_spec_error_naming_the_field(kwargs, field):
    spec = DataSpec(**kwargs)
    with pytest.raises(SpecError) as err:
        spec.validate()
    assert err.value.field == field
    assert str(err.value).startswith(field + ":") and "\n" not in str(err.value)
    with pytest.raises(SpecError) as err:
        load(spec)
    assert err.value.field == field


def test_good_specs_validate():
    for name in DATASETS:
        for preprocessing in PREPROCESSING:
            spec = DataSpec(name, preprocessing)
            assert spec.validate() is spec
    assert DataSpec("moons", samples=50, val_fraction=0.05, noise=0.0).validate().samples == 50
    small = load(DataSpec("spirals", samples=50, val_fraction=0.05))
    assert set(small.y_val.tolist()) == {0, 1} and small.x_train.shape[0] + small.x_val.shape[0] == 50


@pytest.mark.parametrize("fit_on", ["validation", "all"])
def test_fit_on_takes_the_statistics_from_the_split_it_names(fit_on):
    """The classic leak, kept on purpose for the lab: the statistics come from the split named."""
    d = load(DataSpec("digits", "standardize", fit_on=fit_on))
    fitted = {"validation": d.x_val_raw, "all": torch.cat([d.x_train_raw, d.x_val_raw])}[fit_on].double()
    torch.testing.assert_close(d.transform.mean, fitted.mean(0))
    mapped = d.x_val if fit_on == "validation" else torch.cat([d.x_train, d.x_val])
    assert mapped.double().mean(0).abs().max() < 1e-5  # centred where the statistics came from...
    assert load(DataSpec("digits", "standardize")).x_val.double().mean(0).abs().max() > 1e-3  # ...not by the rule


def test_fit_on_refuses_a_split_it_does_not_know():
    with pytest.raises(SpecError, match="fit_on"):
        DataSpec(fit_on="test").validate()
