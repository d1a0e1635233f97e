"""LandscapeExplorer: the trained digits net's own loss landscape, with the optimizers' paths on it.

A change trains what it needs (runs are cached by their training settings), then draws the slice
coarse to fine: the 11 x 11 picture first, refined while the student looks. The status line says
what is being computed; the next change abandons it at its next check point. A change of the view
alone redraws the cached study.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from trainlab.compute.cancel import CancelToken
from trainlab.compute.landscape.study import (
    BATCH_CHOICES,
    GRIDS,
    LR_SCALE_RANGE,
    NORM_CHOICES,
    SPAN_RANGE,
    Landscape,
    LandscapeCache,
    Line,
    landscape_levels,
    line_between,
)
from trainlab.compute.optim.registry import OPTIMIZERS, TRAINABLE
from trainlab.figures.landscape import drawn_paths, interpolation_figure, landscape_figure, landscape_figure_3d
from trainlab.presets import LANDSCAPE_PRESETS
from trainlab.ui.kit.controls import Control, dropdown, int_box, log_slider, wrap
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.landscape_settings import LINE_VIEW, VIEWS, LandscapeModel, LandscapeView

# One for every explorer in the kernel: a second explorer (or a re-run cell) with the same runs
# trains nothing again, and the kernel keeps at most CACHED_RUNS runs' weight paths in all.
SHARED_CACHE = LandscapeCache()
DIRECTION_CHOICES = [("filter-normalized random", "filter"), ("raw random", "random"),
                     ("PCA of the first run's path", "pca")]


def landscape_figure_of(landscape: Landscape, view: str) -> dict[str, Any]:
    """The figure of a study in the view chosen."""
    paths, words = drawn_paths(landscape), landscape.spec.directions_label
    if view == "3-D":
        return landscape_figure_3d(landscape.slice, paths, words)
    return landscape_figure(landscape.slice, paths, words, landscape.explained)


class LandscapeExplorer(LabWidget[LandscapeView]):
    """The loss-landscape explorer. LandscapeExplorer(preset="SGD vs Adam paths"), or any
    LandscapeSpec field: LandscapeExplorer(runs="sgd,adam", directions="pca", width=64, steps=200)."""

    css_class = "trainlab-landscape"

    def __init__(self, *, preset: str | None = None, controls: Iterable[str] | None = None,
                 locked: Iterable[str] | None = None, compact: bool = False, **settings: Any) -> None:
        embedding = Embedding.of(controls, locked, compact)
        model = LandscapeModel()
        start = model.defaults()
        self.result: Landscape | None = None  # the study drawn (its finest level so far)
        self.line: Line | None = None  # the line between the first two runs, once the line view was drawn
        self._cache = SHARED_CACHE
        self._seconds: float | None = None
        self.directions = dropdown("directions", DIRECTION_CHOICES, start.spec.directions, "300px")
        self.grid = dropdown("grid", list(GRIDS), start.spec.grid, "130px")
        self.span = log_slider("span ±", start.spec.span, SPAN_RANGE, "260px", ".3g", 0.01)
        self.norm = dropdown("normalization", list(NORM_CHOICES), start.spec.norm, "190px")
        self.batch = dropdown("batch", list(BATCH_CHOICES), start.spec.batch, "130px")
        self.steps = int_box("training steps", start.spec.steps, "190px")
        self.lr_scale = log_slider("learning rate ×", start.spec.lr_scale, LR_SCALE_RANGE, "300px", ".3g", 0.01)
        self.lr_scale.tooltip = "every run's learning rate as a multiple of its optimizer's default for training"
        self.view = widgets.ToggleButtons(options=list(VIEWS), value=start.view, style={"button_width": "80px"},
                                          tooltips=[("the slice's contours, the paths on it, and each path's "
                                                     "true loss against the map's"), "the slice as a surface in 3-D",
                                                    "the loss along the straight line from the first run's trained "
                                                    "weights to the second's"])
        self.checks = {name: widgets.Checkbox(description=OPTIMIZERS[name].label, value=name in start.spec.runs,
                                              indent=False, layout=widgets.Layout(width="auto", margin="0 14px 0 0"))
                       for name in TRAINABLE}
        controls_map = {"directions": Control(self.directions), "grid": Control(self.grid), "span": Control(self.span),
                        "norm": Control(self.norm), "batch": Control(self.batch), "steps": Control(self.steps),
                        "lr_scale": Control(self.lr_scale),
                        "view": Control(self.view), **{f"{n}.on": Control(c) for n, c in self.checks.items()}}
        presets = [LabPreset(p.label, p.settings, p.lesson) for p in LANDSCAPE_PRESETS.values()]
        super().__init__(model=model, controls=controls_map, presets=presets, preset=preset, settings=settings,
                         embedding=embedding)
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        runs = wrap([widgets.HTML("<b>runs</b> (the first is the slice's centre):"), *self.checks.values()])
        self._layout({"preset": self.preset, "view": self.view, "directions": self.directions, "grid": self.grid,
                      "span": self.span, "norm": self.norm, "batch": self.batch, "steps": self.steps, "lr_scale": self.lr_scale, "runs": runs,
                      "link": self.share},
                     [wrap([self.preset, self.view, self.share]), wrap([self.directions, self.grid, self.span]),
                      wrap([self.norm, self.batch, self.steps, self.lr_scale]), runs],
                     [self.plot], [plotly_bootstrap()])

    # -- public ------------------------------------------------------------------------------
    @property
    def spec(self) -> Any:
        """The LandscapeSpec in use."""
        return self.settings.spec

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        view = self.settings
        job = Job(view.spec.describe(), lambda cancel: self._compute(view, job, cancel), self._draw)
        self._run(job)

    def _line(self) -> list[tuple[str, str]]:
        if self.result is None and self.line is None:
            return [("trainlab-drawn", "no landscape yet")]
        if self.settings.view == LINE_VIEW and self.line is not None:
            drawn = f"{self.line.start} to {self.line.end}: the loss along the straight line between their weights"
        elif self.result is not None:
            spec, piece = self.result.spec, self.result.slice
            runs = ", ".join(p.label for p in self.result.paths)
            drawn = f"{runs}: a {piece.size} x {piece.size} slice along {spec.directions_label} directions"
        else:
            return [("trainlab-drawn", "no landscape yet")]
        parts = [("trainlab-drawn", drawn)]
        if self._seconds is not None:
            parts.append(("trainlab-ms", f"computed in {self._seconds:.1f} s"))
        return parts

    # -- worker thread: the study level by level; main thread: draw ----------------------------
    def _compute(self, view: LandscapeView, job: Job,
                 cancel: CancelToken) -> tuple[Landscape | Line, dict[str, Any], float]:
        started = time.perf_counter()

        def say(words: str, done: float) -> None:
            # Only while this job is the one under way: a phase handed over late must not bring
            # the spinner back after the job was drawn (or overtaken).
            if self._latest is job and not cancel.cancelled:
                self.status.set_busy(words, done)

        def phase(words: str, done: float) -> None:
            self._main.call(lambda: say(words, done), key="phase")

        if view.view == LINE_VIEW:
            phase("the loss along the line between the first two runs", 0.0)
            line = line_between(view.spec, self._cache, cancel)
            figure = interpolation_figure(line.t, line.loss, line.accuracy, line.start, line.end)
            return line, figure, time.perf_counter() - started
        last = None
        for landscape in landscape_levels(view.spec, self._cache, cancel, phase):
            last = landscape
            if not landscape.finished:  # a coarse level: drawn at once, the figures stay marked busy
                figure = landscape_figure_of(landscape, view.view)
                self._main.call(lambda l=landscape, f=figure: None if cancel.cancelled else self._show(l, f),
                                key="level")
        assert last is not None
        return last, landscape_figure_of(last, view.view), time.perf_counter() - started

    def _show(self, landscape: Landscape, figure: dict[str, Any]) -> None:
        self.result = landscape
        self.plot.show(figure)
        self._show_status()

    def _draw(self, computed: tuple[Landscape | Line, dict[str, Any], float]) -> None:
        shown, figure, seconds = computed
        self._seconds = seconds
        if isinstance(shown, Line):
            self.line = shown
            self.plot.show(figure)
            self._show_status()
            between = ("never rises above the higher end: no barrier" if shown.barrier <= 0 else
                       f"rises up to {shown.barrier:.3g} above the higher end: a barrier")
            self._notes["result"] = [("info", f"Between the two solutions (0 ≤ t ≤ 1) the loss {between}.")]
            return
        landscape = shown
        self._show(landscape, figure)
        notes = []
        if landscape.rise is not None:
            radius, rise = landscape.rise
            notes.append(("info", (f"Sharpness: within ±{radius:g} of the centre along both directions, the loss "
                                   f"rises by {rise:.2f} on average (from {landscape.centre_loss:.3g} at the "
                                   "centre).")))
        if landscape.explained is not None:
            first, second = landscape.explained
            notes.append(("info", (f"The PCA directions explain {first:.0%} and {second:.0%} of the variance of "
                                   f"{landscape.paths[0].label}'s path.")))
        self._notes["result"] = notes
