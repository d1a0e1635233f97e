"""connection.py (and the bounds in kernel_manager.py): what a visitor can send over a kernel
websocket costs the server no more than a bounded amount of time and memory. Each attack runs
against a real `trainlab serve` while the test checks that the server keeps serving another
request within 5 s and that its memory stays within live.RSS_TOLERANCE (see `under_attack`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClientConnection, websocket_connect

from trainlab.serve.connection import (
    HIDDEN_ERROR, MAX_BUFFERS, MAX_SOCKETS_PER_KERNEL, offered_subprotocols, v1_frame_problem,
)

from tests.serve.live import (
    V1, LiveServer, live_server, message, read_v1_frame, replies_to, run_async, tiny_labs, under_attack, v1_frame,
)

MB = 1024 * 1024
BLOB = 5_000_000  # bytes per answer of the test lab's comm: about plotly.js, what PlotlyView sends
SECRET = "a detail only the server log may show"
# The test lab: a comm that answers every message with a binary buffer of the size asked for (as
# any widget that sends binary data does), a comm whose handler raises, and a slider whose
# observer raises when the page moves it.
TEST_LAB = f"""from comm import create_comm
from ipywidgets import IntSlider
blob = create_comm(target_name="trainlab.test.blob")
blob.on_msg(lambda msg: blob.send({{"blob": True}}, buffers=[bytes(msg["content"]["data"]["size"])]))
def fail(msg):
    raise ValueError({SECRET!r})
create_comm(target_name="trainlab.test.fail").on_msg(fail)
slider = IntSlider(value=7, description="seven")
slider.observe(lambda change: 1 / 0, "value")
slider"""


@pytest.fixture(scope="module")
def blob_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("blob")
    with live_server(folder / "serve.log", "--pool-size=0", labs=tiny_labs(folder / "labs", code=TEST_LAB)) as server:
        yield server


async def blob_comm(connection: WebSocketClientConnection, v1: bool) -> str:
    """The id of the test lab's comm, asked of the kernel as a page would."""
    request = message("comm_info_request", {})
    await connection.write_message(v1_frame(request) if v1 else json.dumps(request), binary=v1)
    while True:
        frame = await asyncio.wait_for(connection.read_message(), 30)
        assert frame is not None, "the server closed the websocket"
        reply = read_v1_frame(frame) if v1 else json.loads(frame)
        if reply["header"]["msg_type"] == "comm_info_reply":
            return next(comm for comm, info in reply["content"]["comms"].items()
                        if info["target_name"] == "trainlab.test.blob")


def ask_for_blob(comm_id: str, size: int = BLOB) -> dict:
    return message("comm_msg", {"comm_id": comm_id, "data": {"size": size}})


# -- the old protocol ----------------------------------------------------------------------------


def test_an_old_protocol_websocket_is_refused_and_cannot_freeze_the_server(blob_server):
    """The attack of issue 10: an old-protocol socket, and a widget that answers with a buffer."""
    kernel_id = blob_server.open_page("a.ipynb")

    async def attack() -> int:
        try:
            connection = await websocket_connect(blob_server.channels_url(kernel_id))  # no subprotocol
        except HTTPClientError as refusal:
            return refusal.code
        comm_id = await blob_comm(connection, v1=False)
        await connection.write_message(json.dumps(ask_for_blob(comm_id)))
        await asyncio.sleep(10)
        connection.close()
        return 101

    watch, status = under_attack(blob_server, attack)
    watch.assert_unharmed()
    assert status == 400, "an old-protocol kernel websocket must be refused before the upgrade"
    assert "asked for no subprotocol, not v1.kernel.websocket.jupyter.org" in blob_server.output()


def test_the_v1_protocol_carries_binary_buffers(blob_server):
    kernel_id = blob_server.open_page("a.ipynb")

    async def fetch() -> dict:
        connection = await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1])
        comm_id = await blob_comm(connection, v1=True)
        await connection.write_message(v1_frame(ask_for_blob(comm_id)), binary=True)
        reply = {"header": {}}
        while reply["header"].get("msg_type") != "comm_msg":
            reply = read_v1_frame(await asyncio.wait_for(connection.read_message(), 60))
        connection.close()
        return reply

    watch, reply = under_attack(blob_server, fetch, seconds=5)
    watch.assert_unharmed()
    assert reply["content"]["data"] == {"blob": True} and [len(b) for b in reply["buffers"]] == [BLOB]


