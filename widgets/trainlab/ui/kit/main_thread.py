"""Where a widget writes its traits: always on the kernel's main thread.

ipywidgets sends a message for every trait change, and a message sent from a second thread can
interleave with the kernel's own (a widget model half-sent while the page loads). Work that runs
elsewhere (a pass on the worker thread, training ticks outside a kernel) hands its drawing here:
in a kernel it runs on the kernel's event loop; in a script or a test it waits until the main
thread calls drain() (a widget's wait() does). Newer work with the same key replaces older work
that has not run yet, so a burst of results draws once.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the Jupyter kernel this code runs in, if it runs in one. Another running
    loop does not do: Playwright's synchronous API, for one, registers a loop on the main thread
    that only turns while Playwright itself is called."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if getattr(shell, "kernel", None) is None or threading.current_thread() is not threading.main_thread():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class MainThread:
    """Runs callables on the main thread, newest per key first."""

    def __init__(self) -> None:
        self.loop = kernel_loop()
        self._pending: OrderedDict[Hashable, Callable[[], None]] = OrderedDict()
        self._lock = threading.Lock()
        self._scheduled = False

    def call(self, fn: Callable[[], None], key: Hashable | None = None) -> None:
        """Run fn on the main thread: now if this is it, else as soon as the main thread can."""
        if threading.current_thread() is threading.main_thread():
            fn()
            return
        with self._lock:
            self._pending.pop(key if key is not None else fn, None)
            self._pending[key if key is not None else fn] = fn
            schedule = self.loop is not None and not self._scheduled
            self._scheduled = self._scheduled or schedule
        if schedule:
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the kernel's loop has closed: the kernel is shutting down
                pass

    def drain(self) -> None:
        """Run everything handed over so far, oldest first (on the main thread)."""
        while True:
            with self._lock:
                self._scheduled = False
                if not self._pending:
                    return
                _, fn = self._pending.popitem(last=False)
            fn()

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
