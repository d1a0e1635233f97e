"""ActivationGallery: an activation function and its derivative, the flat regions where learning
stalls, and under them the pre-activations of a layer of the real deep net: which part of f the
network actually uses, and how much of it falls where f' is nearly zero."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from trainlab.compute.cancel import CancelToken
from trainlab.compute.devices import pick_device, ui_friendly_threads
from trainlab.compute.net.activation_curves import ALPHA_RANGE, GALLERY, SLOPE_RANGE, Curve, curve
from trainlab.compute.net.budget import LIVE_SECONDS
from trainlab.compute.net.network_pass import PassMemo, run_pass
from trainlab.compute.net.results import Histogram
from trainlab.figures.activation_gallery import gallery_figure
from trainlab.presets import GALLERY_PRESETS
from trainlab.ui.gallery_settings import NETWORK_FIELDS, GalleryModel, GallerySettings
from trainlab.ui.init_explorer import describe_device
from trainlab.ui.kit.controls import Control, dropdown, int_box, slider, wrap
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget, close_parts
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.network_controls import network_controls


class ActivationGallery(LabWidget[GallerySettings]):
    """ActivationGallery(activation="tanh", init="normal", std=0.05, layer=3), or a lecture case:
    ActivationGallery(preset="tanh, std 0.05: saturated")."""

    css_class = "trainlab-gallery"

    def __init__(self, *, preset: str | None = None, controls: Iterable[str] | None = None,
                 locked: Iterable[str] | None = None, compact: bool = False, device: str = "auto",
                 **settings: Any) -> None:
        embedding = Embedding.of(controls, locked, compact)
        model = GalleryModel()
        start = model.defaults()
        self.device = pick_device(device)
        self._memo = PassMemo()
        self.curve: Curve | None = None  # the curve drawn
        self.flat_share: float | None = None  # the share of the layer's pre-activations in flat regions
        self.histogram: Histogram | None = None  # the layer's pre-activations drawn under f
        net = network_controls(start.network, network_of=lambda s: s.network)
        for name in set(net) - set(NETWORK_FIELDS):  # the activation follows the curve; no norms here
            close_parts(net[name].widget)
            net[name].widget.close()
        self.activation = dropdown("activation", list(GALLERY), start.curve.activation)
        self.slope = slider("leaky slope", start.curve.slope, SLOPE_RANGE, 0.01, "260px", ".2f")
        self.alpha = slider("ELU α", start.curve.alpha, ALPHA_RANGE, 0.05, "240px", ".2f")
        self.layer = int_box("layer", start.layer, "140px")
        controls_map = {
            "activation": Control(self.activation), "layer": Control(self.layer),
            "slope": Control(self.slope, shown=lambda s: s.curve.activation == "leaky_relu"),
            "alpha": Control(self.alpha, shown=lambda s: s.curve.activation == "elu"),
            **{name: net[name] for name in NETWORK_FIELDS},
        }
        presets = [LabPreset(p.label, p.settings, p.lesson) for p in GALLERY_PRESETS.values()]
        super().__init__(model=model, controls=controls_map, presets=presets, preset=preset, settings=settings,
                         embedding=embedding)
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        c = {name: control.widget for name, control in controls_map.items()}
        self._layout({"preset": self.preset, **c, "link": self.share},
                     [wrap([self.preset, self.share]), wrap([c["activation"], c["slope"], c["alpha"], c["layer"]]),
                      wrap([c["init"], c["std"], c["gain"], c["depth"], c["width"], c["batch"], c["seed"]])],
                     [self.plot], [plotly_bootstrap()])

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        settings = self.settings
        what = settings.curve.activation
        if settings.curve.in_network:
            what += f" and layer {settings.layer} of {settings.network.describe()}"
        job = Job(what, lambda cancel: self._compute(settings, cancel), self._draw)
        self._run(job)

    def _line(self) -> list[tuple[str, str]]:
        parts = [("trainlab-device", f"device {describe_device(self.device)}")]
        if self.curve is None:
            return parts + [("trainlab-drawn", "nothing drawn yet")]
        settings = self.settings
        drawn = settings.curve.activation
        if self.flat_share is not None:
            drawn += (f" · layer {settings.layer} of {settings.network.describe()}: {100 * self.flat_share:.0f} % of its "
                      "pre-activations where f is flat")
        return parts + [("trainlab-drawn", drawn)]

    # -- worker thread: the curve and the pass; main thread: draw -----------------------------
    def _compute(self, settings: GallerySettings, cancel: CancelToken) -> tuple[Curve, Histogram | None]:
        shape = curve(settings.curve)
        if not settings.curve.in_network:
            return shape, None
        result = run_pass(settings.network, device=str(self.device), cancel=cancel, time_limit=LIVE_SECONDS,
                          memo=self._memo, threads=ui_friendly_threads(self.device))  # as the explorer's
        return shape, result.layers[settings.layer - 1].preactivation_hist

    def _draw(self, computed: tuple[Curve, Histogram | None]) -> None:
        shape, hist = computed
        settings = self.settings
        self.curve, self.histogram = shape, hist
        self.flat_share = shape.flat_share(hist) if hist is not None else None
        self.plot.show(gallery_figure(shape, hist, settings.layer))
        notes = []
        if hist is None:
            notes.append(("info", f"The explorer's network has no {settings.curve.activation}: only its curve is "
                                  "drawn, with no layer's pre-activations under it."))
        self._notes["result"] = notes
        self._show_status()
