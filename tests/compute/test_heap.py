"""heap: a job that grew the process gives the memory it freed back; a job that did not keeps it."""

from __future__ import annotations

import ctypes
import json
import mmap
import subprocess
import sys
from pathlib import Path

import pytest

from trainlab.compute import heap

MB = 2**20
ROOT = Path(__file__).resolve().parents[2]
glibc_only = pytest.mark.skipif(heap._TRIM is None or heap.anonymous_resident_bytes() is None,
                                reason="malloc_trim and /proc/self/status are Linux with glibc only")


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def _holes_in_the_heap(blocks: int, size: int) -> list[int]:
    """2 x `blocks` blocks of `size` bytes, written to (resident), every other one freed again:
    malloc keeps the freed ones, which sit between live ones, as it kept a sweep's temporaries.
    Returns the live blocks."""
    libc = _libc()
    # Freeing one mapped block larger than `size` raises glibc's dynamic mmap threshold above it,
    # so the blocks come from the heap, as a sweep's did, not from mappings of their own.
    libc.free(libc.malloc(2 * size))
    every = []
    for _ in range(2 * blocks):
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)
        every.append(block)
    for block in every[::2]:
        libc.free(block)
    return every[1::2]


def scenario(blocks: int) -> dict[str, float | bool]:
    """A job that leaves `blocks` MB freed between `blocks` MB still in use, then give_back(), then
    the idle trim(); in MB: how much the job grew the process, whether it gave back, how much it
    then dropped, and how much more the trim dropped."""
    before = heap.anonymous_resident_bytes()
    live = _holes_in_the_heap(blocks, MB)
    held = heap.anonymous_resident_bytes()
    gave = heap.give_back(since=before)
    after = heap.anonymous_resident_bytes()
    heap.trim()
    trimmed = heap.anonymous_resident_bytes()
    for block in live:
        _libc().free(block)
    return {"grew": (held - before) / MB, "gave": gave, "dropped": (held - after) / MB,
            "trimmed": (after - trimmed) / MB}


def _in_a_fresh_process(blocks: int) -> dict[str, float | bool]:
    """scenario() in a new interpreter: a long test run's heap already holds freed memory that
    the blocks would reuse instead of growing the process."""
    code = f"import json; from tests.compute.test_heap import scenario; print(json.dumps(scenario({blocks})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@glibc_only
def test_a_job_that_grew_the_heap_by_more_than_it_keeps_gives_the_freed_memory_back():
    seen = _in_a_fresh_process(150)
    assert seen["grew"] > 290  # 150 MB in use and 150 MB freed, which malloc keeps
    assert seen["gave"] and seen["dropped"] > 140  # the freed part given back


@glibc_only
def test_a_job_that_grew_the_heap_by_less_than_it_keeps_holds_on_to_it():
    seen = _in_a_fresh_process(15)  # 15 MB freed, as a pass's temporaries: the next pass reuses them
    assert seen["grew"] > 25
    assert not seen["gave"] and seen["dropped"] < 5
    assert seen["trimmed"] > 12  # until the process is idle: then trim() gives back the freed 15 MB


def test_where_the_process_cannot_tell_or_trim_nothing_is_given_back(monkeypatch, tmp_path):
    monkeypatch.setattr(heap, "_STATUS", tmp_path / "no-such-status")
    assert heap.anonymous_resident_bytes() is None
    assert not heap.give_back(since=0)
    monkeypatch.setattr(heap, "_TRIM", None)
    assert not heap.give_back(since=None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_anonymous_resident_memory_follows_what_the_process_writes():
    # A mapping of its own: a bytearray could come from free memory the heap already holds
    # (resident, left there by earlier tests of the same run), which writing does not add to.
    buffer = mmap.mmap(-1, 64 * MB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # private: RssAnon, not shmem
    before = heap.anonymous_resident_bytes()
    for page in range(0, len(buffer), 4096):
        buffer[page] = 1
    assert heap.anonymous_resident_bytes() - before > 48 * MB
    buffer.close()


def test_trim_is_a_no_op_without_a_trim(monkeypatch) -> None:
    monkeypatch.setattr(heap, "_TRIM", None)
    assert heap.trim() is False

