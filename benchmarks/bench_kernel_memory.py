"""Kernel memory per lab: how much RAM one student's kernel holds, so a deployment can size its
per-user memory (Binder gives 2 GB: an explorer kernel <= 550 MB after a typical session and <= 800 MB
at its peak, the index, two explorer labs and the server <= 1.8 GB together).

Each lab in labs/ runs top to bottom in a fresh kernel (nbclient, as Voila runs a notebook);
the script waits until every trainlab widget in it has drawn, reads the kernel's resident set
size (the kernel and any children it started, from /proc), then drives each widget as a student
typically would (the explorer's sweep and other init families, a different optimizer surface and
the basin map, the training lab's lecture runs) and reads it again, with the kernel's peak.

    python benchmarks/bench_kernel_memory.py [--labs DIR] [--repeats N] [--wide]
    python benchmarks/bench_kernel_memory.py --classroom

`--wide` adds a stress row: the training dashboard at width 4096 (the default on a GPU, a
choice a student can make on a CPU), a few Adam steps. `--classroom` measures instead the index,
labs 02 and 03 after a typical session and an idle `trainlab serve`, all up at once: just after
the sessions, and again at rest, once the kernels have been idle long enough to trim their heaps.
Kernels inherit this environment, as trainlab serve's and Binder's do (neither sets an allocator
variable any more; the line it prints says whether MALLOC_MMAP_THRESHOLD_ was set for a run).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from trainlab.compute.heap import IDLE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 900
REST_SECONDS = IDLE_SECONDS + 5  # a kernel idle this long has trimmed its heap (compute/heap.py)

# -- process memory from /proc (psutil is not a dependency) --------------------------------------


def _status_kb(pid: int, key: str) -> int:
    """One `Vm...:` figure of /proc/<pid>/status in kB, 0 if the process has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, over all its threads."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += child_pids(current)
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, MB (2**20 bytes)."""
    return sum(_status_kb(p, "VmRSS") for p in process_tree(pid)) / 1024


def tree_peak_mb(pid: int) -> float:
    """Sum of each process's own peak resident size (VmHWM), MB: an upper bound on the tree's peak."""
    return sum(_status_kb(p, "VmHWM") for p in process_tree(pid)) / 1024


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared with other processes (libraries, the weight store's
    mapped matrices) counted as a share, so that the PSS of all processes adds up to the memory
    they use together."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(pid: int) -> float:
    return sum(_pss_kb(p) for p in process_tree(pid)) / 1024


def tree_anon_mb(pid: int) -> float:
    """The tree's own memory: anonymous pages (not file pages such as libraries or mapped weights)."""
    return sum(_status_kb(p, "RssAnon") for p in process_tree(pid)) / 1024


# -- what runs in the kernel ---------------------------------------------------------------------

# Finds every trainlab widget a lab made, whatever the notebook named it (or only displayed it).
# A lab that never imported trainlab (the index) must not pay for importing it (and torch) here.
FIND_WIDGETS = """
import sys, time
def _trainlab_widgets(name):
    cls = getattr(sys.modules.get('trainlab'), name, None)
    found = {}
    for value in [*globals().values(), *globals().get('Out', {}).values()]:
        if cls is not None and isinstance(value, cls):
            found[id(value)] = value
    return list(found.values())
_explorers = _trainlab_widgets('InitExplorer')
_races = _trainlab_widgets('OptimizerRace')
_dashboards = _trainlab_widgets('TrainingDashboard')
"""

# The widgets' first computation, started when the lab's cells ran.
SETTLE = """
for _w in _explorers + _races:
    assert _w.wait(300), _w
for _w in _dashboards:
    assert _w.wait(300), _w
time.sleep(2)  # the dashboards' learning-rate previews run on a worker thread of their own
print('widgets', len(_explorers), len(_races), len(_dashboards))
"""

