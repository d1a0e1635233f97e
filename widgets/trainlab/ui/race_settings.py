"""The optimizer race's settings as a widget holds them, and how they read and change by short name.

A RaceView is a Race plus how it is shown. Its settings by short name: surface, condition, angle,
steps, noise, seed, start ("x,y"), schedule, optimizers ("sgd,adam"), "<optimizer>.<hyperparameter>"
for every racer (adam.lr, momentum.momentum ...), view and state_of. The knobs that belong to a
choice follow it: a new surface starts from its own start point and parameters, and the
hyperparameters of an optimizer that leaves the race are kept for when it comes back.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainlab.compute.checks import choice
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.race import Race
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS
from trainlab.compute.optim.spec import RACE_SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import SURFACES
from trainlab.ui.kit.state import Parser, encode_value, parse_choice, parse_float, parse_int, parse_names

VIEWS = ("contour", "3-D", "basins")
# A log slider snaps its value to 0.001 of a decade (0.12 %) and sends it back from the page: a
# hyperparameter that close to its default is the default (else the echo of a lecture point's
# momentum 0.9 as 0.9000000000000001 turned the point into "custom" and hid its lesson).
SLIDER_STEP = 2e-3
# What a new race shows: the live race's first view (momentum and Adam on Rosenbrock's valley).
DEFAULT_RACE = Race()


def _tuned_defaults() -> dict[str, OptimizerSpec]:
    """Every optimizer at its defaults, but the default race's racers as that race has them."""
    tuned = {name: OptimizerSpec(name) for name in OPTIMIZERS}
    return {**tuned, **{r.name: r for r in DEFAULT_RACE.racers}}


_NEW_RACE_TUNING = _tuned_defaults()


@dataclass(frozen=True)
class RaceView:
    """A race and how it is shown; `tuned` keeps every optimizer's hyperparameters, raced or not."""

    race: Race = DEFAULT_RACE
    view: str = "contour"
    state_of: str | None = None  # whose state the panel (and the basin map) shows; None: the first racer's
    tuned: Mapping[str, OptimizerSpec] = field(default_factory=_tuned_defaults)

    @property
    def schedule(self) -> str:
        return self.race.racers[0].schedule if self.race.racers else "none"

    @property
    def shown_racer(self) -> OptimizerSpec | None:
        racers = self.race.racers
        return next((r for r in racers if r.name == self.state_of), racers[0] if racers else None)


def _parse_point(value: Any) -> tuple[float, float]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 2:
        raise ValueError(f"expected x,y, not {value!r}")
    return parse_float(parts[0]), parse_float(parts[1])


