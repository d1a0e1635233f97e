"""Lab 01, activation functions: every checkable sentence against what the gallery computes and
draws. The lab's own cell builds the gallery; its question is answered and every lecture case
chosen from the menu; the seeds 0, 1 and 2 get a gallery each where the lab says "for each"."""

from __future__ import annotations

import math

import pytest

from tests.labs.labkit import SEEDS, answer, notices, run_cell, says
from trainlab import ActivationGallery
from trainlab.compute.net.activation_curves import CurveSpec, curve
from trainlab.presets import GALLERY_PRESETS

LAB = "01_activation_functions"
SATURATED, XAVIER = "tanh, std 0.05: saturated", "tanh, Xavier: the linear middle"
RELU, SOFTPLUS, MAXOUT = "ReLU, Kaiming: half flat", "softplus: a smooth ReLU", "maxout: never flat"


def _shown(gallery):
    """What the gallery drew: its flat share, layer 3's pre-activation std, notices and figure."""
    assert gallery.wait(300)
    result = gallery._memo.get((gallery.settings.network.resolved(), str(gallery.device), 60))
    std = result.layers[gallery.settings.layer - 1].preactivation_std if result is not None else None
    return {"share": gallery.flat_share, "std": std, "notices": notices(gallery), "curve": gallery.curve,
            "figure": gallery.plot.figure, "settings": gallery.settings}


@pytest.fixture(scope="module")
def shown():
    cell = run_cell(LAB)
    gallery, question = cell["gallery"], cell["question"]
    out = {"start": _shown(gallery), "preset": gallery.preset.value}
    try:
        out["explanation"] = " ".join(question.explanation.split())
        answer(question)
        out["revealed"] = (gallery.preset.value, _shown(gallery))
        for label in GALLERY_PRESETS:
            gallery.preset.value = label
            out[label] = _shown(gallery)
    finally:
        gallery.close()
    return out


@pytest.fixture(scope="module")
def saturated_by_seed(shown):
    """The saturated case's flat share for each seed (seed 0 is the lab's own gallery)."""
    out = {0: shown[SATURATED]["share"]}
    for seed in SEEDS[1:]:
        gallery = ActivationGallery(preset=SATURATED, seed=seed)
        try:
            out[seed] = _shown(gallery)["share"]
        finally:
            gallery.close()
    return out


def test_the_gallery_runs_the_explorers_network(shown):
    says(LAB, "six\nlayers of 4096 units, a batch of 16 random inputs")
    net = shown["start"]["settings"].network
    assert (net.depth, net.width, net.batch) == (6, 4096, 16)
    assert shown["preset"] == SATURATED and shown["start"]["settings"].layer == 3
    says(LAB, "its derivative\n$f'$ (right, computed by `torch.autograd`)")
    says(LAB, "where $|f'|$ is under\n1 % of its largest value")
    c = shown["start"]["curve"]
    assert c.threshold == pytest.approx(0.01 * float(c.df.abs().max()))


def test_the_sigmoid_and_tanh_sentences(shown):
    says(LAB, "The sigmoid's derivative is at most 0.25, at $x = 0$")
    sigmoid = curve(CurveSpec("sigmoid"))
    peak = int(sigmoid.df.argmax())
    assert float(sigmoid.df.max()) == pytest.approx(0.25, abs=1e-6) and float(sigmoid.x[peak]) == pytest.approx(0)
    says(LAB, "tanh is zero-centred and four times as steep at 0")
    tanh = curve(CurveSpec("tanh"))
    assert float(tanh.df.max()) == pytest.approx(4 * float(sigmoid.df.max()))
    says(LAB, "its derivative is under 1 % of its peak beyond $|x| \\approx 3$")
    (left, _), (right, _) = tanh.flat_intervals()[0], tanh.flat_intervals()[1]
    assert tanh.flat_intervals()[0][1] == pytest.approx(-3, abs=0.02) and right == pytest.approx(3, abs=0.02)


