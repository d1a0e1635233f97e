"""LabWidget: what every trainlab widget is made of, so that a new lab is only what is its own.

A lab widget holds one settings object (a NetworkSpec, a Race, a TrainConfig...), which is the
truth; its controls are views of it. Every way into the settings (a control, the constructor,
set(), apply_state() and links, a lecture case, a predict-then-reveal answer) is one path,
_change(): the settings model applies the changes with its own rules (a knob that belongs to a
choice takes the new choice's default unless given in the same call), refuses by name what it
cannot use, and the controls are set from the result. A refused control snaps back to the value
in use, with a notice saying why.

The kit also gives each widget its status bar (what is drawn; what is being computed, with a
spinner, the elapsed time and a cancel button; notices by source), its shareable state (state(),
query(), links), the embedding options (controls shown, locked, compact), a worker thread for
its computations and close(), which stops the worker and closes every widget it made.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import ipywidgets as widgets

from trainlab.compute.errors import SpecError
from trainlab.ui.kit.controls import Control
from trainlab.ui.kit.embedding import Embedding
from trainlab.ui.kit.hold import Hold
from trainlab.ui.kit.main_thread import MainThread
from trainlab.ui.kit.share_link import ShareLink
from trainlab.ui.kit.state import (KNOWN_SHOWN, Parser, from_query, parse_choice, parse_state, short_state,
                                   to_query)
from trainlab.ui.kit.status import Notice, StatusBar
from trainlab.ui.kit.worker import Job, Worker

log = logging.getLogger(__name__)
S = TypeVar("S")
CUSTOM = "custom"
NEAR = 0.03  # a log slider rounds a value by well under 3 %: closer than that is the same setting
# Where notices come from, in the order they are shown.
SOURCES = ("link", "input", "lesson", "result")


class SettingsModel(Protocol[S]):
    """How a widget's settings object is read and changed by short names."""

    def defaults(self) -> S: ...

    def flat(self, settings: S) -> dict[str, Any]:
        """The settings in use by short name: what a link holds and what a lecture case compares."""

    def apply(self, settings: S, changes: Mapping[str, Any]) -> S:
        """`settings` with `changes`, validated; SpecError naming the setting at fault."""

    def parsers(self) -> dict[str, Parser]:
        """A parser per setting, turning the text of a link (or a typed value) into the setting."""

    def control_values(self, settings: S) -> dict[str, Any]:
        """The setting value each control shows for `settings` (controls not named keep theirs)."""


@dataclass(frozen=True)
class LabPreset:
    """A lecture case: settings by short name, put on top of the current ones, and its lesson."""

    label: str
    changes: Mapping[str, Any]
    lesson: str


