"""voila_app.py: on a real `trainlab serve`, a template path Voila cannot parse is a 404 (it was a
500 with a traceback in the log), and the log carries no "Notebook ... is not trusted" warnings."""

from __future__ import annotations

import pytest

# Each was a 500 from Voila's handler: no "static" part, nothing after it, or a path that climbs out.
BAD_TEMPLATE_PATHS = [
    "/voila/templates/x", "/voila/templates/lab/static/", "/voila/templates/..%2f..%2fa.ipynb",
    "/voila/templates/..%2F..%2Fetc%2Fpasswd", "/voila/templates/lab/static/..%2f..%2f..%2fx",
    "/voila/templates/lab/nope/x.js", "/voila/templates/%2e%2e/static/x",
]


@pytest.mark.parametrize("path", BAD_TEMPLATE_PATHS)
def test_a_template_path_voila_cannot_parse_is_not_found(tiny_server, path):
    status, _ = tiny_server.get(path)
    assert status == 404


def test_template_files_are_still_served(tiny_server):
    status, body = tiny_server.get("/voila/templates/base/static/materialcolors.css")
    assert status == 200 and "--md-" in body


def test_no_notebook_is_reported_untrusted(tiny_server):
    status, page = tiny_server.get("/voila/render/a.ipynb")
    assert status == 200 and "answer 42" in page
    assert "is not trusted" not in tiny_server.output()
