"""The range checks every configuration's validate() uses: each raises a SpecError that names
the field and says what it accepts."""

from __future__ import annotations

import math

from trainlab.compute.errors import SpecError

# Ranges every part of trainlab shares; the others sit next to the field they bound.
SEED_RANGE = (0, 2**31 - 1)


def choice(field: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SpecError(field, f"must be one of {', '.join(allowed)}, not {value!r}")


def whole_in(field: str, value: object, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(field, f"must be a whole number from {low} to {high}, not {value!r}")


def number_in(field: str, value: object, bounds: tuple[float, float]) -> None:
    low, high = bounds
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise SpecError(field, f"must be a number from {low:g} to {high:g}, not {value!r}")
