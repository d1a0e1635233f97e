"""Keep Jupyter, IPython, Chromium and weight-store state of a test run out of the home
directory; the one headless Chromium of a test session (Playwright's sync API allows one per
process), started only by the tests that ask for it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
ARTIFACTS = ROOT / "test-artifacts"

_home = Path(tempfile.mkdtemp(prefix="trainlab-test-home-"))
for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                  ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
    os.environ[name] = str(_home / sub)
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
# The machine's store of base matrices (compute/net/weight_store.py): one per test run, shared by
# its kernels, so that a test run neither reuses nor leaves 64 MB files in ~/.cache.
os.environ["TRAINLAB_WEIGHT_STORE"] = str(_home / "weights")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run's home goes with it: its weight store alone holds about 3 GB after a full run. (The
    session's servers and kernels have stopped by now: session fixtures end with the last test.)"""
    shutil.rmtree(_home, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    # Imported here, not at the top: the compute and ui tests run without the browser extra.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
