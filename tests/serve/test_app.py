"""app.py: the Voila command `trainlab serve` runs and its environment, and, on a real server,
the classroom options (--pool-size, --max-kernels, --cull-idle)."""

from __future__ import annotations

import json
import os
import time

import pytest

from trainlab.serve.app import PAGE_EXTENSIONS, TEMPLATES, voila_command, voila_environment, write_voila_config
from trainlab.serve.network import parse_ip
from trainlab.serve.options import ServeOptions

from tests.conftest import ARTIFACTS, LABS
from tests.serve.live import live_server, tiny_labs, wait_until

FULL = "The server is full: 1 of 1 kernels are in use. Try again in a minute."


# -- the command and its options, no server ------------------------------------------------------


def test_voila_is_bound_to_loopback_with_sources_stripped_and_culling():
    command = voila_command(ServeOptions(labs=LABS, cull_idle=120, reconnect_grace=45))
    assert command[1:4] == ["-m", "trainlab.serve.voila_app", str(LABS)]
    assert "--Voila.ip=127.0.0.1" in command
    assert "--strip_sources=True" in command and "--show_tracebacks=False" in command
    assert "--MappingKernelManager.cull_idle_timeout=120" in command
    assert "--TrainlabKernelManager.reconnect_grace=45" in command
    assert "--Voila.port_retries=0" in command, "Voila must not move to a port other than the one printed"
    assert "--no-browser" in command
    assert "--template=trainlab" in command and "--VoilaConfiguration.allow_template_override=NO" in command
    assert "--Voila.kernel_websocket_connection_class=trainlab.serve.connection.TrainlabKernelConnection" in command


def test_pages_load_only_the_front_end_extensions_they_use():
    """Voila loads every JupyterLab extension installed beside it unless told otherwise; Notebook 7's
    cannot run in a Voila page and logged an error in each one's console."""
    from traitlets.config.loader import KVArgParseConfigLoader
    from voila.configuration import VoilaConfiguration
    from voila.utils import filter_extension

    flags = [a for a in voila_command(ServeOptions(labs=LABS)) if "extension_allowlist" in a]
    allowed = VoilaConfiguration(config=KVArgParseConfigLoader(flags).load_config()).extension_allowlist
    assert sorted(allowed) == sorted(PAGE_EXTENSIONS)
    installed = [{"name": name} for name in (*PAGE_EXTENSIONS, "@jupyter-notebook/lab-extension", "jupyterlab_pygments")]
    assert [x["name"] for x in filter_extension(installed, extension_allowlist=allowed)] == list(PAGE_EXTENSIONS)


def test_classroom_options_reach_voila():
    command = voila_command(ServeOptions(labs=LABS, ip=parse_ip("0.0.0.0"), pool_size=3, max_kernels=12))
    assert "--Voila.ip=0.0.0.0" in command
    assert "--preheat_kernel=True" in command and "--pool_size=3" in command
    assert "--TrainlabKernelManager.max_kernels=12" in command
    no_pool = voila_command(ServeOptions(labs=LABS, pool_size=0))
    assert not any(arg.startswith(("--preheat_kernel", "--pool_size")) for arg in no_pool)


def test_voila_json_lets_the_tab_close_beacon_stop_kernels(tmp_path):
    config = json.loads((write_voila_config(tmp_path) / "voila.json").read_text())
    assert config["Voila"]["tornado_settings"]["disable_check_xsrf"] is True


def test_the_full_page_template_is_on_voilas_jupyter_path():
    env = voila_environment({"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(TEMPLATES), "/elsewhere"]
    # No fixed mmap threshold for the allocator: it made every pass fault in fresh pages (compute/heap.py).
    assert "MALLOC_MMAP_THRESHOLD_" not in voila_environment({})
    page = (TEMPLATES / "voila" / "templates" / "trainlab" / "503.html").read_text()
    assert "{{ message" in page and 'href=""' in page  # the cap's message and a retry link


# -- a real server -------------------------------------------------------------------------------


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
            # Its slot is free once the server has finished stopping it, a moment after the process
            # ended (a retry in between was refused again on a busy machine).
            wait_until(lambda: "stopped: 0 kernels in use" in server.output(), 30, "the server to free the slot")
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


@pytest.mark.browser
def test_closing_a_tab_stops_its_kernel_at_once(tiny_server, browser):
    """The page's unload beacon reaches the server (standalone Voila set no _xsrf cookie, and the
    beacon was refused with 403 until voila.json turned the check off)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(tiny_server.url + "/voila/render/a.ipynb")
        page.get_by_text("answer 42").wait_for(timeout=120_000)
        kernel_id = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        wait_until(lambda: f"Connecting to kernel {kernel_id}" in tiny_server.output(), 60, "the page's websocket")
        page.close(run_before_unload=True)
        # Well before the grace for a vanished page (60 s): this is the beacon.
        wait_until(lambda: f"Kernel shutdown: {kernel_id}" in tiny_server.output(), 20, "the kernel to stop")
    finally:
        context.close()
    assert f"Stopping kernel {kernel_id}" not in tiny_server.output()