# What a student typically does next, per widget kind. Each step waits for its result.
INTERACT = {
    "explorer": ("sweep; relu + Kaiming; orthogonal; xavier_uniform", """
for _w in _explorers:
    _w.sweep(); assert _w.wait(300)
    _w.set(activation='relu', init='kaiming_normal'); assert _w.wait(300)
    _w.set(init='orthogonal'); assert _w.wait(300)      # a second family of base matrices
    _w.set(init='xavier_uniform'); assert _w.wait(300)  # and a third: the cache budget applies
"""),
    "race": ("Rosenbrock surface; basin map", """
for _w in _races:
    _w.surface.value = 'rosenbrock'; assert _w.wait(300)
    _w.view.value = 'basins'; assert _w.wait(300)
"""),
    "dashboard": ("Train: the lecture case's runs", """
for _w in _dashboards:
    _w.train(); assert _w.wait(900)
"""),
}

WIDE = """
from trainlab import TrainingDashboard
_wide = TrainingDashboard(width=4096, optimizer='adam', lr=1e-3, steps=20, record_every=10)
_wide.train(); assert _wide.wait(900)
print('wide', _wide.trainer.step)
"""


@dataclass
class LabMemory:
    lab: str
    drawn_mb: float
    interaction: str = ""
    after_mb: float | None = None
    peak_mb: float = 0.0
    seconds: float = 0.0
    after_pss_mb: float | None = None
    after_anon_mb: float | None = None
    pid: int = 0
    notes: list[str] = field(default_factory=list)


def _code(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source)


@contextmanager
def lab_kernel(cells: list[nbformat.NotebookNode], name: str, interact: bool = True) -> Iterator[LabMemory]:
    """Run `cells` in a fresh kernel, settle, measure; then interact and measure again; the
    kernel stays up for the block."""
    notebook = nbformat.v4.new_notebook(cells=[*cells, _code(FIND_WIDGETS), _code(SETTLE)])
    client = NotebookClient(notebook, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "labs")}})
    start = time.monotonic()
    with client.setup_kernel():
        pid = client.km.provisioner.pid
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        result = LabMemory(name, tree_rss_mb(pid))
        kinds = _widget_kinds(notebook.cells[-1])
        steps = [INTERACT[k] for k in kinds if interact]
        if steps:
            for index, (_label, source) in enumerate(steps, start=len(notebook.cells)):
                cell = _code(source)
                notebook.cells.append(cell)
                client.execute_cell(cell, index)
            time.sleep(2)  # let figure updates queued by the last step go out
            result.interaction = "; ".join(label for label, _ in steps)
            result.after_mb, result.after_pss_mb = tree_rss_mb(pid), tree_pss_mb(pid)
            result.after_anon_mb = tree_anon_mb(pid)
        result.peak_mb = tree_peak_mb(pid)
        result.seconds = time.monotonic() - start
        result.pid = pid
        yield result


def measure_notebook(cells: list[nbformat.NotebookNode], name: str, interact: bool = True) -> LabMemory:
    with lab_kernel(cells, name, interact) as result:
        return result


