"""Worker: after each job, the memory the job grew the process by is given back (compute/heap.py)."""

from __future__ import annotations

from trainlab.compute import heap
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
