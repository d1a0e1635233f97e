"""OptimizerRace: optimizers racing across a 2-D loss surface, animated in the browser.

A change recomputes the racers it touched on the worker thread (trajectories are cached by
everything they depend on) and redraws the map, the loss curves and the state panel; the race
itself plays from precomputed frames, with no kernel round trip per frame.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from trainlab.compute.cancel import CancelToken
from trainlab.compute.optim.race import START_RANGE, TrajectoryCache
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS
from trainlab.compute.optim.runs import NOISE_RANGE, STEPS_RANGE, Trajectory, basin_map
from trainlab.compute.optim.spec import RACE_SCHEDULES
from trainlab.compute.optim.surfaces import ANGLE_RANGE, CONDITION_RANGE, SURFACES
from trainlab.figures.race import basin_figure, colour, race_figure, race_figure_3d, surface_traces
from trainlab.presets import RACE_PRESETS
from trainlab.ui.kit.controls import STYLE, Control, dropdown, log_slider, slider, wrap
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.race_settings import VIEWS, RaceModel, RaceView

BASIN_GRID = 50  # start points per side of the basin map


def _preset(label: str) -> LabPreset:
    """A lecture point as settings: its race replaces the whole race shown."""
    p = RACE_PRESETS[label]
    race = p.race
    changes: dict[str, Any] = {"surface": race.surface, **race.surface_params, "steps": race.steps,
                               "noise": race.noise, "start": race.start_point, "schedule": "none",
                               "optimizers": tuple(r.name for r in race.racers)}
    for racer in race.racers:
        resolved = racer.resolved()
        changes |= {f"{racer.name}.{hyper}": resolved.value(hyper) for hyper in racer.info.hyperparameters}
    return LabPreset(label, changes, p.lesson)


def _hyperparameter_control(hyper: str, value: float) -> Control:
    h = HYPERPARAMETERS[hyper]
    label = hyper.replace("_", " ")
    if h.log:
        return Control(log_slider(label, value, (h.low, h.high), "230px" if hyper != "lr" else "260px",
                                  ".0e" if hyper == "eps" else ".3g", 0.5 if hyper == "eps" else 0.001))
    return Control(slider(label, value, (h.low, h.high), 0.0001 if h.high < 1 else 0.001, "230px", ".4g"))


class OptimizerRace(LabWidget[RaceView]):
    """The optimizer race. OptimizerRace(preset="zig-zag: SGD vs momentum"), or choose the
    surface, racers and settings: OptimizerRace(surface="beale", racers={"adam": {"lr": 0.1}})."""

    css_class = "trainlab-race"

    def __init__(self, *, preset: str | None = None, surface: str | None = None,
                 racers: dict[str, dict[str, Any]] | None = None, steps: int | None = None,
                 start: tuple[float, float] | None = None, noise: float | None = None,
                 condition: float | None = None, angle: float | None = None,
                 controls: Iterable[str] | None = None, locked: Iterable[str] | None = None,
                 compact: bool = False) -> None:
        settings = {k: v for k, v in {"surface": surface, "steps": steps, "noise": noise, "condition": condition,
                                      "angle": angle, "start": start}.items() if v is not None}
        if racers is not None:
            settings |= _racer_settings(racers)
        embedding = Embedding.of(controls, locked, compact)
        model = RaceModel()
        view = model.defaults()
        self.result: list[Trajectory] = []
        self._trajectories = TrajectoryCache()
        self.surface = dropdown("surface", list(SURFACES), view.race.surface)
        self.condition = log_slider("condition number", 25.0, CONDITION_RANGE, "300px", ".3g", 0.01)
        self.angle = slider("angle °", 0.0, ANGLE_RANGE, 1.0, "300px", ".0f")
        self.steps = widgets.IntSlider(description="steps", value=view.race.steps, min=STEPS_RANGE[0],
                                       max=STEPS_RANGE[1], step=1, style=STYLE, layout=widgets.Layout(width="330px"))
        self.noise = slider("gradient noise", 0.0, NOISE_RANGE, 0.05, "300px", ".2f")
        self.schedule = dropdown("lr schedule", RACE_SCHEDULES, "none", "190px")
        self.start_x = widgets.BoundedFloatText(description="start x", value=0.0, min=START_RANGE[0],
                                                max=START_RANGE[1], style=STYLE, layout=widgets.Layout(width="150px"))
        self.start_y = widgets.BoundedFloatText(description="y", value=0.0, min=START_RANGE[0], max=START_RANGE[1],
                                                style=STYLE, layout=widgets.Layout(width="120px"))
        self.view = widgets.ToggleButtons(options=list(VIEWS), value="contour",
                                          tooltips=["paths on the contour map, animated", "paths on the surface in 3-D",
                                                    "which minimum each start point reaches, for the optimizer "
                                                    "chosen under 'state of'"],
                                          style={"button_width": "80px"})
        self.show_state = dropdown("state of", [(OPTIMIZERS[n].label, n) for n in OPTIMIZERS], None, "260px")
        self.checks = {name: widgets.Checkbox(description=info.label, value=False, indent=False,
                                              layout=widgets.Layout(width="auto", margin="0 14px 0 0"))
                       for name, info in OPTIMIZERS.items()}
        quadratic = {"shown": lambda v: v.race.surface == "quadratic"}
        controls_map = {
            "surface": Control(self.surface), "condition": Control(self.condition, **quadratic),
            "angle": Control(self.angle, **quadratic), "steps": Control(self.steps), "noise": Control(self.noise),
            "schedule": Control(self.schedule), "start_x": Control(self.start_x), "start_y": Control(self.start_y),
            "view": Control(self.view), "state_of": Control(self.show_state),
            **{f"{name}.on": Control(check) for name, check in self.checks.items()},
        }
        # One row of hyperparameter sliders per optimizer, filled when it first races: a race that
        # never uses Newton sends no Newton sliders to the page.
        self.rows: dict[str, widgets.HBox] = {name: wrap([]) for name in OPTIMIZERS}
        self.sliders: dict[str, widgets.ValueWidget] = {}  # "adam.lr" -> its slider, once made
        super().__init__(model=model, controls=controls_map, presets=[_preset(label) for label in RACE_PRESETS],
                         preset=preset, settings=settings, embedding=embedding, preset_label="lecture point")
        self.race = widgets.Button(description="▶ race", button_style="primary", layout=widgets.Layout(width="110px"))
        self.race.on_click(lambda _b: self.plot.animate(frame={"duration": 120, "redraw": True},
                                                        transition={"duration": 0}, mode="immediate"))
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        self.plot.on_click(self._clicked, subplot="xy")  # the map; not the loss plot
        start = widgets.HBox([self.start_x, self.start_y])
        checks = wrap(list(self.checks.values()))
        self._make_rows()
        self._layout({"preset": self.preset, "race": self.race, "view": self.view, "surface": self.surface,
                      "condition": self.condition, "angle": self.angle, "steps": self.steps, "noise": self.noise,
                      "schedule": self.schedule, "start": start, "optimizers": checks, "state_of": self.show_state,
                      "link": self.share, **self.rows},
                     [wrap([self.preset, self.race, self.view, self.share]),
                      wrap([self.surface, self.condition, self.angle]),
                      wrap([self.steps, self.noise, self.schedule, start]),
                      checks, widgets.VBox(list(self.rows.values())), widgets.HBox([self.show_state])],
                     [self.plot], [plotly_bootstrap()])

    # -- public ------------------------------------------------------------------------------
    def spec(self) -> RaceView:
        return self.settings

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        self._make_rows()
        view = self.settings
        names = [r.name for r in view.race.racers]
        for name, row in self.rows.items():
            row.layout.display = None if name in names else "none"
        shown = view.shown_racer
        with self._hold():  # new choices select a value of their own: not the user's choice
            self.show_state.options = [(OPTIMIZERS[n].label, n) for n in names]
            self.show_state.value = shown.name if shown else None
        if not names:
            self._stop_job()
            self._notes["result"] = [("info", "Tick at least one optimizer to race.")]
            self._show_status()
            return
        self._run(Job(self._describe(view), lambda cancel: self._compute(view, cancel), self._draw))

    def _line(self) -> list[tuple[str, str]]:
        drawn = ", ".join(run.optimizer.label for run in self.result) or "no race yet"
        parts = [("trainlab-drawn", drawn)]
        if getattr(self, "_ms", None) is not None:
            parts.append(("trainlab-ms", f"computed in {self._ms:.0f} ms"))
        return parts

    # -- worker thread: trajectories and figures; main thread: draw ---------------------------
    @staticmethod
    def _describe(view: RaceView) -> str:
        racers = ", ".join(f"{r.label} lr {r.learning_rate:.3g}" for r in view.race.racers)
        return f"{racers} on {view.race.surface}, {view.race.steps} steps"

    def _compute(self, view: RaceView, cancel: CancelToken) -> tuple:
        started = time.perf_counter()
        race = view.race
        runs = race.run(self._trajectories, cancel)
        surface = race.make_surface()
        shown = view.shown_racer
        if view.view == "3-D":
            figure, base = race_figure_3d(surface, runs), []
        elif view.view == "basins":
            cancel.check()
            figure, base = basin_figure(surface, shown.label, basin_map(surface, shown, BASIN_GRID, race.steps)), []
        else:
            figure, base = race_figure(surface, runs, shown.name), surface_traces(surface)
        return runs, figure, base, (time.perf_counter() - started) * 1000

    def _draw(self, computed: tuple) -> None:
        runs, figure, base, ms = computed
        self.result, self._ms = runs, ms
        self.plot.show(figure, base=base)
        notes = []
        for run in runs:
            at = int(run.diverged_at[0])
            if at >= 0:
                notes.append(("warning", f"{run.optimizer.label} diverged at step {at} (its loss became inf/NaN or it "
                                         "left the box): its path stops there. Try a smaller learning rate."))
        self._notes["result"] = notes

    # -- controls ----------------------------------------------------------------------------
    def _make_rows(self) -> None:
        """Fill the hyperparameter row of every optimizer that races and has an empty one."""
        for racer in self.settings.race.racers:
            row = self.rows[racer.name]
            if row.children:
                continue
            spec = self.settings.tuned[racer.name]
            controls = {f"{racer.name}.{hyper}": _hyperparameter_control(hyper, spec.value(hyper))
                        for hyper in racer.info.hyperparameters}
            title = widgets.HTML(f"<b style='color:{colour(racer.name)}'>{html.escape(racer.label)}</b>",
                                 layout=widgets.Layout(width="200px"))
            row.children = [title, *(c.widget for c in controls.values())]
            self.sliders |= {key: c.widget for key, c in controls.items()}
            self._add_controls(controls, locked=racer.name in self._embedding.locked)

    def _clicked(self, x: float, y: float) -> None:
        self.set(start=(round(x, 4), round(y, 4)))


def _racer_settings(racers: Any) -> dict[str, Any]:
    """The constructor's racers={"adam": {"lr": 0.1}} as settings (optimizers, adam.lr)."""
    if not isinstance(racers, dict) or not all(isinstance(v, dict) for v in racers.values()):
        raise TypeError(f"racers takes a dict of optimizer name -> hyperparameters, such as "
                        f"{{'adam': {{'lr': 0.1}}}}, not {racers!r}")
    settings: dict[str, Any] = {"optimizers": tuple(racers)}
    for name, hypers in racers.items():
        settings |= {f"{name}.{hyper}": value for hyper, value in hypers.items()}
    return settings

