"""The worker runs a job's computation with the torch threads the job asks for, and restores them."""

from __future__ import annotations

import torch

from trainlab.compute.devices import intra_op_threads, ui_friendly_threads
from trainlab.ui.kit.main_thread import MainThread
from trainlab.ui.kit.worker import Job, Worker


def _threads_seen(threads: int | None) -> list[int]:
    seen: list[int] = []
    worker = Worker(MainThread(), lambda job, error: None)
    try:
        worker.submit(Job("count", lambda cancel: seen.append(torch.get_num_threads()), lambda _: None,
                          threads=threads))
        assert worker.wait(30)
    finally:
        worker.close()
    return seen


def test_a_job_computes_with_the_threads_it_asks_for_and_they_are_restored() -> None:
    before = torch.get_num_threads()
    assert _threads_seen(1) == [1]
    assert torch.get_num_threads() == before


def test_a_job_that_asks_for_none_computes_with_the_threads_as_they_are() -> None:
    with intra_op_threads(1):
        assert _threads_seen(None) == [torch.get_num_threads()]


def test_the_page_keeps_a_core_and_the_choice_does_not_shrink_inside_a_block() -> None:
    cpu = torch.device("cpu")
    friendly = ui_friendly_threads(cpu)
    assert friendly == max(1, torch.get_num_threads() - 1)
    with intra_op_threads(1):
        assert ui_friendly_threads(cpu) == friendly  # read from the start, not from the current setting
