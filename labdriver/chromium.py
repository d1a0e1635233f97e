"""Debian's Chromium, driven headless by Playwright, and a free port for a server to listen on.

Playwright's own browser download does not work on the project's machines, so it launches the
system's Chromium with the arguments a closed network needs (no background connections)."""

from __future__ import annotations

import os
import socket

CHROMIUM = os.environ.get("TRAINLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