# -- malformed frames ----------------------------------------------------------------------------


def _with_offsets(frame: bytes, count: int | None = None, offsets: dict[int, int] | None = None) -> bytes:
    """`frame` with its offset count or some of its offsets replaced."""
    out = bytearray(frame)
    if count is not None:
        out[:8] = count.to_bytes(8, "little")
    for index, value in (offsets or {}).items():
        out[8 * (index + 1):8 * (index + 2)] = value.to_bytes(8, "little")
    return bytes(out)


GOOD = v1_frame(message("kernel_info_request", {}))
BAD_FRAMES = {
    "a huge offset count": _with_offsets(GOOD, count=2**40),  # jupyter_server loops 2**40 times
    "a count past the frame": _with_offsets(GOOD, count=6 + MAX_BUFFERS),
    "too few offsets": _with_offsets(GOOD, count=3),
    "decreasing offsets": _with_offsets(GOOD, offsets={2: 9}),
    "an offset past the end": _with_offsets(GOOD, offsets={5: len(GOOD) + 1}),
    "an unknown channel": v1_frame({**message("kernel_info_request", {}), "channel": "nope"}),
    "too short": b"\x06\x00\x00",
    "text": "not a v1 frame",
}


def test_every_frame_a_page_sends_is_checked_before_it_is_parsed():
    assert v1_frame_problem(GOOD) is None
    with_buffers = v1_frame(message("comm_msg", {"comm_id": "x", "data": {}}), buffers=(b"\x00" * 10, b"", b"abc"))
    assert v1_frame_problem(with_buffers) is None
    for name, frame in BAD_FRAMES.items():
        assert v1_frame_problem(frame), name
    assert offered_subprotocols(f" {V1} , other") == [V1, "other"] and offered_subprotocols(None) == []


def test_malformed_frames_are_dropped_and_the_page_is_still_served(blob_server):
    kernel_id = blob_server.open_page("a.ipynb")
    info = message("kernel_info_request", {})

    async def attack() -> bool:
        """Whether a good message sent after the bad ones got its answer."""
        connection = await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1])
        for frame in BAD_FRAMES.values():
            await connection.write_message(frame, binary=isinstance(frame, bytes))
        await connection.write_message(v1_frame(info), binary=True)
        received: list[dict] = []
        while "kernel_info_reply" not in replies_to(received, info):
            frame = await asyncio.wait_for(connection.read_message(), 60)
            if frame is None:  # the server closed the websocket
                return False
            received.append(read_v1_frame(frame))
        connection.close()
        return True

    watch, answered = under_attack(blob_server, attack)
    watch.assert_unharmed()
    assert answered, "a good message after the bad ones must get its answer"
    assert blob_server.output().count("Dropped a malformed message from the page of kernel") >= len(BAD_FRAMES)


# -- what the server holds for a page ------------------------------------------------------------


def test_a_page_that_does_not_read_cannot_fill_the_servers_memory(blob_server):
    kernel_id = blob_server.open_page("a.ipynb")

    async def attack() -> None:
        connection = await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1])
        comm_id = await blob_comm(connection, v1=True)
        for _ in range(120):  # 600 MB of answers, and the client reads none of them
            await connection.write_message(v1_frame(ask_for_blob(comm_id)), binary=True)
        await asyncio.sleep(12)
        connection.close()

    watch, _ = under_attack(blob_server, attack)
    watch.assert_unharmed()
    assert f"Closed the websocket of kernel {kernel_id}: its page left more than 64 MB unread" in blob_server.output()


def test_what_is_kept_for_a_page_that_left_is_bounded(blob_server):
    kernel_id = blob_server.open_page("a.ipynb")

    async def attack() -> None:
        connection = await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1])
        comm_id = await blob_comm(connection, v1=True)
        for _ in range(120):  # 600 MB of answers to a page that leaves at once
            await connection.write_message(v1_frame(ask_for_blob(comm_id)), binary=True)
        connection.close()

    watch, _ = under_attack(blob_server, attack)
    watch.assert_unharmed()
    assert f"Kernel {kernel_id}: more than 64 MB of messages came while its page was away" in blob_server.output()


