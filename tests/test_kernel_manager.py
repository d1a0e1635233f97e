"""Idle culling never stops a kernel before its page has connected once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

from trainlab.kernel_manager import TrainlabKernelManager


def run(coroutine) -> None:
    """asyncio.run on a thread of its own: the browser tests keep an event loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_never_connected_kernel_gets_a_full_timeout_then_is_culled(monkeypatch):
    culled = []

    async def parent_cull(self, kernel_id):
        culled.append(kernel_id)

    monkeypatch.setattr(MappingKernelManager, "cull_kernel_if_idle", parent_cull)
    manager = TrainlabKernelManager(cull_idle_timeout=60)
    run(manager.cull_kernel_if_idle("fresh-from-pool"))
    assert culled == [], "a kernel handed out but not yet connected must not be culled"

    manager._waiting_since["fresh-from-pool"] = datetime.now(timezone.utc) - timedelta(seconds=61)
    run(manager.cull_kernel_if_idle("fresh-from-pool"))
    assert culled == ["fresh-from-pool"], "a page that never connects must not leak its kernel"


def test_connected_kernel_is_judged_by_the_usual_rules(monkeypatch):
    culled = []

    async def parent_cull(self, kernel_id):
        culled.append(kernel_id)

    monkeypatch.setattr(MappingKernelManager, "cull_kernel_if_idle", parent_cull)
    monkeypatch.setattr(MappingKernelManager, "notify_connect", lambda self, kernel_id: None)
    manager = TrainlabKernelManager(cull_idle_timeout=60)
    manager.notify_connect("visited")
    run(manager.cull_kernel_if_idle("visited"))
    assert culled == ["visited"]
