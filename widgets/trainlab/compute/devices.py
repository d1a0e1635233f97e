"""Choosing the torch device, the CPU threads it computes on, and reading how much memory it has free."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch
from joblib import cpu_count

from trainlab.compute.errors import SpecError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA if present, else Apple MPS, else the CPU; or the device asked for, if it exists."""
    if preference not in DEVICE_CHOICES:
        raise SpecError("device", f"must be one of {', '.join(DEVICE_CHOICES)}, not {preference!r}")
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
    if not available[preference]:
        raise SpecError("device", f"{preference} was asked for but is not available here")
    return torch.device(preference)


def free_bytes(device: torch.device) -> int:
    """Memory a new allocation on `device` can use now (a best estimate on the CPU)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "mps":
        return int(torch.mps.recommended_max_memory() - torch.mps.current_allocated_memory())
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def wide_float(device: torch.device) -> torch.dtype:
    """The widest float the device computes in: float64, except on Apple MPS (no float64)."""
    return torch.float32 if device.type == "mps" else torch.float64


def fit_threads_to_cpus(environ: dict[str, str] = os.environ) -> int:
    """Lower torch's intra-op threads to the CPUs this process may use, and return the count.

    torch starts one thread per core it sees, but a container may see every core of its host and
    be allowed one or two (Binder, a Kubernetes pod: a CPU quota in its cgroup). An OpenMP team
    larger than the quota spends most of its time throttled (BENCHMARKS.md, "CPU quota").
    joblib's cpu_count reads the affinity mask and the cgroup's quota (v1 and v2). A thread
    count the user chose (OMP_NUM_THREADS, or torch.set_num_threads before trainlab's import
    lowered it) is kept."""
    threads = torch.get_num_threads()
    if "OMP_NUM_THREADS" in environ:
        return threads
    allowed = cpu_count()
    if threads > allowed:
        torch.set_num_threads(allowed)
    return min(threads, allowed)


# torch's intra-op threads as the process started, fitted to its CPUs (before any
# intra_op_threads block lowered them).
_STARTING_THREADS = fit_threads_to_cpus()


def cpu_threads() -> int:
    """The intra-op threads trainlab computes on when the page is not drawing (all it may use)."""
    return _STARTING_THREADS


def ui_friendly_threads(device: torch.device) -> int:
    """Intra-op threads for computing while the page draws (training, the explorer's pass): all
    cores but one on a CPU. The page (the kernel's messages, and the browser when it
    runs on the same machine) needs a core; an OpenMP team that has to share its cores runs
    several times slower. Measured on 2 cores (BENCHMARKS.md): training 41 steps/s with 2
    threads, 142 with 1; an explorer pass in Chromium done in 0.41-0.43 s with 1 thread against
    0.85-0.93 s with 2, on a third of the CPU time."""
    return max(1, _STARTING_THREADS - 1) if device.type == "cpu" else _STARTING_THREADS


@contextlib.contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """torch's intra-op thread count set to `count` inside the block, restored after it."""
    before = torch.get_num_threads()
    if count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if count != before:
            torch.set_num_threads(before)
