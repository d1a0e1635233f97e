"""app.py, as a visitor meets it on a real `trainlab serve` of the labs (default options: loopback,
a preheated kernel per lab): a visitor cannot run code of their own in a kernel, read the labs'
code, or reach the server from another machine."""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from trainlab.serve.network import machine_address

from tests.conftest import ARTIFACTS, LABS
from tests.serve.live import V1, message, read_v1_frame, replies_to, talk, under_attack, v1_frame

LAB = "02_weight_initialization.ipynb"


def test_the_kernel_websocket_refuses_execute_requests(labs_server, tmp_path):
    target = tmp_path / "pwned"
    code = f"open({str(target)!r}, 'w').write('a visitor ran code')"
    control = tmp_path / "control"
    subprocess.run([sys.executable, "-c", code.replace(str(target), str(control))], check=True, timeout=60)
    assert control.exists(), "the payload must work when it does run"

    url = labs_server.channels_url(labs_server.open_page("index.ipynb"))
    info = message("kernel_info_request", {})
    attempts = [message("execute_request", {"code": code, "silent": False, "store_history": True,
                                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                        channel=channel) for channel in ("shell", "control")]
    received = talk(url, [info, *attempts], listen=8)

    assert "kernel_info_reply" in replies_to(received, info), "an allowed message must get its reply"
    for attempt in attempts:
        assert replies_to(received, attempt) == [], f"the kernel answered an execute_request: {received}"
    time.sleep(2)
    assert not target.exists(), "code sent over the websocket ran in the kernel"
    assert 'Received message of type "execute_request", which is not allowed' in labs_server.output()


def test_the_rendered_page_has_no_code(labs_server):
    notebook = nbformat.read(LABS / LAB, as_version=4)
    # Every line of code with some substance; a bare `PredictReveal(` is also how a widget's
    # text/plain representation starts, which the page carries as an output.
    code_lines = {line.strip() for cell in notebook.cells if cell.cell_type == "code"
                  for line in cell.source.splitlines()
                  if len(line.strip()) > 12 and not re.fullmatch(r"[A-Za-z_]\w*\(", line.strip())}
    assert any("InitExplorer(preset=" in line for line in code_lines), "the lab's code is not what this test expects"

    status, page = labs_server.get(f"/voila/render/{LAB}")
    (ARTIFACTS / "served-lab-page.html").write_text(page)
    assert status == 200 and "application/vnd.jupyter.widget-view+json" in page, "the lab did not render"
    shown = [line for line in code_lines if line in page or html.escape(line) in page]
    assert shown == [], f"code of the lab is in the page: {shown}"


@pytest.mark.parametrize("path", [
    f"/api/contents/{LAB}", f"/api/contents/{LAB}?content=1", f"/voila/api/contents/{LAB}",
    f"/voila/api/contents/{LAB}?content=1&format=text", f"/files/{LAB}", f"/files/labs/{LAB}",
    f"/voila/files/{LAB}", f"/voila/files/labs/{LAB}", f"/voila/files/./{LAB}", f"/{LAB}", f"/voila/tree/{LAB}",
    f"/voila/static/..%2F..%2F{LAB}", f"/voila/templates/..%2F..%2F{LAB}", f"/nbconvert/notebook/{LAB}",
    # climbing out of a static folder to the notebook's absolute path
    "/voila/static/" + "..%2F" * 16 + str(LABS / LAB).lstrip("/"),
    "/voila/templates/lab/static/" + "..%2F" * 16 + str(LABS / LAB).lstrip("/"),
])
def test_the_notebook_file_is_not_served(labs_server, path):
    source = (LABS / LAB).read_text()
    assert '"cell_type": "code"' in source and "InitExplorer(preset=" in source
    status, body = labs_server.get(path)
    assert '"cell_type"' not in body and "InitExplorer(preset=" not in body, f"{path} gave the notebook ({status})"


def test_the_default_bind_address_is_loopback(labs_server):
    port = int(labs_server.url.rsplit(":", 1)[1])
    assert "--Voila.ip=127.0.0.1" in Path(f"/proc/{labs_server.voila_pid()}/cmdline").read_bytes().decode().split("\0")
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # reachable here: so a refusal below is about the address
    address = machine_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    with socket.socket() as probe:
        probe.settimeout(5)
        assert probe.connect_ex((address, port)) != 0, f"the server answers on {address}"


# The request of issue 10: a page's PlotlyView asks its kernel for plotly.js once, and the kernel
# answers with it as a 4.8 MB binary buffer. The widget comms are asked for it here, all of them.
PLOTLY_JS = {"method": "custom", "content": {"type": "plotly-js"}}


async def _widget_comms(connection, v1: bool) -> list[str]:
    request = message("comm_info_request", {"target_name": "jupyter.widget"})
    await connection.write_message(v1_frame(request) if v1 else json.dumps(request), binary=v1)
    while True:
        frame = await asyncio.wait_for(connection.read_message(), 60)
        assert frame is not None, "the server closed the websocket"
        reply = read_v1_frame(frame) if v1 else json.loads(frame)
        if reply["header"]["msg_type"] == "comm_info_reply":
            return list(reply["content"]["comms"])


def test_asking_a_lab_for_plotly_js_on_an_old_protocol_socket_cannot_freeze_the_server(labs_server):
    kernel_id = labs_server.open_page(LAB)

    async def attack() -> int:
        try:
            connection = await websocket_connect(labs_server.channels_url(kernel_id))  # no subprotocol
        except HTTPClientError as refusal:
            return refusal.code
        for comm_id in await _widget_comms(connection, v1=False):
            await connection.write_message(json.dumps(message("comm_msg", {"comm_id": comm_id, "data": PLOTLY_JS})))
        await asyncio.sleep(12)
        connection.close()
        return 101

    watch, status = under_attack(labs_server, attack)
    watch.assert_unharmed()
    assert status == 400


def test_a_page_that_asks_for_plotly_js_gets_it(labs_server):
    kernel_id = labs_server.open_page(LAB)

    async def ask() -> list[int]:
        connection = await websocket_connect(labs_server.channels_url(kernel_id), subprotocols=[V1])
        for comm_id in await _widget_comms(connection, v1=True):
            await connection.write_message(v1_frame(message("comm_msg", {"comm_id": comm_id, "data": PLOTLY_JS})),
                                           binary=True)
        while not (answer := read_v1_frame(await asyncio.wait_for(connection.read_message(), 60)))["buffers"]:
            pass
        connection.close()
        return [len(buffer) for buffer in answer["buffers"]]

    watch, sizes = under_attack(labs_server, ask, seconds=8)
    watch.assert_unharmed()
    assert len(sizes) == 1 and sizes[0] > 3_000_000, sizes
