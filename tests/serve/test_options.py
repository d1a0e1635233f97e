"""options.py: the command line of `trainlab serve`, every bad value and contradiction refused
with one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import pytest

from trainlab.cli import main
from trainlab.serve.network import machine_address
from trainlab.serve.options import OptionError, ServeOptions, add_serve_arguments, find_labs, options_from_args

from tests.conftest import LABS
from tests.serve.live import free_port


def test_labs_are_found_in_the_checkout():
    assert find_labs() == LABS


def test_a_bad_option_ends_the_process_with_status_2_and_one_line():
    proc = subprocess.run([sys.executable, "-m", "trainlab", "serve", "--no-browser", "--max-kernels", "many"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "trainlab: error: --max-kernels: must be a whole number from 1 to 1000, not 'many'\n"


def test_bad_options_exit_2_with_one_line(capsys):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    cases = [
        (["--port", "0"], "--port"), (["--port", "x"], "--port"), (["--cull-idle", "0"], "--cull-idle"),
        (["--labs", "/nonexistent"], "--labs"), (["--ip", "localhost:80"], "--ip"), (["--ip", "300.1.1.1"], "--ip"),
        (["--ip", "192.0.2.77"], "--ip"),  # an address of no interface here (TEST-NET-1)
        (["--port", str(taken.getsockname()[1])], "--port"), (["--pool-size", "-1"], "--pool-size"),
        (["--pool-size", "two"], "--pool-size"), (["--pool-size", "11"], "--pool-size"),
        (["--max-kernels", "0"], "--max-kernels"), (["--max-kernels", "1.5"], "--max-kernels"),
        (["--reconnect-grace", "0"], "--reconnect-grace"), (["--reconnect-grace", "soon"], "--reconnect-grace"),
    ]
    if machine_address() == "192.0.2.77":
        cases = [case for case in cases if case[0] != ["--ip", "192.0.2.77"]]
    try:
        for args, option in cases:
            assert main(["serve", "--no-browser", *args]) == 2, args
            captured = capsys.readouterr()
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"trainlab: error: {option}: "), (args, captured.err)
            assert captured.out == "", "nothing is served, so nothing is announced"
    finally:
        taken.close()


def _options(*argv: str) -> ServeOptions:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return options_from_args(parser.parse_args(["--labs", str(LABS), f"--port={free_port()}", *argv]))


def test_no_preheat_is_pool_size_0():
    for argv, pool_size in (([], 1), (["--no-preheat"], 0), (["--pool-size", "3"], 3),
                            (["--no-preheat", "--pool-size", "0"], 0)):
        assert _options(*argv).pool_size == pool_size, argv


def test_contradicting_options_are_refused_naming_both(capsys):
    for argv in (["--no-preheat", "--pool-size", "3"], ["--pool-size", "3", "--no-preheat"]):
        with pytest.raises(OptionError) as refusal:
            _options(*argv)
        assert str(refusal.value).startswith("--no-preheat: ") and "--pool-size 3" in str(refusal.value), argv
    assert main(["serve", "--no-browser", "--no-preheat", "--pool-size", "3"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "--no-preheat" in captured.err and "--pool-size 3" in captured.err
    assert captured.out == ""
