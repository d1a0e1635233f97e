"""Every init scheme's scale / variance against what torch.nn.init really draws.

torch.nn.init lays a weight out as (fan_out, fan_in); all comparisons use a 512 x 256 tensor,
so fan_in = 256 and fan_out = 512 differ and a swapped fan would show.
"""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute import NetworkSpec, run_pass
from trainlab.compute.net.init_schemes import INIT_SCHEMES, draw_base
from trainlab.compute.net.weight_cache import WeightCache

FAN_OUT, FAN_IN = 512, 256
REL = 0.03  # a few percent: the sampling error of a variance over 131072 entries is ~0.4 %


def _gen(seed: int = 1234) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def _empty() -> torch.Tensor:
    return torch.empty(FAN_OUT, FAN_IN)


def _var(t: torch.Tensor) -> float:
    return float(t.double().var(unbiased=False))


def _leaky_a_for_gain(gain: float) -> float:
    """torch's kaiming_* take no gain, only a leaky-ReLU slope a with gain sqrt(2 / (1 + a^2))."""
    return math.sqrt(max(2.0 / gain**2 - 1.0, 0.0))


# scheme -> (torch reference drawing a (FAN_OUT, FAN_IN) tensor for knob value v, knob values)
def _torch_reference(name: str, v: float) -> torch.Tensor:
    t, g = _empty(), _gen()
    init = torch.nn.init
    if name == "zeros":
        return init.zeros_(t)
    if name == "constant":
        return init.constant_(t, v)
    if name == "normal":
        return init.normal_(t, 0.0, v, generator=g)
    if name == "uniform":
        # the "uniform" scheme's knob is the std; U(-b, b) has std b / sqrt(3)
        b = v * math.sqrt(3.0)
        return init.uniform_(t, -b, b, generator=g)
    if name == "xavier_normal":
        return init.xavier_normal_(t, gain=v, generator=g)
    if name == "xavier_uniform":
        return init.xavier_uniform_(t, gain=v, generator=g)
    default = v == INIT_SCHEMES[name].default_gain
    if name == "kaiming_normal":  # torch's defaults: a = 0, fan_in, leaky_relu, i.e. He init
        return init.kaiming_normal_(t, generator=g) if default else init.kaiming_normal_(
            t, a=_leaky_a_for_gain(v), generator=g)
    if name == "kaiming_uniform":
        return init.kaiming_uniform_(t, generator=g) if default else init.kaiming_uniform_(
            t, a=_leaky_a_for_gain(v), generator=g)
    if name == "lecun_normal":
        assert v == 1.0
        return init.kaiming_normal_(t, nonlinearity="linear", generator=g)
    if name == "orthogonal":
        return init.orthogonal_(t, gain=v, generator=g)
    raise AssertionError(f"no torch reference for {name}")


def _cases() -> list[tuple[str, float]]:
    cases = []
    for name, scheme in INIT_SCHEMES.items():
        if scheme.knob == "std":
            values = [0.01, 0.3]
        elif scheme.knob == "gain":
            values = [scheme.default_gain] if name == "lecun_normal" else [scheme.default_gain, 0.7]
        else:
            values = [0.0]
        cases += [(name, v) for v in values]
    return cases


def test_every_scheme_has_a_case() -> None:
    assert {name for name, _ in _cases()} == set(INIT_SCHEMES)
    assert set(INIT_SCHEMES) == {"zeros", "constant", "normal", "uniform", "xavier_normal",
                                 "xavier_uniform", "kaiming_normal", "kaiming_uniform",
                                 "lecun_normal", "orthogonal"}


def test_default_gains_are_torchs() -> None:
    assert INIT_SCHEMES["kaiming_normal"].default_gain == pytest.approx(math.sqrt(2.0))
    assert INIT_SCHEMES["kaiming_uniform"].default_gain == pytest.approx(math.sqrt(2.0))
    for name in ("xavier_normal", "xavier_uniform", "lecun_normal", "orthogonal"):
        assert INIT_SCHEMES[name].default_gain == 1.0


@pytest.mark.parametrize(("name", "value"), _cases())
def test_scheme_variance_matches_torch_nn_init(name: str, value: float) -> None:
    scheme = INIT_SCHEMES[name]
    reference = _torch_reference(name, value)
    scale = scheme.scale(value, FAN_IN, FAN_OUT)
    implied = scheme.weight_variance(value, FAN_IN, FAN_OUT)

    if scheme.family == "zeros":
        assert scale == 0.0 and implied == 0.0
        assert torch.count_nonzero(reference) == 0
        return
    if scheme.family == "constant":
        assert implied is None  # not iid zero-mean: the variance recursion does not apply
        assert scale == value
        assert torch.all(reference == value)
        return

    # the implied variance agrees with the family's base times the scale
    base_var = {"normal": 1.0, "uniform": 1.0 / 3.0, "orthogonal": 1.0 / max(FAN_IN, FAN_OUT)}
    assert implied == pytest.approx(scale**2 * base_var[scheme.family], rel=1e-12)
    # ... and with what torch.nn.init draws
    assert _var(reference) == pytest.approx(implied, rel=REL)
    assert float(reference.double().mean()) == pytest.approx(0.0, abs=0.02 * math.sqrt(implied))
    if scheme.family == "uniform":
        bound = scale
        top = float(reference.abs().max())
        assert top <= bound * (1 + 1e-6)
        assert top >= 0.99 * bound


