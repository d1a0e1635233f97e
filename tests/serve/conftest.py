"""The serve tests' shared real server: `trainlab serve` of the labs with its default options."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ARTIFACTS
from tests.serve.live import LiveServer, live_server


@pytest.fixture(scope="session")
def labs_server() -> Iterator[LiveServer]:
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(ARTIFACTS / "serve-labs.log", "--cull-idle=30") as live:
        yield live
