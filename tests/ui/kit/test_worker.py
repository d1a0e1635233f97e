"""Worker: after each job, the memory the job grew the process by is given back, and after a pause
the rest (compute/heap.py); the OpenMP pools of the threads around a job are given back too."""

from __future__ import annotations

import threading
import time

from trainlab.compute import heap, thread_pools
from trainlab.ui.kit.main_thread import MainThread
from trainlab.ui.kit.worker import Job, Worker


def test_each_job_is_followed_by_giving_back_what_it_grew_the_heap_by(monkeypatch):
    sizes = iter([100, 900])  # the process's anonymous memory as each of two jobs starts
    monkeypatch.setattr(heap, "anonymous_resident_bytes", lambda: next(sizes))
    given: list[int | None] = []
    monkeypatch.setattr(heap, "give_back", lambda since: given.append(since) or False)
    drawn: list[str] = []
    worker = Worker(MainThread(), lambda job, error: None)
    try:
        for name in ("sweep", "pass"):
            worker.submit(Job(name, lambda cancel, name=name: name, drawn.append))
            assert worker.wait(10)
    finally:
        worker.close()
    assert drawn == ["sweep", "pass"]
    assert given == [100, 900]  # each job measured from where it started


def test_a_worker_idle_after_a_job_trims_the_heap_once(monkeypatch):
    monkeypatch.setattr(heap, "IDLE_SECONDS", 0.2)
    trims: list[float] = []
    monkeypatch.setattr(heap, "trim", lambda: trims.append(time.monotonic()) or True)
    worker = Worker(MainThread(), lambda job, error: None)
    try:
        time.sleep(0.5)
        assert trims == [], "no job yet: nothing kept, nothing to trim"
        for _ in range(3):  # jobs closer together than IDLE_SECONDS: no trim between them
            worker.submit(Job("pass", lambda cancel: None, lambda result: None))
            assert worker.wait(10)
            time.sleep(0.05)
        assert trims == []
        done = time.monotonic()
        time.sleep(0.8)
        assert len(trims) == 1, "one trim after the pause, not one per timeout"
        assert trims[0] - done >= 0.1
        worker.submit(Job("pass", lambda cancel: None, lambda result: None))
        assert worker.wait(10)
        time.sleep(0.5)
        assert len(trims) == 2, "a job after the pause: kept again, trimmed again"
    finally:
        worker.close()


def test_the_caller_and_the_worker_give_their_idle_openmp_pools_back(monkeypatch):
    """The submitting thread before each job, the worker thread after it (compute/thread_pools.py):
    an idle pool on either would throttle the other's parallel work."""
    released: list[str] = []
    monkeypatch.setattr(thread_pools, "release", lambda: released.append(threading.current_thread().name) or True)
    worker = Worker(MainThread(), lambda job, error: None)
    try:
        for _ in range(2):
            worker.submit(Job("pass", lambda cancel: None, lambda result: None))
            assert worker.wait(10)
    finally:
        worker.close()
    caller = threading.current_thread().name
    assert released == [caller, "trainlab-worker", caller, "trainlab-worker"]
