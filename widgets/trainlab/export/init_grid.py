"""The initialization explorer as a static export: per-layer histograms of activations and
gradients for every point of a grid of activation x init knob (std or gain).

Each activation's knob values run as batched sweeps (run_sweep); the figure is the explorer's
own animated histogram grid (figures.explorer.animated_grid_figure) with one slider and one
play/pause menu per activation, and buttons that switch activation at the same knob value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np

import trainlab
from trainlab.compute import ACTIVATIONS, NetworkSpec, PassResult, SpecError, pick_device, run_sweep
from trainlab.compute.checks import choice, number_in
from trainlab.compute.net.memory import needed_bytes
from trainlab.compute.net.network_pass import DEFAULT_BINS
from trainlab.compute.net.spec import GAIN_RANGE, STD_RANGE, SWEEP_RANGES
from trainlab.export import size
from trainlab.export.page import ExportPage
from trainlab.figures.animation import animation_controls
from trainlab.figures.explorer import RANGES_NOTE, animated_grid_figure, histogram_parts, short_number, shown_layers

# The explorer's sweep button: its knob ranges, and 16 points (InitExplorer's sweep_points).
DEFAULT_RANGES = SWEEP_RANGES
DEFAULT_POINTS = 16
DEFAULT_ACTIVATIONS = ("tanh", "relu")
KNOB_RANGES = {"std": STD_RANGE, "gain": GAIN_RANGE}
HEIGHT = 620
# Configurations per batched pass: 16 keep a 4096-wide, 6-deep pass near 300 MB; fewer if wider.
SWEEP_CHUNK = 16
CHUNK_BYTES = 1e9
# Measured JSON bytes of a frame's parts: a histogram trace's fixed keys; one of its numbers
# (a bin centre to 6 digits or a fraction to 5, with its comma); a panel title with the layer's
# mean and std; one axis range; the frame's title and keys.
TRACE_BYTES = 270
NUMBER_BYTES = 7.5
ANNOTATION_BYTES = 155
RANGE_BYTES = 55
FRAME_EXTRA_BYTES = 300
# The histogram grid's layout (axes of up to 16 subplots) and the activation-switch script.
LAYOUT_BYTES = 12_000


def log_spaced(lo: float, hi: float, points: int) -> tuple[float, ...]:
    """`points` values from lo to hi, evenly spaced on a log scale."""
    return tuple(float(v) for v in np.geomspace(lo, hi, points))


def value_labels(values: tuple[float, ...]) -> list[str]:
    """Slider labels for the knob values: 3 significant digits, more where two would look alike."""
    for digits in range(3, 10):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(labels):
            return labels
    raise ValueError("repeated knob values")  # InitGrid.validate refuses these first


@dataclass(frozen=True)
class InitGrid:
    """Every grid point's network is `spec` with one of `activations` and one knob value."""

    spec: NetworkSpec
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS
    values: tuple[float, ...] = log_spaced(*DEFAULT_RANGES["std"], DEFAULT_POINTS)

    @property
    def knob(self) -> str:
        return self.spec.scheme.knob

    @property
    def frame_count(self) -> int:
        return len(self.activations) * len(self.values)

    def validate(self) -> InitGrid:
        """Raise SpecError naming the option (activations, stds, gains, or a network field)."""
        if self.knob == "none":
            raise SpecError("init", f"{self.spec.init} has no std or gain to sweep; choose an init driven by one")
        if not self.activations:
            raise SpecError("activations", "needs at least one activation")
        for name in self.activations:
            choice("activations", name, tuple(ACTIVATIONS))
        if len(set(self.activations)) < len(self.activations):
            raise SpecError("activations", f"lists an activation twice: {','.join(self.activations)}")
        option = f"{self.knob}s"
        if not self.values:
            raise SpecError(option, "needs at least one value")
        for value in self.values:
            number_in(option, value, KNOB_RANGES[self.knob])
        if len(set(self.values)) < len(self.values):
            raise SpecError(option, "lists a value twice")
        for name in self.activations:
            self.spec.replace(activation=name).with_knob(self.values[0]).validate()
        return self

    def estimate(self) -> size.SizeEstimate:
        """The exported file's size, from the grid's shape alone (nothing is computed)."""
        columns = len(shown_layers(self.spec.depth))
        traces = 2 * columns
        frame = (size.traces_bytes(traces, traces * 2 * DEFAULT_BINS, TRACE_BYTES, NUMBER_BYTES)
                 + traces * ANNOTATION_BYTES + 2 * traces * RANGE_BYTES + FRAME_EXTRA_BYTES)
        frames = self.frame_count * (frame + size.SLIDER_STEP_BYTES)
        # The figure's own data is its first frame once more.
        return size.SizeEstimate(size.plotlyjs_bytes() + size.PAGE_BYTES + LAYOUT_BYTES + frame, frames)

    @property
    def shape(self) -> str:
        return f"{len(self.activations)} activations x {len(self.values)} {self.knob} values = {self.frame_count} frames"

    @property
    def shrink_hint(self) -> str:
        return f"use fewer {self.knob} values (--points or --{self.knob}s) or activations (--activations)"

    def describe(self) -> str:
        return (f"{len(self.activations)} activations x {len(self.values)} {self.knob} values, "
                f"{self.spec.depth} layers x {self.spec.width} units, batch {self.spec.batch}")


