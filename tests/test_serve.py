"""`trainlab serve`: the Voila command it runs, and its refusals."""

from __future__ import annotations

import subprocess
import sys

from trainlab.serve import find_labs, voila_command

from tests.conftest import LABS


def test_voila_is_bound_to_loopback_with_sources_stripped_and_culling():
    command = voila_command(LABS, 8866, cull_idle=120)
    assert "--Voila.ip=127.0.0.1" in command
    assert "--strip_sources=True" in command and "--show_tracebacks=False" in command
    assert "--MappingKernelManager.cull_idle_timeout=120" in command
    assert "--no-browser" in command


def test_labs_are_found_in_the_checkout():
    assert find_labs() == LABS


def test_bad_options_exit_2_with_one_line():
    for args in (["--port", "0"], ["--port", "x"], ["--cull-idle", "0"], ["--labs", "/nonexistent"]):
        proc = subprocess.run([sys.executable, "-m", "trainlab", "serve", "--no-browser", *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, args
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trainlab: error: --"), proc.stderr


def test_voila_json_lets_the_tab_close_beacon_stop_kernels(tmp_path):
    import json

    from trainlab.serve import write_voila_config

    config = json.loads((write_voila_config(tmp_path) / "voila.json").read_text())
    assert config["Voila"]["tornado_settings"]["disable_check_xsrf"] is True
