"""The kernel manager `trainlab serve` gives Voila: idle culling that spares a kernel a page is
about to connect to.

Voila hands a visitor a preheated kernel that may have waited in its pool for hours. Out of
the pool it counts as idle since it ran the notebook and has no connection yet, so a culling
pass in the second before the page's websocket connects stopped it, and the page never drew
(seen in the browser tests). Here a kernel that never had a connection gets a full idle timeout
counted from the first culling pass that sees it out of the pool.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager


class TrainlabKernelManager(AsyncMappingKernelManager):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._waiting_since: dict[str, datetime] = {}

    def notify_connect(self, kernel_id: str) -> None:
        self._ever_connected.add(kernel_id)
        self._waiting_since.pop(kernel_id, None)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if kernel_id not in self._ever_connected:
            now = datetime.now(timezone.utc)
            since = self._waiting_since.setdefault(kernel_id, now)
            if now - since < timedelta(seconds=self.cull_idle_timeout):
                return
        await super().cull_kernel_if_idle(kernel_id)

    async def _async_shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        self._ever_connected.discard(kernel_id)
        self._waiting_since.pop(kernel_id, None)
        await super()._async_shutdown_kernel(kernel_id, *args, **kwargs)

    shutdown_kernel = _async_shutdown_kernel
