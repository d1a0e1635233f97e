"""Sharing a widget's view: the "link to this view" control, and what every shareable widget
does with a state dict or a page's query string."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from trainlab.ui.kit.notices import Notice
from trainlab.ui.kit.state import Parser, from_query, parse_state, to_query

_STATIC = Path(__file__).parent / "static"


class ShareLink(anywidget.AnyWidget):
    """A button that shows the page's address with `query` appended, ready to copy. With
    `follow_page` set, a Voila page sends its own query string once, to on_page_query's handler."""

    _esm = _STATIC / "share_link.js"
    _css = _STATIC / "plotly_view.css"
    query = traitlets.Unicode("").tag(sync=True)
    follow_page = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._page_query_handlers: list[Callable[[str], Any]] = []
        self.on_msg(self._on_front_end_message)

    def on_page_query(self, handler: Callable[[str], Any]) -> None:
        self._page_query_handlers.append(handler)
        self.follow_page = True

    def _on_front_end_message(self, _widget: object, content: dict, _buffers: list) -> None:
        if content.get("type") == "page-query":
            for handler in self._page_query_handlers:
                handler(str(content.get("query", "")))


class Shareable:
    """What InitExplorer, OptimizerRace and TrainingDashboard share: state() is the short dict of
    settings that differ from the defaults; apply_state() and apply_query() move the widget to a
    state (one recompute) and show what they could not use as a visible notice.

    A subclass provides state(), state_schema(), _apply_settings() and _refresh_status(), shows
    `self._link_notes` in its status, creates `self.share` and calls _state_changed() whenever
    its settings change.
    """

    share: ShareLink
    # What a link could not use stays on show until the user moves away from the linked state
    # (not merely until a slider in the browser snaps a linked value to its step).
    _link_notes: list[Notice] = []
    _link_state: dict[str, Any] = {}

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def state_schema(self) -> dict[str, Parser]:
        raise NotImplementedError

    def _apply_settings(self, settings: dict[str, Any]) -> list[str]:
        """Apply parsed settings at once; return what was refused and why."""
        raise NotImplementedError

    def _refresh_status(self) -> None:
        raise NotImplementedError

    def query(self) -> str:
        """The state as URL query parameters (no '?')."""
        return to_query(self.state())

    def apply_state(self, state: Mapping[str, Any]) -> list[str]:
        """Move to `state` (values typed, or text as in a URL); returns the problems, which the
        widget also shows."""
        settings, problems = parse_state(state, self.state_schema())
        if settings:
            problems += self._apply_settings(settings)
        self._link_notes = [("warning", f"Link: {problem}.") for problem in problems]
        self._link_state = self.state()
        self._refresh_status()
        return problems

    def apply_query(self, query: str) -> list[str]:
        """apply_state() for a query string such as "activation=relu&init=xavier_normal"."""
        return self.apply_state(from_query(query))

    def apply_page_query(self) -> None:
        """Start in the state of the address a Voila page was opened with (a shared "link to
        this view"); nothing happens in JupyterLab. The page sends its query string once its
        widgets are drawn: the kernel does not wait for it (a preheated kernel runs the notebook
        before anyone asks for the page), and the move is an ordinary update of drawn widgets."""
        self.share.on_page_query(self.apply_query)

    def _state_changed(self) -> None:
        state = self.state()
        query = to_query(state)
        if self.share.query != query:
            self.share.query = query
        if self._link_notes and not _near(state, self._link_state):
            self._link_notes = []


def _near(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same state but for the rounding a slider applies (under 3 %)."""
    def close(x: Any, y: Any) -> bool:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        return math.isclose(x, y, rel_tol=0.03) if numbers else x == y
    return a.keys() == b.keys() and all(close(a[key], b[key]) for key in a)


def set_control(name: str, widget: widgets.ValueWidget, value: Any) -> str | None:
    """Put `value` into a control; a slider clamps what is out of its range, so say so."""
    try:
        widget.value = value
    except traitlets.TraitError:
        return f"ignored {name}={value!r}: not one of its choices"
    return clamped(name, widget, value)


def clamped(name: str, widget: widgets.ValueWidget, value: Any) -> str | None:
    """What to say when a control set to `value` holds something else (a slider clamps)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and widget.value != value:
        if not math.isclose(widget.value, value, rel_tol=0.01, abs_tol=1e-12):
            low, high = widget.min, widget.max
            if isinstance(widget, widgets.FloatLogSlider):
                low, high = widget.base ** low, widget.base ** high
            return f"{name}={value:g} is outside {low:g} to {high:g}; using {widget.value:g}"
    return None
