"""Runs a long job as a series of short ticks without freezing the kernel.

In a Jupyter kernel the ticks run on the kernel's own event loop, one per loop iteration, so
the messages the page sends (a Stop click) are handled between two ticks. They were put there
when torch trained the deep net 2 to 2.5 times slower on a secondary Python thread than on the
main one (BENCHMARKS.md, training lab); the cause was found later, the main thread's idle OpenMP
pool throttling the other thread's (compute/thread_pools.py, which the runner now calls around
a run). Where no event loop runs (a script, a test), the ticks run on a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from trainlab.compute import heap, thread_pools
from trainlab.ui.kit.main_thread import kernel_loop

# Between two ticks the loop first runs everything else that is ready. With call_soon a tick and
# one step of the kernel's message handling took turns, and handling a click takes many steps
# (ipykernel 7 passes it from its shell thread and through several awaits): a Stop click waited
# one tick per step, 21 s in a lecture case. A short timer lets those steps all run first.
YIELD_SECONDS = 0.003

class ChunkRunner:
    """Calls tick() until it returns False. tick must handle its own errors."""

    def __init__(self, tick: Callable[[], bool]) -> None:
        self._tick = tick
        self._active = False
        self._thread: threading.Thread | None = None
        self._handle: asyncio.TimerHandle | None = None  # the next tick scheduled on the kernel's loop
        self._heap_mark: int | None = None  # the process's anonymous memory when the job started

    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> None:
        if self._active:
            return
        self._active = True
        thread_pools.release()  # the caller's idle OpenMP workers would slow a training thread down
        self._heap_mark = heap.anonymous_resident_bytes()
        loop = kernel_loop()
        if loop is not None:
            self._thread = None
            self._handle = loop.call_later(YIELD_SECONDS, self._on_loop, loop)
        else:
            self._thread = threading.Thread(target=self._drain, name="trainlab-training", daemon=True)
            self._thread.start()

    def wait(self, timeout: float = 300.0) -> bool:
        """Block until the job is done; False if `timeout` ran out first. On the event loop's own
        thread (a notebook cell, a click handler) the loop cannot run meanwhile, so the ticks run
        here."""
        thread = self._thread
        if thread is not None:
            if thread is not threading.current_thread():
                thread.join(timeout)
            return not thread.is_alive()
        deadline = time.monotonic() + timeout
        while self._active and time.monotonic() < deadline:
            self._step()
        if not self._active:
            self._forget_tick()
        return not self._active

    def _forget_tick(self) -> None:
        """Drop a tick still scheduled on the loop (it holds the widget until the loop turns)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _step(self) -> bool:
        more = self._tick()
        if not more:
            self._active = False
            thread_pools.release()  # on the kernel's main thread, other widgets' threads compute meanwhile
            heap.give_back(since=self._heap_mark)
        return more

    def _on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = None
        if self._active and self._step():
            self._handle = loop.call_later(YIELD_SECONDS, self._on_loop, loop)

    def _drain(self) -> None:
        while self._active and self._step():
            pass
