"""The activation gallery's settings as the widget holds them: the curve (activation, leaky slope,
ELU alpha), the deep net whose pre-activations are drawn under it (a NetworkSpec, its activation
following the curve's when the network has it) and the layer shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainlab.compute.errors import SpecError
from trainlab.compute.net.activation_curves import GALLERY, CurveSpec
from trainlab.compute.net.spec import NetworkSpec
from trainlab.ui.kit.state import Parser, parse_choice, parse_float, parse_int
from trainlab.ui.network_controls import network_control_values, network_flat, network_parsers

CURVE_FIELDS = ("activation", "slope", "alpha")
NETWORK_FIELDS = ("init", "std", "gain", "depth", "width", "batch", "seed")  # what the gallery lets one change
DEFAULT_NETWORK = NetworkSpec(activation="tanh", init="normal", std=0.05, depth=6, width=4096)  # the explorer's net


@dataclass(frozen=True)
class GallerySettings:
    curve: CurveSpec = field(default_factory=CurveSpec)
    network: NetworkSpec = DEFAULT_NETWORK
    layer: int = 3


class GalleryModel:
    """The settings model (see kit/lab_widget.py) of the activation gallery."""

    def defaults(self) -> GallerySettings:
        return GallerySettings()

    def parsers(self) -> dict[str, Parser]:
        net = network_parsers()
        return {"activation": parse_choice(list(GALLERY)), "slope": parse_float, "alpha": parse_float,
                "layer": parse_int, **{name: net[name] for name in NETWORK_FIELDS}}

    def flat(self, settings: GallerySettings) -> dict[str, Any]:
        net = {k: v for k, v in network_flat(settings.network).items() if k in NETWORK_FIELDS}
        return {**dataclasses.asdict(settings.curve), **net, "layer": settings.layer}

    def control_values(self, settings: GallerySettings) -> dict[str, Any]:
        net = {k: v for k, v in network_control_values(settings.network).items() if k in NETWORK_FIELDS}
        return {**dataclasses.asdict(settings.curve), **net, "layer": settings.layer}

    def apply(self, settings: GallerySettings, changes: Mapping[str, Any]) -> GallerySettings:
        unknown = sorted(set(changes) - {*CURVE_FIELDS, *NETWORK_FIELDS, "layer"})
        if unknown:
            raise SpecError(unknown[0], "is not a setting of the activation gallery")
        curve = dataclasses.replace(settings.curve, **{k: v for k, v in changes.items() if k in CURVE_FIELDS})
        curve = curve.validate()
        net_changes = {k: v for k, v in changes.items() if k in NETWORK_FIELDS}
        if curve.in_network:
            net_changes["activation"] = curve.activation
        network = settings.network.with_settings(**net_changes).validate() if net_changes else settings.network
        # A shallower net moves the layer shown into it; a layer asked for must be in it.
        layer = changes.get("layer", min(settings.layer, network.depth))
        if not isinstance(layer, int) or isinstance(layer, bool) or not 1 <= layer <= network.depth:
            raise SpecError("layer", f"must be a layer of the network, 1 to {network.depth}, not {layer!r}")
        return GallerySettings(curve, network, layer)
