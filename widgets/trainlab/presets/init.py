"""The explorer's lecture cases: the initialization and normalization experiments, one click each.

A case names only the settings its lesson is about; depth, width, batch and seed stay as the user
has them. A case whose lesson rests on numbers has a caption that states them from the pass the
explorer has drawn (whatever depth, width or seed it was drawn at), so that what the student reads
in the note is what the table shows.
"""

from __future__ import annotations

import math

from trainlab.compute.net.results import LayerStats, PassResult
from trainlab.presets.case import Case


def _ends(result: PassResult) -> tuple[LayerStats, LayerStats]:
    return result.layers[0], result.layers[-1]


def _change(towards_input: float, towards_output: float) -> str:
    """How a quantity goes on its way back from the last layer to the first."""
    if towards_input > 1.2 * towards_output:
        return "grows"
    if towards_input < towards_output / 1.2:
        return "shrinks"
    return "stays about the same"


def _spread(values: list[float], form: str = ".2g") -> str:
    low, high = format(min(values), form), format(max(values), form)
    return f"about {low}" if low == high else f"{low} to {high}"


def _falls(first: float, last: float) -> str:
    return "falls" if last < first / 1.2 else "rises" if last > 1.2 * first else "stays about the same"


def _grad_way_back(first: LayerStats, last: LayerStats) -> str:
    return (f"on its way back dL/dh {_change(first.grad_std, last.grad_std)}, from {last.grad_std:.1e} at layer "
            f"{last.layer} to {first.grad_std:.1e} at layer {first.layer}")


def _vanishing(result: PassResult) -> str:
    first, last = _ends(result)
    weight_grads = [layer.weight_grad_std for layer in result.layers]
    return (f"As drawn: the activation std {_falls(first.std, last.std)} from {first.std:.2g} (layer {first.layer}) "
            f"to {last.std:.2g} (layer {last.layer}); {_grad_way_back(first, last)}; the weight gradient dL/dW "
            f"has std {_spread(weight_grads, '.1e')} in every layer.")


def _saturating(result: PassResult) -> str:
    first, last = _ends(result)
    # E[1 - tanh²] over the layer's units is 1 - E[h²] = 1 - (std² + mean²).
    local = 1 - (last.std ** 2 + last.mean ** 2)
    return (f"As drawn: {first.saturated_fraction:.0%} of layer {first.layer}'s units and "
            f"{last.saturated_fraction:.0%} of layer {last.layer}'s are saturated (|tanh| > 0.99); the mean local "
            f"gradient 1 − tanh² of layer {last.layer} is {local:.2f} (1 − std² − mean²); "
            f"{_grad_way_back(first, last)}.")


def _steady(result: PassResult) -> str:
    first, last = _ends(result)
    weight_grads = [layer.weight_grad_std for layer in result.layers]
    return (f"As drawn: activation std {first.std:.2g} in layer {first.layer}, {last.std:.2g} in layer "
            f"{last.layer}; dL/dW std {_spread(weight_grads, '.1e')} across the layers.")


def _per_layer_factor(result: PassResult) -> str:
    first, last = _ends(result)
    steps = last.layer - first.layer
    if steps < 1 or not (first.std > 0 and math.isfinite(last.std) and last.std > 0):
        return f"As drawn: activation std {first.std:.2g} in layer {first.layer}, {last.std:.2g} in layer {last.layer}."
    factor = (last.std / first.std) ** (1 / steps)
    return (f"As drawn: the activation std {_falls(first.std, last.std)} from {first.std:.2g} (layer {first.layer}) "
            f"to {last.std:.2g} (layer {last.layer}), a factor of {factor:.2f} per layer (1/√2 ≈ 0.71).")


def _kept(result: PassResult) -> str:
    stds = [layer.std for layer in result.layers]
    return f"As drawn: activation std {_spread(stds)} across the {len(stds)} layers."


