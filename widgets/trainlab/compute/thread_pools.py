"""Giving back a thread's idle OpenMP pool, so that it does not slow down every other thread's torch work.

torch runs its CPU kernels on OpenMP. The GNU runtime in torch's Linux wheels (libgomp) gives each
thread that starts a parallel region a pool of worker threads of its own and keeps it for the
thread's next region. Once the workers of all pools outnumber the CPUs, libgomp stops letting any
waiting worker spin (it assumes the CPUs are oversubscribed): every parallel region of every pool
then wakes its workers through the kernel. A Python process has a pool on its main thread as soon
as torch is imported; a widget that computes on its worker thread on more than one thread adds a
second, and both are throttled while either exists, even when the other is idle.

Measured on 2 cores (BENCHMARKS.md, "Round 8"), on a thread of its own: the dashboard's network
trained at 100-110 steps/s while the main thread's idle pool was kept, 260-306 once it was given
back; lab 07's first study took 17-19 s against 13 s.

release() gives the calling thread's pool back (OpenMP 5's omp_pause_resource_all, which libgomp
implements for the caller's own pool only); the thread's next parallel region starts a new pool,
which takes microseconds. Where torch's OpenMP runtime is not libgomp (macOS's libomp, Windows) or
cannot be found, release() does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Callable

import torch

_OMP_PAUSE_SOFT = 1  # omp_pause_resource_t: the threads end, the runtime's settings stay


def _torchs_libgomp(loaded: set[str]) -> str | None:
    """Which of the libgomp copies loaded is torch's: the one in torch's package (its Linux
    wheels), or the only one (a build against the system's). Other wheels bring copies of their
    own (scikit-learn's, for one), whose pools are not torch's."""
    inside = [path for path in loaded if path.startswith(os.path.dirname(torch.__file__) + os.sep)]
    if inside:
        return inside[0]
    return next(iter(loaded)) if len(loaded) == 1 else None


@functools.cache
def _pause_all() -> Callable[[int], int] | None:
    """omp_pause_resource_all of the libgomp torch computes with, or None."""
    torch.get_num_threads()  # torch has loaded its OpenMP runtime
    try:
        with open("/proc/self/maps") as maps:
            loaded = {line.split(maxsplit=5)[-1].strip() for line in maps if "libgomp" in line}
    except OSError:  # not Linux
        return None
    path = _torchs_libgomp({p for p in loaded if os.path.basename(p).startswith("libgomp")})
    try:
        pause = ctypes.CDLL(path).omp_pause_resource_all if path else None
    except (OSError, AttributeError):  # a libgomp older than OpenMP 5 (GCC 9)
        return None
    if pause is not None:
        pause.argtypes, pause.restype = [ctypes.c_int], ctypes.c_int
    return pause


def release() -> bool:
    """End the calling thread's idle OpenMP workers; True if there was a runtime to ask and it did
    (libgomp refuses inside a parallel region, which a Python caller never is)."""
    pause = _pause_all()
    return pause is not None and pause(_OMP_PAUSE_SOFT) == 0
