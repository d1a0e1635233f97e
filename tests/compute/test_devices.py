"""The CPU threads trainlab computes on: fitted to the CPUs the process may use, unless the user chose."""

from __future__ import annotations

import os

import pytest
import torch

from trainlab.compute import devices


@pytest.fixture
def threads():
    """torch's thread count, put back after the test."""
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


def test_a_cpu_quota_below_the_cores_lowers_the_threads(monkeypatch, threads) -> None:
    torch.set_num_threads(2)
    monkeypatch.setattr(devices, "cpu_count", lambda: 1)  # a pod allowed one CPU of its host's cores
    assert devices.fit_threads_to_cpus(environ={}) == 1
    assert torch.get_num_threads() == 1


def test_the_users_thread_count_is_kept(monkeypatch, threads) -> None:
    torch.set_num_threads(2)
    monkeypatch.setattr(devices, "cpu_count", lambda: 1)
    assert devices.fit_threads_to_cpus(environ={"OMP_NUM_THREADS": "2"}) == 2
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)  # lowered by the user before trainlab's import: not raised
    monkeypatch.setattr(devices, "cpu_count", lambda: 4)
    assert devices.fit_threads_to_cpus(environ={}) == 1
    assert torch.get_num_threads() == 1


def test_the_cpus_counted_are_the_ones_this_machine_allows() -> None:
    """joblib counts the affinity mask and any cgroup quota; never more than the cores."""
    from joblib import cpu_count

    assert 1 <= cpu_count() <= len(os.sched_getaffinity(0))


def test_the_device_line_gives_the_threads_a_pass_runs_on() -> None:
    from trainlab.ui.init_explorer import describe_device

    cpu = torch.device("cpu")
    used = devices.ui_friendly_threads(cpu)
    assert describe_device(cpu) == f"cpu ({used} of {devices.cpu_threads()} cores)"
