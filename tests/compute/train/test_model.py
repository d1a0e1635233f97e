"""The trainable deep net: init as the spec says, dropout as the lecture says."""

from __future__ import annotations

import math

import pytest
import torch

from trainlab.compute.train.model import READOUT_STD, DeepNet, negative_share
from trainlab.compute.net.spec import NetworkSpec


@pytest.mark.parametrize("init, expected_std", [
    ("normal", lambda fan_in, fan_out: 0.05),
    ("xavier_normal", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    ("kaiming_normal", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ("lecun_normal", lambda fan_in, fan_out: math.sqrt(1 / fan_in)),
    ("xavier_uniform", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
])
def test_weights_follow_the_init_scheme_with_each_layers_fans(init, expected_std):
    spec = NetworkSpec(width=512, depth=3, init=init, std=0.05)
    net = DeepNet(spec, features=64, classes=10)
    for weight in net.layer_weights():
        fan_out, fan_in = weight.shape
        assert float(weight.detach().std()) == pytest.approx(expected_std(fan_in, fan_out), rel=0.03)
    assert float(net.readout.weight.detach().std()) == pytest.approx(READOUT_STD / math.sqrt(512), rel=0.05)


def test_zero_and_orthogonal_init_and_the_bias():
    zeros = DeepNet(NetworkSpec(width=64, depth=2, init="zeros", bias=True), 8, 3)
    assert all(float(w.detach().abs().max()) == 0 for w in zeros.layer_weights())
    assert all(torch.all(h.linear.bias == 0.01) for h in zeros.hidden)
    ortho = DeepNet(NetworkSpec(width=64, depth=2, init="orthogonal", gain=1.0), 64, 3)
    w = ortho.layer_weights()[1]
    assert torch.allclose(w @ w.T, torch.eye(64), atol=1e-5)


def test_same_seed_same_network():
    a = DeepNet(NetworkSpec(width=64, depth=3, seed=4), 8, 3)
    b = DeepNet(NetworkSpec(width=64, depth=3, seed=4), 8, 3)
    c = DeepNet(NetworkSpec(width=64, depth=3, seed=5), 8, 3)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layer_weights()[0], c.layer_weights()[0])


def test_dropout_is_identity_in_eval_mode_and_keeps_the_expectation_in_train_mode():
    net = DeepNet(NetworkSpec(width=256, depth=1, activation="relu", init="kaiming_normal"), 16, 4, dropout=0.5)
    layer = net.hidden[0]
    x = torch.randn(1, 16)
    layer.eval()
    out, activations, _ = layer(x)
    assert torch.equal(out, activations)
    layer.train()
    torch.manual_seed(0)
    with torch.no_grad():
        outs = torch.stack([layer(x)[0] for _ in range(4000)])
        _, clean, _ = layer(x)
    # Inverted dropout: kept units are divided by the keep probability 0.5, so on average over
    # masks the output equals the undropped activations; about half are zero in each mask.
    assert torch.allclose(outs.mean(0), clean, atol=0.06 * float(clean.abs().max()))
    kept = (outs != 0).float().mean()
    assert float(kept) == pytest.approx(0.5 * float((clean != 0).float().mean()), abs=0.02)
    nonzero = outs[outs != 0]
    assert torch.allclose(nonzero, (clean.expand_as(outs) * 2)[outs != 0])


@pytest.mark.parametrize("norm, place", [("batch", "before"), ("layer", "after"), ("group", "before")])
def test_normalization_layers_are_torchs_and_placed_as_asked(norm, place):
    spec = NetworkSpec(width=64, depth=2, norm=norm, norm_place=place, groups=8)
    net = DeepNet(spec, 8, 3)
    module = net.hidden[0].norm
    expected = {"batch": torch.nn.BatchNorm1d, "layer": torch.nn.LayerNorm, "group": torch.nn.GroupNorm}[norm]
    assert isinstance(module, expected)
    net.train()
    with torch.no_grad():
        _, activations = net.forward_traced(torch.randn(32, 8) * 5 + 3)
    if place == "after":  # LayerNorm after the activation: each sample's outputs have mean 0, std 1
        a = activations[0]
        assert torch.allclose(a.mean(-1), torch.zeros(32), atol=1e-4)
    else:  # normalized before tanh: about zero-mean inputs, so about zero-mean outputs
        assert abs(float(activations[0].mean())) < 0.1


def test_negative_share_counts_units_negative_on_every_row():
    pre = torch.tensor([[-1.0, 2.0, -3.0, 0.0], [-2.0, -1.0, 5.0, 0.0], [-0.5, -4.0, -1.0, 0.0]])
    # Unit 0 is negative on every row, unit 3 is 0 on every row (ReLU: 0 out, no gradient): both dead.
    assert negative_share([pre, pre[:, :2]]).tolist() == [0.5, 0.5]


def test_trace_gives_the_pre_activations_the_activation_was_applied_to():
    net = DeepNet(NetworkSpec(width=32, depth=2, activation="relu", init="kaiming_normal"), 8, 3)
    x = torch.randn(5, 8)
    logits, activations, preactivations = net.trace(x)
    assert torch.equal(logits, net(x))
    for f, a in zip(activations, preactivations):
        assert torch.equal(f, torch.relu(a))
