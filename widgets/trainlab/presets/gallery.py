"""The activation gallery's lecture cases: settings by short name and what each shows. The lessons
claim only what the widget's own numbers show (tests/labs checks each one, for seeds 0-2)."""

from __future__ import annotations

from typing import Any

from trainlab.presets.case import Case


# A case sets every control its lesson depends on (cases are put on top of the current settings).
_NET: dict[str, Any] = {"depth": 6, "width": 4096, "batch": 16, "layer": 3}

GALLERY_PRESETS: dict[str, Case] = {
    p.label: p
    for p in (
        Case(
            "tanh, std 0.05: saturated", _NET | {"activation": "tanh", "init": "normal", "std": 0.05},
            "tanh with weights of std 0.05 at 4096 units: layer 3's pre-activations have a std of about 2.7, and "
            "about 30 % of them fall where tanh is flat (|x| beyond 3, shaded). There f' is under 1 % of its peak: "
            "the gradient through those units all but vanishes."),
        Case(
            "tanh, Xavier: the linear middle", _NET | {"activation": "tanh", "init": "xavier_normal"},
            "The same net with Xavier's std, 1/√4096: layer 3's pre-activations have a std of about 0.5, and "
            "under 1 % of them reach a flat region. tanh is used in its steep middle, where f' is near 1."),
        Case(
            "ReLU, Kaiming: half flat", _NET | {"activation": "relu", "init": "kaiming_normal"},
            "ReLU is flat (f' = 0) for every negative input. With Kaiming's init about half of layer 3's "
            "pre-activations are negative, so about half the units pass no gradient for this batch; they are not "
            "dead as long as some other input turns them on."),
        Case(
            "softplus: a smooth ReLU", {"activation": "softplus"},
            "softplus, log(1 + eˣ), is ReLU with the corner rounded off; its derivative is the sigmoid. It is flat "
            "only far left, below about -4.6, where the sigmoid falls under 1 %."),
        Case(
            "maxout: never flat", {"activation": "maxout"},
            "Maxout takes the larger of two linear functions of the input, here max(x, -0.25x). Its slope is 1 or "
            "-0.25, never near 0: it neither saturates nor dies, at the cost of twice the weights per unit."),
    )
}
