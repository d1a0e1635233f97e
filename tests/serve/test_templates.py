"""templates/: the page template `trainlab serve` gives Voila. A lab page asks nothing of another
server (Voila's own "lab" template linked Font Awesome from a CDN: two console errors offline),
its icon font still comes from the server, and a visitor cannot switch to another template."""

from __future__ import annotations

import re

import pytest

from labdriver.console import Console

EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


def test_a_lab_page_links_to_no_other_server(tiny_server):
    status, page = tiny_server.get("/voila/render/a.ipynb")
    assert status == 200 and "answer 42" in page
    assert EXTERNAL.findall(page) == []


@pytest.mark.parametrize("template", ["lab", "nope"])
def test_a_visitor_cannot_pick_another_template(tiny_server, template):
    status, page = tiny_server.get(f"/voila/render/a.ipynb?template={template}", timeout=60)
    assert status == 200 and "answer 42" in page
    assert EXTERNAL.findall(page) == []


@pytest.mark.browser
def test_a_lab_page_loads_everything_from_the_server_with_a_clean_console(tiny_server, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        console = Console(page)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(tiny_server.url + "/voila/render/a.ipynb")
        page.get_by_text("answer 42").wait_for(timeout=120_000)
        icon_faces = page.evaluate("""async () => (await document.fonts.load('900 16px "Font Awesome 5 Free"')).length""")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert [url for url in requested if not url.startswith((tiny_server.url, "data:", "blob:"))] == []
    assert icon_faces >= 1, "Font Awesome (Voila's voila-style.js carries it) must load from the server"
    assert console.unexplained() == []
