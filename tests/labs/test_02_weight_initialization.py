"""Lab 02, weight initialization: every checkable sentence against what the explorer draws.

The lab's own cell builds the explorer; for seeds 0, 1 and 2 the student's seed box is moved,
the lab's question answered, every lecture case chosen from the menu and the variations the text
asks for made with the controls. One explorer per seed, shared by every test of the module.
"""

from __future__ import annotations

import math

import pytest

from tests.labs.labkit import (SEEDS, answer, choose_case, grads, move, ratio_per_layer, run_cell, says, shot, stds,
                               weight_grads)

LAB = "02_weight_initialization"
CASES = ("tanh, std 0.01", "tanh, std 0.05", "tanh, Xavier", "ReLU, Xavier", "ReLU, Kaiming", "zero init (symmetry)")


@pytest.fixture(scope="module")
def shots():
    """{(seed, what): Shot} for every state the lab sends a student to, and the sweep (seed 0)."""
    out = {}
    for seed in SEEDS:
        cell = run_cell(LAB)
        explorer, question = cell["explorer"], cell["question"]
        try:
            out[seed, "opened"] = shot(explorer)
            move(explorer, seed=seed)
            out[seed, "start"] = shot(explorer)
            out["explanation"] = " ".join(question.explanation.split())
            answer(question)
            out[seed, "revealed"] = shot(explorer)
            out[seed, "revealed preset"] = explorer.preset.value
            for label in CASES:
                out[seed, label] = choose_case(explorer, label)
                if label == "tanh, std 0.01":
                    move(explorer, depth=12)
                    out[seed, "std 0.01, depth 12"] = shot(explorer)
                    move(explorer, depth=6)
                elif label == "tanh, std 0.05":
                    move(explorer, std=0.3)
                    out[seed, "std 0.3"] = shot(explorer)
                elif label == "zero init (symmetry)":
                    move(explorer, activation="tanh")
                    out[seed, "zeros, tanh"] = shot(explorer)
            move(explorer, activation="relu", init="normal")
            move(explorer, std=1.0)
            out[seed, "ReLU, std 1.0"] = shot(explorer)
            move(explorer, activation="selu", init="lecun_normal")
            out[seed, "SELU, lecun_normal"] = shot(explorer)
            if seed == 0:
                explorer.preset.value = "tanh, std 0.01"
                shot(explorer)
                explorer.sweep()
                assert explorer.wait(600)
                out[seed, "sweep"] = explorer.swept
        finally:
            explorer.close()
    return out


def test_the_network_the_lab_describes(shots):
    says(LAB, "six hidden layers, each 4096 units wide, fed a batch of 16 inputs drawn from N(0, 1)")
    spec = shots[0, "opened"].result.spec
    assert (spec.depth, spec.width, spec.batch, spec.activation, spec.init, spec.std) == (6, 4096, 16, "tanh", "normal", 0.01)
    says(LAB, "The explorer starts with tanh and `W ~ N(0, 0.01²)`")
    says(LAB, "a table with one row per layer")
    table = shots[0, "opened"].table
    for column in ("mean", "std", "theory std", "saturated", "dead", "dL/dh std", "dL/dW std"):
        assert f"<th>{column}</th>" in table
    says(LAB, "Each lecture case also writes its key numbers, as drawn, in a note under the controls.")
    assert "As drawn:" in shots[0, "opened"].notices


@pytest.mark.parametrize("seed", SEEDS)
def test_std_001_activations_fall_geometrically(shots, seed):
    says(LAB, "its std is `sqrt(4096) · 0.01 · 1 = 0.64`, and tanh bends that a little, to about 0.49")
    says(LAB, "about 0.49, 0.29, 0.18, 0.11, 0.07, 0.05")
    case = shots[seed, "tanh, std 0.01"]
    assert case.layers[0].preactivation_std == pytest.approx(0.64, rel=0.02)
    assert [round(s, 2) for s in stds(case)] == [0.49, 0.29, 0.18, 0.11, 0.07, 0.05]
    assert shots[seed, "start"].result.spec == case.result.spec  # the lab opens on this case


@pytest.mark.parametrize("seed", SEEDS)
def test_std_001_gradients(shots, seed):
    case, xavier = shots[seed, "tanh, std 0.01"], shots[seed, "tanh, Xavier"]
    says(LAB, "it is largest at layer 6 and about ten times smaller at layer 1.")
    g = grads(case)
    assert g == sorted(g) and 7 < g[-1] / g[0] < 14
    says(LAB, "the `dL/dW` column reads about the same in every layer")
    w = weight_grads(case)
    assert max(w) / min(w) < 1.1
    says(LAB, "every layer's weight gradient is about a quarter of what Xavier initialization gives (case 3)")
    assert all(0.18 < a / b < 0.3 for a, b in zip(w, weight_grads(xavier)))
    says(LAB, "Set *depth* to 12: every `dL/dW` shrinks by another factor of about `0.64⁶ ≈ 1/15`")
    deep = weight_grads(shots[seed, "std 0.01, depth 12"])
    assert len(deep) == 12 and max(deep) / min(deep) < 1.1
    assert 11 < min(w) / max(deep) and max(w) / min(deep) < 19
    caption = case.notices
    assert f"{min(w):.1e}" in caption and f"{max(w):.1e}" in caption and "shrinks" in caption


