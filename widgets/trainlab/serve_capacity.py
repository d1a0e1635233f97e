"""How many kernels `trainlab serve` lets run at once when --max-kernels is not given: as many as
the memory that is free when the server starts can hold, with a margin.

Each page has a kernel of its own; an explorer lab's kernel holds about 726 MB (six cached
4096 x 4096 base matrices, see BENCHMARKS.md), the index's 66 MB, the optimizer lab's 359 MB.
Sizing every kernel as the largest keeps a full classroom from pushing the machine into the
out-of-memory killer, which would stop a random kernel, or Voila itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
KERNEL_BYTES = 800 * MB  # the largest lab kernel measured (726 MB), rounded up
RESERVE_BYTES = 1536 * MB  # for Voila, the operating system and whatever else runs on the machine
FALLBACK_KERNELS = 4  # when this system does not say how much memory is free


@dataclass(frozen=True)
class KernelCap:
    """The default kernel cap and the memory figure it came from (None: not known)."""

    kernels: int
    available_bytes: int | None

    def reason(self) -> str:
        """Where the figure comes from, for the line `trainlab serve` prints at start."""
        if self.available_bytes is None:
            return "free memory unknown, a guess"
        return (f"{self.available_bytes / 1024**3:.1f} GB free at start, about {KERNEL_BYTES / 1024**3:.1f} GB "
                f"per kernel, {RESERVE_BYTES / 1024**3:.1f} GB kept in reserve")


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


def default_kernel_cap(available_bytes: int | None = None) -> KernelCap:
    """The cap for `available_bytes` of free memory (measured now if not given); at least 1."""
    if available_bytes is None:
        available_bytes = available_memory()
    if available_bytes is None:
        return KernelCap(FALLBACK_KERNELS, None)
    return KernelCap(max(1, (available_bytes - RESERVE_BYTES) // KERNEL_BYTES), available_bytes)
