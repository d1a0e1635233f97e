"""The kernel manager `trainlab serve` gives Voila: a cap on running kernels, pools that top
themselves up when the cap allows, idle culling that spares a kernel a page is about to connect
to, kernels stopped once their page is gone, and bounds on what the server holds of their messages.

Voila (0.5) builds its pooling manager as a subclass of the class configured here
(`voila_kernel_manager_factory`), so every kernel start, whether for a page or to refill a lab's
pool of preheated kernels, comes through `start_kernel` below, and `self._pools` (Voila's, one
list of start-up tasks per notebook) exists when kernels are preheated.

The cap: a kernel holds up to about 0.8 GB, so a classroom that opens more pages than memory
holds would bring the machine down. At the cap a page's start is refused with HTTP 503 (the
visitor sees the "server is full" page) and a pool refill is skipped; once a kernel stops, the
pools are topped up again, so after the visitors leave the server is back to its pooled kernels.

A preheated kernel is handed out only once it has run its whole notebook (or after
PRERENDER_WAIT seconds). Voila would hand over one still running its cells; the page's widget
manager then loads the widget models that exist at that moment, and a widget a later cell
creates (a lab's predict-then-reveal question) showed "widget model not found" instead of itself.
The visitor waits as long either way: the rest of the notebook had to run before the page was whole.

What the server holds of a kernel's messages is bounded (a page can ask its kernel for many large
answers, plotly.js for instance). Messages a kernel sends while its page is away (a network blip)
are kept for the page to get when it reconnects, as jupyter_server does, but only up to
`offline_buffer_limit` bytes: jupyter_server keeps them all, in a list. And the server's sockets to
the kernels queue `receive_queue_messages` messages (ZMQ's receive high-water mark, 1000 by
default): a kernel that sends faster than the server forwards keeps the rest in its own queue
(the visitor's kernel pays, not the server; measured, 600 MB of answers to a page that did not
read them raised the server by 290 MB with 1000, 70-110 MB with 16).

A kernel whose page is gone is stopped: when its last websocket closes and no page connects again
within `reconnect_grace` seconds, busy or not. A tab that closes normally stops its kernel at once
(Voila's unload beacon); one that vanishes without it (a crashed browser, a lost network) left its
kernel running, and idle culling never stepped in while it trained, since training keeps a kernel
busy. A page that comes back within the grace (a network blip) keeps its kernel.

Culling: Voila hands a visitor a preheated kernel that may have waited in its pool for hours. Out
of the pool it counts as idle since it ran the notebook and has no connection yet, so a culling
pass in the second before the page's websocket connects stopped it, and the page never drew
(seen in the browser tests). Here a kernel that never had a connection gets a full idle timeout
counted from the first culling pass that sees it out of the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import zmq
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError
from traitlets import Float, Integer

PRERENDER_WAIT = 120.0  # seconds; then the kernel is handed out as it is, as Voila would
FULL_MESSAGE = "The server is full: {used} of {cap} kernels are in use. Try again in a minute."
MB = 1024 * 1024


class BoundedBuffer(list):
    """The (channel, message parts) a kernel sent while its page was away, up to `limit` bytes;
    past that it empties and keeps nothing more (a replay with gaps would show a mix of states)."""

    def __init__(self, limit: int, on_overflow: Callable[[], None]) -> None:
        super().__init__()
        self.limit = limit
        self.size = 0
        self.overflowed = False
        self._on_overflow = on_overflow

    def append(self, item: tuple[str, list[bytes]]) -> None:
        if self.overflowed:
            return
        self.size += sum(len(part) for part in item[1])
        if self.size > self.limit:
            self.overflowed = True
            self.clear()
            self._on_overflow()
            return
        super().append(item)


class TrainlabKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with the cap, the pools, the culling and the bounds of this
    module's docstring."""

    max_kernels = Integer(0, config=True, help="Most kernels running at once, pooled ones included (0: no cap).")
    reconnect_grace = Float(
        60.0, config=True,
        help="Seconds a kernel waits for its page to reconnect once its last websocket closed; then it is stopped.")
    receive_queue_messages = Integer(
        16, config=True, help="Messages from a kernel the server queues before the kernel has to keep the rest.")
    offline_buffer_limit = Integer(
        64 * MB, config=True, help="Bytes of messages kept for a page that is away; past it they are dropped.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context.setsockopt(zmq.RCVHWM, self.receive_queue_messages)
        self._ever_connected: set[str] = set()
        self._connections: dict[str, int] = {}  # open websockets per kernel
        self._grace_timers: dict[str, asyncio.TimerHandle] = {}  # kernels whose page is gone
        self._stops: set[asyncio.Task] = set()  # stops under way, held until they end
        self._waiting_since: dict[str, datetime] = {}
        self._starting = 0  # starts under way: not yet in self._kernels, but they hold a slot
        self._stopping_all = False
        hand_out = getattr(self, "get_rendered_notebook", None)  # Voila's, when it preheats
        if hand_out is not None:
            async def get_rendered_notebook(notebook_name: str, *args: Any, **kwargs: Any) -> Any:
                await self._finish_prerender(notebook_name)
                return await hand_out(notebook_name, *args, **kwargs)

            self.get_rendered_notebook = get_rendered_notebook

    async def _finish_prerender(self, notebook_name: str) -> None:
        """Wait until the kernel next in the notebook's pool has run all of its cells."""
        pool = getattr(self, "_pools", {}).get(notebook_name) or []
        if not pool:
            return
        try:
            content = await asyncio.shield(pool[0])
            await asyncio.wait_for(asyncio.shield(content["task"]), PRERENDER_WAIT)
        except Exception:  # a failed or slow start: Voila deals with it as before
            self.log.info("Handing out a kernel for %s before its notebook has finished", notebook_name)

    @property
    def kernels_in_use(self) -> int:
        """Running kernels (pooled ones too) plus kernels being started."""
        return len(self._kernels) + self._starting

    def is_full(self) -> bool:
        return 0 < self.max_kernels <= self.kernels_in_use

    async def start_kernel(self, **kwargs: Any) -> str:
        # Check and count in one step, with no await in between: pages that arrive together
        # cannot all slip under the cap.
        if self.is_full():
            if self._drop_current_pool_refill():
                # The refill task ends as cancelled, which nothing waits for and asyncio does
                # not report; the pool is topped up when a kernel stops.
                self.log.info("Kernel cap of %d reached: a lab's pool is not refilled for now", self.max_kernels)
                raise asyncio.CancelledError
            raise HTTPError(503, FULL_MESSAGE.format(used=self.kernels_in_use, cap=self.max_kernels))
        self._starting += 1
        try:
            return await super().start_kernel(**kwargs)
        finally:
            self._starting -= 1

    def _drop_current_pool_refill(self) -> bool:
        """Take the running task out of its lab's pool if it is a pool refill; True if it was.

        A pool entry that failed would be handed to the next visitor (who would get an error
        page although a kernel may have stopped since) and breaks Voila's shutdown_kernel, which
        reads every finished entry's result; a pending entry would keep the next visitor waiting.
        """
        task = asyncio.current_task()
        for pool in getattr(self, "_pools", {}).values():
            if task in pool:
                pool.remove(task)
                return True
        return False

    def _top_up_pools(self) -> None:
        """Start the kernels the pools miss (Voila's fill_if_needed skips full pools)."""
        fill = getattr(self, "fill_if_needed", None)
        if fill is None or self._stopping_all:
            return
        for notebook in list(getattr(self, "_pools", {})):
            fill(notebook_name=notebook)

    def start_buffering(self, kernel_id: str, session_key: str, channels: dict[str, Any]) -> None:
        super().start_buffering(kernel_id, session_key, channels)
        buffered = self._kernel_buffers.get(kernel_id)  # jupyter_server's, when it buffers
        if buffered is not None:
            def overflow() -> None:
                self.log.warning("Kernel %s: more than %d MB of messages came while its page was away; "
                                 "they are dropped", kernel_id, self.offline_buffer_limit // MB)

            buffered["buffer"] = BoundedBuffer(self.offline_buffer_limit, overflow)

    def notify_connect(self, kernel_id: str) -> None:
        self._ever_connected.add(kernel_id)
        self._waiting_since.pop(kernel_id, None)
        self._connections[kernel_id] = self._connections.get(kernel_id, 0) + 1
        self._cancel_grace(kernel_id)
        super().notify_connect(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        left = self._connections.get(kernel_id, 0) - 1
        if left > 0:
            self._connections[kernel_id] = left
            return
        self._connections.pop(kernel_id, None)
        if kernel_id in self and not self._stopping_all:
            self._cancel_grace(kernel_id)
            self._grace_timers[kernel_id] = asyncio.get_running_loop().call_later(
                self.reconnect_grace, self._stop_abandoned, kernel_id)

    def _cancel_grace(self, kernel_id: str) -> None:
        timer = self._grace_timers.pop(kernel_id, None)
        if timer is not None:
            timer.cancel()

    def _stop_abandoned(self, kernel_id: str) -> None:
        self._grace_timers.pop(kernel_id, None)
        if kernel_id not in self or self._connections.get(kernel_id):
            return
        self.log.info("Stopping kernel %s: its page has been gone for %.0f s", kernel_id, self.reconnect_grace)
        stop = asyncio.ensure_future(self.shutdown_kernel(kernel_id))
        self._stops.add(stop)
        stop.add_done_callback(self._stops.discard)

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
        self._cancel_grace(kernel_id)
        try:
            await super()._async_shutdown_kernel(kernel_id, *args, **kwargs)
            # Its slot under the cap is free from here on, a moment after its process ended: the
            # log says when, for whoever watches the cap.
            self.log.info("Kernel %s stopped: %d kernels in use", kernel_id, self.kernels_in_use)
        finally:
            self._top_up_pools()

    shutdown_kernel = _async_shutdown_kernel

    async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
        self._stopping_all = True  # the server is stopping: refill nothing, and it stops every kernel
        for kernel_id in list(self._grace_timers):
            self._cancel_grace(kernel_id)
        await super().shutdown_all(*args, **kwargs)
