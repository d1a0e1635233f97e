"""thread_pools: release() ends the calling thread's idle OpenMP workers (torch's libgomp, not
another wheel's copy), after which another thread's small parallel operations are not throttled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from trainlab.compute import thread_pools


def _run(code: str) -> dict:
    """`code` in a fresh interpreter (no other thread's pools), which prints one JSON object."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_release_ends_the_calling_threads_workers_and_the_next_region_starts_new_ones():
    seen = _run("""
        import json, os, time, torch
        import sklearn.datasets  # scikit-learn brings a libgomp of its own
        from trainlab.compute import thread_pools
        torch.set_num_threads(2)  # the main thread's pool: one worker beside it
        tids = lambda: set(os.listdir("/proc/self/task"))
        x = torch.randn(512, 512)
        x @ x
        pooled = tids()
        released = thread_pools.release()
        # The worker is joined before release() returns, but /proc may list an ended thread a
        # moment longer (seen once in a full test run).
        deadline = time.monotonic() + 5
        while not pooled - tids() and time.monotonic() < deadline:
            time.sleep(0.01)
        ended = pooled - tids()
        x @ x
        print(json.dumps({"released": released, "ended": len(ended), "started": len(tids() - pooled)}))
    """)
    assert seen["released"] is True
    assert seen["ended"] == 1, "the main thread's one pool worker ended"
    assert seen["started"] == 1, "the next parallel region started a worker again"


def test_torchs_copy_is_chosen_among_several_and_an_ambiguous_choice_is_none():
    sklearn_copy = "/venv/lib/python3.11/site-packages/scikit_learn.libs/libgomp-e985bcbb.so.1.0.0"
    system_copy = "/usr/lib/x86_64-linux-gnu/libgomp.so.1"
    torch_copy = os.path.join(os.path.dirname(torch.__file__), "lib", "libgomp.so.1")
    choose = thread_pools._torchs_libgomp
    assert choose({sklearn_copy, torch_copy}) == torch_copy
    assert choose({system_copy}) == system_copy  # a torch built against the system's
    assert choose({sklearn_copy, system_copy}) is None  # which one torch uses is not known
    assert choose(set()) is None


@pytest.mark.parametrize("given_back", [False, True])
def test_another_threads_parallel_work_waits_on_the_kernel_only_while_the_pool_is_kept(given_back):
    """With the main thread's pool kept, libgomp throttles every pool (more workers than CPUs): the
    thread's parallel regions sleep in the kernel instead of spinning. Counted (its voluntary
    context switches), not timed."""
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        pytest.skip("one CPU: torch starts no pool of workers")
    seen = _run(f"""
        import json, os, threading, torch
        from trainlab.compute import thread_pools
        torch.set_num_threads({cpus})  # two pools of this size outnumber the CPUs
        x = torch.randn(512, 512)
        x @ x  # the main thread's pool
        if {given_back}:
            thread_pools.release()
        a, b = torch.randn(200_000), torch.randn(200_000)
        switches = {{}}

        def work():
            stat = lambda: int(open(f"/proc/self/task/{{threading.get_native_id()}}/status").read()
                               .split("voluntary_ctxt_switches:")[1].split()[0])
            torch.add(a, b)  # the thread's pool
            before = stat()
            for _ in range(500):
                torch.add(a, b)
            switches["work"] = stat() - before

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        print(json.dumps(switches))
    """)
    if given_back:
        assert seen["work"] < 100, seen  # 0 in every run here
    else:
        assert seen["work"] >= 150, seen  # 357-501 of the 500 regions here
