"""kernel_manager.py, the kernel manager of `trainlab serve`: idle culling never stops a kernel before its page has
connected once; the kernel cap refuses pages with 503 and skips pool refills, which resume when a
kernel stops."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, MappingKernelManager

from tornado.websocket import websocket_connect

from trainlab.serve.kernel_manager import BoundedBuffer, TrainlabKernelManager

from tests.serve.live import V1, live_server, message, read_v1_frame, run_async as run, tiny_labs, v1_frame


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


# -- the cap on running kernels ------------------------------------------------------------------


async def _fake_start(self, **kwargs) -> str:
    """Stands in for jupyter_server's start: takes a moment, then the kernel is running."""
    await asyncio.sleep(0.05)
    kernel_id = f"k{len(self._kernels)}-{id(kwargs)}"
    self._kernels[kernel_id] = object()
    return kernel_id


async def _fake_shutdown(self, kernel_id, *args, **kwargs) -> None:
    del self._kernels[kernel_id]


def test_pages_beyond_the_cap_get_503_even_when_they_arrive_together(monkeypatch):
    from tornado.web import HTTPError

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", _fake_start)
    manager = TrainlabKernelManager(max_kernels=2)
    outcomes = []

    async def three_pages():
        outcomes.extend(await asyncio.gather(*(manager.start_kernel() for _ in range(3)), return_exceptions=True))

    run(three_pages())
    refused = [o for o in outcomes if isinstance(o, HTTPError)]
    assert len(manager._kernels) == 2 and len(refused) == 1, outcomes
    assert refused[0].status_code == 503
    assert refused[0].log_message == "The server is full: 2 of 2 kernels are in use. Try again in a minute."


def test_no_cap_by_default(monkeypatch):
    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", _fake_start)
    manager = TrainlabKernelManager()

    async def five_pages():
        await asyncio.gather(*(manager.start_kernel() for _ in range(5)))

    run(five_pages())
    assert len(manager._kernels) == 5


