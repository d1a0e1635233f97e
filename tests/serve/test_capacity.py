"""capacity.py: the default kernel cap, from the memory that is free."""

from __future__ import annotations

from trainlab.serve.capacity import (
    MB, POOLED_KERNEL_BYTES, RESERVE_BYTES, VISITOR_KERNEL_BYTES, available_memory, default_kernel_cap,
)


def test_default_kernel_cap_follows_free_memory():
    pools = 8 * POOLED_KERNEL_BYTES
    assert default_kernel_cap(8, RESERVE_BYTES + pools + 10 * VISITOR_KERNEL_BYTES + MB).kernels == 8 + 10
    assert default_kernel_cap(0, RESERVE_BYTES + 10 * VISITOR_KERNEL_BYTES - MB).kernels == 9
    # pools that do not fit beside one kernel in use are not counted as light
    assert default_kernel_cap(8, RESERVE_BYTES + 3 * VISITOR_KERNEL_BYTES).kernels == 3
    assert default_kernel_cap(0, 512 * MB).kernels == 1, "a small machine still serves one page"
    assert default_kernel_cap(8).kernels >= 1
    assert "18.5 GB free" in default_kernel_cap(8, int(18.5 * 1024**3)).reason()


def test_free_memory_is_the_smaller_of_the_system_and_the_container_limit(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemAvailable:   16000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    (cgroup / "memory.max").write_text("max\n")
    (cgroup / "memory.current").write_text("1000\n")
    assert available_memory(meminfo, cgroup) == 16000000 * 1024
    (cgroup / "memory.max").write_text(f"{4 * 1024**3}\n")
    (cgroup / "memory.current").write_text(f"{1024**3}\n")
    assert available_memory(meminfo, cgroup) == 3 * 1024**3
