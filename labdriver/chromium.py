"""Debian's Chromium, driven headless by Playwright, a free port for a server to listen on, and a
wait until it does.

Playwright's own browser download does not work on the project's machines, so it launches the
system's Chromium with the arguments a closed network needs (no background connections)."""

from __future__ import annotations

import os
import socket
import time

CHROMIUM = os.environ.get("TRAINLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Return once a server listens on localhost:`port`; exit the script if none does in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"trainlab serve did not listen on port {port} within {timeout:.0f} s")
