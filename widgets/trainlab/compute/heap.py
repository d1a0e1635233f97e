"""Memory a job freed, given back to the operating system when the job grew the process by more
than the next job would reuse.

glibc's malloc keeps what a process frees for its next allocations. That is what keeps a pass
quick: its temporaries (tens of MB) come from memory the previous pass freed, with no new page to
fault in and zero. A sweep frees hundreds of MB at once, though, and a kernel would hold them until
it ends, on a Binder server whose kernels share 2 GB. So a job that grew the process's anonymous
resident memory by more than KEEP_BYTES is followed by malloc_trim, which returns every free page.
(malloc's own count of free bytes cannot decide it: it still counts the pages already returned.)
A process idle for IDLE_SECONDS after a job gives back the rest too, a pass's working set
included: what a kernel holds between a student's bursts of changes is what a server's
sizing counts, and the first pass after the pause pays 10-13 ms to fault its pages in again.

(Kernels used to run with MALLOC_MMAP_THRESHOLD_=1 MB instead: every block over 1 MB its own
mapping, unmapped when freed. It held as little, but each pass faulted in fresh pages for its
temporaries, which made a pass 1.5x slower: BENCHMARKS.md, round 6.)

Elsewhere than Linux with glibc (macOS, Windows, musl) the allocator returns memory by itself, or
these calls do not exist: anonymous_resident_bytes() or the trim is then missing and give_back()
does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from pathlib import Path

# How much a job may grow the heap and keep it for the next one: more than a pass's temporaries
# at the explorer's size (about 30 MB), far less than a sweep's (100-300 MB).
KEEP_BYTES = 64 * 2**20
# After this long without a job the process trims what it kept: longer than the pause between two
# changes of a student turning a knob, shorter than reading a paragraph of the lab.
IDLE_SECONDS = 10.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, which returns the free pages of every arena (glibc 2.8 and newer)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The process's own symbols, which include its C library's: no search for the library
        # (ctypes.util.find_library runs ldconfig, a cost at every kernel's start).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library without malloc_trim (musl)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()
_STATUS = Path("/proc/self/status")


def anonymous_resident_bytes() -> int | None:
    """The process's anonymous resident memory (RssAnon: its heap, not the files it maps, such as
    the shared weight store), or None where /proc does not say."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def give_back(since: int | None, keep: int = KEEP_BYTES) -> bool:
    """After a job: if anonymous_resident_bytes() grew by more than `keep` since `since` (its
    value before the job), return malloc's free pages to the system. True if it did."""
    if _TRIM is None or since is None:  # nothing to compare or nothing to trim with: skip the read
        return False
    now = anonymous_resident_bytes()
    if now is None or now - since <= keep:
        return False
    return trim()


def trim() -> bool:
    """Return malloc's free pages, of every arena, to the system. False where there is no trim."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
