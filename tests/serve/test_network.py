"""network.py, on a real server: a non-loopback --ip serves there, warns, and prints the address
that works."""

from __future__ import annotations

import pytest

from trainlab.serve.network import machine_address

from tests.serve.live import live_server, tiny_labs


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
