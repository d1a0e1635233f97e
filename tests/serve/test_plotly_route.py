"""plotly_route.py: a lab page gets plotly.js's bundles from trainlab's own server, under
`trainlab serve` and on Binder's Jupyter server, and not from the jupyterlab-plotly extension
(which made every page wait for a 4.8 MB chunk before it connected to its kernel)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from labdriver.chromium import free_port
from tests.serve.live import tiny_labs, wait_until
from trainlab.figures.plotly_bundles import BUNDLES, FULL
from trainlab.serve.plotly_route import ROUTE, bundle_folder

ROOT = Path(__file__).resolve().parents[2]
PAGE_CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>', re.S)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except urllib.error.URLError:  # not listening yet
        return 0, b""


def _assert_serves_every_bundle(url: str) -> None:
    for bundle in BUNDLES:
        assert _get(f"{url}/{ROUTE}{bundle.file}") == (200, (bundle_folder(bundle.file) / bundle.file).read_bytes()), bundle
    # Only the bundles: no other file of either folder, nothing outside them.
    for other in ("plotly.js", "README.md", "..%2fplotly_route.py", "plotly-geo.min.js"):
        assert _get(f"{url}/{ROUTE}{other}")[0] == 404, other


def _assert_page_fetches_the_smallest_bundle(page: str) -> None:
    config = json.loads(PAGE_CONFIG.search(page).group(1))
    assert "jupyterlab-plotly" not in [x["name"] for x in config["federated_extensions"]]
    assert f'base: "/{ROUTE}"' in page
    assert f'fetch("/{ROUTE}{BUNDLES[0].file}")' in page


def test_the_full_bundle_is_plotly_py_s_own_and_the_partial_ones_are_vendored():
    import plotly

    assert bundle_folder(FULL.file) == Path(plotly.__file__).parent / "package_data"
    for bundle in BUNDLES[:-1]:
        header = (bundle_folder(bundle.file) / bundle.file).read_text()[:200]
        assert "plotly.js (" in header and "Licensed under the MIT license" in header, bundle.file


def test_trainlab_serve_gives_a_page_the_bundles(tiny_server):
    _assert_serves_every_bundle(tiny_server.url)
    status, page = tiny_server.get("/voila/render/a.ipynb")
    assert status == 200
    _assert_page_fetches_the_smallest_bundle(page)


def test_binder_s_jupyter_server_gives_a_page_the_bundles(tmp_path):
    """binder/jupyter_config.json enables the route as a Jupyter server extension."""
    env = {**os.environ, **{name: str(tmp_path / name) for name in
                            ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")}}
    env.pop("JUPYTER_CONFIG_PATH", None)
    port = free_port()
    labs = tiny_labs(tmp_path / "labs")
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([str(ROOT / "binder" / "start"), sys.executable, "-m", "jupyter_server", "--no-browser",
                               f"--port={port}", "--IdentityProvider.token=", "--allow-root",
                               f"--ServerApp.root_dir={labs}"],
                              env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{url}/api/status")[0] == 200, 120, "Binder's Jupyter server")
        _assert_serves_every_bundle(url)
        status, page = _get(f"{url}/voila/render/a.ipynb")
        assert status == 200
        _assert_page_fetches_the_smallest_bundle(page.decode())
    finally:
        server.terminate()  # the server stops the kernel of the page it rendered
        server.wait(60)
        log.close()