class RaceModel:
    """The settings model (see kit/lab_widget.py) of the optimizer race."""

    def defaults(self) -> RaceView:
        return RaceView()

    def parsers(self) -> dict[str, Parser]:
        parsers: dict[str, Parser] = {
            "surface": parse_choice(list(SURFACES)), "condition": parse_float, "angle": parse_float,
            "steps": parse_int, "noise": parse_float, "seed": parse_int, "start": _parse_point,
            "schedule": parse_choice(RACE_SCHEDULES), "optimizers": parse_names(OPTIMIZERS),
            "view": parse_choice(VIEWS), "state_of": parse_choice(list(OPTIMIZERS))}
        # Every optimizer with every hyperparameter: one an optimizer does not take (adam.momentum)
        # is then refused with the reason, not called an unknown setting.
        for name in OPTIMIZERS:
            parsers |= {f"{name}.{hyper}": parse_float for hyper in HYPERPARAMETERS}
        return parsers

    def flat(self, view: RaceView) -> dict[str, Any]:
        race = view.race
        out: dict[str, Any] = {"surface": race.surface, **race.surface_params, "steps": race.steps,
                               "noise": race.noise, "seed": race.seed, "schedule": view.schedule,
                               "optimizers": ",".join(r.name for r in race.racers), "view": view.view}
        if race.start is not None and tuple(race.start) != race.make_surface().start:
            out["start"] = ",".join(encode_value(float(v)) for v in race.start)
        if view.state_of is not None:
            out["state_of"] = view.state_of
        for racer in race.racers:
            # A racer's hyperparameters where they are not what a new race gives it: the default
            # race's own settings for its racers, the registry's for the others.
            new = _NEW_RACE_TUNING[racer.name]
            out |= {f"{racer.name}.{hyper}": racer.value(hyper) for hyper in racer.info.hyperparameters
                    if not math.isclose(racer.value(hyper), new.value(hyper), rel_tol=SLIDER_STEP, abs_tol=1e-12)}
        return out

    def control_values(self, view: RaceView) -> dict[str, Any]:
        """Every control but "state of", whose choices are the racers (the widget sets both)."""
        race = view.race
        start = race.start_point
        out: dict[str, Any] = {"surface": race.surface, "steps": race.steps, "noise": race.noise,
                               "schedule": view.schedule, "view": view.view, "start_x": start[0], "start_y": start[1],
                               **{f"{name}.on": name in {r.name for r in race.racers} for name in OPTIMIZERS}}
        surface = race.make_surface()
        if race.surface == "quadratic":
            out |= {key: surface.params[key] for key in ("condition", "angle")}
        for name, spec in view.tuned.items():
            out |= {f"{name}.{hyper}": spec.value(hyper) for hyper in spec.info.hyperparameters}
        return out

    def apply(self, view: RaceView, changes: Mapping[str, Any]) -> RaceView:
        changes = dict(changes)
        race, tuned = view.race, dict(view.tuned)
        # Hyperparameters go to the optimizer they name, raced or about to be.
        racing = set(changes.get("optimizers", [r.name for r in race.racers]))
        racing |= {key[:-3] for key, value in changes.items() if key.endswith(".on") and value}
        racing -= {key[:-3] for key, value in changes.items() if key.endswith(".on") and not value}
        unknown = sorted(racing - set(OPTIMIZERS))
        if unknown:
            raise SpecError("optimizers", f"must name optimizers from {', '.join(OPTIMIZERS)}, not {unknown[0]!r}")
        for key in [k for k in changes if "." in k and not k.endswith(".on")]:
            name, _, hyper = key.partition(".")
            if name not in OPTIMIZERS or hyper not in HYPERPARAMETERS:
                raise SpecError(key, "is not a race setting")
            if name not in racing:
                raise SpecError(key, f"{name} is not in the race (add it to optimizers)")
            tuned[name] = dataclasses.replace(tuned[name], **{hyper: changes.pop(key)})
        # Which optimizers race, in the registry's order, each as tuned.
        names = [name for name in OPTIMIZERS if name in racing]
        for key in [k for k in changes if k.endswith(".on")]:
            changes.pop(key)
        changes.pop("optimizers", None)
        schedule = changes.pop("schedule", view.schedule)
        choice("schedule", schedule, RACE_SCHEDULES)
        racers = tuple(dataclasses.replace(tuned[name], schedule=schedule) for name in names)
        race = self._race_changes(race.replace(racers=racers), changes)
        view_name = changes.pop("view", view.view)
        if "state_of" in changes:
            state_of = changes.pop("state_of")
            if state_of is not None and state_of not in names:
                raise SpecError("state_of", f"must be one of the racers ({', '.join(names)}), not {state_of!r}")
        else:  # a racer that leaves the race leaves the panel to the first one
            state_of = view.state_of if view.state_of in names else None
        if changes:
            raise SpecError(sorted(changes)[0], "is not a race setting")
        choice("view", view_name, VIEWS)
        if racers:
            race.validate()
        return RaceView(race, view_name, state_of, tuned)

    @staticmethod
    def _race_changes(race: Race, changes: dict[str, Any]) -> Race:
        """Apply the surface, its parameters, the start point and the run's settings (popped)."""
        if "surface" in changes and changes["surface"] != race.surface:
            # A new surface starts from its own start point, with its own parameters.
            race = race.replace(surface=changes.pop("surface"), condition=None, angle=None, start=None)
        changes.pop("surface", None)
        updates = {key: changes.pop(key) for key in ("condition", "angle", "steps", "noise", "seed", "start")
                   if key in changes}
        x, y = race.start_point
        if "start_x" in changes or "start_y" in changes:  # the two boxes of the start point
            updates["start"] = (float(changes.pop("start_x", x)), float(changes.pop("start_y", y)))
        for key in ("condition", "angle"):
            if updates.get(key) is not None and race.surface != "quadratic":
                raise SpecError(key, f"belongs to the quadratic surface, not {race.surface}")
        race = race.replace(**updates)
        race.make_surface()
        return race