@pytest.mark.parametrize("seed", SEEDS)
def test_question_reveals_saturation(shots, seed):
    says(LAB, "they are pushed against -1 and +1: tanh saturates")
    assert "the saturated column shows about a third of the units beyond ±0.99 in every layer" in shots["explanation"]
    assert shots[seed, "revealed preset"] == "tanh, std 0.05"
    revealed = shots[seed, "revealed"]
    assert revealed.result.spec.std == 0.05 and revealed.result.spec.activation == "tanh"
    assert all(0.3 < layer.saturated_fraction < 0.45 for layer in revealed.layers)
    assert [f"{100 * layer.saturated_fraction:.0f}%" for layer in revealed.layers] == revealed.column("saturated")
    # "the histograms pile up at both ends": the outermost bins hold the most values.
    xs, ys = revealed.histogram(6)
    ends = [y for x, y in zip(xs, ys) if abs(x) > 0.95]
    middle = [y for x, y in zip(xs, ys) if abs(x) < 0.5]
    assert min(ends) > 3 * max(middle)


@pytest.mark.parametrize("seed", SEEDS)
def test_std_005_saturation_numbers(shots, seed):
    case = shots[seed, "tanh, std 0.05"]
    says("index", "Why std 0.01 makes a deep tanh net's signal fade and 0.05 drives a third of its units into "
                  "saturation")
    says(LAB, "the pre-activations have a spread of about 3")
    assert all(2.5 < layer.preactivation_std < 3.4 for layer in case.layers)
    says(LAB, "about 40 % in layer 1 and a third in every later layer")
    sat = [layer.saturated_fraction for layer in case.layers]
    assert 0.37 < sat[0] < 0.44 and all(0.3 < s < 0.37 for s in sat[1:])
    says(LAB, "averaged over all the units of a layer it is about 0.3")
    local = [1 - layer.std ** 2 - layer.mean ** 2 for layer in case.layers]
    assert all(0.2 < g < 0.33 for g in local)
    assert f"{local[-1]:.2f}" in case.notices
    # The explorer's own warning (over half the last layer saturated) does not show at 0.05.
    assert "saturated: their local gradient" not in case.notices


@pytest.mark.parametrize("seed", SEEDS)
def test_std_005_gradient_grows_towards_the_input(shots, seed):
    case, xavier = shots[seed, "tanh, std 0.05"], shots[seed, "tanh, Xavier"]
    says(LAB, "It is not strangled: it *grows*, about five times from layer 6 to layer 1")
    g = grads(case)
    assert g == sorted(g, reverse=True) and 4 < g[0] / g[-1] < 7
    says(LAB, "about 1.4 times per layer on balance")
    assert 1 / ratio_per_layer(g) == pytest.approx(1.4, abs=0.1)
    says(LAB, "at layer 1 it is about ten times what Xavier initialization gives")
    assert 8 < g[0] / grads(xavier)[0] < 14
    assert "grows" in case.notices


@pytest.mark.parametrize("seed", SEEDS)
def test_std_03_saturates_nearly_everything_and_warns(shots, seed):
    says(LAB, "Push *std* to 0.3: nearly 90 % of the units saturate (the explorer now warns), and `dL/dh` at "
              "layer 1 is hundreds of times its value at layer 6")
    big = shots[seed, "std 0.3"]
    assert big.result.spec.std == pytest.approx(0.3, rel=0.03)
    assert all(0.85 < layer.saturated_fraction < 0.93 for layer in big.layers)
    assert "of the last layer's units are saturated" in big.notices
    g = grads(big)
    assert 100 < g[0] / g[-1] < 1000


@pytest.mark.parametrize("seed", SEEDS)
def test_xavier_drifts_down_slowly(shots, seed):
    case, small = shots[seed, "tanh, Xavier"], shots[seed, "tanh, std 0.01"]
    says(LAB, "`std = 1/sqrt(Din) = 1/64 ≈ 0.0156`")
    # std 1/64 on inputs of std 1: layer 1's pre-activations have std sqrt(4096) / 64 = 1.
    assert case.layers[0].preactivation_std == pytest.approx(1.0, rel=0.02)
    says(LAB, "the std drifts down slowly, from about 0.63 in layer 1 to about 0.3 in layer 6 (the theory line "
              "drifts with it)")
    s = stds(case)
    assert s == sorted(s, reverse=True) and s[0] == pytest.approx(0.63, abs=0.02) and s[-1] == pytest.approx(0.3, abs=0.02)
    assert [layer.theory_std for layer in case.layers] == pytest.approx(s, rel=0.03)
    says(LAB, "Nothing like the tenfold fall of case 1")
    assert s[0] / s[-1] < 2.5 and stds(small)[0] / stds(small)[-1] > 9
    says(LAB, "The `dL/dW` column is about the same in every layer, about four times case 1's.")
    w = weight_grads(case)
    assert max(w) / min(w) < 1.3
    assert all(3.3 < a / b < 5.5 for a, b in zip(w, weight_grads(small)))


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_xavier_shrinks_by_one_over_root_two(shots, seed):
    case = shots[seed, "ReLU, Xavier"]
    says(LAB, "the std shrinks by `sqrt(1/2) ≈ 0.71` per layer")
    s = stds(case)
    assert s == sorted(s, reverse=True)
    factor = ratio_per_layer(s)
    assert factor == pytest.approx(math.sqrt(0.5), abs=0.02)
    assert f"a factor of {factor:.2f} per layer" in case.notices


