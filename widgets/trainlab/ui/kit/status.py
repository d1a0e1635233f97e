"""StatusBar: the line under a widget's controls that says what is drawn, what is being computed
(spinner, elapsed time, cancel), what went wrong or what to notice, and when the kernel is gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from trainlab.ui.kit.kernel_link import STATIC, KernelLinked, front_end

Notice = tuple[str, str]  # (level, text): level is error, warning or info
LEVELS = ("error", "warning", "info")


class StatusBar(KernelLinked):
    """line: (css class, text) parts joined by " · "; notices: (level, text); busy: what is
    being computed ("" when idle). Texts are shown as text, never as HTML."""

    _esm = front_end("status.js")
    _css = (STATIC / "plotly_view.css").read_text()
    line = traitlets.List().tag(sync=True)
    notices = traitlets.List().tag(sync=True)
    busy = traitlets.Unicode("").tag(sync=True)
    busy_serial = traitlets.Int(0).tag(sync=True)  # bumped per job: the browser restarts its clock
    progress = traitlets.Float(-1.0).tag(sync=True)  # share of the job done, 0 to 1; -1: not known

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cancel_handlers: list[Callable[[], None]] = []
        self.on_msg(self._on_front_end_message)

    def on_cancel(self, handler: Callable[[], None]) -> None:
        self._cancel_handlers.append(handler)

    def show(self, line: list[tuple[str, str]], notices: list[Notice]) -> None:
        line_list = [list(part) for part in line]
        notice_list = [[level, text] for level, text in notices]
        with self.hold_sync():
            if line_list != self.line:
                self.line = line_list
            if notice_list != self.notices:
                self.notices = notice_list

    def set_busy(self, what: str, progress: float | None = None) -> None:
        """Say what is being computed ("" when idle) and, if known, how much of it is done (0 to 1),
        which the browser shows as a progress bar."""
        with self.hold_sync():
            self.busy = what
            self.progress = -1.0 if progress is None or not what else min(max(float(progress), 0.0), 1.0)
            if what:
                self.busy_serial += 1

    @property
    def text(self) -> str:
        """The status line and the notices as plain text (for scripts and tests)."""
        parts = [" · ".join(text for _cls, text in self.line)]
        if self.busy:
            parts.append(f"computing {self.busy}")
        return "\n".join(parts + [text for _level, text in self.notices])

    def texts(self, level: str) -> str:
        """The notices of one level as one text (for scripts and tests)."""
        return " ".join(text for lvl, text in self.notices if lvl == level)

    def _on_front_end_message(self, _widget: object, content: Any, _buffers: list) -> None:
        if isinstance(content, dict) and content.get("type") == "cancel":
            for handler in self._cancel_handlers:
                handler()
