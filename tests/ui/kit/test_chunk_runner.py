"""ChunkRunner: ticks on a worker thread outside a kernel, or driven by wait() on the caller; the
threads around a run give their idle OpenMP pools back."""

from __future__ import annotations

import asyncio
import threading

from trainlab.compute import heap, thread_pools
from trainlab.ui.kit.chunk_runner import ChunkRunner


def _counter(limit: int):
    seen = []

    def tick() -> bool:
        seen.append(threading.current_thread().name)
        return len(seen) < limit

    return seen, tick


def test_outside_a_kernel_the_ticks_run_on_a_worker_thread():
    seen, tick = _counter(5)
    runner = ChunkRunner(tick)
    runner.start()
    assert runner.wait(10) and not runner.active
    assert seen == ["trainlab-training"] * 5


def test_a_running_loop_that_is_not_a_kernels_is_not_used():
    """Inside some other event loop (as under Playwright's sync API) the worker thread runs the
    ticks: a loop the kernel does not turn would never call them."""
    seen, tick = _counter(3)

    def start() -> ChunkRunner:
        runner = ChunkRunner(tick)
        runner.start()
        return runner

    async def inside_a_loop() -> ChunkRunner:
        return start()

    try:
        asyncio.get_running_loop()
        runner = start()  # already inside one: Playwright's, when the browser tests ran first
    except RuntimeError:
        runner = asyncio.run(inside_a_loop())
    assert runner.wait(10) and seen == ["trainlab-training"] * 3


def test_start_while_active_does_not_start_twice():
    release = threading.Event()
    calls = []

    def tick() -> bool:
        calls.append(1)
        release.wait(5)
        return False

    runner = ChunkRunner(tick)
    runner.start()
    runner.start()
    release.set()
    assert runner.wait(10) and calls == [1]


def test_a_finished_job_gives_back_what_it_grew_the_heap_by(monkeypatch):
    monkeypatch.setattr(heap, "anonymous_resident_bytes", lambda: 1234)
    given: list[int | None] = []
    monkeypatch.setattr(heap, "give_back", lambda since: given.append(since) or False)
    seen, tick = _counter(4)
    runner = ChunkRunner(tick)
    runner.start()
    assert runner.wait(10)
    assert len(seen) == 4 and given == [1234]  # once, at the end, measured from the start


def test_the_starting_thread_and_the_training_thread_give_their_idle_openmp_pools_back(monkeypatch):
    """Before the run on the thread that starts it, after it on the thread that ran it
    (compute/thread_pools.py): an idle pool on either would throttle the other's parallel work."""
    released: list[str] = []
    monkeypatch.setattr(thread_pools, "release", lambda: released.append(threading.current_thread().name) or True)
    seen, tick = _counter(3)
    runner = ChunkRunner(tick)
    runner.start()
    assert runner.wait(10) and len(seen) == 3
    assert released == [threading.current_thread().name, "trainlab-training"]
