"""CLI start-up benchmark: how long `trainlab --help`, `trainlab stats --help`, `trainlab serve --help`
and `import trainlab.compute` take in a fresh interpreter, for an older checkout and for this tree,
in the same run. The two trees take turns, run after run, so that both see the same machine load;
each figure is the median of the repeats, after one warm-up run of each (the file cache): the
wall time, and the CPU time of the process (user + system), the steadier one on a shared machine.

    git worktree add /tmp/trainlab-before 99d2c56
    python benchmarks/bench_cli.py --before /tmp/trainlab-before [--repeats 11]
    git worktree remove /tmp/trainlab-before
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

AFTER = Path(__file__).resolve().parents[1]
COMMANDS = {
    "trainlab --help": ["-m", "trainlab", "--help"],
    "trainlab stats --help": ["-m", "trainlab", "stats", "--help"],
    "trainlab serve --help": ["-m", "trainlab", "serve", "--help"],
    'python -c "import trainlab.compute"': ["-c", "import trainlab.compute"],
}
HEAVY = ("torch", "plotly", "ipywidgets", "anywidget")


def _env(tree: Path) -> dict[str, str]:
    """The environment that makes Python import trainlab from `tree` (before the installed copy)."""
    return dict(os.environ, PYTHONPATH=str(tree / "widgets"))


def _seconds(tree: Path, args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of the command."""
    def cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    start, start_cpu = time.perf_counter(), cpu()
    subprocess.run([sys.executable, *args], env=_env(tree), check=True, capture_output=True)
    return time.perf_counter() - start, cpu() - start_cpu


def _heavy_modules(tree: Path, args: list[str]) -> str:
    """Which of HEAVY the command loads, read from sys.modules at exit."""
    probe = ("import atexit, sys\n"
             f"atexit.register(lambda: print('LOADED', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr))\n"
             f"sys.argv = {['trainlab', *args[2:]]!r}\n"
             + ("import runpy; runpy.run_module('trainlab', run_name='__main__')\n" if args[0] == "-m" else args[1] + "\n"))
    done = subprocess.run([sys.executable, "-c", probe], env=_env(tree), capture_output=True, text=True)
    line = next(line for line in done.stderr.splitlines() if line.startswith("LOADED"))
    return ", ".join(line.split()[1:]) or "none of them"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, type=Path, help="a checkout of the older trainlab")
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": AFTER}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"median of {args.repeats} runs, the trees taking turns")
    print(f"{'command':36} {'wall: before':>12} {'after':>8} {'ratio':>6}   {'CPU: before':>11} {'after':>8} "
          f"{'ratio':>6}   heavy modules loaded, before -> after")
    for name, command in COMMANDS.items():
        runs: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for path in trees.values():
            _seconds(path, command)  # warm-up
        for _ in range(args.repeats):
            for tree, path in trees.items():
                runs[tree].append(_seconds(path, command))
        (wall0, cpu0), (wall1, cpu1) = ([statistics.median(r[i] for r in runs[tree]) * 1000 for i in (0, 1)]
                                        for tree in trees)
        loaded = " -> ".join(_heavy_modules(path, command) for path in trees.values())
        print(f"{name:36} {wall0:9.0f} ms {wall1:5.0f} ms {wall1 / wall0:6.2f}   {cpu0:8.0f} ms {cpu1:5.0f} ms "
              f"{cpu1 / cpu0:6.2f}   {loaded}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