@pytest.mark.parametrize(("name", "value"), [c for c in _cases() if INIT_SCHEMES[c[0]].family
                                             in ("normal", "uniform", "orthogonal")])
def test_our_scaled_base_matches_torch_nn_init(name: str, value: float) -> None:
    """What the pass multiplies with (base * scale) is distributed as torch's own draw."""
    scheme = INIT_SCHEMES[name]
    ours = draw_base(scheme.family, FAN_IN, FAN_OUT, _gen(99), torch.device("cpu")) * scheme.scale(
        value, FAN_IN, FAN_OUT)
    reference = _torch_reference(name, value)
    assert ours.shape == (FAN_IN, FAN_OUT)
    assert _var(ours) == pytest.approx(_var(reference), rel=REL)
    if scheme.family == "uniform":
        bound = scheme.scale(value, FAN_IN, FAN_OUT)
        assert float(ours.abs().max()) <= bound * (1 + 1e-6)
        assert float(ours.abs().max()) >= 0.99 * bound
        assert float(reference.abs().max()) == pytest.approx(float(ours.abs().max()), rel=0.01)
    if scheme.family == "orthogonal":
        # every orthogonal draw has the same singular values: all equal to the gain
        s_ours = torch.linalg.svdvals(ours.double())
        s_ref = torch.linalg.svdvals(reference.double())
        assert torch.allclose(s_ours, torch.full_like(s_ours, value), rtol=1e-5)
        assert torch.allclose(s_ref, s_ours, rtol=1e-5)


@pytest.mark.parametrize("name", [n for n, s in INIT_SCHEMES.items() if s.family not in ("constant",)])
def test_first_layer_of_the_pass_has_the_implied_variance(name: str) -> None:
    """x ~ N(0, 1) through the pass's layer 1: Var(z) = width * Var(w) for every scheme."""
    scheme = INIT_SCHEMES[name]
    width = 512
    spec = NetworkSpec(depth=1, width=width, batch=64, activation="tanh", init=name, std=0.2)
    result = run_pass(spec, device="cpu", cache=WeightCache())
    implied = scheme.weight_variance(spec.knob_value, width, width)
    measured = result.layers[0].preactivation_std
    if implied == 0.0:
        assert measured == 0.0
    else:
        assert measured == pytest.approx(math.sqrt(width * implied), rel=0.05)


@pytest.mark.parametrize("family", ["normal", "uniform", "orthogonal"])
@pytest.mark.parametrize(("fan_in", "fan_out"), [(64, 64), (96, 32), (32, 96)])
def test_draw_base_shape_and_family(family: str, fan_in: int, fan_out: int) -> None:
    base = draw_base(family, fan_in, fan_out, _gen(5), torch.device("cpu"))
    assert base.shape == (fan_in, fan_out)
    assert base.dtype == torch.float32
    assert torch.isfinite(base).all()
    again = draw_base(family, fan_in, fan_out, _gen(5), torch.device("cpu"))
    assert torch.equal(base, again), "same generator seed must give the same base"
    other = draw_base(family, fan_in, fan_out, _gen(6), torch.device("cpu"))
    assert not torch.equal(base, other)
    if family == "uniform":
        assert float(base.abs().max()) <= 1.0
        assert float(base.abs().max()) > 0.95
    if family == "normal":
        assert _var(base) == pytest.approx(1.0, rel=0.15)


def test_draw_base_matches_torch_layout() -> None:
    """The base is torch's (out, in) weight transposed: x @ base == F.linear(x, weight)."""
    base = draw_base("normal", 48, 16, _gen(3), torch.device("cpu"))
    weight = torch.nn.init.normal_(torch.empty(16, 48), generator=_gen(3))
    assert torch.equal(base, weight.t())
    x = torch.randn(5, 48)
    assert torch.allclose(x @ base, torch.nn.functional.linear(x, weight), atol=1e-5)


@pytest.mark.parametrize("size", [64, 256])
def test_orthogonal_base_is_orthogonal_square(size: int) -> None:
    w = draw_base("orthogonal", size, size, _gen(11), torch.device("cpu")).double()
    eye = torch.eye(size, dtype=torch.float64)
    assert torch.allclose(w.T @ w, eye, atol=1e-5)
    assert torch.allclose(w @ w.T, eye, atol=1e-5)


def test_orthogonal_base_non_square_has_orthonormal_short_side() -> None:
    # (fan_in, fan_out) = (96, 32): the 32 columns are orthonormal, W^T W = I_32
    tall = draw_base("orthogonal", 96, 32, _gen(12), torch.device("cpu")).double()
    assert torch.allclose(tall.T @ tall, torch.eye(32, dtype=torch.float64), atol=1e-5)
    # (32, 96): the 32 rows are orthonormal, W W^T = I_32
    wide = draw_base("orthogonal", 32, 96, _gen(12), torch.device("cpu")).double()
    assert torch.allclose(wide @ wide.T, torch.eye(32, dtype=torch.float64), atol=1e-5)


@pytest.mark.parametrize("family", ["zeros", "constant"])
def test_draw_base_refuses_families_without_a_base(family: str) -> None:
    with pytest.raises(ValueError, match=family):
        draw_base(family, 4, 4, _gen(), torch.device("cpu"))  # type: ignore[arg-type]
