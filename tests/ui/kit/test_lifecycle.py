"""Threads and resources have an owner: close() releases what a widget started, re-running a cell
(build, close, build again) leaks nothing, scripts exit cleanly, and no widget message is sent
from a worker thread."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref

import ipywidgets as widgets
import pytest
from jupyter_client.manager import start_new_kernel

from trainlab import (ActivationGallery, InitExplorer, LandscapeExplorer, OptimizerRace, PreprocessingStages,
                      TrainingDashboard, ZeroCentredDemo)

BUILDS = 20
# After the first builds (imports, caches, the allocator's arenas), twenty more builds and closes
# may leave this much more resident memory: measured growth with close() was under 10 MB, and
# without it 40-80 MB (every model kept alive).
RSS_TOLERANCE_MB = 25

MAKERS = {
    "InitExplorer": "InitExplorer(width=256, depth=3)",
    "OptimizerRace": "OptimizerRace(preset='zig-zag: SGD vs momentum')",
    "TrainingDashboard": "TrainingDashboard(width=64, depth=2, steps=20)",
    "LandscapeExplorer": "LandscapeExplorer(runs='sgd', width=16, depth=2, steps=20, grid=5, eval_samples=50)",
    "ActivationGallery": "ActivationGallery(width=256, depth=3, layer=2)",
    "ZeroCentredDemo": "ZeroCentredDemo(steps=200)",
    "PreprocessingStages": "PreprocessingStages(view='contours')",
}

KERNEL_CODE = """
import gc, json, threading
from ipywidgets.widgets.widget import _instances
from trainlab import ActivationGallery, InitExplorer, LandscapeExplorer, OptimizerRace, PreprocessingStages, TrainingDashboard, ZeroCentredDemo

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

def cycle():
    w = {maker}
    w.wait(120)
    {train}
    w.close()

for _ in range(3):  # warm up: imports, caches, the first pass's buffers
    cycle()
gc.collect()
before = (threading.active_count(), len(_instances), rss_mb())
for _ in range({builds}):
    cycle()
gc.collect()
after = (threading.active_count(), len(_instances), rss_mb())
print("RESULT", json.dumps([before, after]))
"""


def _run_in_kernel(code: str, timeout: float = 600.0) -> str:
    """Run `code` in a fresh IPython kernel (as a notebook cell) and return what it printed."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        out: list[str] = []
        reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda msg: out.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(out)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.parametrize("name", list(MAKERS))
def test_rebuilding_a_widget_in_a_kernel_leaks_no_thread_model_or_memory(name):
    train = "w.train(); w.wait(120)" if name == "TrainingDashboard" else ""
    printed = _run_in_kernel(KERNEL_CODE.format(maker=MAKERS[name], train=train, builds=BUILDS))
    line = next(line for line in printed.splitlines() if line.startswith("RESULT"))
    before, after = json.loads(line[len("RESULT"):])
    threads_before, models_before, rss_before = before
    threads_after, models_after, rss_after = after
    assert threads_after == threads_before, f"{name}: {threads_after - threads_before} threads left running"
    assert models_after == models_before, f"{name}: {models_after - models_before} widget models left open"
    assert rss_after - rss_before < RSS_TOLERANCE_MB, f"{name}: RSS grew {rss_after - rss_before:.0f} MB"


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_script_that_builds_a_widget_exits_with_status_0(name):
    """Without close(): the worker threads are ended at exit (a daemon thread inside torch at
    interpreter teardown aborted the process with status 134)."""
    script = f"from trainlab import {name}\n{name}()\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_closed_widget_is_freed(name):
    """Nothing outside the widget keeps it alive once closed (anywidget's watch of a front-end
    file once tied every instance to its class)."""
    w = eval(MAKERS[name])
    w.wait(120)
    w.close()
    ref = weakref.ref(w)
    del w
    gc.collect()
    assert ref() is None


def test_close_stops_the_worker_thread():
    explorer = InitExplorer(width=64, depth=2)
    assert explorer.wait(60)
    assert explorer._worker.alive
    explorer.close()
    assert not explorer._worker.alive
    assert explorer.comm is None and explorer.histograms.comm is None and explorer.status.comm is None


def test_no_widget_message_is_sent_from_another_thread(monkeypatch):
    """Traits are written on the main thread only: results come back through the main thread
    (main_thread.py), also while a race computes, a pass runs and training trains."""
    senders: set[str] = set()
    original = widgets.Widget._send

    def recording(self, msg, buffers=None):  # every comm message a widget sends goes through here
        senders.add(threading.current_thread().name)
        return original(self, msg, buffers)

    monkeypatch.setattr(widgets.Widget, "_send", recording)
    explorer = InitExplorer(width=64, depth=2)
    explorer.set(activation="relu")
    race = OptimizerRace(preset="zig-zag: SGD vs momentum")
    dash = TrainingDashboard(width=64, depth=2, steps=40)
    dash.train()
    for w in (explorer, race, dash):
        assert w.wait(120)
    assert senders == {threading.main_thread().name}
    for w in (explorer, race, dash):
        w.close()


def test_a_widget_whose_constructor_refused_its_arguments_is_collected_quietly(monkeypatch):
    """ipywidgets closes a widget when it is garbage collected; one whose constructor raised has
    no worker yet, and its close() must not raise in __del__."""
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(TypeError, match="racers"):
        OptimizerRace(racers=["adam"])
    with pytest.raises(TypeError, match="unknown setting"):
        InitExplorer(learning_rate=0.1)
    gc.collect()
    assert unraisable == []
