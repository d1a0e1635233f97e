"""Lab 01, activation functions: every checkable sentence against what the gallery computes and
draws. The lab's own cell builds the gallery; its question is answered and every lecture case
chosen from the menu; the seeds 0, 1 and 2 get a gallery each where the lab says "for each"."""

from __future__ import annotations

import math

import pytest

from tests.labs.labkit import SEEDS, answer, choose_case, move, notices, run_cell, runs, says, trained
from trainlab import ActivationGallery
from trainlab.compute.net.activation_curves import CurveSpec, curve
from trainlab.presets import GALLERY_PRESETS
from trainlab.presets.train import SPEED_LOSS, mean_share, steps_below

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


# -- not zero-centred ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zero_centred():
    """The lab's demo for each seed: steps to converge and same-sign share, by side."""
    out = {}
    for seed in SEEDS:
        demo = run_cell(LAB, 1)["demo"]
        try:
            move(demo, seed=seed)
            assert demo.wait(120)
            out[seed] = {"steps": dict(demo.steps_to_converge), "same sign": dict(demo.same_sign_share),
                         "preset": demo.preset.value, "notices": notices(demo)}
        finally:
            demo.close()
    return out


def test_positive_inputs_move_both_weights_one_way_and_centred_ones_arrive_sooner(zero_centred):
    says(LAB, "on the left every step moves both weights the same way, and the centred inputs reach the target in "
              "fewer steps, for each of the seeds 0, 1 and 2")
    for seed, shown in zero_centred.items():
        assert shown["preset"] == "sigmoid outputs vs centred: zig-zag", seed
        assert shown["same sign"]["positive"] == 1.0, seed
        assert shown["same sign"]["centred"] < 0.9, seed
        positive, centred = shown["steps"]["positive"], shown["steps"]["centred"]
        assert centred is not None and (positive is None or centred < positive), (seed, shown["steps"])


# -- dead ReLUs and ReLU against tanh ---------------------------------------------------------------
DEAD, SPEED = "dead ReLUs: too large a learning rate", "ReLU vs tanh: how much faster?"


@pytest.fixture(scope="module")
def trained_cases():
    """For each seed, the lab's dashboard: its lecture case trained, then the speed case from the menu."""
    out = {}
    for seed in SEEDS:
        dash = run_cell(LAB, 2)["dash"]
        try:
            move(dash, seed=seed)
            trained(dash)
            out[seed, DEAD] = {"runs": runs(dash), "notices": notices(dash), "figure": dash.dead_units.figure,
                               "shown": dash.dead_units.layout.display}
            dash.preset.value = SPEED
            trained(dash)
            out[seed, SPEED] = {"runs": runs(dash), "notices": notices(dash)}
        finally:
            dash.close()
    return out


def test_a_large_learning_rate_kills_relus_and_a_small_one_does_not(trained_cases):
    says(LAB, "At lr 0.01 about a third or more of the ReLU units end dead; at lr 0.001 under a tenth do.")
    says(LAB, "Leaky ReLU and ELU units end up negative on every image about as often, but they are not dead")
    says(LAB, "The first layer has no dead units")
    for seed in SEEDS:
        shown = trained_cases[seed, DEAD]
        relu, leaky, elu, slow = shown["runs"]
        assert [r.config.network.activation for r in (relu, leaky, elu, slow)] == ["relu", "leaky_relu", "elu", "relu"]
        share = {name: mean_share(r.negative_units[-1]) for name, r in
                 (("relu", relu), ("leaky", leaky), ("elu", elu), ("slow", slow))}
        assert share["relu"] >= 0.3 and share["slow"] < 0.1, (seed, share)
        for name in ("leaky", "elu"):
            assert 0.5 <= share[name] / share["relu"] <= 2, (seed, share)
        assert all(r.negative_units[-1][0] == 0 for r in (relu, leaky, elu, slow)), seed
        # The plot under the curves shows it: every ReLU-family run's share, as the note states it.
        assert shown["shown"] is None
        drawn = {t["name"]: t["y"][-1] for t in shown["figure"]["data"] if t.get("xaxis") == "x2"}
        assert list(drawn.values()) == pytest.approx(list(share.values()), abs=1e-4)
        assert f"{share['relu']:.0%} of the hidden units dead" in shown["notices"]


def test_relu_reaches_the_loss_two_to_three_and_a_half_times_as_fast_as_tanh(trained_cases):
    says(LAB, "Here ReLU gets there two to three and a half times as fast as tanh, for each of the seeds 0, 1 and 2")
    for seed in SEEDS:
        shown = trained_cases[seed, SPEED]
        relu, tanh = shown["runs"][-2:]
        assert (relu.config.network.activation, tanh.config.network.activation) == ("relu", "tanh")
        fast, slow = steps_below(relu, SPEED_LOSS), steps_below(tanh, SPEED_LOSS)
        assert fast is not None and slow is not None, seed
        assert 2 <= slow / fast <= 3.5, (seed, fast, slow)
        assert f"relu got there {slow / fast:.1f} times as fast as tanh" in shown["notices"]
    says(LAB, f"the steps until the training\nloss first falls below {SPEED_LOSS}")


# -- SELU at depth 50 -----------------------------------------------------------------------------
DEPTH_CASES = ("depth 50: SELU, LeCun normal", "depth 50: ReLU, Kaiming", "depth 50: tanh, Xavier")


@pytest.fixture(scope="module")
def deep():
    out = {}
    for seed in SEEDS:
        explorer = run_cell(LAB, 3)["explorer"]
        try:
            move(explorer, seed=seed)
            for label in DEPTH_CASES:
                out[seed, label] = choose_case(explorer, label)
        finally:
            explorer.close()
    return out


def test_selu_stays_normalized_over_fifty_layers_and_the_others_do_not(deep):
    says(LAB, "every one of the fifty layers has an activation std between\n0.9 and 1.1 and a mean within 0.05 of 0")
    says(LAB, "the std also holds\n(between 0.6 and 1.1 in every layer), but every layer's mean is above 0.4")
    says(LAB, "the std falls from about 0.6 in layer 1 to about 0.1\nin layer 50. This holds for each of the seeds 0, 1 and 2.")
    for seed in SEEDS:
        selu, relu, tanh = (deep[seed, label] for label in DEPTH_CASES)
        assert len(selu.layers) == 50 and selu.result.spec.width == 1024
        assert all(0.9 <= layer.std <= 1.1 and abs(layer.mean) < 0.05 for layer in selu.layers), seed
        assert all(0.6 <= layer.std <= 1.1 and layer.mean > 0.4 for layer in relu.layers), seed
        assert tanh.layers[0].std == pytest.approx(0.6, abs=0.06) and tanh.layers[-1].std == pytest.approx(0.1, abs=0.02)
        for label, shot_ in zip(DEPTH_CASES, (selu, relu, tanh)):
            assert f"{shot_.layers[-1].std:.2f} at layer 50" in shot_.notices, (seed, label)
