"""The controls of every lab: how one is made from a setting's choices or range, and how a widget
value maps to a setting value and back.

Sliders take their ranges from the compute layer's range constants, so a value the settings
accept always fits its control, and a value a control shows is always one the settings accept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

STYLE = {"description_width": "initial"}


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Control:
    """A widget that shows one setting. to_widget and from_widget convert between the setting's
    value and the widget's (None <-> 0 for "all" or "off"); `shown(settings)` says whether the
    control applies to the settings at all (a gain slider for a std-driven init does not)."""

    widget: widgets.ValueWidget
    to_widget: Callable[[Any], Any] = _same
    from_widget: Callable[[Any], Any] = _same
    shown: Callable[[Any], bool] | None = None


def none_as_zero() -> dict[str, Callable[[Any], Any]]:
    """Converters for a box where 0 means None ("all", "off")."""
    return {"to_widget": lambda v: 0 if v is None else v, "from_widget": lambda v: v or None}


def dropdown(label: str, options: Sequence[Any], value: Any, width: str = "auto") -> widgets.Dropdown:
    return widgets.Dropdown(description=label, options=list(options), value=value, style=STYLE,
                            layout=widgets.Layout(width=width))


def int_box(label: str, value: int, width: str = "130px") -> widgets.IntText:
    return widgets.IntText(description=label, value=value, style=STYLE, layout=widgets.Layout(width=width))


def float_box(label: str, value: float, step: float, width: str = "170px") -> widgets.FloatText:
    return widgets.FloatText(description=label, value=value, step=step, style=STYLE, layout=widgets.Layout(width=width))


def log_slider(label: str, value: float, bounds: tuple[float, float], width: str = "300px",
               readout: str = ".3g", step: float = 0.001) -> widgets.FloatLogSlider:
    """A slider over the decades of `bounds` (its ends included)."""
    low, high = (math.log10(b) for b in bounds)
    return widgets.FloatLogSlider(description=label, value=value, base=10, min=low, max=high, step=step,
                                  readout_format=readout, continuous_update=True, style=STYLE,
                                  layout=widgets.Layout(width=width))


def slider(label: str, value: float, bounds: tuple[float, float], step: float, width: str = "250px",
           readout: str = ".3g") -> widgets.FloatSlider:
    return widgets.FloatSlider(description=label, value=value, min=bounds[0], max=bounds[1], step=step,
                               readout_format=readout, style=STYLE, layout=widgets.Layout(width=width))


def wrap(children: Sequence[widgets.Widget]) -> widgets.HBox:
    """A row of controls that wraps on a narrow page."""
    return widgets.HBox(list(children), layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