def near(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same settings but for the rounding a slider applies (under NEAR)."""
    def close(x: Any, y: Any) -> bool:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        return math.isclose(x, y, rel_tol=NEAR, abs_tol=1e-12) if numbers else x == y
    return a.keys() == b.keys() and all(close(a[key], b[key]) for key in a)


def close_parts(widget: widgets.Widget) -> None:
    """Close everything a widget holds (its children, and their layouts and styles, which are
    widget models too), then the widget's own layout and style; the caller closes the widget."""
    for child in getattr(widget, "children", ()):
        close_parts(child)
        child.close()
    for part in ("layout", "style"):
        owned = getattr(widget, part, None) if widget.has_trait(part) else None
        if isinstance(owned, widgets.Widget):
            owned.close()


class _LabMeta(abc.ABCMeta, type(widgets.VBox)):
    """ipywidgets' metaclass with abstract methods: a lab that lacks a hook fails when built."""


class LabWidget(widgets.VBox, Generic[S], metaclass=_LabMeta):
    """The base of every trainlab widget; see the module docstring. A subclass makes its controls
    and figures, calls LabWidget.__init__, lays itself out with _layout(), and implements
    _settings_changed() (usually: _run() a Job) and _line() (the status line)."""

    css_class = "trainlab-lab"  # the page's handle on the widget (styles, browser tests)

    def __init__(self, *, model: SettingsModel[S], controls: Mapping[str, Control],
                 presets: Iterable[LabPreset] = (), initial: S | None = None, preset: str | None = None,
                 settings: Mapping[str, Any] | None = None, embedding: Embedding = Embedding(),
                 preset_label: str = "lecture case") -> None:
        super().__init__(layout=widgets.Layout(width="100%"))
        self._model = model
        self._controls = dict(controls)
        self._presets = {p.label: p for p in presets}
        self._embedding = embedding
        self._hold = Hold()
        self._main = MainThread()
        self._worker = Worker(self._main, self._job_done)
        self._latest: Job | None = None
        self._notes: dict[str, list[Notice]] = {source: [] for source in SOURCES}
        # Controls holding a value the settings refused: it stays in the control (nothing the
        # user typed is lost) with its notice, until the user changes it or a program sets it.
        self._refused: dict[str, str] = {}
        self._link_state: dict[str, Any] = {}
        self.status = StatusBar()
        self.status.on_cancel(self.cancel)
        self.share = ShareLink()
        self.preset = widgets.Dropdown(description=preset_label, options=[CUSTOM, *self._presets], value=CUSTOM,
                                       style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
        self.preset.observe(self._preset_chosen, "value")
        self.settings: S = initial if initial is not None else model.defaults()
        unknown = [name for name in (settings or {}) if name not in model.parsers()]
        if unknown:
            known = list(model.parsers())
            listed = ", ".join(known[:KNOWN_SHOWN]) + (", ..." if len(known) > KNOWN_SHOWN else "")
            raise TypeError(f"{type(self).__name__} got unknown setting{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(map(repr, unknown))}; known: {listed}")
        if preset is not None and preset not in self._presets:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(self._presets)}")
        problems = self._change(dict(settings or {}), preset=preset, start=False)
        self._notes["input"] = [("error", p) for p in problems]
        for name, control in self._controls.items():
            self._observe(name, control)

    def _observe(self, name: str, control: Control) -> None:
        control.widget.observe(lambda change: self._control_changed(name, change["new"]), "value")

    def _add_controls(self, controls: Mapping[str, Control], locked: bool = False) -> None:
        """Controls made after the widget was built (a row that appears when first needed)."""
        for name, control in controls.items():
            self._controls[name] = control
            control.widget.disabled = locked
            self._observe(name, control)

    # -- layout ------------------------------------------------------------------------------
    def _layout(self, named: Mapping[str, widgets.Widget], controls: list[widgets.Widget],
                figures: list[widgets.Widget], extras: list[widgets.Widget] = ()) -> None:
        """Arrange the children (controls above figures, or the compact slide layout), apply the
        embedding's shown and locked controls (`named`: every control and button by the name an
        instructor uses) and start the first computation."""
        self._named = dict(named)
        self._embedding.arrange(self._named)
        self._figures = widgets.VBox(list(figures), layout=widgets.Layout(width="100%"))
        self._figures.add_class("trainlab-figures")
        self.children = self._embedding.layout([*controls, self.status], [self._figures], list(extras))
        self.add_class(self.css_class)
        self._embedding.style(self)
        self._show_controls()
        self._state_changed()
        self._show_status()
        self._settings_changed()

    def enable(self, name: str, enabled: bool) -> None:
        """Enable or disable a button or control, keeping a locked one disabled."""
        self._named[name].disabled = not enabled or name in self._embedding.locked

    # -- public ------------------------------------------------------------------------------
    def set(self, **settings: Any) -> list[str]:
        """Change several settings at once (one recomputation). Returns what was refused and why,
        which the widget also shows."""
        preset = settings.pop("preset", None)
        problems = self._change(settings, preset=preset)
        self._notes["input"] = [("error", p) for p in problems]
        self._show_status()
        return problems

    def state(self) -> dict[str, Any]:
        """The settings that differ from the defaults (and the lecture case, if one is shown)."""
        state = short_state(self._model.flat(self.settings), self._model.flat(self._model.defaults()))
        return {"preset": self.preset.value, **state} if self.preset.value != CUSTOM else state

    def state_schema(self) -> dict[str, Parser]:
        return {"preset": parse_choice([CUSTOM, *self._presets]), **self._model.parsers()}

    def query(self) -> str:
        """The state as URL query parameters (no '?')."""
        return to_query(self.state())

    def check_state(self, state: Mapping[str, Any]) -> list[str]:
        """What apply_state(state) would refuse, without applying anything."""
        settings, problems = parse_state(_mapping("check_state", state), self.state_schema())
        preset = settings.pop("preset", None)
        base = self.settings
        if preset not in (None, CUSTOM):
            base = self._model.apply(base, self._presets[preset].changes)
        return problems + self._settle(base, settings)[1]

    def apply_state(self, state: Mapping[str, Any]) -> list[str]:
        """Move to `state` (values typed, or text as in a URL): one recomputation. Returns the
        problems, which the widget also shows, until the user moves away from the linked state."""
        settings, problems = parse_state(_mapping("apply_state", state), self.state_schema())
        preset = settings.pop("preset", None)
        problems += self._change(settings, preset=preset if preset is not None else CUSTOM)
        self._notes["link"] = [("warning", f"Link: {problem}.") for problem in problems]
        self._link_state = self.state()
        self._show_status()
        return problems

    def apply_query(self, query: str) -> list[str]:
        """apply_state() for a query string such as "activation=relu&init=xavier_normal"."""
        if not isinstance(query, str):
            raise TypeError(f"apply_query takes a query string such as 'activation=relu', not {query!r}")
        return self.apply_state(from_query(query))

    def apply_page_query(self) -> None:
        """Start in the state of the address a Voila page was opened with (a shared "link to
        this view"); nothing happens in JupyterLab. The page sends its query string once its
        widgets are drawn, so the kernel never waits for it."""
        self.share.on_page_query(self.apply_query)

    def cancel(self) -> None:
        """Abandon the computation under way; the figures keep the last result."""
        if self._latest is None:
            return
        what = self._latest.label
        self._stop_job()
        self._notes["result"] = [("info", f"Cancelled {what}: the figures show the last result. Change a "
                                          "control to compute again.")]
        self._show_status()

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until every requested computation has been drawn (for scripts and tests)."""
        return self._worker.wait(timeout)

    def close(self) -> None:
        """Stop the worker and close this widget and every widget it made."""
        worker = getattr(self, "_worker", None)  # None when the constructor refused its arguments
        if worker is not None:
            worker.close()
            self._main.clear()
        close_parts(self)
        super().close()

    @property
    def notices(self) -> list[Notice]:
        refused = [("error", f"{message}. The figures show the last valid setting.") for message in self._refused.values()]
        return [*self._notes["link"], *refused, *(note for source in SOURCES[1:] for note in self._notes[source])]

    @property
    def fields(self) -> dict[str, widgets.ValueWidget]:
        """Every control's widget by the name of the setting it shows (scripts and tests move them)."""
        return {name: control.widget for name, control in self._controls.items()}

    @property
    def refused(self) -> dict[str, str]:
        """Controls that hold a value the settings refused, with why."""
        return dict(self._refused)

    # -- the one path into the settings ------------------------------------------------------
    def _settle(self, base: S, changes: Mapping[str, Any]) -> tuple[S, list[str]]:
        """Apply `changes` to `base`, leaving out (with a message each) those the model refuses;
        the rest still apply, together, so that "given in the same call" keeps its meaning."""
        changes, problems = dict(changes), []
        while changes:
            try:
                return self._model.apply(base, changes), problems
            except SpecError as error:
                culprits = [error.field] if error.field in changes else self._culprits(base, changes)
                for key in culprits:
                    value = changes.pop(key)
                    # The reason names the setting when the model's error does not (adam.lr's "lr: ...").
                    reason = error.reason if error.field in (key, key.rpartition(".")[2]) else str(error)
                    problems.append(f"{key}={value!r} refused: {reason}")
        return base, problems

    def _culprits(self, base: S, changes: Mapping[str, Any]) -> list[str]:
        """The changes that fail on their own (a change can break another setting: a width that
        the GroupNorm groups do not divide); all of them if none does alone."""
        alone = []
        for key, value in changes.items():
            try:
                self._model.apply(base, {key: value})
            except SpecError:
                alone.append(key)
        return alone or list(changes)

    def _change(self, changes: Mapping[str, Any], preset: str | None = None, start: bool = True,
                control: str | None = None) -> list[str]:
        """Apply a lecture case (if given) and `changes` on top; refresh the controls, the
        lesson, the link and the computation. Returns what was refused; a value refused from a
        `control` stays in it."""
        base = self.settings
        if preset is not None and preset != CUSTOM:
            base = self._model.apply(base, self._presets[preset].changes)
            self._refused.clear()
        for key in changes:
            self._refused.pop(key, None)  # a value set again: the control shows what is used
        settings, problems = self._settle(base, changes)
        if control is not None and problems:
            self._refused[control] = "; ".join(problems)
        changed = settings != self.settings
        self.settings = settings
        with self._hold():
            if preset is not None:
                self.preset.value = preset
            elif self.preset.value != CUSTOM and not self._preset_holds(self.preset.value):
                self.preset.value = CUSTOM
        self._notes["lesson"] = ([("info", self._lesson(self.preset.value))] if self.preset.value != CUSTOM else [])
        if start:
            self._show_controls()
            self._state_changed()
            if changed:  # a refused change leaves the figures as they are
                self._settings_changed()
            elif preset is not None:
                # A lecture case chosen on top of the very settings drawn recomputes nothing; the
                # notes on the result drawn (the case's numbers) follow the case all the same.
                notes = self._result_notes()
                if notes is not None:
                    self._notes["result"] = notes
            self._show_status()
        return problems

    def _preset_holds(self, label: str) -> bool:
        """Whether the settings still are the lecture case's (sliders round their values)."""
        try:
            applied = self._model.apply(self.settings, self._presets[label].changes)
        except SpecError:
            return False
        return near(self._model.flat(applied), self._model.flat(self.settings))

    def _lesson(self, label: str) -> str:
        return f"{label}: {self._presets[label].lesson}"

    def _control_changed(self, name: str, value: Any) -> None:
        if self._hold.active or self._is_echo(name, value):
            return
        self._notes["input"] = []
        self._change({name: self._controls[name].from_widget(value)}, control=name)
        self._show_status()

    def _is_echo(self, name: str, value: Any) -> bool:
        """Whether a control's change is the page's, not the student's: a slider that rounds the
        value it was given to its step sends the rounded value back (a momentum of 0.9 came back
        as 0.9000000000000001), and a control hidden because it does not apply to the settings
        (Adam's momentum) cannot be moved by anyone."""
        control = self._controls[name]
        if control.shown is not None and not control.shown(self.settings):
            return True
        values = self._model.control_values(self.settings)
        if name not in values:
            return False
        shown = control.to_widget(values[name])
        widget = control.widget
        if isinstance(widget, widgets.FloatLogSlider) and shown and value and shown > 0 and value > 0:
            return abs(math.log(value, widget.base) - math.log(shown, widget.base)) <= widget.step / 2 + 1e-12
        if isinstance(widget, (widgets.FloatSlider, widgets.IntSlider)):
            return abs(value - shown) <= widget.step / 2 + 1e-12
        return value == shown

    def _preset_chosen(self, change: dict) -> None:
        if self._hold.active or change["new"] == CUSTOM:
            return
        self._notes["input"] = []
        self._change({}, preset=change["new"])

    def _show_controls(self) -> None:
        """Put the settings into the controls and show only the controls that apply."""
        values = self._model.control_values(self.settings)
        with self._hold():
            for name, value in values.items():
                control = self._controls.get(name)
                if control is None or name in self._refused:  # not made yet, or holding the user's value
                    continue
                shown = control.to_widget(value)
                if control.widget.value != shown:
                    control.widget.value = shown
        for control in self._controls.values():
            if control.shown is not None:
                control.widget.layout.display = None if control.shown(self.settings) else "none"

    def _state_changed(self) -> None:
        state = self.state()
        query = to_query(state)
        if self.share.query != query:
            self.share.query = query
        if self._notes["link"] and not near(state, self._link_state):
            self._notes["link"] = []

    # -- computing and drawing ---------------------------------------------------------------
    def _run(self, job: Job) -> None:
        """Start `job` on the worker (cancelling the one under way): the status names it and the
        figures are marked as out of date until it is drawn."""
        self._latest = job
        if not job.quiet:
            self._busy(job.label)
        self._worker.submit(job)

    def _stop_job(self) -> None:
        """Abandon the job under way without drawing it."""
        self._worker.cancel()
        self._latest = None
        self._busy(None)

    def _busy(self, what: str | None) -> None:
        self.status.set_busy(what or "")
        if what:
            self._figures.add_class("trainlab-stale")
        else:
            self._figures.remove_class("trainlab-stale")

    def _job_done(self, job: Job, error: BaseException | None) -> None:
        if job is not self._latest:
            return  # overtaken: a newer job is under way
        self._latest = None
        if not job.quiet:
            self._busy(None)
        if error is not None:
            self._failed(error)
        self._show_status()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, SpecError):
            text = f"{error}. The figures still show the last valid setting."
        else:
            log.error("trainlab: %s failed", type(self).__name__, exc_info=error)
            text = (f"The computation failed ({type(error).__name__}: {error}). The figures still show the last "
                    "result; the details are in the kernel's log.")
        self._notes["input"] = [("error", text)]

    def _show_status(self) -> None:
        self.status.show(self._line(), self.notices)

    # -- for subclasses ----------------------------------------------------------------------
    @abc.abstractmethod
    def _settings_changed(self) -> None:
        """The settings changed (or the widget was just laid out): start what shows them."""

    @abc.abstractmethod
    def _line(self) -> list[tuple[str, str]]:
        """The status line: (css class, text) parts."""

    def _result_notes(self) -> list[tuple[str, str]] | None:
        """The notes on the result drawn, for the lecture case now chosen; None when what is drawn
        is not for the settings in use (the job under way writes them) or they do not depend on the
        case."""
        return None


def _mapping(method: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{method} takes a dict of settings such as {{'activation': 'relu'}}, not {value!r}")
    return value
