"""A real `trainlab serve` for the tests: started on a free port, its processes read from /proc,
its pages fetched, and its kernel websockets spoken to as a visitor's browser (or an attacker)
would. Not a test module: the serve tests and the browser tests' server fixture share it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from tornado.websocket import websocket_connect

from labdriver.chromium import free_port

T = TypeVar("T")
MB = 1024 * 1024
# What the server's own memory may gain during an attack: the 64 MB it may hold for a page that
# does not read, 16 queued messages from the kernel (5 MB each in the tests), and copies in flight.
RSS_TOLERANCE = 200 * MB
V1 = "v1.kernel.websocket.jupyter.org"  # the kernel websocket protocol of JupyterLab 4 and Voila 0.5


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _children(pid: int) -> set[int]:
    """Running child processes of `pid` (from /proc, so this needs Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of process `pid`."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@dataclass
class LiveServer:
    """A `trainlab serve` started by `live_server`."""

    proc: subprocess.Popen
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def voila_pid(self) -> int:
        return next(iter(_children(self.proc.pid)))

    def kernel_pids(self) -> set[int]:
        return {pid for pid in _children(self.voila_pid()) if "ipykernel" in _cmdline(pid)}

    def get(self, path: str, timeout: float = 120) -> tuple[int, str]:
        """Status and body of a GET, error statuses included."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def answers_within(self, seconds: float) -> bool:
        """Whether the server serves a small static file within `seconds`."""
        try:
            status, _ = self.get("/voila/static/voila.js", timeout=seconds)
        except OSError:  # a timeout or a refused connection
            return False
        return status == 200

    def channels_url(self, kernel_id: str) -> str:
        return self.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"

    def open_page(self, notebook: str) -> str:
        """Render `notebook` as a visitor's page does; the id of the page's kernel."""
        status, page = self.get(f"/voila/render/{notebook}")
        assert status == 200, page
        return kernel_id_of(page)


@contextmanager
def live_server(log: Path, *args: str, host: str = "127.0.0.1", labs: Path | None = None,
                startup: float = 120) -> Iterator[LiveServer]:
    """`trainlab serve --no-browser` on a free port with `args`, until it listens on `host`."""
    port = free_port()
    command = [sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}", *args]
    if labs is not None:
        command.append(f"--labs={labs}")
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup
        while True:
            with socket.socket() as probe:
                if probe.connect_ex((host, port)) == 0:
                    break
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "trainlab serve did not start: " + log.read_text()
            time.sleep(0.2)
        yield LiveServer(proc, f"http://{host}:{port}", log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop `trainlab serve` and the Voila it started, even a Voila that no longer answers
    SIGTERM (a test of a frozen server must not leave it running)."""
    voilas = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    deadline = time.monotonic() + 20
    while (running := {pid for pid in voilas if "voila" in _cmdline(pid)}) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in running:
        for kernel in _children(pid):
            os.kill(kernel, signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)


def tiny_labs(folder: Path, names: tuple[str, ...] = ("index", "a"), code: str | None = None) -> Path:
    """A labs folder of notebooks that run in a moment: each prints what its code computes, or
    runs `code` when given."""
    folder.mkdir()
    for name in names:
        source = code if code is not None else f"answer_{name} = 6 * 7\nprint('answer', answer_{name})"
        notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"), new_code_cell(source)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def wait_until(condition: Callable[[], T], timeout: float, what: str, step: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(step)


def kernel_id_of(page: str) -> str:
    """The kernel Voila started for a rendered page, from the page's Jupyter config."""
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert config, "no page config in the page"
    return json.loads(config.group(1))["kernelId"]


def message(msg_type: str, content: dict, channel: str = "shell") -> dict:
    """A Jupyter protocol message as a dict (the old websocket protocol's JSON form)."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "visitor", "session": uuid.uuid4().hex,
                   "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": [],
    }


def v1_frame(msg: dict, buffers: tuple[bytes, ...] = ()) -> bytes:
    """`msg` in the v1 kernel websocket protocol: 8-byte little-endian count of offsets, the
    offsets, then the channel, header, parent header, metadata, content and buffers."""
    parts = [msg["channel"].encode()] + [json.dumps(msg[key]).encode()
                                          for key in ("header", "parent_header", "metadata", "content")]
    parts += list(buffers)
    count = len(parts) + 1
    offsets = [8 * (count + 1)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join([count.to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets), *parts])


def read_v1_frame(frame: bytes) -> dict:
    """A v1 frame the server sent, as a message dict (channel, header, ..., buffers)."""
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    parts = [frame[start:stop] for start, stop in zip(offsets, offsets[1:])]
    keys = ("header", "parent_header", "metadata", "content")
    msg: dict[str, Any] = {key: json.loads(part) for key, part in zip(keys, parts[1:5])}
    msg["channel"] = parts[0].decode()
    msg["buffers"] = parts[5:]
    return msg


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: the browser tests keep an event loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _talk(url: str, requests: list[dict], listen: float) -> list[dict]:
    """Send `requests` over a kernel websocket (v1 protocol), return every message received
    within `listen` seconds."""
    connection = await websocket_connect(url, subprotocols=[V1])
    for request in requests:
        await connection.write_message(v1_frame(request), binary=True)
    received = []
    deadline = time.monotonic() + listen
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(connection.read_message(), left)
        except asyncio.TimeoutError:
            break
        if frame is None:
            break
        received.append(read_v1_frame(frame))
    connection.close()
    return received


def talk(url: str, requests: list[dict], listen: float) -> list[dict]:
    """Send `requests` to a kernel as a page does; what came back within `listen` seconds."""
    return run_async(_talk(url, requests, listen))


def replies_to(received: list[dict], request: dict) -> list[str]:
    """The types of the messages in `received` that answer `request`."""
    return [m["header"]["msg_type"] for m in received if m["parent_header"].get("msg_id") == request["header"]["msg_id"]]


@dataclass
class Watch:
    """How the server did while an attack ran: its slowest answer and its memory."""

    rss_before: int
    rss_peak: int
    slowest: float  # seconds; inf if a request got no answer within 5 s

    def assert_unharmed(self) -> None:
        assert self.slowest < 5, f"the server stopped answering (slowest answer {self.slowest:.1f} s)"
        grown = self.rss_peak - self.rss_before
        assert grown < RSS_TOLERANCE, f"the server's memory grew by {grown / MB:.0f} MB"


def under_attack(server: LiveServer, attack: Callable[[], Coroutine[Any, Any, T]], seconds: float = 15) -> tuple[Watch, T]:
    """Run `attack` (a coroutine function, on a thread of its own) while watching the server for
    `seconds`: every 0.3 s a request for a small file (up to 5 s) and the resident memory of the
    Voila process. The watch and what the attack returned."""
    pid = server.voila_pid()
    before = rss_bytes(pid)
    peak, slowest = before, 0.0
    with ThreadPoolExecutor(1) as pool:
        attacking = pool.submit(asyncio.run, attack())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.monotonic()
            answered = server.answers_within(5)
            slowest = max(slowest, time.monotonic() - start if answered else float("inf"))
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.3)
        return Watch(before, peak, slowest), attacking.result(timeout=120)
