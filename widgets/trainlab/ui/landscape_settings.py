"""The loss-landscape explorer's settings as the widget holds them, and how they read and change by
short name: every LandscapeSpec field ("runs" as "sgd,adam"; "<optimizer>.on" for its checkbox)
and the view (contour, 3-D, or the line between the first two runs), which changes the drawing and
not the study."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainlab.compute.checks import choice
from trainlab.compute.errors import SpecError
from trainlab.compute.landscape.study import BATCH_CHOICES, DIRECTIONS, GRIDS, NORM_CHOICES, LandscapeSpec
from trainlab.compute.optim.registry import TRAINABLE
from trainlab.ui.kit.state import Parser, parse_choice, parse_float, parse_int, parse_names

LINE_VIEW = "line"  # the loss along the straight line between the first two runs' weights
VIEWS = ("contour", "3-D", LINE_VIEW)
SPEC_FIELDS = tuple(f.name for f in dataclasses.fields(LandscapeSpec))


@dataclass(frozen=True)
class LandscapeView:
    """A landscape study and how it is shown."""

    spec: LandscapeSpec = field(default_factory=LandscapeSpec)
    view: str = "contour"


parse_runs = parse_names(TRAINABLE)


class LandscapeModel:
    """The settings model (see kit/lab_widget.py) of the landscape explorer."""

    def __init__(self, defaults: LandscapeView = LandscapeView()) -> None:
        self._defaults = defaults

    def defaults(self) -> LandscapeView:
        return self._defaults

    def parsers(self) -> dict[str, Parser]:
        return {"runs": parse_runs, "directions": parse_choice(list(DIRECTIONS)), "grid": parse_choice(GRIDS),
                "span": parse_float, "width": parse_int, "depth": parse_int, "norm": parse_choice(NORM_CHOICES),
                "batch": parse_choice(BATCH_CHOICES), "steps": parse_int, "lr_scale": parse_float, "eval_samples": parse_int,
                "seed": parse_int, "net_seed": parse_int, "view": parse_choice(VIEWS)}

    def flat(self, view: LandscapeView) -> dict[str, Any]:
        out = {name: getattr(view.spec, name) for name in SPEC_FIELDS}
        return {**out, "runs": ",".join(view.spec.runs), "view": view.view}

    def control_values(self, view: LandscapeView) -> dict[str, Any]:
        flat = self.flat(view)
        runs = set(view.spec.runs)
        return {**{k: v for k, v in flat.items() if k != "runs"}, **{f"{name}.on": name in runs for name in TRAINABLE}}

    def apply(self, view: LandscapeView, changes: Mapping[str, Any]) -> LandscapeView:
        changes = dict(changes)
        try:
            runs = list(parse_runs(changes.pop("runs"))) if "runs" in changes else list(view.spec.runs)
        except ValueError as error:  # a name that is no optimizer: refused by the setting's name
            raise SpecError("runs", str(error)) from None
        # A ticked box adds its optimizer at the end (the first run stays the slice's centre).
        for key in [k for k in changes if k.endswith(".on")]:
            name, on = key[:-3], changes.pop(key)
            if name not in TRAINABLE:
                raise SpecError(key, "is not a landscape setting")
            if on and name not in runs:
                runs.append(name)
            elif not on and name in runs:
                runs.remove(name)
        shown = changes.pop("view", view.view)
        choice("view", shown, VIEWS)
        if shown == LINE_VIEW and len(runs) < 2:
            raise SpecError("view", "the line between two solutions needs two runs; tick a second optimizer")
        unknown = sorted(set(changes) - set(SPEC_FIELDS))
        if unknown:
            raise SpecError(unknown[0], "is not a landscape setting")
        spec = view.spec.replace(runs=tuple(runs), **changes).validate()
        return LandscapeView(spec, shown)
