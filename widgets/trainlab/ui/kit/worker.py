"""A widget's worker thread: runs the newest job, abandons the ones overtaken, and stops on close().

A slider drag sends a value per pixel and a pass takes a tenth of a second (minutes for a first
use of some settings): running each request in turn would queue stale work behind the user's
hand. A new job here cancels the running one (it stops at its next check point, see
compute/cancel.py) and replaces any that has not started. The job's computation runs on the
worker thread and touches no widget; its drawing is handed to the main thread (main_thread.py).
Threads end with their widget's close(), and at interpreter exit, so that a script that built a
widget exits cleanly.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainlab.compute import heap, thread_pools
from trainlab.compute.cancel import Cancelled, CancelToken
from trainlab.ui.kit.main_thread import MainThread

JOIN_SECONDS = 30.0  # close() waits this long for a job to reach its next check point


@dataclass
class Job:
    """What a widget asks for: `label` names it in the status line while it runs, `compute`
    runs on the worker thread (no widget access) and `draw` shows its result on the main thread."""

    label: str
    compute: Callable[[CancelToken], Any]
    draw: Callable[[Any], None]
    quiet: bool = False  # cheap background work (a preview): no spinner, the figures stay as they are
    cancel: CancelToken = field(default_factory=CancelToken)


class Worker:
    """One background thread for one widget. on_done(job, error) runs on the main thread after
    each job that was not overtaken: error is None once its draw has run."""

    def __init__(self, main: MainThread, on_done: Callable[[Job, BaseException | None], None]) -> None:
        self._main = main
        self._on_done = on_done
        self._cond = threading.Condition()
        self._pending: Job | None = None
        self._running: Job | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self.dropped = 0  # jobs overtaken before they finished (tests use it)
        _LIVE.add(self)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending is not None or self._running is not None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, job: Job) -> None:
        """Run `job` next; the running job is cancelled and a pending one dropped."""
        thread_pools.release()  # the caller's idle OpenMP workers (the kernel's, say) would slow the job down
        with self._cond:
            if self._closed:
                return
            for old in (self._pending, self._running):
                if old is not None:
                    old.cancel.cancel()
            self.dropped += self._pending is not None
            self._pending = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="trainlab-worker", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def cancel(self) -> None:
        """Abandon the running and the pending job."""
        with self._cond:
            for job in (self._pending, self._running):
                if job is not None:
                    job.cancel.cancel()
            self.dropped += self._pending is not None
            self._pending = None
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job is pending or running and their drawing is done; False if
        `timeout` ran out first. Called on the main thread (a script, a test, a notebook cell,
        whose kernel loop cannot run meanwhile) the drawing runs here."""
        with self._cond:
            idle = self._cond.wait_for(lambda: self._pending is None and self._running is None, timeout)
        if threading.current_thread() is threading.main_thread():
            self._main.drain()
        return idle

    def close(self) -> None:
        """Cancel everything and end the thread (waiting up to JOIN_SECONDS for a check point)."""
        with self._cond:
            self._closed = True
            for job in (self._pending, self._running):
                if job is not None:
                    job.cancel.cancel()
            self._pending = None
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_SECONDS)
        _LIVE.discard(self)

    def _loop(self) -> None:
        kept = False  # a job ran since the heap was last trimmed: it keeps its working set
        while True:
            with self._cond:
                woken = self._cond.wait_for(lambda: self._pending is not None or self._closed,
                                            heap.IDLE_SECONDS if kept else None)
                if self._closed:
                    return
                job = self._pending if woken else None
                self._pending, self._running = None, job
            if job is None:  # idle since the last job: the memory kept for the next one goes back too
                heap.trim()
                kept = False
                continue
            mark = heap.anonymous_resident_bytes()
            self._run(job)
            thread_pools.release()  # idle until the next job, its OpenMP workers would slow other threads' work
            heap.give_back(since=mark)  # a sweep's hundreds of MB of temporaries, not a pass's few
            kept = True
            with self._cond:
                self._running = None
                self._cond.notify_all()

    def _run(self, job: Job) -> None:
        try:
            result = job.compute(job.cancel)
        except Cancelled:
            return
        except BaseException as error:  # the worker must outlive any one job
            if not job.cancel.cancelled:
                self._main.call(lambda failure=error: self._on_done(job, failure), key="done")
            return
        if job.cancel.cancelled:
            return

        def show() -> None:
            if job.cancel.cancelled:  # overtaken while waiting for the main thread
                return
            try:
                job.draw(result)
            except Exception as error:  # drawing failed: say so rather than freeze
                self._on_done(job, error)
                return
            self._on_done(job, None)

        self._main.call(show, key="done")


# Workers still running at interpreter exit are closed first: a daemon thread inside torch when
# the interpreter tears down aborted the process ("terminate called without an active exception").
_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for worker in list(_LIVE):
        worker.close()
