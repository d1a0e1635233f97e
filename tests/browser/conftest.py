"""A live `trainlab serve` and a headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from labdriver.chromium import free_port
from labdriver.console import Console
from tests.conftest import ARTIFACTS, LABS


def _wait_until_warm(log: Path, proc: subprocess.Popen, timeout: float = 240.0, settle: float = 20.0) -> None:
    """Wait until every lab's preheated kernel has started and has had `settle` seconds to run
    its notebook, as in a classroom, where the first students arrive well after the server.

    Right after start-up, with seven kernels importing torch on 2 cores, a page that came in
    the first seconds sometimes lacked a widget of a later cell ("widget model not found"):
    a known limit, noted in the README, not what these tests are after."""
    labs = len(list(LABS.glob("*.ipynb")))
    deadline = time.monotonic() + timeout
    while log.read_text().count("is filled with") < labs:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)
    time.sleep(settle)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    port = free_port()
    log = (ARTIFACTS / "serve.log")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        # Culling is only a backstop here (a closed tab stops its kernel). It must give a page time
        # to connect: with 4 s, on 2 busy cores, the index's kernel was culled before its page
        # connected, and the page logged 404s for its kernel.
        proc = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}",
                                 "--cull-idle=30"], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        else:
            raise AssertionError("trainlab serve did not start: " + log.read_text())
        _wait_until_warm(log, proc)
        yield f"http://127.0.0.1:{port}"
        proc.terminate()
        proc.wait(20)


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, Console]]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    console = Console(pg)
    yield pg, console
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
