"""Abandoning a computation that nobody waits for any more.

A widget hands a CancelToken to the compute it starts; when the user changes a control (or
presses cancel) the token is cancelled and the computation stops at its next check point, a
layer boundary, a drawn matrix or a chunk of optimizer steps, with Cancelled. Checking reads a
Python flag: no device sync, so the GPU path keeps running asynchronously between checks.
"""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """The computation was abandoned: its result would no longer be shown."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def check(self) -> None:
        """Raise Cancelled if the token was cancelled."""
        if self._event.is_set():
            raise Cancelled()


NEVER = CancelToken()  # for callers that never abandon (scripts, the command line)
