"""InitExplorer: turn an initialization or normalization knob, watch the deep net re-run.

The widget turns its controls into a NetworkSpec, asks the compute layer for a pass on a
worker thread (latest request wins), and draws the small summaries it gets back: per-layer
histograms of activations and gradients, std per layer against theory, a table and a status
line. Play runs one batched sweep over the init knob and animates it in the browser.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch

from trainlab.compute import NetworkSpec, SpecError, pick_device, run_pass, run_sweep
from trainlab.compute.net.spec import SWEEP_RANGES
from trainlab.presets import INIT_PRESETS
from trainlab.figures import explorer as figures
from trainlab.ui.kit.embedding import Embedding
from trainlab.ui.explorer_report import layer_table, notices_for, status_html
from trainlab.ui.kit.hold import Hold
from trainlab.ui.kit.worker import LatestWins
from trainlab.ui.network_controls import NetworkControls
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.share_link import ShareLink, Shareable, clamped
from trainlab.ui.kit.state import Parser, parse_choice, parser_like, short_state

log = logging.getLogger(__name__)
CUSTOM = "custom"
TABLE_CSS = (
    "<style>.trainlab-table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}"
    ".trainlab-table td,.trainlab-table th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}"
    ".trainlab-table th{color:#555;font-weight:600}.trainlab-status-line{font-size:13px;color:#333}</style>"
)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def _settle(spec: NetworkSpec) -> tuple[NetworkSpec, list[str]]:
    """The spec with every invalid field reset to its default, and what was reset and why."""
    defaults = NetworkSpec()
    problems = []
    for _ in dataclasses.fields(spec):
        try:
            spec.validate()
            break
        except SpecError as error:
            problems.append(f"{error}; using {getattr(defaults, error.field, None)!r} instead")
            field = error.field if error.field in {f.name for f in dataclasses.fields(spec)} else None
            spec = spec.replace(**{field: getattr(defaults, field)}) if field else defaults
    return spec, problems


def _same_network(a: NetworkSpec, b: NetworkSpec) -> bool:
    """Equal but for the rounding a log slider applies to the std or gain (well under 3 %)."""
    a, b = a.resolved(), b.resolved()
    close = math.isclose(a.knob_value, b.knob_value, rel_tol=0.03)
    return close and a.replace(std=b.std, gain=b.gain) == b


def _lesson(preset: str) -> str:
    return f"{preset}: {INIT_PRESETS[preset].lesson}"


class InitExplorer(Shareable, widgets.VBox):
    """The initialization & normalization explorer.

    InitExplorer(activation="relu", init="xavier_normal") starts from those settings; any
    NetworkSpec field can be given, or a whole `spec`, or a lecture `preset` (see
    trainlab.presets.INIT_PRESETS), which explicit settings then override.
    """

    def __init__(self, spec: NetworkSpec | None = None, *, preset: str | None = None, device: str = "auto",
                 sweep_points: int = 16, controls: Iterable[str] | None = None, locked: Iterable[str] | None = None,
                 compact: bool = False, **settings: Any) -> None:
        unknown = set(settings) - {f.name for f in dataclasses.fields(NetworkSpec)}
        if unknown:
            raise TypeError(f"InitExplorer got unknown settings: {', '.join(sorted(unknown))}")
        if preset is not None and preset not in INIT_PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(INIT_PRESETS)}")
        spec = spec or NetworkSpec()
        if preset is not None:
            spec = spec.replace(**INIT_PRESETS[preset].settings)
        spec, problems = _settle(spec.replace(**settings))

        self.device = pick_device(device)
        self.sweep_points = sweep_points
        self.result = None  # the last PassResult drawn
        self._hold = Hold()
        self.controls = NetworkControls(spec)
        self.preset = widgets.Dropdown(description="lecture case", options=[CUSTOM, *INIT_PRESETS],
                                       value=preset or CUSTOM, style={"description_width": "initial"})
        self.play = widgets.Button(description="▶ sweep", tooltip="run the whole sweep in one batched pass and "
                                   "animate it", button_style="primary", layout=widgets.Layout(width="140px"))
        self.status = widgets.HTML()
        self._embedding = embedding = Embedding.of(controls, locked, compact)
        self.histograms = PlotlyView(text_scale=embedding.text_scale, height=430 if compact else None)
        self.std_plot = PlotlyView(text_scale=embedding.text_scale, height=230 if compact else None)
        self.table = widgets.HTML()
        self.share = ShareLink()
        # Notices by source: what the user typed, the chosen lecture case, the drawn result.
        self._input_notes: list[tuple[str, str]] = [("error", p) for p in problems]
        self._lesson: list[tuple[str, str]] = [("info", _lesson(preset))] if preset else []
        self._result_notes: list[tuple[str, str]] = []
        self._worker: LatestWins[tuple[str, NetworkSpec]] = LatestWins(self._run, self._failed)

        self.controls.observe(self._controls_changed)
        self.preset.observe(self._preset_chosen, "value")
        self.play.on_click(lambda _button: self.sweep())
        self._update_play_label()
        embedding.arrange({**self.controls.fields, "preset": self.preset, "sweep": self.play, "link": self.share})
        top = widgets.HBox([self.preset, self.play, self.share], layout=widgets.Layout(flex_flow="row wrap"))
        figures = ([self.histograms, self.std_plot] if compact else
                   [self.histograms,
                    widgets.HBox([widgets.Box([self.std_plot], layout=widgets.Layout(flex="1 1 50%")),
                                  widgets.Box([self.table], layout=widgets.Layout(flex="1 1 50%", overflow="auto"))])])
        super().__init__([widgets.HTML(TABLE_CSS),
                          *embedding.layout([top, *self.controls.rows(), self.status], figures, [plotly_bootstrap()])],
                         layout=widgets.Layout(width="100%"))
        self.add_class("trainlab-explorer")
        embedding.style(self)
        self._state_changed()
        self._show_status()
        self._worker.submit(("pass", spec))

    # -- public ------------------------------------------------------------------------------
    @property
    def spec(self) -> NetworkSpec:
        return self.controls.spec()

    def set(self, **settings: Any) -> None:
        """Change several settings at once, with a single re-run."""
        self._apply(self.spec.replace(**settings))

    def state(self) -> dict[str, Any]:
        """The settings that differ from the defaults (and the lecture case, if one is shown)."""
        spec = self.controls.spec()
        values = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
        for knob in ("std", "gain"):
            if spec.scheme.knob != knob:
                values.pop(knob)
        if spec.scheme.knob == "gain" and math.isclose(spec.gain, spec.scheme.default_gain, rel_tol=1e-3):
            values.pop("gain")  # the scheme's own gain: the link need not say it
        state = short_state(values, {f.name: f.default for f in dataclasses.fields(NetworkSpec)})
        return {"preset": self.preset.value, **state} if self.preset.value != CUSTOM else state

    def state_schema(self) -> dict[str, Parser]:
        return {"preset": parse_choice([CUSTOM, *INIT_PRESETS]),
                **{f.name: parser_like(f.default) for f in dataclasses.fields(NetworkSpec)}}

    def _apply_settings(self, settings: dict[str, Any]) -> list[str]:
        preset = settings.pop("preset", CUSTOM)
        spec = self.spec
        if preset != CUSTOM:
            spec = spec.replace(**INIT_PRESETS[preset].settings)
        spec, problems = _settle(spec.replace(**settings))
        with self._hold():
            self.preset.value = preset
        self._lesson = [("info", _lesson(preset))] if preset != CUSTOM else []
        self._apply(spec)
        # A valid std or gain can still be outside its slider's range: say what the slider shows.
        shown = spec.resolved()
        return problems + [message for key in settings if key in self.controls.fields
                           and (key not in ("std", "gain") or shown.scheme.knob == key)
                           and (message := clamped(key, self.controls.fields[key], getattr(shown, key)))]

    def _refresh_status(self) -> None:
        self._show_status()

    def sweep(self) -> None:
        """Run the batched sweep over the init knob and animate it in the browser."""
        spec = self._valid_spec()
        if spec is not None and spec.scheme.knob != "none":
            self._show_status(busy=True)
            self._worker.submit(("sweep", spec))

    def sweep_values(self, spec: NetworkSpec) -> list[float]:
        lo, hi = SWEEP_RANGES[spec.scheme.knob]
        return [float(v) for v in np.geomspace(lo, hi, self.sweep_points)]

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until every requested pass has been drawn (for scripts and tests)."""
        return self._worker.wait_idle(timeout)

    # -- reacting to the user ----------------------------------------------------------------
    def _valid_spec(self) -> NetworkSpec | None:
        try:
            return self.controls.spec().validate()
        except SpecError as error:
            self._input_notes = [("error", f"{error}. The figure still shows the last valid setting.")]
            self._show_status()
            return None

    def _controls_changed(self) -> None:
        if self._hold.active:
            return
        self._update_play_label()
        if self.preset.value != CUSTOM and not _same_network(self.controls.spec(), self._preset_spec()):
            with self._hold():
                self.preset.value = CUSTOM
            self._lesson = []
        self._state_changed()
        spec = self._valid_spec()
        if spec is not None:
            self._input_notes = []
            self._worker.submit(("pass", spec))

    def _preset_spec(self) -> NetworkSpec:
        return self.spec.replace(**INIT_PRESETS[self.preset.value].settings).resolved()

    def _preset_chosen(self, change: dict) -> None:
        if self._hold.active or change["new"] == CUSTOM:
            return
        self._lesson = [("info", _lesson(change["new"]))]
        self._apply(self.spec.replace(**INIT_PRESETS[change["new"]].settings))

    def _apply(self, spec: NetworkSpec) -> None:
        with self._hold():
            self.controls.set_spec(spec)
        self._controls_changed()

    def _update_play_label(self) -> None:
        knob = self.controls.spec().scheme.knob
        self.play.disabled = knob == "none" or "sweep" in self._embedding.locked
        self.play.description = f"▶ sweep {knob if knob != 'none' else 'std'}"

    # -- worker thread -----------------------------------------------------------------------
    def _run(self, request: tuple[str, NetworkSpec]) -> None:
        kind, spec = request
        device = str(self.device)
        if kind == "pass":
            result = run_pass(spec, device=device)
            self._draw(result)
            return
        results = run_sweep(spec, self.sweep_values(spec), device=device)
        knob = spec.scheme.knob
        self.histograms.show(figures.sweep_figure(results, knob))
        self.histograms.animate(frame={"duration": 450, "redraw": True},
                                transition={"duration": 300, "easing": "cubic-in-out"}, mode="immediate")
        self._result_notes = [("info", f"Sweep of {len(results)} {knob} values from {results[0].spec.knob_value:.3g} to "
                                  f"{results[-1].spec.knob_value:.3g} in one batched pass of {results[0].ms:.0f} ms. "
                                  "Drag the slider under the plot to scrub; change any control to leave the sweep.")]
        self._show_status()

    def _draw(self, result: Any) -> None:
        self._result_notes = notices_for(result)
        self.result = result
        self.histograms.show(figures.histogram_figure(result))
        self.std_plot.show(figures.std_figure(result))
        self.table.value = layer_table(result)
        self._show_status()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, SpecError):
            text = f"{error}. The figure still shows the last valid setting."
        else:
            log.exception("trainlab explorer pass failed", exc_info=error)
            text = f"The pass failed ({type(error).__name__}: {error}). The figure still shows the last valid setting."
        self._input_notes = [("error", text)]
        self._show_status()

    def _show_status(self, busy: bool = False) -> None:
        notes = self._link_notes + self._input_notes + self._lesson + self._result_notes
        self.status.value = status_html(describe_device(self.device), self.result, notes, busy)
