"""KernelLinked: the base of trainlab's anywidgets, whose front ends mend a model that anywidget
cut off from the kernel (static/kernel_link.js says how and why).

The front end finds its own ipywidgets model by id, so the model's id is chosen here and sent in
the model's first state; a front end that mended its link asks for the state it missed, and is
sent the whole state again.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import anywidget
import traitlets

STATIC = Path(__file__).parent / "static"
RESYNC_EVERY = 5.0  # seconds: a page asking again and again is answered at most this often


def front_end(name: str) -> str:
    """The front end `static/<name>` with the link mending before it, as text (a path would make
    anywidget watch the file and tie every instance to the class, so that none was ever freed)."""
    return (STATIC / "kernel_link.js").read_text() + "\n" + (STATIC / name).read_text()


class KernelLinked(anywidget.AnyWidget):
    """An anywidget whose front end calls trainlabKernelLink(model) (see front_end)."""

    _trainlab_id = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        model_id = uuid.uuid4().hex
        super().__init__(model_id=model_id, _trainlab_id=model_id, **kwargs)
        self._resent = -float("inf")
        self.on_msg(self._on_link_message)

    def _on_link_message(self, _widget: object, content: Any, _buffers: list) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            now = time.monotonic()
            if now - self._resent >= RESYNC_EVERY:
                self._resent = now
                self.send_state()
