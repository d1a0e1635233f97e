"""The gallery's curves: every f and f' against its formula, the flat regions where the formulas
put them, and the share of a histogram in them."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.net.activation_curves import GALLERY, CurveSpec, curve
from trainlab.compute.net.results import Histogram

SELU_L, SELU_A = 1.0507009873554805, 1.6732632423543772
PHI = lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2)))  # noqa: E731
FORMULAS = {  # name: (f, f'), written out from the definitions
    "sigmoid": (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2),
    "relu": (lambda x: x.clamp(min=0), lambda x: (x > 0).double()),
    "leaky_relu": (lambda x: torch.where(x > 0, x, 0.01 * x), lambda x: torch.where(x > 0, 1.0, 0.01)),
    "elu": (lambda x: torch.where(x > 0, x, torch.exp(x) - 1), lambda x: torch.where(x > 0, 1.0, torch.exp(x))),
    "selu": (lambda x: SELU_L * torch.where(x > 0, x, SELU_A * (torch.exp(x) - 1)),
             lambda x: SELU_L * torch.where(x > 0, 1.0, SELU_A * torch.exp(x))),
    "gelu": (lambda x: x * PHI(x), lambda x: PHI(x) + x * torch.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)),
    "silu": (lambda x: x * torch.sigmoid(x), lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
    "softplus": (lambda x: torch.log1p(torch.exp(x)), torch.sigmoid),
    "maxout": (lambda x: torch.maximum(x, -0.25 * x), lambda x: torch.where(x > 0, 1.0, -0.25)),
}


def test_every_gallery_activation_has_its_formula_here():
    assert set(FORMULAS) == set(GALLERY)


@pytest.mark.parametrize("name", GALLERY)
def test_f_and_its_derivative_match_the_formulas(name):
    c = curve(CurveSpec(name))
    f, df = FORMULAS[name]
    away = c.x.abs() > 1e-9  # the kinks at 0: autograd's one-sided choice is no formula's
    assert c.f == pytest.approx(f(c.x), abs=1e-9)
    assert c.df[away] == pytest.approx(df(c.x)[away], abs=1e-7)


def test_the_slope_and_alpha_shape_their_curves():
    leaky = curve(CurveSpec("leaky_relu", slope=0.2))
    assert float(leaky.df[0]) == pytest.approx(0.2) and float(leaky.f[0]) == pytest.approx(-1.2)
    elu = curve(CurveSpec("elu", alpha=2.0))
    assert float(elu.f[0]) == pytest.approx(2.0 * (math.exp(-6.0) - 1))


@pytest.mark.parametrize(("name", "intervals"), [
    ("tanh", [(-6.0, -2.99), (2.99, 6.0)]),  # 1 - tanh^2 < 0.01 beyond atanh(sqrt(0.99)) = 2.993
    ("relu", [(-6.0, 0.0)]),
    ("elu", [(-6.0, -4.61)]),  # e^x < 0.01 below ln(0.01) = -4.605
    ("leaky_relu", []),  # its slope 0.01 is exactly 1 %: not under it
    ("maxout", []),
])
def test_flat_regions_are_where_the_derivative_is_under_one_percent_of_its_largest(name, intervals):
    found = curve(CurveSpec(name)).flat_intervals()
    assert len(found) == len(intervals)
    for (start, end), (want_start, want_end) in zip(found, intervals):
        assert start == pytest.approx(want_start, abs=0.011) and end == pytest.approx(want_end, abs=0.011)


def test_the_flat_share_of_a_histogram_counts_the_bins_in_flat_regions():
    tanh = curve(CurveSpec("tanh"))
    # Bins centred at -4.5, -1.5, 1.5, 4.5: the outer two are flat.
    hist = Histogram(-6.0, 6.0, [10, 30, 50, 10])
    assert tanh.flat_share(hist) == pytest.approx(0.2)
    assert math.isnan(tanh.flat_share(Histogram(-1.0, 1.0, [0, 0])))


@pytest.mark.parametrize(("changes", "setting"), [({"activation": "swish"}, "activation"),
                                                  ({"slope": -0.1}, "slope"), ({"alpha": 0.0}, "alpha")])
def test_a_bad_setting_is_refused_by_name(changes, setting):
    with pytest.raises(SpecError, match=setting):
        curve(CurveSpec(**changes))
