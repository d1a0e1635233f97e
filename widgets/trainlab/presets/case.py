"""The lecture case every widget but the dashboard and the race uses (those two have more to say:
a case's runs, a race's racers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Drawn = TypeVar("Drawn")


@dataclass(frozen=True)
class Case(Generic[Drawn]):
    """label; the settings it names, put on top of the current ones; its lesson (what to look
    for); and, if the lesson rests on numbers, a caption that states them from what the widget
    drew (a PassResult, the point cloud's stages, a comparison of runs...)."""

    label: str
    settings: Mapping[str, Any]
    lesson: str
    caption: Callable[[Drawn], str] | None = None
