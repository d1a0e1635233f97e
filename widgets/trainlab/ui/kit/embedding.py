"""How a widget sits in someone else's notebook or slides: which controls it shows, which it
locks, and a compact layout that fits a 1280 x 720 slide with text legible from the back row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

COMPACT_TEXT_SCALE = 1.4  # plot text 12 px -> 17 px, ticks 10 -> 14
COMPACT_SIDEBAR = "370px"
COMPACT_HEIGHT = 660  # px for the figures' column: a 720 px slide minus its margins


@dataclass(frozen=True)
class Embedding:
    """controls: the names of the controls to show (None: all); locked: shown but not changeable
    by the user (the program, e.g. a predict-then-reveal question, still moves them); compact:
    the slide layout."""

    controls: tuple[str, ...] | None = None
    locked: tuple[str, ...] = ()
    compact: bool = False

    @classmethod
    def of(cls, controls: Iterable[str] | None, locked: Iterable[str] | None, compact: bool) -> Embedding:
        return cls(tuple(controls) if controls is not None else None, tuple(locked or ()), compact)

    @property
    def text_scale(self) -> float:
        return COMPACT_TEXT_SCALE if self.compact else 1.0

    def arrange(self, named: dict[str, widgets.DOMWidget]) -> None:
        """Hide the controls not chosen and disable the locked ones; unknown names raise."""
        asked = [*(self.controls or ()), *self.locked]
        unknown = [name for name in asked if name not in named]
        if unknown:
            raise ValueError(f"unknown control{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                             f"choose from {', '.join(named)}")
        for name, widget in named.items():
            if self.controls is not None and name not in self.controls and name not in self.locked:
                widget.add_class("trainlab-hidden")
            if name in self.locked:
                _disable(widget)

    def layout(self, controls: Sequence[widgets.Widget], figures: Sequence[widgets.Widget],
               extras: Sequence[widgets.Widget] = ()) -> list[widgets.Widget]:
        """The widget's children: controls above figures, or in compact mode a narrow scrolling
        column of controls beside the figures (a slide is wide, not tall)."""
        if not self.compact:
            return [*controls, *figures, *extras]
        sidebar = widgets.VBox(list(controls), layout=widgets.Layout(
            width=COMPACT_SIDEBAR, min_width=COMPACT_SIDEBAR, max_height=f"{COMPACT_HEIGHT}px", overflow="auto"))
        main = widgets.VBox(list(figures), layout=widgets.Layout(flex="1 1 auto", min_width="0"))
        return [widgets.HBox([sidebar, main], layout=widgets.Layout(width="100%")), *extras]

    def style(self, root: widgets.DOMWidget) -> None:
        if self.compact:
            root.add_class("trainlab-compact")
            root.layout.max_width = "1280px"


def _disable(widget: widgets.Widget) -> None:
    """Disable a control, or every control in a group of them (a box has no `disabled` of its own)."""
    if widget.has_trait("disabled"):
        widget.disabled = True
    for child in getattr(widget, "children", ()):
        _disable(child)


def scale_text(layout: dict[str, Any], factor: float) -> dict[str, Any]:
    """A copy of a plotly layout with every font size, set or inherited from the root font,
    multiplied by `factor`."""
    if factor == 1.0:
        return layout

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            scaled = {k: walk(v, k) for k, v in node.items()}
            if key in ("font", "tickfont") and isinstance(scaled.get("size"), (int, float)):
                scaled["size"] = round(scaled["size"] * factor, 1)
            return scaled
        if isinstance(node, list):
            return [walk(item, key) for item in node]
        return node

    return walk(layout)
