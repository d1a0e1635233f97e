"""The controls for a NetworkSpec's settings and how they read and change one: shared by every lab
that runs the deep net (the explorer, the training dashboard)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.net.init_schemes import INIT_SCHEMES
from trainlab.compute.net.spec import (BN_MODES, GAIN_RANGE, NORM_PLACES, NORMS, STD_RANGE, WIDTH_RANGE,
                                       NetworkSpec)
from trainlab.ui.kit.controls import Control, dropdown, int_box, log_slider, wrap
from trainlab.ui.kit.state import Parser, parse_bool, parse_choice, parse_float, parse_int

# 64 .. the largest width; the memory check refuses what will not fit.
WIDTHS = [2**p for p in range(6, WIDTH_RANGE[1].bit_length())]


def network_parsers() -> dict[str, Parser]:
    return {"activation": parse_choice(list(ACTIVATIONS)), "init": parse_choice(list(INIT_SCHEMES)),
            "std": parse_float, "gain": parse_float, "norm": parse_choice(NORMS),
            "norm_place": parse_choice(NORM_PLACES), "bn_mode": parse_choice(BN_MODES), "groups": parse_int,
            "batch": parse_int, "depth": parse_int, "width": parse_int, "seed": parse_int, "bias": parse_bool}


def network_flat(spec: NetworkSpec) -> dict[str, Any]:
    """The network's settings in use: the std only for a std-driven init, the gain only when one
    was given for a gain-driven init (else it is the scheme's own)."""
    values = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    if spec.scheme.knob != "std":
        del values["std"]
    if spec.scheme.knob != "gain" or spec.gain is None:
        del values["gain"]
    return values


def network_control_values(spec: NetworkSpec) -> dict[str, Any]:
    """What each network control shows: the gain slider shows the scheme's gain when none was given."""
    values = network_flat(spec)
    if spec.scheme.knob == "gain":
        values["gain"] = spec.knob_value
    return values


class NetworkModel:
    """The settings model (see kit/lab_widget.py) of a widget whose settings are a NetworkSpec."""

    def __init__(self, defaults: NetworkSpec = NetworkSpec()) -> None:
        self._defaults = defaults

    def defaults(self) -> NetworkSpec:
        return self._defaults

    def flat(self, spec: NetworkSpec) -> dict[str, Any]:
        return network_flat(spec)

    def apply(self, spec: NetworkSpec, changes: Mapping[str, Any]) -> NetworkSpec:
        return spec.with_settings(**changes).validate()

    def parsers(self) -> dict[str, Parser]:
        return network_parsers()

    def control_values(self, spec: NetworkSpec) -> dict[str, Any]:
        return network_control_values(spec)


def _width_shown(dropdown_widget: widgets.Dropdown) -> Any:
    """A width a link or script gives that is not a power of two joins the dropdown's choices."""
    def to_widget(width: int) -> int:
        if width not in dropdown_widget.options:
            dropdown_widget.options = sorted({*dropdown_widget.options, width})
        return width
    return to_widget


def network_controls(spec: NetworkSpec, network_of: Callable[[Any], NetworkSpec] = lambda s: s) -> dict[str, Control]:
    """One control per NetworkSpec field, showing `spec`; `network_of` finds the NetworkSpec in
    the widget's settings (a TrainConfig holds one)."""
    width = dropdown("width", sorted({*WIDTHS, spec.width}), spec.width)
    norm_place = widgets.ToggleButtons(options=list(NORM_PLACES), value=spec.norm_place,
                                       tooltips=["normalize before the activation", "normalize after the activation"],
                                       style={"button_width": "64px"})
    gain = spec.knob_value if spec.scheme.knob == "gain" else 1.0
    return {
        "init": Control(dropdown("init", list(INIT_SCHEMES), spec.init)),
        "std": Control(log_slider("std", spec.std, STD_RANGE, "330px"),
                       shown=lambda s: network_of(s).scheme.knob == "std"),
        "gain": Control(log_slider("gain", gain, GAIN_RANGE, "330px"),
                        shown=lambda s: network_of(s).scheme.knob == "gain"),
        "activation": Control(dropdown("activation", list(ACTIVATIONS), spec.activation)),
        "norm": Control(dropdown("norm", NORMS, spec.norm)),
        "norm_place": Control(norm_place, shown=lambda s: network_of(s).norm != "none"),
        "bn_mode": Control(dropdown("BN statistics", BN_MODES, spec.bn_mode),
                           shown=lambda s: network_of(s).norm == "batch"),
        "groups": Control(int_box("groups", spec.groups), shown=lambda s: network_of(s).norm == "group"),
        "batch": Control(int_box("batch", spec.batch)),
        "depth": Control(int_box("depth", spec.depth)),
        "width": Control(width, to_widget=_width_shown(width)),
        "seed": Control(int_box("seed", spec.seed)),
        "bias": Control(widgets.Checkbox(description="bias 0.01", value=spec.bias, indent=False,
                                         layout=widgets.Layout(width="120px"))),
    }


def network_rows(controls: Mapping[str, Control]) -> list[widgets.Widget]:
    """The network controls in two wrapping rows: the init and normalization, then the size."""
    c = {name: control.widget for name, control in controls.items()}
    return [wrap([c["init"], c["std"], c["gain"], c["activation"], c["norm"], c["norm_place"], c["bn_mode"],
                  c["groups"]]),
            wrap([c["batch"], c["depth"], c["width"], c["seed"], c["bias"]])]

