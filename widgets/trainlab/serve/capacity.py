"""How many kernels `trainlab serve` lets run at once when --max-kernels is not given: as many as
the memory that is free when the server starts can hold, with a margin.

Every page has a kernel of its own. Measured resident memory per kernel
(benchmarks/bench_kernel_memory.py): the index's 66 MB; an idle preheated lab kernel 0.42-0.79 GB
(the explorer labs' the largest, with six cached 4096 x 4096 base matrices), about 0.45 GB on
average over the labs; a kernel in use grows, the explorer's to 1.28-1.47 GB after a typical
session. So the pools are counted at their idle size and every other kernel at 1.2 GB, the same
rule as the sizing advice in docs/deploy.md. Too high a cap lets a full classroom push the
machine into the out-of-memory killer, which stops a random kernel, or Voila itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
GB = 1024 * MB
POOLED_KERNEL_BYTES = 460 * MB  # an idle preheated kernel, averaged over the labs
VISITOR_KERNEL_BYTES = 1200 * MB  # a kernel a student is using
RESERVE_BYTES = 1536 * MB  # for Voila, the operating system and whatever else runs on the machine
FALLBACK_KERNELS = 4  # when this system does not say how much memory is free


@dataclass(frozen=True)
class KernelCap:
    """The default kernel cap and the figures it came from (available_bytes None: not known)."""

    kernels: int
    available_bytes: int | None
    pooled: int = 0

    def reason(self) -> str:
        """Where the figure comes from, for the line `trainlab serve` prints at start."""
        if self.available_bytes is None:
            return "free memory unknown, a guess"
        pools = f"{self.pooled} pooled at about {POOLED_KERNEL_BYTES / GB:.2f} GB, " if self.pooled else ""
        return (f"{self.available_bytes / GB:.1f} GB free at start: {pools}the others at about "
                f"{VISITOR_KERNEL_BYTES / GB:.1f} GB, {RESERVE_BYTES / GB:.1f} GB kept in reserve")


def _meminfo_available(meminfo: Path) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room(cgroup: Path) -> int | None:
    """Bytes this process's cgroup (v2) may still use, None if it has no limit."""
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        used = int((cgroup / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    if not limit.isdigit() or int(limit) >= 2**62:  # "max", or the kernel's "no limit" figure
        return None
    return max(0, int(limit) - used)


def available_memory(meminfo: Path = Path("/proc/meminfo"), cgroup: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes that new processes can use now: the system's MemAvailable, or less in a container
    whose memory limit is lower; the physical memory where /proc is missing; None if unknown."""
    figures = [x for x in (_meminfo_available(meminfo), _cgroup_room(cgroup)) if x is not None]
    if figures:
        return min(figures)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_kernel_cap(pooled: int, available_bytes: int | None = None) -> KernelCap:
    """The cap for a server that keeps `pooled` preheated kernels, with `available_bytes` of
    free memory (measured now if not given): the pools, plus as many kernels in use as the rest
    holds; at least 1 in use. The pools are left out of the sum when they alone do not fit."""
    if available_bytes is None:
        available_bytes = available_memory()
    if available_bytes is None:
        return KernelCap(FALLBACK_KERNELS, None, pooled)
    room = available_bytes - RESERVE_BYTES - pooled * POOLED_KERNEL_BYTES
    if room < VISITOR_KERNEL_BYTES:
        pooled, room = 0, available_bytes - RESERVE_BYTES
    return KernelCap(pooled + max(1, room // VISITOR_KERNEL_BYTES), available_bytes, pooled)
