"""`trainlab serve`: the Voila command it runs, its refusals, and, on a real server, the classroom
options (--ip, --pool-size, --max-kernels, --cull-idle)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from trainlab.cli import main
from trainlab.serve import TEMPLATES, ServeOptions, find_labs, voila_command, voila_environment, write_voila_config
from trainlab.serve_capacity import (
    MB, POOLED_KERNEL_BYTES, RESERVE_BYTES, VISITOR_KERNEL_BYTES, available_memory, default_kernel_cap,
)
from trainlab.serve_network import machine_address

from tests.browser.conftest import free_port
from tests.conftest import ARTIFACTS, LABS

FULL = "The server is full: 1 of 1 kernels are in use. Try again in a minute."


# -- the command and its options, no server ------------------------------------------------------


def test_voila_is_bound_to_loopback_with_sources_stripped_and_culling():
    command = voila_command(ServeOptions(labs=LABS, cull_idle=120))
    assert "--Voila.ip=127.0.0.1" in command
    assert "--strip_sources=True" in command and "--show_tracebacks=False" in command
    assert "--MappingKernelManager.cull_idle_timeout=120" in command
    assert "--Voila.port_retries=0" in command, "Voila must not move to a port other than the one printed"
    assert "--no-browser" in command


def test_classroom_options_reach_voila():
    command = voila_command(ServeOptions(labs=LABS, ip="0.0.0.0", pool_size=3, max_kernels=12))
    assert "--Voila.ip=0.0.0.0" in command
    assert "--preheat_kernel=True" in command and "--pool_size=3" in command
    assert "--TrainlabKernelManager.max_kernels=12" in command
    no_pool = voila_command(ServeOptions(labs=LABS, pool_size=0))
    assert not any(arg.startswith(("--preheat_kernel", "--pool_size")) for arg in no_pool)


def test_labs_are_found_in_the_checkout():
    assert find_labs() == LABS


def _serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainlab", "serve", "--no-browser", *args],
                          capture_output=True, text=True, timeout=timeout)


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


def test_no_preheat_is_pool_size_0(monkeypatch):
    seen = []
    monkeypatch.setattr("trainlab.cli.serve", lambda args: seen.append(args.pool_size) or 0)
    for argv, pool_size in ((["serve"], "1"), (["serve", "--no-preheat"], "0"), (["serve", "--pool-size", "3"], "3"),
                            (["serve", "--pool-size", "3", "--no-preheat"], "0")):
        main(argv)
        assert seen.pop() == pool_size, argv


def test_voila_json_lets_the_tab_close_beacon_stop_kernels(tmp_path):
    config = json.loads((write_voila_config(tmp_path) / "voila.json").read_text())
    assert config["Voila"]["tornado_settings"]["disable_check_xsrf"] is True


def test_the_full_page_template_is_on_voilas_jupyter_path():
    env = voila_environment({"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(TEMPLATES), "/elsewhere"]
    assert env["MALLOC_MMAP_THRESHOLD_"] == "1048576"  # kernels give a sweep's freed memory back
    assert voila_environment({"MALLOC_MMAP_THRESHOLD_": "4096"})["MALLOC_MMAP_THRESHOLD_"] == "4096"
    page = (TEMPLATES / "voila" / "templates" / "lab" / "503.html").read_text()
    assert "{{ message" in page and 'href=""' in page  # the cap's message and a retry link


def test_default_kernel_cap_follows_free_memory():
    pools = 8 * POOLED_KERNEL_BYTES
    assert default_kernel_cap(8, RESERVE_BYTES + pools + 10 * VISITOR_KERNEL_BYTES + MB).kernels == 8 + 10
    assert default_kernel_cap(0, RESERVE_BYTES + 10 * VISITOR_KERNEL_BYTES - MB).kernels == 9
    # pools that do not fit beside one kernel in use are not counted as light
    assert default_kernel_cap(8, RESERVE_BYTES + 3 * VISITOR_KERNEL_BYTES).kernels == 3
    assert default_kernel_cap(0, 512 * MB).kernels == 1, "a small machine still serves one page"
    assert default_kernel_cap(8).kernels >= 1
    assert "18.5 GB free" in default_kernel_cap(8, int(18.5 * 1024**3)).reason()


def test_free_memory_is_the_smaller_of_the_system_and_the_container_limit(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemAvailable:   16000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    (cgroup / "memory.max").write_text("max\n")
    (cgroup / "memory.current").write_text("1000\n")
    assert available_memory(meminfo, cgroup) == 16000000 * 1024
    (cgroup / "memory.max").write_text(f"{4 * 1024**3}\n")
    (cgroup / "memory.current").write_text(f"{1024**3}\n")
    assert available_memory(meminfo, cgroup) == 3 * 1024**3


# -- a real server -------------------------------------------------------------------------------


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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def tiny_labs(folder: Path, names: tuple[str, ...] = ("index", "a")) -> Path:
    """A labs folder of notebooks that run in a moment, each printing what its code computes."""
    folder.mkdir()
    for name in names:
        notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"),
                                       new_code_cell(f"answer_{name} = 6 * 7\nprint('answer', answer_{name})")])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def wait_until(condition, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(step)


def test_non_loopback_ip_warns_and_serves_there(tmp_path):
    address = machine_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    with live_server(tmp_path / "serve.log", f"--ip={address}", "--pool-size=0", host=address,
                     labs=tiny_labs(tmp_path / "labs")) as server:
        status, page = server.get("/voila/render/index.ipynb")
        assert status == 200 and "answer 42" in page
        output = server.output()
    warning = [line for line in output.splitlines() if line.startswith("trainlab: warning:")]
    assert warning and f"listening on {address}" in warning[0] and "no authentication" in warning[0], output
    assert f"at {server.url}/voila/render/index.ipynb" in output, "the printed URL must be the one that works"


@pytest.mark.browser
def test_a_full_server_answers_503_and_lets_visitors_in_after_culling(tmp_path, browser):
    # The browser (the session's) is up before the server, and the idle timeout leaves it time to
    # see the full server before the first page's kernel is culled.
    with live_server(tmp_path / "serve.log", "--max-kernels=1", "--pool-size=0", "--cull-idle=8",
                     labs=tiny_labs(tmp_path / "labs")) as server:
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        try:
            tab = context.new_page()
            status, page = server.get("/voila/render/index.ipynb")
            assert status == 200 and "answer 42" in page
            status, page = server.get("/voila/render/a.ipynb")
            assert status == 503, page
            assert FULL in page
            assert server.proc.poll() is None, "the server must survive a refusal"
            response = tab.goto(server.url + "/voila/render/a.ipynb")
            assert response is not None and response.status == 503
            assert "server is full" in tab.title()
            assert tab.locator("#message").inner_text() == FULL
            retry = tab.get_by_role("link", name="Try again")
            assert retry.is_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / "server-full.png"))
            # The first page never connected its websocket: culled after a full idle timeout.
            wait_until(lambda: not server.kernel_pids(), 60, "the first page's kernel to be culled")
            with tab.expect_navigation(wait_until="commit", timeout=120_000) as navigation:
                retry.click()
            # The page as the server sent it (Voila's front end, which draws the outputs, can
            # take minutes to start on a busy machine; the browser tests cover it).
            assert navigation.value.status == 200
            assert "answer 42" in navigation.value.text()
        finally:
            context.close()
        wait_until(lambda: len(server.kernel_pids()) == 1, 30, "the retried page's kernel")
        output = server.output()
    assert "trainlab: at most 1 kernel at once (--max-kernels)" in output
    assert not [line for line in output.splitlines() if line.startswith("trainlab: warning")], "127.0.0.1 is safe"


def test_culling_brings_the_kernels_back_to_the_pools_and_refills_a_pool_skipped_at_the_cap(tmp_path):
    # Two notebooks with a pool of one each: 2 kernels at rest, and a cap of 3. The idle timeout
    # is long enough that no visitor's kernel is culled before the third visit.
    with live_server(tmp_path / "serve.log", "--max-kernels=3", "--pool-size=1", "--cull-idle=30",
                     labs=tiny_labs(tmp_path / "labs")) as server:
        wait_until(lambda: len(server.kernel_pids()) == 2, 90, "the two pooled kernels")
        assert server.get("/voila/render/a.ipynb")[0] == 200  # takes a's pooled kernel; the refill makes 3
        wait_until(lambda: len(server.kernel_pids()) == 3, 60, "a's pool to be refilled")
        assert server.get("/voila/render/a.ipynb")[0] == 200  # takes the refill; at the cap, no new refill
        time.sleep(3)  # Voila waits a second before refilling: give it time to try
        assert len(server.kernel_pids()) == 3
        status, page = server.get("/voila/render/a.ipynb")  # a's pool is empty and there is no room
        assert status == 503 and "3 of 3 kernels" in page, page
        # Both visitors' kernels are culled; a's pool is refilled: back to one kernel per notebook.
        wait_until(lambda: server.output().count("Culling '") >= 2 and len(server.kernel_pids()) == 2, 120,
                   "culling and the refill", step=1)
        used = server.output().count("Using pre-heated kernel")
        assert server.get("/voila/render/a.ipynb")[0] == 200
        assert server.output().count("Using pre-heated kernel") == used + 1, "the visit must get the refilled pool"
