"""trainlab under a CPU quota, as on Binder or in a Kubernetes pod: a container that sees every
core of its host but may use fewer. trainlab fits torch's threads to the quota at import
(compute/devices.py); this times the explorer's pass and a sweep of 16 with the threads fitted,
against the same process told to keep one thread per core (OMP_NUM_THREADS, which trainlab
leaves alone), in a cgroup whose CPU quota is --cpus. The two take turns, --rounds times.
--host-cores N starts torch with N threads, its default on a host of N cores (a Binder pod sees
its host's 8 to 64), on this machine's cores.

    sudo python benchmarks/bench_cpu_quota.py [--cpus 1] [--host-cores 8] [--rounds 3]

Needs root: the probe runs in a cgroup of its own (v1 or v2) and, as in a container, in a mount
namespace where that cgroup is the one at /sys/fs/cgroup (where the container's quota is read).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
import os, time, torch
torch.set_num_threads(int(os.environ["HOST_CORES"]))  # torch's default on a host of that many cores
from trainlab.compute import NetworkSpec, run_pass, run_sweep
from trainlab.compute.devices import cpu_threads, ui_friendly_threads
spec, cpu = NetworkSpec(), torch.device("cpu")
run_pass(spec, device="cpu")
def timed(run):
    start = time.perf_counter(); run(); return (time.perf_counter() - start) * 1000
passes = [timed(lambda i=i: run_pass(spec.with_knob(0.01 + 0.001 * i), device="cpu", threads=ui_friendly_threads(cpu)))
          for i in range(10)]
sweep = timed(lambda: run_sweep(spec, [0.001 * 1.4 ** i for i in range(16)], device="cpu"))
print(cpu_threads(), sorted(passes)[5], sweep)
"""


V2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()


def cgroup(cpus: float) -> Path:
    """A cgroup allowed `cpus` CPUs (a quota over a 100 ms period)."""
    period = 100_000
    if V2:
        group = Path("/sys/fs/cgroup/trainlab-bench-quota")
        group.mkdir(exist_ok=True)
        (group / "cpu.max").write_text(f"{int(cpus * period)} {period}")
    else:
        group = Path("/sys/fs/cgroup/cpu/trainlab-bench-quota")
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text(str(period))
        (group / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))
    return group


def run(group: Path, host_cores: int, fitted: bool) -> tuple[int, float, float]:
    """(threads, explorer pass p50 ms, sweep ms) of a probe in `group` whose torch starts with
    `host_cores` threads; unless `fitted`, OMP_NUM_THREADS tells trainlab to keep them."""
    env = {**os.environ, "HOST_CORES": str(host_cores)}
    env.pop("OMP_NUM_THREADS", None)
    if not fitted:
        env["OMP_NUM_THREADS"] = str(host_cores)
    with tempfile.TemporaryDirectory() as spot:
        # The container's view: its own cgroup where the cgroup file system is mounted.
        view = (f"mount --bind {group} {spot} && mount --bind {spot} /sys/fs/cgroup" if V2 else
                f"mount --bind {group} {spot} && mount -t tmpfs none /sys/fs/cgroup && mkdir /sys/fs/cgroup/cpu"
                f" && mount --bind {spot} /sys/fs/cgroup/cpu")
        enter = (f"echo $$ > {group / 'cgroup.procs'} && exec unshare --mount bash -c "
                 f"'{view} && exec {sys.executable} -c \"$PROBE\"'")
        out = subprocess.run(["bash", "-c", enter], env={**env, "PROBE": PROBE}, capture_output=True, text=True,
                             check=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpus", type=float, default=1.0)
    parser.add_argument("--host-cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    group = cgroup(args.cpus)
    results: dict[str, list[tuple[int, float, float]]] = {"one thread per core": [], "fitted to the quota": []}
    try:
        for _ in range(args.rounds):
            results["one thread per core"].append(run(group, args.host_cores, fitted=False))
            results["fitted to the quota"].append(run(group, args.host_cores, fitted=True))
    finally:
        group.rmdir()
    print(f"{len(os.sched_getaffinity(0))} cores, CPU quota {args.cpus:g}, unfitted as on a host of {args.host_cores} "
          f"cores, {args.rounds} rounds (median of each):")
    for name, rows in results.items():
        print(f"  {name:22} threads {rows[0][0]}: explorer pass p50 {statistics.median(r[1] for r in rows):6.0f} ms, "
              f"sweep of 16 {statistics.median(r[2] for r in rows):6.0f} ms")


if __name__ == "__main__":
    main()