@pytest.mark.parametrize("seed", SEEDS)
def test_kaiming_keeps_every_layer_scaled(shots, seed):
    says(LAB, "Every layer is nicely scaled again: the std stays near 0.8 in all six.")
    assert all(0.75 < s < 0.88 for s in stds(shots[seed, "ReLU, Kaiming"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_zero_init(shots, seed):
    case = shots[seed, "zero init (symmetry)"]
    says(LAB, "every pre-activation is 0, and so is every activation")
    assert all(layer.mean == 0 and layer.std == 0 and layer.preactivation_std == 0 for layer in case.layers)
    says(LAB, "every entry of the `dL/dW` column is exactly zero")
    assert all(w == 0 for w in weight_grads(case)) and set(case.column("dL/dW std")) == {"0"}
    says(LAB, "The one number that is not zero is `dL/dh` at layer 6")
    assert [g != 0 for g in grads(case)] == [False] * 5 + [True]
    assert "every layer's dL/dW is exactly zero" in case.notices and "only at layer 6" in case.notices
    says(LAB, "Switch the activation to tanh, whose slope at 0 is 1: every `dL/dW` is still exactly zero")
    tanh = shots[seed, "zeros, tanh"]
    assert tanh.result.spec.activation == "tanh" and tanh.result.spec.init == "zeros"
    assert all(w == 0 for w in weight_grads(tanh))
    assert "nothing breaks the symmetry" in case.notices


@pytest.mark.parametrize("seed", SEEDS)
def test_try_it_yourself(shots, seed):
    says(LAB, "Push ReLU to std 1.0: the activations grow by about 45× per layer.")
    relu = shots[seed, "ReLU, std 1.0"]
    assert (relu.result.spec.activation, relu.result.spec.std) == ("relu", 1.0)
    assert ratio_per_layer(stds(relu)) == pytest.approx(45, rel=0.05)
    says(LAB, "SELU with *lecun_normal* (the self-normalizing pairing of Klambauer et al., 2017: the std stays "
              "near 1 in every layer)")
    selu = shots[seed, "SELU, lecun_normal"]
    assert all(0.9 < s < 1.1 for s in stds(selu)) and all(abs(layer.mean) < 0.1 for layer in selu.layers)


def test_sweep_goes_from_vanishing_to_saturated(shots):
    says(LAB, "watch the histograms morph from vanishing through healthy to saturated or exploding")
    frames = shots[0, "sweep"]
    says("index", "**▶ sweep** runs the network for 16 values of the init knob in one batched pass")
    assert len(frames) == 16
    first, last = frames[0], frames[-1]
    assert first.spec.std == pytest.approx(1e-3) and last.spec.std == pytest.approx(0.3)
    assert first.layers[-1].std < 1e-3
    assert last.layers[-1].saturated_fraction > 0.85


@pytest.mark.parametrize("seed", SEEDS)
def test_theory_line(shots, seed):
    says(LAB, "it wanders around the theory by up to a few percent")
    for label in ("tanh, std 0.01", "tanh, std 0.05", "tanh, Xavier", "ReLU, Xavier", "ReLU, Kaiming"):
        for layer in shots[seed, label].layers:
            assert layer.std == pytest.approx(layer.theory_std, rel=0.05), (label, layer.layer)


def test_the_lecture_cases_lessons_say_the_same():
    """The note each lecture case shows says what the tests above hold."""
    from trainlab.presets import INIT_PRESETS
    lessons = {label: case.lesson for label, case in INIT_PRESETS.items()}
    assert "dL/dW, input times gradient, are equally small in every layer" in lessons["tanh, std 0.01"]
    assert "many units saturate" in lessons["tanh, std 0.05"] and "dL/dh grows on its way back" in lessons["tanh, std 0.05"]
    assert "drift down only slowly" in lessons["tanh, Xavier"]
    assert "shrinks by 1/√2 per layer" in lessons["ReLU, Xavier"]
    assert "every weight gradient dL/dW is exactly zero" in lessons["zero init (symmetry)"]
    assert "the saturation is gone" in lessons["tanh, std 0.05 + BatchNorm"]