def _chunk(spec: NetworkSpec) -> int:
    """How many configurations one batched pass takes (memory grows with their number)."""
    k = SWEEP_CHUNK
    while k > 1 and needed_bytes(spec, k, 0) > CHUNK_BYTES:
        k //= 2
    return k


def compute(grid: InitGrid, device: str = "auto") -> dict[str, list[PassResult]]:
    """One PassResult per grid point, by activation, in the grid's value order."""
    results: dict[str, list[PassResult]] = {}
    for name in grid.activations:
        spec = grid.spec.replace(activation=name)
        k = _chunk(spec)
        results[name] = [r for i in range(0, len(grid.values), k)
                         for r in run_sweep(spec, grid.values[i:i + k], device=device)]
    return results


def _frame_title(result: PassResult) -> dict:
    last = result.layers[-1]
    text = (f"<b>{result.spec.describe()}</b> · last layer std {short_number(last.std)} · "
            f"loss {short_number(result.loss)}")
    return {"text": text, "x": 0.0, "xanchor": "left", "xref": "paper", "y": 0.985, "yanchor": "top",
            "font": {"size": 14}}


# Switching activation keeps the knob value: show that activation's slider and play menu, and
# jump to its frame at the index last shown. plotly's buttons alone cannot do both.
_SWITCH_JS = """
var gd = document.getElementById('{plot_id}');
var grid = __GRID__;
var shown = 0, index = 0;
gd.on('plotly_animatingframe', function (event) {
  var i = grid.frames[shown].indexOf(event.name);
  if (i >= 0) { index = i; }
});
gd.on('plotly_buttonclicked', function (event) {
  var k = grid.activations.indexOf(event.button.label);
  if (k < 0 || k === shown) { return; }
  var update = {};
  grid.activations.forEach(function (name, j) {
    update['sliders[' + j + '].visible'] = j === k;
    update['updatemenus[' + j + '].visible'] = j === k;
  });
  update['sliders[' + k + '].active'] = index;
  shown = k;
  Plotly.relayout(gd, update).then(function () {
    return Plotly.animate(gd, [grid.frames[k][index]],
      {frame: {duration: 0, redraw: true}, transition: {duration: 0}, mode: 'immediate'});
  });
});
"""


