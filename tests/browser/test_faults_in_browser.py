"""Faults a class meets: the kernel behind a page dies (killed, out of memory). The page must say
so within a few seconds and offer a reload, not sit there with controls that change nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from labdriver.lab_page import wait_for_figure
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
KERNEL_ID = re.compile(r"/api/kernels/([0-9a-f-]{36})/channels")


def _kernel_pid(kernel_id: str) -> int:
    out = subprocess.run(["pgrep", "-f", f"kernel-{kernel_id}.json"], capture_output=True, text=True).stdout.split()
    assert out, f"no process for kernel {kernel_id}"
    return int(out[0])


def test_a_dead_kernel_is_announced_with_a_reload_button(server, page):
    pg, console = page
    sockets: list[str] = []
    pg.on("websocket", lambda ws: sockets.append(ws.url))
    pg.goto(f"{server}/voila/render/02_weight_initialization.ipynb")
    wait_for_figure(pg)
    banner = pg.locator(".trainlab-explorer .trainlab-lost").first
    assert not banner.is_visible()
    kernel_id = next(m.group(1) for url in sockets if (m := KERNEL_ID.search(url)))
    os.kill(_kernel_pid(kernel_id), signal.SIGKILL)
    started = pg.evaluate("() => performance.now()")
    banner.wait_for(state="visible", timeout=20_000)
    waited = pg.evaluate("() => performance.now()") - started
    assert "lost" in banner.inner_text() and "reload" in banner.inner_text()
    assert waited < 10_000, f"the page said nothing for {waited:.0f} ms"
    screenshot(pg, "dead-kernel")
    with pg.expect_navigation(timeout=30_000):
        banner.get_by_role("button", name="↻ reload the page").click()
    wait_for_figure(pg, timeout_ms=180_000)
    assert not pg.locator(".trainlab-explorer .trainlab-lost").first.is_visible()
    # What the page logged about the lost connection (the kernel's websocket closing, requests for
    # the dead kernel) is the fault itself, not an error of the labs.
    unrelated = [e for e in console.unexplained() if not re.search(r"kernel|websocket|WebSocket|connection|40[34]|500", e)]
    assert unrelated == []