def _symmetric(result: PassResult) -> str:
    live = [layer.layer for layer in result.layers if layer.grad_std != 0]
    largest = max(layer.weight_grad_std for layer in result.layers)
    weights = ("every layer's dL/dW is exactly zero" if largest == 0 else
               f"the largest dL/dW std of any layer is {largest:.2g}")
    where = (f"only at layer{'s' if len(live) > 1 else ''} {', '.join(map(str, live))}, where the read-out's own "
             "random weights send the loss's gradient back" if live else "in any layer")
    return f"As drawn: {weights}; dL/dh is not zero {where}."


def _normalized(result: PassResult) -> str:
    worst = max(result.layers, key=lambda layer: layer.saturated_fraction or 0.0)
    return (f"As drawn: at most {worst.saturated_fraction or 0.0:.1%} of a layer's units are saturated "
            f"(layer {worst.layer}); the activation std is {_spread([layer.std for layer in result.layers])}.")


def _through_depth(result: PassResult) -> str:
    layers = result.layers
    picks = sorted({0, len(layers) // 2 - 1, len(layers) - 1})
    stds = ", ".join(f"{layers[i].std:.2f} at layer {layers[i].layer}" for i in picks)
    means = [layer.mean for layer in layers]
    return (f"As drawn: activation std {stds}; the layers' means run from {min(means):.2f} to {max(means):.2f}.")


_PLAIN = {"norm": "none", "norm_place": "before", "bias": False, "gain": None}

INIT_PRESETS: dict[str, Case] = {
    p.label: p
    for p in (
        Case("tanh, std 0.01", {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.01},
               "Activations shrink layer after layer, and the gradient dL/dh shrinks on its way back; the weight "
               "gradients dL/dW, input times gradient, are equally small in every layer.", _vanishing),
        Case("tanh, std 0.05", {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.05},
               "Activations pile up towards -1 and +1: many units saturate, with a local gradient near zero. Yet "
               "the weights are too large, and dL/dh grows on its way back.", _saturating),
        Case("tanh, Xavier", {**_PLAIN, "activation": "tanh", "init": "xavier_normal"},
               "std = 1/sqrt(Din) keeps a linear layer's variance: the activations drift down only slowly "
               "(tanh bends a little), and dL/dW is about the same in every layer.", _steady),
        Case("ReLU, Xavier", {**_PLAIN, "activation": "relu", "init": "xavier_normal"},
               "ReLU cuts half of each layer's second moment: the std shrinks by 1/√2 per layer, towards zero "
               "again.", _per_layer_factor),
        Case("ReLU, Kaiming", {**_PLAIN, "activation": "relu", "init": "kaiming_normal"},
               "std = sqrt(2/Din) makes up for ReLU's halving: every layer nicely scaled.", _kept),
        Case("zero init (symmetry)", {**_PLAIN, "activation": "relu", "init": "zeros"},
               "Every unit computes the same value (0), and every weight gradient dL/dW is exactly zero: nothing "
               "breaks the symmetry.", _symmetric),
        Case("tanh, std 0.05 + BatchNorm",
               {**_PLAIN, "activation": "tanh", "init": "normal", "std": 0.05, "norm": "batch",
                "bn_mode": "train"},
               "BatchNorm before tanh re-centres and rescales each layer: the saturation is gone.", _normalized),
        # Width 1024 keeps fifty layers quick on a CPU (the course's advice for this experiment).
        Case("depth 50: SELU, LeCun normal",
               {**_PLAIN, "activation": "selu", "init": "lecun_normal", "depth": 50, "width": 1024},
               "SELU's two constants make mean 0 and variance 1 a fixed point of each layer with LeCun's "
               "init: fifty layers on, the activations still have mean about 0 and std about 1.", _through_depth),
        Case("depth 50: ReLU, Kaiming",
               {**_PLAIN, "activation": "relu", "init": "kaiming_normal", "depth": 50, "width": 1024},
               "Kaiming's init keeps ReLU's second moment: the std holds over fifty layers, but every layer's mean "
               "is positive, since ReLU outputs are never negative.", _through_depth),
        Case("depth 50: tanh, Xavier",
               {**_PLAIN, "activation": "tanh", "init": "xavier_normal", "depth": 50, "width": 1024},
               "tanh bends a little at every layer, and Xavier's init does not make up for it: over fifty layers "
               "the std drifts steadily down.", _through_depth),
    )
}
