"""Run requests on one worker thread, newest first: requests that were overtaken are dropped.

A slider drag sends a value per pixel; a pass takes a tenth of a second. Running each request
in turn would queue stale passes behind the user's hand. Here a new request replaces any that
has not started, and the kernel's main thread stays free to receive the next control change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestWins(Generic[T]):
    def __init__(self, work: Callable[[T], None], on_error: Callable[[BaseException], None]) -> None:
        self._work = work
        self._on_error = on_error
        self._cond = threading.Condition()
        self._pending: list[T] = []  # at most one item
        self._busy = False
        self.dropped = 0  # requests overtaken before they started
        threading.Thread(target=self._loop, name="trainlab-worker", daemon=True).start()

    def submit(self, request: T) -> None:
        with self._cond:
            self.dropped += len(self._pending)
            self._pending = [request]
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or running; False if `timeout` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                request = self._pending.pop()
                self._busy = True
            try:
                self._work(request)
            except BaseException as error:  # the worker must outlive any one request
                self._on_error(error)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
