"""The zero-centred demo's settings as the widget holds them: one ZeroCentredSpec (the positive
inputs, examples, start, target, learning rate, step budget, noise, seed), by the short names of
its fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.zero_centred import INPUTS, ZeroCentredSpec
from trainlab.ui.kit.state import Parser, parse_choice, parse_float, parse_int

FIELDS = tuple(f.name for f in dataclasses.fields(ZeroCentredSpec))
WHOLE = ("examples", "steps", "seed")


class ZeroCentredModel:
    """The settings model (see kit/lab_widget.py) of the zero-centred demo."""

    def defaults(self) -> ZeroCentredSpec:
        return ZeroCentredSpec()

    def parsers(self) -> dict[str, Parser]:
        return {name: parse_choice(list(INPUTS)) if name == "inputs" else parse_int if name in WHOLE else parse_float
                for name in FIELDS}

    def flat(self, settings: ZeroCentredSpec) -> dict[str, Any]:
        return dataclasses.asdict(settings)

    def control_values(self, settings: ZeroCentredSpec) -> dict[str, Any]:
        return dataclasses.asdict(settings)

    def apply(self, settings: ZeroCentredSpec, changes: Mapping[str, Any]) -> ZeroCentredSpec:
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise SpecError(unknown[0], "is not a setting of the zero-centred demo")
        # A whole number typed as 3.0 is still the number 3 (a FloatText sends floats).
        changes = {k: int(v) if k in WHOLE and isinstance(v, float) and v.is_integer() else v
                   for k, v in changes.items()}
        return dataclasses.replace(settings, **changes).validate()
