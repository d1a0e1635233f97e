"""The control panel for a NetworkSpec: one widget per field, shared by every lab that runs
the deep net. It turns its widgets' values into a spec and a spec back into widget values."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from trainlab.compute import ACTIVATIONS, INIT_SCHEMES, NORMS, NetworkSpec
from trainlab.compute.net.spec import BN_MODES, NORM_PLACES

WIDTHS = [2**p for p in range(6, 17)]  # 64 .. 65536; the memory check refuses what will not fit
_STYLE = {"description_width": "initial"}


def _dropdown(label: str, options: Any, value: Any) -> widgets.Dropdown:
    return widgets.Dropdown(description=label, options=options, value=value, style=_STYLE,
                            layout=widgets.Layout(width="auto"))


def _int_text(label: str, value: int) -> widgets.IntText:
    return widgets.IntText(description=label, value=value, style=_STYLE, layout=widgets.Layout(width="130px"))


class NetworkControls:
    """Widgets for every NetworkSpec field; `fields` maps each field name to its widget."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.fields: dict[str, widgets.ValueWidget] = {
            "activation": _dropdown("activation", list(ACTIVATIONS), spec.activation),
            "init": _dropdown("init", list(INIT_SCHEMES), spec.init),
            "std": widgets.FloatLogSlider(description="std", value=spec.std, base=10, min=-4, max=1, step=0.001,
                                          readout_format=".3g", continuous_update=True, style=_STYLE,
                                          layout=widgets.Layout(width="330px")),
            "gain": widgets.FloatLogSlider(description="gain", value=spec.knob_value if spec.scheme.knob == "gain"
                                           else 1.0, base=10, min=-2, max=1, step=0.001, readout_format=".3g",
                                           continuous_update=True, style=_STYLE, layout=widgets.Layout(width="330px")),
            "norm": _dropdown("norm", list(NORMS), spec.norm),
            "norm_place": widgets.ToggleButtons(options=list(NORM_PLACES), value=spec.norm_place,
                                                tooltips=["normalize before the activation",
                                                          "normalize after the activation"],
                                                style={"button_width": "64px"}),
            "bn_mode": _dropdown("BN statistics", list(BN_MODES), spec.bn_mode),
            "groups": _int_text("groups", spec.groups),
            "batch": _int_text("batch", spec.batch),
            "depth": _int_text("depth", spec.depth),
            "width": _dropdown("width", WIDTHS if spec.width in WIDTHS else sorted({*WIDTHS, spec.width}), spec.width),
            "seed": _int_text("seed", spec.seed),
            "bias": widgets.Checkbox(description="bias 0.01", value=spec.bias, indent=False,
                                    layout=widgets.Layout(width="120px")),
        }
        self.fields["init"].observe(self._init_changed, "value")
        self.fields["norm"].observe(lambda _: self._update_visibility(), "value")
        self._update_visibility()

    def spec(self) -> NetworkSpec:
        """The spec the widgets describe (not validated: NetworkSpec.validate says what is wrong)."""
        values = {name: widget.value for name, widget in self.fields.items()}
        if INIT_SCHEMES[values["init"]].knob != "gain":
            values["gain"] = None
        return NetworkSpec(**values)

    def set_spec(self, spec: NetworkSpec) -> None:
        """Put every field of `spec` into its widget (the caller holds off updates meanwhile)."""
        for field in dataclasses.fields(spec):
            value = getattr(spec, field.name)
            widget = self.fields[field.name]
            if field.name == "gain":
                value = spec.knob_value if spec.scheme.knob == "gain" else widget.value
            if field.name == "width" and value not in widget.options:
                widget.options = sorted({*widget.options, value})
            widget.value = value

    def observe(self, callback: Callable[[], None]) -> None:
        for widget in self.fields.values():
            widget.observe(lambda _change: callback(), "value")

    def _init_changed(self, _change: object) -> None:
        # A scheme driven by a gain starts from its own default (sqrt(2) for Kaiming, else 1).
        scheme = INIT_SCHEMES[self.fields["init"].value]
        if scheme.knob == "gain":
            self.fields["gain"].value = scheme.default_gain
        self._update_visibility()

    def _update_visibility(self) -> None:
        knob = INIT_SCHEMES[self.fields["init"].value].knob
        norm = self.fields["norm"].value
        shown = {
            "std": knob == "std", "gain": knob == "gain",
            "norm_place": norm != "none", "bn_mode": norm == "batch", "groups": norm == "group",
        }
        for name, visible in shown.items():
            self.fields[name].layout.display = None if visible else "none"

    def rows(self) -> list[widgets.Widget]:
        f = self.fields
        wrap = {"layout": widgets.Layout(flex_flow="row wrap", align_items="center")}
        return [
            widgets.HBox([f["init"], f["std"], f["gain"], f["activation"], f["norm"], f["norm_place"],
                          f["bn_mode"], f["groups"]], **wrap),
            widgets.HBox([f["batch"], f["depth"], f["width"], f["seed"], f["bias"]], **wrap),
        ]
