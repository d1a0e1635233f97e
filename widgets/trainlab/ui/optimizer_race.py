"""OptimizerRace: optimizers racing across a 2-D loss surface, animated in the browser.

Any control change recomputes every checked optimizer's trajectory on a worker thread (latest
request wins) and redraws the contour map, the loss curves and the state panel; the race itself
plays from precomputed frames, with no kernel round trip per frame.
"""

from __future__ import annotations

import html
import logging
import math
import time
from dataclasses import dataclass, field, replace
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.runs import Trajectory, basin_map, run_optimizer
from trainlab.compute.optim.spec import RACE_SCHEDULES as SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import SURFACES, Surface, make_surface
from trainlab.presets import RACE_PRESETS
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.hold import Hold
from trainlab.ui.kit.worker import LatestWins
from trainlab.ui.kit.notices import Notice, notice_boxes
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.share_link import ShareLink, Shareable, set_control
from trainlab.ui.kit.state import Parser, encode_value, parse_choice, parse_float, parse_int, short_state
from trainlab.figures.race import basin_figure, colour, race_figure, race_figure_3d, surface_traces

log = logging.getLogger(__name__)
CUSTOM = "custom"
BASIN_GRID = 50  # start points per side of the basin map
_STYLE = {"description_width": "initial"}
# Hyperparameters shown next to each optimizer, besides its learning rate.
EXTRA = {"momentum": ("momentum",), "nesterov": ("momentum",), "adagrad": ("eps",), "rmsprop": ("decay", "eps"),
         "adam": ("beta1", "beta2", "eps"), "adam_no_bias_correction": ("beta1", "beta2", "eps"),
         "adamw": ("beta1", "beta2", "eps", "weight_decay")}


@dataclass(frozen=True)
class RaceSpec:
    """Everything one race needs; the widget turns its controls into one of these."""

    surface: str = "rosenbrock"
    condition: float = 25.0
    angle: float = 0.0
    racers: tuple[OptimizerSpec, ...] = (OptimizerSpec("momentum", lr=0.001), OptimizerSpec("adam", lr=0.05))
    steps: int = 300
    start: tuple[float, float] | None = None  # None: the surface's own start point
    noise: float = 0.0
    seed: int = 0
    view: str = "contour"
    show_state: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def make_surface(self) -> Surface:
        params = {"condition": self.condition, "angle": self.angle} if self.surface == "quadratic" else {}
        return make_surface(self.surface, **params)


class _TrajectoryCache:
    """Recent trajectories by everything they depend on: a change to one racer recomputes only it."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._runs: OrderedDict[tuple, Trajectory] = OrderedDict()

    def run(self, spec: RaceSpec, surface: Surface, racer: OptimizerSpec) -> Trajectory:
        key = (surface.name, tuple(sorted(surface.params.items())), racer.resolved(), spec.start, spec.steps, spec.noise,
               spec.seed)
        if key not in self._runs:
            self._runs[key] = run_optimizer(surface, racer, spec.start, spec.steps, spec.noise, spec.seed)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        self._runs.move_to_end(key)
        return self._runs[key]


def _hyperparameter_slider(key: str, value: float) -> widgets.ValueWidget:
    layout = widgets.Layout(width="230px")
    if key == "eps":  # spans decades: 1e-10 .. 1e-1
        return widgets.FloatLogSlider(description="eps", value=value, base=10, min=-10, max=-1, step=0.5,
                                      readout_format=".0e", style=_STYLE, layout=layout)
    return widgets.FloatSlider(description=key.replace("_", " "), value=value, min=0.0,
                               max=1.0 if key == "weight_decay" else 0.9999, step=0.001, readout_format=".4g",
                               style=_STYLE, layout=layout)


def _setting(spec: OptimizerSpec, key: str) -> float:
    return spec.value(key)


class _RacerRow:
    """One optimizer's checkbox and hyperparameter sliders."""

    def __init__(self, name: str) -> None:
        info = OPTIMIZERS[name]
        self.name = name
        self.check = widgets.Checkbox(description=info.label, value=False, indent=False,
                                      layout=widgets.Layout(width="auto", margin="0 14px 0 0"))
        title = widgets.HTML(f"<b style='color:{colour(name)}'>{info.label}</b>", layout=widgets.Layout(width="200px"))
        self.lr = widgets.FloatLogSlider(description="lr", value=info.race_lr, base=10, min=-4, max=1, step=0.001,
                                         readout_format=".3g", style=_STYLE, layout=widgets.Layout(width="260px"))
        defaults = OptimizerSpec(name)
        self.extra = {key: _hyperparameter_slider(key, _setting(defaults, key))
                      for key in EXTRA.get(name, ())}
        # The hyperparameters of a ticked optimizer only: unticked ones take no room.
        self.box = widgets.HBox([title, self.lr, *self.extra.values()], layout=widgets.Layout(flex_flow="row wrap"))
        self.check.observe(lambda _: self.update_visibility(), "value")
        self.update_visibility()

    def widgets(self) -> list[widgets.ValueWidget]:
        return [self.check, self.lr, *self.extra.values()]

    def update_visibility(self) -> None:
        self.box.layout.display = None if self.check.value else "none"

    def spec(self, schedule: str) -> OptimizerSpec:
        return OptimizerSpec(self.name, lr=self.lr.value, schedule=schedule,
                             **{key: w.value for key, w in self.extra.items()})

    def hyperparameters(self) -> dict[str, widgets.ValueWidget]:
        return {"lr": self.lr, **self.extra}

    def defaults(self) -> dict[str, float]:
        info, spec = OPTIMIZERS[self.name], OptimizerSpec(self.name)
        return {"lr": info.race_lr, **{key: _setting(spec, key) for key in self.extra}}

    def set_spec(self, spec: OptimizerSpec) -> None:
        self.check.value = True
        self.lr.value = spec.learning_rate
        for key, w in self.extra.items():
            w.value = _setting(spec, key)


