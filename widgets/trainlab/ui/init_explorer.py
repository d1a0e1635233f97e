"""InitExplorer: turn an initialization or normalization knob, watch the deep net re-run.

Each change runs one forward and backward pass on the worker thread and draws its small
summaries: per-layer histograms of activations and gradients, std per layer against theory and
a table. The sweep runs one batched pass over the init knob and animates it in the browser.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch

from trainlab.compute.cancel import CancelToken
from trainlab.compute.devices import cpu_threads, pick_device, ui_friendly_threads
from trainlab.compute.net.budget import LIVE_SECONDS, SWEEP_SECONDS
from trainlab.compute.net.network_pass import PassMemo, first_use, run_pass, run_sweep
from trainlab.compute.net.results import PassResult
from trainlab.compute.net.spec import SWEEP_RANGES, NetworkSpec
from trainlab.figures import explorer as figures
from trainlab.figures.std_per_layer import std_figure
from trainlab.presets import INIT_PRESETS
from trainlab.ui.explorer_forward import forward_figure
from trainlab.ui.explorer_report import TABLE_CSS, layer_table, notices_for
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.network_controls import NetworkModel, network_controls, network_rows


HISTOGRAMS_HEIGHT = 430  # px in the slide layout, the std plot's 230 below it


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        # The passes and training leave the page a core (ui_friendly_threads).
        return f"cpu ({ui_friendly_threads(device)} of {cpu_threads()} cores)"
    return device.type


class InitExplorer(LabWidget[NetworkSpec]):
    """The initialization & normalization explorer.

    InitExplorer(activation="relu", init="xavier_normal") starts from those settings; any
    NetworkSpec field can be given, or a whole `spec`, or a lecture `preset` (see
    trainlab.presets.INIT_PRESETS), which explicit settings then override.
    """

    css_class = "trainlab-explorer"

    def __init__(self, spec: NetworkSpec | None = None, *, preset: str | None = None, device: str = "auto",
                 sweep_points: int = 16, controls: Iterable[str] | None = None, locked: Iterable[str] | None = None,
                 compact: bool = False, **settings: Any) -> None:
        self.device = pick_device(device)
        self.sweep_points = sweep_points
        self.result: PassResult | None = None  # the last pass drawn
        self._drawn: dict | None = None  # its histogram figure, whose gradient row a forward half keeps
        self._memo = PassMemo()  # recent passes: a setting shown a moment ago is a lookup
        self.swept: list[PassResult] | None = None  # the last sweep drawn, while it is shown
        embedding = Embedding.of(controls, locked, compact)
        start = spec or NetworkSpec()
        net = network_controls(start)
        super().__init__(model=NetworkModel(), controls=net, initial=start, preset=preset, settings=settings,
                         embedding=embedding,
                         presets=[LabPreset(p.label, p.settings, p.lesson) for p in INIT_PRESETS.values()])
        self.controls = net
        self.play = widgets.Button(tooltip="run the whole sweep in one batched pass and animate it",
                                   button_style="primary", layout=widgets.Layout(width="140px"))
        self.play.on_click(lambda _button: self.sweep())
        scale = embedding.text_scale
        self._compact = compact
        self.histograms = PlotlyView(text_scale=scale, height=HISTOGRAMS_HEIGHT if compact else None)
        self.std_plot = PlotlyView(text_scale=scale, height=COMPACT_HEIGHT - HISTOGRAMS_HEIGHT if compact else None)
        self.table = widgets.HTML()
        # The std plot and the table show one pass: hidden while a sweep's frames are on screen
        # (the sweep's figure has a std panel of its own, which moves with its slider).
        # Side by side where both fit; on a narrow page (800 px) the table wraps under the plot, at
        # its own width, instead of losing its right columns.
        self._single = (self.std_plot if compact else
                        widgets.HBox([widgets.Box([self.std_plot], layout=widgets.Layout(flex="1 1 420px", min_width="0")),
                                      widgets.Box([self.table], layout=widgets.Layout(flex="0 1 auto", max_width="100%",
                                                                                      overflow="auto"))],
                                     layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")))
        top = widgets.HBox([self.preset, self.play, self.share], layout=widgets.Layout(flex_flow="row wrap"))
        self._layout({**{name: c.widget for name, c in net.items()}, "preset": self.preset, "sweep": self.play,
                      "link": self.share},
                     [widgets.HTML(TABLE_CSS), top, *network_rows(net)],
                     [self.histograms, self._single], [plotly_bootstrap()])

    # -- public ------------------------------------------------------------------------------
    @property
    def spec(self) -> NetworkSpec:
        return self.settings

    def sweep(self) -> None:
        """Run the batched sweep over the init knob and animate it in the browser."""
        spec = self.settings
        if spec.scheme.knob == "none":
            return
        values = self.sweep_values(spec)
        knob = spec.scheme.knob
        label = f"a sweep of {len(values)} {knob} values from {values[0]:.3g} to {values[-1]:.3g} ({spec.describe()})"
        self._run(Job(label, lambda cancel: self._compute_sweep(spec, values, cancel), self._draw_sweep))

    def sweep_values(self, spec: NetworkSpec) -> list[float]:
        lo, hi = SWEEP_RANGES[spec.scheme.knob]
        return [float(v) for v in np.geomspace(lo, hi, self.sweep_points)]

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        spec = self.settings
        knob = spec.scheme.knob
        self.enable("sweep", knob != "none")
        self.play.description = f"▶ sweep {knob if knob != 'none' else 'std'}"
        first = first_use(spec, device=str(self.device))  # e.g. orthogonal's QR factorizations, once per machine
        label = f"{spec.describe()} · {first}" if first else spec.describe()
        self._run(Job(label, lambda cancel: self._compute_pass(spec, cancel), self._draw_pass))

    def _line(self) -> list[tuple[str, str]]:
        parts = [("trainlab-device", f"device {describe_device(self.device)}")]
        if self.result is not None:
            parts += [("trainlab-drawn", self.result.spec.describe()), ("trainlab-ms", f"pass {self.result.ms:.0f} ms")]
        return parts

    # -- worker thread: compute and build the figures; main thread: draw ---------------------
    def _compute_pass(self, spec: NetworkSpec, cancel: CancelToken) -> tuple:
        # The pass leaves the page a core: the browser starts its spinner while the forward half
        # runs and draws that half while the backward half runs. Measured in Chromium on 2 cores,
        # passes alternating between thread counts: the forward half handed over at 132 ms on one
        # thread against 139 ms on two, the whole pass done at 252 ms against 547 ms (BENCHMARKS.md,
        # issue 13 round 7): a team of two threads waits for whichever of them shares its core.
        result = run_pass(spec, device=str(self.device), cancel=cancel, time_limit=LIVE_SECONDS,
                          on_forward=lambda forward: self._forward_done(forward, cancel), memo=self._memo,
                          threads=ui_friendly_threads(self.device))
        return result, figures.histogram_figure(result), std_figure(result), layer_table(result)

    def _forward_done(self, forward: PassResult, cancel: CancelToken) -> None:
        """The activations are there (worker thread): draw them while the backward pass runs."""
        histograms = forward_figure(figures.histogram_figure(forward), self._drawn)
        if histograms is None:  # nothing drawn yet with these panels: wait for the whole pass
            return
        std = std_figure(forward)

        def draw() -> None:
            if not cancel.cancelled:
                self.histograms.show(histograms)
                self.std_plot.show(std)

        self._main.call(draw, key="forward")

    def _draw_pass(self, drawn: tuple) -> None:
        result, histograms, std, table = drawn
        self.result, self.swept, self._drawn = result, None, histograms
        self._fit_histograms(sweep=False)
        self.histograms.show(histograms)
        self.std_plot.show(std)
        self.table.value = table
        self._single.layout.display = None
        self._notes["result"] = self._notes_on(result)

    def _notes_on(self, result: PassResult) -> list[tuple[str, str]]:
        notes = notices_for(result)
        case = INIT_PRESETS.get(self.preset.value)
        if case is not None and case.caption is not None:  # the lecture case's numbers, as drawn
            notes.insert(0, ("info", case.caption(result)))
        return notes

    def _result_notes(self) -> list[tuple[str, str]] | None:
        if self.result is None or self.swept is not None or self.result.spec != self.settings.resolved():
            return None  # a sweep keeps its own notes
        return self._notes_on(self.result)

    def _compute_sweep(self, spec: NetworkSpec, values: list[float], cancel: CancelToken) -> tuple:
        started = time.perf_counter()
        shown: list[PassResult] = []

        def first_frame(part: list[PassResult]) -> None:
            """The sweep's first value, run alone (worker thread): shown while the others run."""
            if shown:
                return
            shown.append(part[0])
            figure = figures.histogram_figure(part[0])
            self._main.call(lambda: None if cancel.cancelled else self.histograms.show(figure), key="forward")

        results = run_sweep(spec, values, device=str(self.device), cancel=cancel, time_limit=SWEEP_SECONDS,
                            on_chunk=first_frame)
        return results, figures.sweep_figure(results, spec.scheme.knob), (time.perf_counter() - started) * 1000

    def _draw_sweep(self, drawn: tuple) -> None:
        results, figure, ms = drawn
        self.swept, self._drawn = results, None
        self._fit_histograms(sweep=True)
        self.histograms.show(figure)
        self.histograms.animate(frame={"duration": 450, "redraw": True}, transition=figures.SWEEP_TRANSITION,
                                mode="immediate")
        self._single.layout.display = "none"
        knob = results[0].spec.scheme.knob
        self._notes["result"] = [("info", f"Sweep of {len(results)} {knob} values from {results[0].spec.knob_value:.3g} "
                                          f"to {results[-1].spec.knob_value:.3g} in {ms:.0f} ms of batched passes. "
                                          f"Each frame shows one {knob}: the panel titles give every layer's mean and "
                                          "std, and the panel under them the std per layer. Drag the slider under the "
                                          "plot to scrub; change any control to leave the sweep.")]

    def _fit_histograms(self, sweep: bool) -> None:
        """In the slide layout the histogram plot has a fixed height; a sweep's figure, with its std
        panel, takes the std plot's place below it too."""
        if self._compact:
            self.histograms.fixed_height = COMPACT_HEIGHT if sweep else HISTOGRAMS_HEIGHT