def test_weights_a_little_too_large_saturate_a_third_of_a_tanh_layer(shown, saturated_by_seed):
    says(LAB, "weights a little too large push\nabout 30 % of layer 3's pre-activations into the flat regions, for each "
              "of the seeds 0, 1 and 2")
    for seed, share in saturated_by_seed.items():
        assert 0.25 <= share <= 0.35, (seed, share)
    title = shown[SATURATED]["figure"]["layout"]["title"]["text"]
    assert f"{100 * shown[SATURATED]['share']:.0f} % of layer 3's pre-activations fall where f is flat" in title
    lesson = GALLERY_PRESETS[SATURATED].lesson
    assert "have a std of about 2.7, and about 30 % of them fall where tanh is flat (|x| beyond 3" in lesson
    assert 2.5 <= shown[SATURATED]["std"] <= 2.9
    assert "f' is under 1 % of its peak" in lesson


def test_xavier_keeps_tanh_in_its_steep_middle(shown):
    label, revealed = shown["revealed"]
    assert label == XAVIER
    assert shown["explanation"].startswith("Xavier's std, 1/√4096, keeps layer 3's pre-activations at a std of "
                                           "about 0.5, inside tanh's steep middle.")
    assert 0.45 <= revealed["std"] <= 0.55 and revealed["share"] < 0.01
    assert revealed["settings"].network.init == "xavier_normal"
    assert "a std of about 0.5, and under 1 % of them reach a flat region" in GALLERY_PRESETS[XAVIER].lesson


def test_relu_is_flat_for_half_its_inputs(shown):
    says(LAB, "with Kaiming's initialization about half of layer 3's pre-activations are negative")
    relu = shown[RELU]
    assert relu["settings"].network.init == "kaiming_normal" and relu["settings"].network.activation == "relu"
    assert 0.45 <= relu["share"] <= 0.55
    assert relu["curve"].flat_intervals() == [(-6.0, pytest.approx(0.0, abs=1e-9))], "the negative side, only it"


def test_leaky_relu_elu_and_the_others(shown):
    says(LAB, "(0.01 here; move the slider). At 0.01 the slope is\nexactly 1 % of the peak, so nothing is shaded; at "
              "slope 0 it is ReLU again, flat for every\nnegative input")
    assert curve(CurveSpec("leaky_relu")).flat_intervals() == []
    assert curve(CurveSpec("leaky_relu", slope=0.0)).flat_intervals() == [(-6.0, pytest.approx(0.0, abs=1e-9))]
    says(LAB, "*ELU* (with $\\alpha = 1$) bends smoothly to $-1$ and is flat only below about $-4.6$")
    elu = curve(CurveSpec("elu"))
    assert float(elu.f[0]) == pytest.approx(-1, abs=0.003)
    assert elu.flat_intervals() == [(-6.0, pytest.approx(math.log(0.01), abs=0.011))]
    says(LAB, "*GELU* and *SiLU* are smooth, slightly non-monotone versions of ReLU")
    for name in ("gelu", "silu"):
        c = curve(CurveSpec(name))
        assert float(c.f.min()) < 0 and float(c.df.min()) < 0, name  # a dip below zero: not monotone


def test_softplus_and_maxout(shown):
    says(LAB, "*softplus*, a ReLU with a rounded\ncorner, and *maxout*, the larger of two linear functions, which is never "
              "flat but needs twice the\nweights")
    soft = shown[SOFTPLUS]
    assert soft["share"] is None and "The explorer's network has no softplus" in soft["notices"]
    (start, end), = soft["curve"].flat_intervals()
    assert end == pytest.approx(-4.6, abs=0.02)
    assert "flat only far left, below about -4.6" in GALLERY_PRESETS[SOFTPLUS].lesson
    sigmoid = curve(CurveSpec("sigmoid"))
    assert soft["curve"].df == pytest.approx(sigmoid.f, abs=1e-9), "its derivative is the sigmoid"
    assert shown[MAXOUT]["curve"].flat_intervals() == []
    assert sorted({round(float(v), 6) for v in shown[MAXOUT]["curve"].df}) == [-0.25, 1.0]


def test_every_lecture_case_shows_its_lesson(shown):
    for label, preset in GALLERY_PRESETS.items():
        assert preset.lesson in shown[label]["notices"], label