def _parse_point(value: Any) -> tuple[float, float]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 2:
        raise ValueError(f"expected x,y, not {value!r}")
    return parse_float(parts[0]), parse_float(parts[1])


def _parse_optimizers(value: Any) -> list[str]:
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else list(value)
    unknown = [n for n in names if n not in OPTIMIZERS]
    if unknown or not names:
        raise ValueError(f"expected names from {', '.join(OPTIMIZERS)}, not {value!r}")
    return names


class OptimizerRace(Shareable, widgets.VBox):
    """The optimizer race. OptimizerRace(preset="zig-zag: SGD vs momentum"), or choose the
    surface, racers and settings: OptimizerRace(surface="beale", racers={"adam": {"lr": 0.1}})."""

    def __init__(self, *, preset: str | None = None, surface: str | None = None,
                 racers: dict[str, dict[str, Any]] | None = None, steps: int | None = None,
                 start: tuple[float, float] | None = None, noise: float | None = None,
                 condition: float | None = None, angle: float | None = None,
                 controls: Iterable[str] | None = None, locked: Iterable[str] | None = None,
                 compact: bool = False) -> None:
        if preset is not None and preset not in RACE_PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(RACE_PRESETS)}")
        base = RaceSpec()
        if preset is not None:
            p = RACE_PRESETS[preset]
            base = replace(base, surface=p.race.surface, steps=p.race.steps, noise=p.race.noise,
                           racers=p.race.racers, **p.race.surface_params)
        changes = {k: v for k, v in {"surface": surface, "steps": steps, "noise": noise, "condition": condition,
                                     "angle": angle, "start": start}.items() if v is not None}
        if racers is not None:
            changes["racers"] = tuple(OptimizerSpec(n, **kw) for n, kw in racers.items())
        spec = replace(base, **changes)

        self.result: list = []
        self._hold = Hold()
        self._input_notes: list[Notice] = []
        self._lesson: list[Notice] = [("info", f"{preset}: {RACE_PRESETS[preset].lesson}")] if preset else []
        self._result_notes: list[Notice] = []
        self.preset = widgets.Dropdown(description="lecture point", options=[CUSTOM, *RACE_PRESETS],
                                       value=preset or CUSTOM, style=_STYLE, layout=widgets.Layout(width="430px"))
        self.surface = widgets.Dropdown(description="surface", options=list(SURFACES), value=spec.surface, style=_STYLE)
        self.condition = widgets.FloatLogSlider(description="condition number", value=spec.condition, base=10,
                                                min=0, max=3, step=0.01, readout_format=".3g", style=_STYLE)
        self.angle = widgets.FloatSlider(description="angle °", value=spec.angle, min=-90, max=90, step=1,
                                         style=_STYLE)
        self.steps = widgets.IntSlider(description="steps", value=spec.steps, min=10, max=2000, step=10, style=_STYLE)
        self.noise = widgets.FloatSlider(description="gradient noise", value=spec.noise, min=0, max=5, step=0.05,
                                         style=_STYLE)
        self.schedule = widgets.Dropdown(description="lr schedule", options=list(SCHEDULES), value="none",
                                         style=_STYLE, layout=widgets.Layout(width="190px"))
        start_point = spec.start or spec.make_surface().start
        self.start_x = widgets.FloatText(description="start x", value=start_point[0], style=_STYLE,
                                         layout=widgets.Layout(width="150px"))
        self.start_y = widgets.FloatText(description="y", value=start_point[1], style=_STYLE,
                                         layout=widgets.Layout(width="120px"))
        self.view = widgets.ToggleButtons(options=["contour", "3-D", "basins"], value="contour",
                                          tooltips=["paths on the contour map, animated", "paths on the surface in 3-D",
                                                    "which minimum each start point reaches, for the optimizer "
                                                    "chosen under 'state of'"],
                                          style={"button_width": "80px"})
        self.show_state = widgets.Dropdown(description="state of", options=[], style=_STYLE,
                                           layout=widgets.Layout(width="260px"))
        self.race = widgets.Button(description="▶ race", button_style="primary", layout=widgets.Layout(width="110px"))
        self.rows = {name: _RacerRow(name) for name in OPTIMIZERS}
        for racer in spec.racers:
            self.rows[racer.name].set_spec(racer)
        self.status = widgets.HTML()
        embedding = Embedding.of(controls, locked, compact)
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        self.share = ShareLink()
        self._trajectories = _TrajectoryCache()
        self._worker: LatestWins[RaceSpec] = LatestWins(self._run, self._failed)

        for w in self._controls():
            w.observe(lambda _change: self._changed(), "value")
        self.surface.observe(self._surface_changed, "value")
        self.preset.observe(self._preset_chosen, "value")
        self.race.on_click(lambda _b: self.plot.animate(frame={"duration": 120, "redraw": True},
                                                        transition={"duration": 0}, mode="immediate"))
        self.plot.on_click(self._clicked)
        self._update_visibility()
        self._refresh_state_options()
        start = widgets.HBox([self.start_x, self.start_y])
        racer_checks = widgets.HBox([row.check for row in self.rows.values()], layout=widgets.Layout(flex_flow="row wrap"))
        embedding.arrange({"preset": self.preset, "race": self.race, "view": self.view, "surface": self.surface,
                           "condition": self.condition, "angle": self.angle, "steps": self.steps, "noise": self.noise,
                           "schedule": self.schedule, "start": start,
                           "optimizers": racer_checks, **{name: row.box for name, row in self.rows.items()},
                           "state_of": self.show_state, "link": self.share})
        wrap = widgets.Layout(flex_flow="row wrap")
        controls = [
            widgets.HBox([self.preset, self.race, self.view, self.share], layout=wrap),
            widgets.HBox([self.surface, self.condition, self.angle], layout=wrap),
            widgets.HBox([self.steps, self.noise, self.schedule, start], layout=wrap),
            racer_checks,
            widgets.VBox([row.box for row in self.rows.values()]),
            widgets.HBox([self.show_state]),
            self.status,
        ]
        super().__init__(embedding.layout(controls, [self.plot], [plotly_bootstrap()]), layout=widgets.Layout(width="100%"))
        self.add_class("trainlab-race")
        embedding.style(self)
        self._state_changed()
        self._show_status(None)
        self._submit()

    # -- public ------------------------------------------------------------------------------
    def spec(self) -> RaceSpec:
        racers = tuple(row.spec(self.schedule.value) for row in self.rows.values() if row.check.value)
        return RaceSpec(surface=self.surface.value, condition=self.condition.value, angle=self.angle.value,
                        racers=racers, steps=self.steps.value, start=(self.start_x.value, self.start_y.value),
                        noise=self.noise.value, view=self.view.value, show_state=self.show_state.value)

    def wait(self, timeout: float = 120.0) -> bool:
        return self._worker.wait_idle(timeout)

    def state(self) -> dict[str, Any]:
        """The settings that differ from a new race's: `optimizers` lists the racers, and
        `adam.lr`, `adam.beta1`, ... their hyperparameters."""
        spec = self.spec()
        values = {"surface": spec.surface, "steps": spec.steps, "noise": spec.noise, "schedule": self.schedule.value,
                  "view": spec.view}
        defaults = {"surface": RaceSpec.surface, "steps": RaceSpec.steps, "noise": RaceSpec.noise, "schedule": "none",
                    "view": "contour"}
        if spec.surface == "quadratic":
            values |= {"condition": spec.condition, "angle": spec.angle}
            defaults |= {"condition": RaceSpec.condition, "angle": RaceSpec.angle}
        state = short_state(values, defaults)
        if spec.start != spec.make_surface().start:
            state["start"] = ",".join(encode_value(float(v)) for v in spec.start)
        names = [racer.name for racer in spec.racers]
        if names != [racer.name for racer in RaceSpec.racers]:
            state["optimizers"] = ",".join(names)
        # A new race's own racers start from their RaceSpec learning rates, not the optimizers' defaults.
        starting = {racer.name: racer.learning_rate for racer in RaceSpec.racers}
        for name in names:
            row = self.rows[name]
            current = {key: w.value for key, w in row.hyperparameters().items()}
            defaults = row.defaults() | ({"lr": starting[name]} if name in starting else {})
            state |= {f"{name}.{key}": value for key, value in short_state(current, defaults).items()}
        return {"preset": self.preset.value, **state} if self.preset.value != CUSTOM else state

    def state_schema(self) -> dict[str, Parser]:
        schema: dict[str, Parser] = {
            "preset": parse_choice([CUSTOM, *RACE_PRESETS]), "surface": parse_choice(SURFACES),
            "condition": parse_float, "angle": parse_float, "steps": parse_int, "noise": parse_float,
            "schedule": parse_choice(SCHEDULES), "start": _parse_point, "view": parse_choice(self.view.options),
            "optimizers": _parse_optimizers}
        for name, row in self.rows.items():
            schema |= {f"{name}.{key}": parse_float for key in row.hyperparameters()}
        return schema

    def _apply_settings(self, settings: dict[str, Any]) -> list[str]:
        preset = settings.pop("preset", CUSTOM)
        problems = []
        with self._hold():
            if preset != CUSTOM:
                self._load_preset(preset)
            for key in ("surface", "condition", "angle", "steps", "noise", "schedule", "view"):
                if key in settings:
                    problems.append(set_control(key, getattr(self, key), settings[key]))
            if "surface" in settings and "start" not in settings:
                self.start_x.value, self.start_y.value = self.spec().make_surface().start
            if "start" in settings:
                self.start_x.value, self.start_y.value = settings["start"]
            if "optimizers" in settings:
                for name, row in self.rows.items():
                    row.check.value = name in settings["optimizers"]
            for key, value in settings.items():
                name, _, hyper = key.partition(".")
                if hyper:
                    problems.append(set_control(key, self.rows[name].hyperparameters()[hyper], value))
        self._changed()
        return [problem for problem in problems if problem]

    def _refresh_status(self) -> None:
        self._show_status(None)

    # -- reacting to the user ----------------------------------------------------------------
    def _controls(self) -> list[widgets.ValueWidget]:
        own = [self.condition, self.angle, self.steps, self.noise, self.schedule, self.start_x, self.start_y,
               self.view, self.show_state]
        return own + [w for row in self.rows.values() for w in row.widgets()]

    def _changed(self) -> None:
        if self._hold.active:
            return
        self._update_visibility()
        self._refresh_state_options()
        if self.preset.value != CUSTOM and not self._matches(RACE_PRESETS[self.preset.value]):
            with self._hold():
                self.preset.value = CUSTOM
            self._lesson = []
        self._state_changed()
        self._submit()

    def _matches(self, preset: Any) -> bool:
        """Whether the controls still show `preset` (sliders snap values to their steps)."""
        spec, race = self.spec(), preset.race
        if spec.surface != race.surface or {r.name for r in spec.racers} != {r.name for r in race.racers}:
            return False
        if spec.steps != race.steps or not math.isclose(spec.noise, race.noise, abs_tol=0.03):
            return False
        params_match = all(math.isclose(getattr(spec, k), v, rel_tol=0.01) for k, v in race.surface_params.items())
        return params_match and all(math.isclose(r.value(k), race.racer(r.name).value(k), rel_tol=0.01, abs_tol=1e-6)
                                    for r in spec.racers for k in r.info.hyperparameters)

    def _submit(self) -> None:
        spec = self.spec()
        if not spec.racers:
            self._input_notes = [("info", "Tick at least one optimizer to race.")]
            self._show_status(None)
            return
        try:
            spec.make_surface()
            for racer in spec.racers:
                racer.validate()
        except SpecError as error:
            self._input_notes = [("error", f"{error}. The figure still shows the last valid race.")]
            self._show_status(None)
            return
        self._input_notes = []
        self._worker.submit(spec)

    def _surface_changed(self, change: dict) -> None:
        if self._hold.active:
            return
        params = {"condition": self.condition.value, "angle": self.angle.value} if change["new"] == "quadratic" else {}
        start = make_surface(change["new"], **params).start
        with self._hold():
            self.start_x.value, self.start_y.value = start
        self._changed()

    def _clicked(self, x: float, y: float) -> None:
        with self._hold():
            self.start_x.value, self.start_y.value = round(x, 4), round(y, 4)
        self._changed()

    def _preset_chosen(self, change: dict) -> None:
        if self._hold.active or change["new"] == CUSTOM:
            return
        with self._hold():
            self._load_preset(change["new"])
        self._update_visibility()
        self._refresh_state_options()
        self._state_changed()
        self._submit()

    def _load_preset(self, label: str) -> None:
        """Put a lecture point's settings into the controls (the caller holds off updates)."""
        p = RACE_PRESETS[label]
        race = p.race
        self.preset.value = label
        self.surface.value = race.surface
        for key, value in race.surface_params.items():
            getattr(self, key).value = value
        self.start_x.value, self.start_y.value = race.start_point
        self.steps.value, self.noise.value, self.schedule.value = race.steps, race.noise, "none"
        for row in self.rows.values():
            row.check.value = False
        for racer in race.racers:
            self.rows[racer.name].set_spec(racer)
        self._lesson = [("info", f"{p.label}: {p.lesson}")]

    def _update_visibility(self) -> None:
        quadratic = self.surface.value == "quadratic"
        self.condition.layout.display = None if quadratic else "none"
        self.angle.layout.display = None if quadratic else "none"

    def _refresh_state_options(self) -> None:
        names = [name for name, row in self.rows.items() if row.check.value]
        labels = [(OPTIMIZERS[n].label, n) for n in names]
        if list(self.show_state.options) == labels:
            return  # the same racers: nothing to send to the browser on this hot path
        with self._hold():
            current = self.show_state.value
            self.show_state.options = labels
            self.show_state.value = current if current in names else (names[0] if names else None)

    # -- worker thread -----------------------------------------------------------------------
    def _run(self, spec: RaceSpec) -> None:
        started = time.perf_counter()
        surface = spec.make_surface()
        runs = [self._trajectories.run(spec, surface, racer) for racer in spec.racers]
        self.result = runs
        if spec.view == "3-D":
            self.plot.show(race_figure_3d(surface, runs), base=[])
        elif spec.view == "basins":
            racer = next((r for r in spec.racers if r.name == spec.show_state), spec.racers[0])
            self.plot.show(basin_figure(surface, racer.label, basin_map(surface, racer, BASIN_GRID, spec.steps)), base=[])
        else:
            self.plot.show(race_figure(surface, runs, spec.show_state), base=surface_traces(surface))
        notes = []
        for run in runs:
            at = int(run.diverged_at[0])
            if at >= 0:
                notes.append(("warning", f"{run.optimizer.label} diverged at step {at} (its loss became inf/NaN or it "
                                         "left the box): its path stops there. Try a smaller learning rate."))
        self._result_notes = notes
        self._show_status((time.perf_counter() - started) * 1000)

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, SpecError):
            log.exception("trainlab race failed", exc_info=error)
        self._input_notes = [("error", f"{error}. The figure still shows the last valid race.")]
        self._show_status(None)

    def _show_status(self, ms: float | None) -> None:
        parts = ["<span class='trainlab-drawn'>" + html.escape(", ".join(
            OPTIMIZERS[r.optimizer.name].label for r in self.result) or "no race yet") + "</span>"]
        if ms is not None:
            parts.append(f"<span>computed in {ms:.0f} ms</span>")
        notes = self._link_notes + self._input_notes + self._lesson + self._result_notes
        self.status.value = ("<div class='trainlab-status-line'>" + " · ".join(parts) + "</div>" + notice_boxes(notes))