@contextmanager
def idle_server() -> Iterator[int]:
    """`trainlab serve` with no preheated kernels, up and idle: yields its pid."""
    server = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", "--pool-size", "0",
                               "--port", str(_free_port())],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(15)  # Voila up and its templates read
        yield server.pid
    finally:
        server.terminate()
        server.wait(30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLASSROOM = ("index.ipynb", "02_weight_initialization.ipynb", "03_normalization.ipynb")


def measure_classroom(labs: Path) -> None:
    """The index, two explorer labs after a typical session and the server, all up at once: what
    one student needs of a Binder session's 2 GB (target 1.8 GB). PSS counts each page once over
    all the processes (the weight store's matrices, mapped by both explorer kernels, and the
    libraries are shared); RSS counts shared pages once per process."""
    with idle_server() as server, ExitStack() as stack:
        kernels = [stack.enter_context(lab_kernel(lab_cells(labs / name), name)) for name in CLASSROOM]
        pids = [k.pid for k in kernels] + [server]
        names = [k.lab for k in kernels] + ["trainlab serve (Voila), idle"]
        # At rest, the kernels' workers have given back what they kept for a next pass.
        for when, wait in (("just after the sessions", 0), (f"at rest, {REST_SECONDS:.0f} s later", REST_SECONDS)):
            time.sleep(wait)
            print(f"all at once, {when}: {'':10} {'RSS':>7} {'PSS':>7} {'anon':>7}")
            for name, pid in zip(names, pids):
                print(f"  {name:50} {tree_rss_mb(pid):7.0f} {tree_pss_mb(pid):7.0f} {tree_anon_mb(pid):7.0f}")
            rss, pss = sum(tree_rss_mb(p) for p in pids), sum(tree_pss_mb(p) for p in pids)
            print(f"  {'total':50} {rss:7.0f} {pss:7.0f}   (target: PSS total <= 1843 MB, Binder's 2 GB less 10 %)")


def _widget_kinds(settle_cell: nbformat.NotebookNode) -> list[str]:
    text = "".join(o.get("text", "") for o in settle_cell.outputs)
    explorers, races, dashboards = (int(n) for n in text.split("widgets")[1].split()[:3])
    return [kind for kind, count in (("explorer", explorers), ("race", races), ("dashboard", dashboards)) if count]


def lab_cells(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(path, as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labs", type=Path, default=ROOT / "labs")
    parser.add_argument("--repeats", type=int, default=1, help="fresh kernels per lab (default 1)")
    parser.add_argument("--wide", action="store_true", help="add the width-4096 training stress row")
    parser.add_argument("--classroom", action="store_true",
                        help="only: the index, labs 02 and 03 and the server, all up at once")
    args = parser.parse_args()
    if args.classroom:
        print(f"load average (1 min) {os.getloadavg()[0]:.1f}; MALLOC_MMAP_THRESHOLD_="
              f"{os.environ.get('MALLOC_MMAP_THRESHOLD_', 'unset')}")
        measure_classroom(args.labs)
        return
    labs = sorted(args.labs.glob("*.ipynb"))
    if not labs:
        parser.error(f"--labs: no notebooks in {args.labs}")

    load_before = os.getloadavg()[0]
    runs: dict[str, list[LabMemory]] = {}
    jobs = [("bare kernel: import trainlab", [_code("import trainlab, torch")], False)]
    jobs += [(path.name, lab_cells(path), True) for path in labs]
    if args.wide:
        jobs.append(("TrainingDashboard(width=4096), 20 Adam steps", [_code(WIDE)], False))
    for _ in range(args.repeats):
        for name, cells, interact in jobs:
            measured = measure_notebook(cells, name, interact)
            runs.setdefault(name, []).append(measured)
            after = f"{measured.after_mb:.0f}" if measured.after_mb is not None else "-"
            print(f"  {name}: drawn {measured.drawn_mb:.0f} MB, after {after} MB, peak {measured.peak_mb:.0f} MB "
                  f"({measured.seconds:.0f} s)", file=sys.stderr, flush=True)

    print(f"kernel RSS (kernel + children), MB; {args.repeats} fresh kernel(s) per lab, median shown; "
          f"target < {TARGET_MB} MB per lab")
    print(f"{'lab':48} {'drawn':>7} {'after':>7} {'peak':>7} {'PSS':>6} {'anon':>6}  interaction "
          "(PSS, anon: after; the weight store's mapped matrices are file pages, in RSS but not anon)")
    over = []
    for name, measured in runs.items():
        drawn = statistics.median(m.drawn_mb for m in measured)
        afters = [m.after_mb for m in measured if m.after_mb is not None]
        after = statistics.median(afters) if afters else None
        peak = statistics.median(m.peak_mb for m in measured)
        if max(drawn, after or 0, peak) > TARGET_MB:
            over.append(name)
        spread = f" (runs: {', '.join(f'{m.peak_mb:.0f}' for m in measured)})" if len(measured) > 1 else ""
        pss = statistics.median(m.after_pss_mb for m in measured) if afters else float("nan")
        anon = statistics.median(m.after_anon_mb for m in measured) if afters else float("nan")
        print(f"{name:48} {drawn:7.0f} {after if after is not None else float('nan'):7.0f} {peak:7.0f} {pss:6.0f} "
              f"{anon:6.0f}  {measured[0].interaction or '-'}{spread}")
    print(f"over {TARGET_MB} MB at some point: {', '.join(over) if over else 'none'}")
    # Memory hardly depends on it, but say how busy the shared machine was.
    print(f"load average (1 min) at start {load_before:.1f}, at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