def test_a_visitor_cannot_open_websockets_until_the_server_runs_out_of_sockets(blob_server):
    """Every kernel websocket costs the server four ZMQ sockets, of the 1023 its ZMQ context allows:
    300 of them to one kernel left no socket for anyone else's page (it answered 500)."""
    kernel_id = blob_server.open_page("a.ipynb")

    async def attack() -> list[int]:
        opened, statuses = [], []
        for _ in range(300):
            try:
                opened.append(await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1]))
                statuses.append(101)
            except HTTPClientError as refusal:
                statuses.append(refusal.code)
        status, _ = blob_server.get("/voila/render/index.ipynb")  # another visitor's page
        for connection in opened:
            connection.close()
        return [*statuses, status]

    watch, statuses = under_attack(blob_server, attack, seconds=5)
    *sockets, other_page = statuses
    watch.assert_unharmed()
    assert other_page == 200, "another visitor's page must still open"
    assert sockets[:MAX_SOCKETS_PER_KERNEL] == [101] * MAX_SOCKETS_PER_KERNEL
    assert set(sockets[MAX_SOCKETS_PER_KERNEL:]) == {429}


# -- tracebacks ----------------------------------------------------------------------------------


def test_an_error_in_a_comm_handler_reaches_the_page_as_one_sentence_and_the_log_in_full(blob_server):
    kernel_id = blob_server.open_page("a.ipynb")

    async def provoke() -> list[dict]:
        """Make both handlers raise; every iopub message the page gets within 8 s."""
        connection = await websocket_connect(blob_server.channels_url(kernel_id), subprotocols=[V1])
        await connection.write_message(v1_frame(message("comm_info_request", {})), binary=True)
        while (reply := read_v1_frame(await connection.read_message()))["header"]["msg_type"] != "comm_info_reply":
            pass
        provocations = {"trainlab.test.fail": {}, "jupyter.widget": {"method": "update", "state": {"value": 3},
                                                                     "buffer_paths": []}}
        for comm_id, info in reply["content"]["comms"].items():
            if info["target_name"] in provocations:
                data = provocations[info["target_name"]]
                await connection.write_message(v1_frame(message("comm_msg", {"comm_id": comm_id, "data": data})),
                                               binary=True)
        received = []
        while True:
            try:
                frame = await asyncio.wait_for(connection.read_message(), 8)
            except asyncio.TimeoutError:
                break
            received.append(read_v1_frame(frame))
        connection.close()
        return [m for m in received if m["channel"] == "iopub"]

    received = run_async(provoke())
    stderr = [m["content"]["text"] for m in received if m["header"]["msg_type"] == "stream"
              and m["content"]["name"] == "stderr"]
    errors = [m["content"] for m in received if m["header"]["msg_type"] == "error"]
    assert stderr and set(stderr) == {HIDDEN_ERROR + "\n"}, "the raw comm's exception is printed on stderr"
    assert errors and all(e["traceback"] == [HIDDEN_ERROR] and e["evalue"] == HIDDEN_ERROR for e in errors), (
        "the slider's observer's exception is an error message")
    shown = json.dumps([m["content"] for m in received])
    for leak in (SECRET, "Traceback", "ZeroDivisionError", "site-packages"):
        assert leak not in shown
    log = blob_server.output()
    assert SECRET in log and "ZeroDivisionError" in log and f"Kernel {kernel_id} (hidden from its page)" in log
    assert "\x1b[0;31mZeroDivisionError" not in log, "the log gets the traceback without terminal colours"


# -- the page ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_voila_page_speaks_the_v1_protocol(blob_server, browser):
    """Voila's own page asks for v1, so refusing the old protocol costs it nothing: its slider
    draws, which takes the page's kernel websocket."""
    from labdriver.console import Console

    refusals = blob_server.output().count("Refused a kernel websocket")
    context = browser.new_context()
    try:
        page = context.new_page()
        console = Console(page)
        page.goto(blob_server.url + "/voila/render/index.ipynb")
        page.locator(".widget-slider", has_text="seven").wait_for(timeout=120_000)
        readout = page.locator(".widget-readout").inner_text()
    finally:
        context.close()
    assert readout == "7"
    assert console.unexplained() == []
    assert blob_server.output().count("Refused a kernel websocket") == refusals
