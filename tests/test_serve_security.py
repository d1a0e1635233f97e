"""What a visitor of a real `trainlab serve` (default options: loopback, a preheated kernel per
lab) cannot do: run code of their own in a kernel, read the labs' code, or reach the server
from another machine."""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from tornado.websocket import websocket_connect

from trainlab.serve_network import machine_address

from tests.conftest import ARTIFACTS, LABS
from tests.test_serve import LiveServer, live_server

LAB = "02_weight_initialization.ipynb"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(ARTIFACTS / "serve-security.log", "--cull-idle=30") as live:
        yield live


def kernel_id_of(page: str) -> str:
    """The kernel Voila started for a rendered page, from the page's Jupyter config."""
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert config, "no page config in the page"
    return json.loads(config.group(1))["kernelId"]


def message(msg_type: str, content: dict, channel: str = "shell") -> dict:
    """A Jupyter protocol message in the JSON form the kernel websocket takes."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "visitor", "session": uuid.uuid4().hex,
                   "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": [],
    }


async def _talk(url: str, requests: list[dict], listen: float) -> list[dict]:
    """Send `requests` over a kernel websocket, return every message received within `listen` s."""
    connection = await websocket_connect(url)
    for request in requests:
        await connection.write_message(json.dumps(request))
    received = []
    deadline = time.monotonic() + listen
    while (left := deadline - time.monotonic()) > 0:
        try:
            text = await asyncio.wait_for(connection.read_message(), left)
        except asyncio.TimeoutError:
            break
        if text is None:
            break
        if isinstance(text, str):
            received.append(json.loads(text))
    connection.close()
    return received


def talk(url: str, requests: list[dict], listen: float) -> list[dict]:
    # On a thread of its own: the browser tests keep an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _talk(url, requests, listen)).result()


def replies_to(received: list[dict], request: dict) -> list[str]:
    return [m["header"]["msg_type"] for m in received if m.get("parent_header", {}).get("msg_id") ==
            request["header"]["msg_id"]]


def test_the_kernel_websocket_refuses_execute_requests(server, tmp_path):
    target = tmp_path / "pwned"
    code = f"open({str(target)!r}, 'w').write('a visitor ran code')"
    control = tmp_path / "control"
    subprocess.run([sys.executable, "-c", code.replace(str(target), str(control))], check=True, timeout=60)
    assert control.exists(), "the payload must work when it does run"

    status, page = server.get("/voila/render/index.ipynb")
    assert status == 200
    url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id_of(page)}/channels?session_id={uuid.uuid4().hex}"
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
    assert 'Received message of type "execute_request", which is not allowed' in server.output()


def test_the_rendered_page_has_no_code(server):
    notebook = nbformat.read(LABS / LAB, as_version=4)
    # Every line of code with some substance; a bare `PredictReveal(` is also how a widget's
    # text/plain representation starts, which the page carries as an output.
    code_lines = {line.strip() for cell in notebook.cells if cell.cell_type == "code"
                  for line in cell.source.splitlines()
                  if len(line.strip()) > 12 and not re.fullmatch(r"[A-Za-z_]\w*\(", line.strip())}
    assert any("InitExplorer(preset=" in line for line in code_lines), "the lab's code is not what this test expects"

    status, page = server.get(f"/voila/render/{LAB}")
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
def test_the_notebook_file_is_not_served(server, path):
    source = (LABS / LAB).read_text()
    assert '"cell_type": "code"' in source and "InitExplorer(preset=" in source
    status, body = server.get(path)
    assert '"cell_type"' not in body and "InitExplorer(preset=" not in body, f"{path} gave the notebook ({status})"


def test_the_default_bind_address_is_loopback(server):
    port = int(server.url.rsplit(":", 1)[1])
    assert "--Voila.ip=127.0.0.1" in Path(f"/proc/{server.voila_pid()}/cmdline").read_bytes().decode().split("\0")
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # reachable here: so a refusal below is about the address
    address = machine_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    with socket.socket() as probe:
        probe.settimeout(5)
        assert probe.connect_ex((address, port)) != 0, f"the server answers on {address}"