class _PoolingManager(TrainlabKernelManager):
    """The two things of Voila's pooling subclass that the cap relies on: `_pools` (start-up
    tasks per notebook) and `fill_if_needed`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pools: dict[str, list[asyncio.Task]] = {"index.ipynb": [], "lab.ipynb": []}
        self.fills: list[str] = []

    def fill_if_needed(self, notebook_name: str, **kwargs) -> None:
        self.fills.append(notebook_name)


def test_a_pool_refill_at_the_cap_leaves_the_pool_and_the_pools_are_topped_up_when_a_kernel_stops(monkeypatch):
    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", _fake_start)
    monkeypatch.setattr(MappingKernelManager, "_async_shutdown_kernel", _fake_shutdown)
    manager = _PoolingManager(max_kernels=1)
    state = {}

    async def scenario():
        visitor = await manager.start_kernel()
        refill = asyncio.get_running_loop().create_task(manager.start_kernel())
        manager._pools["lab.ipynb"].append(refill)  # as Voila's fill_if_needed does
        await asyncio.gather(refill, return_exceptions=True)
        state["refill cancelled"] = refill.cancelled()
        state["pool after refill"] = list(manager._pools["lab.ipynb"])
        state["fills before shutdown"] = list(manager.fills)
        await manager.shutdown_kernel(visitor)

    run(scenario())
    assert state["refill cancelled"], "a refill at the cap must end quietly, not fail"
    assert state["pool after refill"] == [], "no visitor may be handed a refill that never started"
    assert state["fills before shutdown"] == []
    assert sorted(manager.fills) == ["index.ipynb", "lab.ipynb"], "a stopped kernel makes room to refill the pools"


def test_stopping_the_server_refills_nothing(monkeypatch):
    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", _fake_start)
    monkeypatch.setattr(MappingKernelManager, "_async_shutdown_kernel", _fake_shutdown)
    manager = _PoolingManager(max_kernels=3)

    async def scenario():
        await asyncio.gather(manager.start_kernel(), manager.start_kernel())
        await manager.shutdown_all()

    run(scenario())
    assert manager._kernels == {} and manager.fills == []


# -- messages kept for a page that is away -------------------------------------------------------


def test_messages_for_a_page_that_is_away_are_kept_up_to_the_limit_then_dropped():
    overflows = []
    kept = BoundedBuffer(100, lambda: overflows.append(True))
    kept.append(("iopub", [b"x" * 40, b"y" * 10]))
    kept.append(("iopub", [b"z" * 50]))
    assert len(kept) == 2 and overflows == [], "100 bytes fit"
    kept.append(("iopub", [b"!"]))
    assert kept == [] and overflows == [True], "past the limit nothing is kept, and it is said once"
    kept.append(("iopub", [b"?"]))
    assert kept == [] and overflows == [True]


# -- kernels whose page is gone ------------------------------------------------------------------


def _manager_that_records_stops(monkeypatch, **config) -> tuple[TrainlabKernelManager, list[str]]:
    stopped: list[str] = []

    async def record_stop(self, kernel_id, *args, **kwargs):
        stopped.append(kernel_id)

    monkeypatch.setattr(MappingKernelManager, "_async_shutdown_kernel", record_stop)
    monkeypatch.setattr(MappingKernelManager, "notify_connect", lambda self, kernel_id: None)
    monkeypatch.setattr(MappingKernelManager, "notify_disconnect", lambda self, kernel_id: None)
    monkeypatch.setattr(MappingKernelManager, "__contains__", lambda self, kernel_id: kernel_id not in stopped)
    return TrainlabKernelManager(**config), stopped


def test_a_kernel_whose_page_left_is_stopped_after_the_grace_even_while_busy(monkeypatch):
    manager, stopped = _manager_that_records_stops(monkeypatch, reconnect_grace=0.2)

    async def scenario():
        manager.notify_connect("training")
        manager.notify_disconnect("training")
        await asyncio.sleep(0.1)
        assert stopped == [], "not before the grace"
        await asyncio.sleep(0.4)

    run(scenario())
    assert stopped == ["training"]


def test_a_page_that_reconnects_within_the_grace_keeps_its_kernel(monkeypatch):
    manager, stopped = _manager_that_records_stops(monkeypatch, reconnect_grace=0.3)

    async def scenario():
        manager.notify_connect("blip")
        manager.notify_disconnect("blip")  # the network blinks
        await asyncio.sleep(0.1)
        manager.notify_connect("blip")  # and the page is back
        await asyncio.sleep(0.5)
        manager.notify_connect("two tabs")
        manager.notify_connect("two tabs")
        manager.notify_disconnect("two tabs")  # one of two connections closes
        await asyncio.sleep(0.5)

    run(scenario())
    assert stopped == []


def test_stopping_the_server_leaves_no_grace_timer(monkeypatch):
    manager, stopped = _manager_that_records_stops(monkeypatch, reconnect_grace=0.2)
    monkeypatch.setattr(MappingKernelManager, "shutdown_all", lambda self, *args, **kwargs: asyncio.sleep(0))

    async def scenario():
        manager.notify_connect("leaving")
        manager.notify_disconnect("leaving")
        await manager.shutdown_all()
        await asyncio.sleep(0.4)

    run(scenario())
    assert stopped == [], "shutdown_all stops every kernel itself; no timer may fire after it"


# A lab whose comm, once asked, keeps the kernel busy for an hour, as a long training run does.
BUSY_LAB = """import time
from comm import create_comm
busy = create_comm(target_name="trainlab.test.busy")
busy.on_msg(lambda msg: time.sleep(3600))"""


async def _leave(connection, make_busy: bool = False) -> None:
    """A page goes away without the tab's unload beacon, after making its kernel busy if asked."""
    if make_busy:
        await connection.write_message(v1_frame(message("comm_info_request", {})), binary=True)
        while (reply := read_v1_frame(await connection.read_message()))["header"]["msg_type"] != "comm_info_reply":
            pass
        comm_id = next(iter(reply["content"]["comms"]))
        await connection.write_message(v1_frame(message("comm_msg", {"comm_id": comm_id, "data": {}})), binary=True)
        await asyncio.sleep(1)
    connection.close()


def test_a_busy_kernel_whose_page_vanished_is_stopped_and_one_whose_page_came_back_is_kept(tmp_path):
    with live_server(tmp_path / "serve.log", "--pool-size=0", "--reconnect-grace=5",
                     labs=tiny_labs(tmp_path / "labs", code=BUSY_LAB)) as server:
        back, gone = server.open_page("a.ipynb"), server.open_page("a.ipynb")

        async def visits() -> int:
            """Kernels running once the busy kernel's page has been gone for long enough, while
            the other page, back after a blip, is still connected."""
            await _leave(await websocket_connect(server.channels_url(back), subprotocols=[V1]))
            await asyncio.sleep(2)  # the blip
            returned = await websocket_connect(server.channels_url(back), subprotocols=[V1])
            await _leave(await websocket_connect(server.channels_url(gone), subprotocols=[V1]), make_busy=True)
            await asyncio.sleep(15)  # three graces
            running = len(server.kernel_pids())
            returned.close()
            return running

        assert len(server.kernel_pids()) == 2
        assert run(visits()) == 1
        output = server.output()
    assert f"Stopping kernel {gone}: its page has been gone for 5 s" in output
    assert f"Stopping kernel {back}" not in output