def _controls(grid: InitGrid, names: dict[str, list[str]], labels: list[str]) -> dict:
    """Per activation, a play/pause menu (playing only its frames) and a slider over the knob;
    only the first activation's are visible. Then the activation buttons, if there are several."""
    menus, sliders = [], []
    for k, name in enumerate(grid.activations):
        controls = animation_controls(names[name], f"{name}, {grid.knob} = ")
        menu, slider = controls["updatemenus"][0], controls["sliders"][0]
        for button in menu["buttons"]:
            if button["args"][0] is None:  # play and fast play: this activation's frames, in order
                button["args"][0] = name
        for step, label in zip(slider["steps"], labels):
            step["label"] = label
        menu["visible"] = slider["visible"] = k == 0
        menus.append(menu)
        sliders.append(slider)
    if len(grid.activations) > 1:
        # Top left, under the title: the top right is plotly's mode bar.
        menus.append({"type": "buttons", "direction": "right", "x": 0.0, "xanchor": "left", "y": 1.14,
                      "yanchor": "bottom", "pad": {"t": 6, "r": 4}, "showactive": True,
                      "active": 0, "font": {"size": 13},
                      "buttons": [{"label": name, "method": "skip", "args": [None]} for name in grid.activations]})
    return {"updatemenus": menus, "sliders": sliders}


def _note_to_the_right(annotations: list[dict]) -> None:
    """The explorer's note on per-layer x ranges sits over the panels on the left, where the
    export has its activation buttons: here it goes to the right."""
    for annotation in annotations:
        if annotation.get("name") == RANGES_NOTE:
            annotation.update(x=1.0, xanchor="right")


def init_page(grid: InitGrid, results: dict[str, list[PassResult]]) -> ExportPage:
    """The export page: the explorer's histogram grid, one frame per grid point."""
    labels = value_labels(grid.values)
    names = {name: [f"{name} · {grid.knob} {label}" for label in labels] for name in grid.activations}
    flat = [(name, frame, result) for name in grid.activations
            for frame, result in zip(names[name], results[name])]
    figure = animated_grid_figure([(frame, histogram_parts(result)) for _, frame, result in flat],
                                  f"{grid.knob} = ", HEIGHT, "export")
    for plotly_frame, (name, _, result) in zip(figure["frames"], flat):
        plotly_frame["group"] = name
        plotly_frame["layout"]["title"] = _frame_title(result)
        _note_to_the_right(plotly_frame["layout"]["annotations"])
    _note_to_the_right(figure["layout"]["annotations"])
    layout = figure["layout"]
    layout.update(title=_frame_title(flat[0][2]), **_controls(grid, names, labels))
    layout["margin"] = {**layout["margin"], "t": 130}
    script = _SWITCH_JS.replace("__GRID__", json.dumps({"activations": list(grid.activations),
                                                          "frames": [names[n] for n in grid.activations]}))
    spec, first = grid.spec, flat[0][2]
    title = (f"trainlab: initialization explorer, {' / '.join(grid.activations)} over {len(grid.values)} "
             f"{grid.knob} values, {spec.depth} layers of {spec.width} units")
    notes = [
        f"Each frame is one forward and backward pass of the same network: {spec.depth} fully connected layers "
        f"of {spec.width} units, init {spec.init}, normalization {spec.norm}"
        f"{f' ({spec.norm_place} the activation)' if spec.norm != 'none' else ''}, a batch of {spec.batch} "
        f"N(0, 1) inputs, seed {spec.seed}. Top row: histogram of each layer's activations h; bottom row: of "
        f"the gradients dL/dh; each panel's title gives that layer's measured mean and std.",
        f"The slider moves the {grid.knob} from {labels[0]} to {labels[-1]}"
        + (", the buttons above the plot switch activation (at the same value)" if len(grid.activations) > 1
           else "") + ", and play animates. Everything was computed in advance: no Python runs here.",
        f"Computed by trainlab {trainlab.__version__} with torch on {first.device} on {date.today().isoformat()}.",
    ]
    return ExportPage(figure, title, notes, script)


def build(grid: InitGrid, device: str = "auto") -> ExportPage:
    """Compute every grid point and build its export page."""
    pick_device(device)
    return init_page(grid, compute(grid.validate(), device))
