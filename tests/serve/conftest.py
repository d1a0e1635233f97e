"""The serve tests' shared real server: `trainlab serve` of the labs with its default options."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ARTIFACTS
from tests.serve.live import LiveServer, live_server, tiny_labs, wait_until


@pytest.fixture(scope="session")
def labs_server() -> Iterator[LiveServer]:
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(ARTIFACTS / "serve-labs.log", "--cull-idle=30") as live:
        yield live


@pytest.fixture(scope="session")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`trainlab serve` (default options) of two notebooks that run in a moment."""
    folder = tmp_path_factory.mktemp("tiny")
    with live_server(folder / "serve.log", labs=tiny_labs(folder / "labs")) as live:
        wait_until(lambda: live.output().count("is filled with") == 2, 120, "the two pools")
        yield live
