"""The repository's set-up files agree with each other."""

from __future__ import annotations

import json
import re
import tomllib

from tests.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_binder_requirements_match_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): r for r in project["dependencies"]}
    lines = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    binder = {_name(line): line for line in lines if line and not line.startswith(("#", "-"))}
    assert "-e ." in lines, "Binder must install trainlab itself"
    assert set(binder) == set(declared)
    for name, requirement in declared.items():
        assert binder[name].replace(" ", "") == requirement.replace(" ", ""), name


def test_every_dependency_has_a_lower_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert ">=" in requirement, requirement


def test_binder_voila_settings_hide_sources_and_cull_kernels():
    config = json.loads((ROOT / "binder" / "jupyter_config.json").read_text())
    assert config["VoilaConfiguration"]["strip_sources"] is True
    assert config["VoilaConfiguration"]["show_tracebacks"] is False
    assert config["MappingKernelManager"]["cull_idle_timeout"] > 0


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.findall(r"```(?:bash|sh)?\n(.*?)\n```", readme, re.S)[1].strip()
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


BINDER_BADGE = re.compile(r"\((https://mybinder\.org/v2/[^)\s]+)\)")


def test_readme_binder_badge_opens_the_labs_index_in_voila():
    from urllib.parse import parse_qs, urlparse

    links = BINDER_BADGE.findall((ROOT / "README.md").read_text())
    assert links, "README.md has no mybinder.org link"
    for link in links:
        urlpath = parse_qs(urlparse(link).query)["urlpath"]
        assert urlpath == ["voila/render/labs/index.ipynb"], link
        assert (ROOT / urlpath[0].removeprefix("voila/render/")).is_file()


def test_every_lab_the_index_links_to_exists():
    index = json.loads((ROOT / "labs" / "index.ipynb").read_text())
    text = "".join("".join(cell["source"]) for cell in index["cells"] if cell["cell_type"] == "markdown")
    targets = {href.split("?")[0].split("#")[0] for href in re.findall(r'href="([^"]+)"', text)}
    labs = {t for t in targets if t.endswith(".ipynb")}
    assert len(labs) >= 5, targets
    for lab in labs:
        assert (ROOT / "labs" / lab).is_file(), lab


def test_binder_server_reads_the_voila_settings(tmp_path):
    """On Binder, binder/start runs before the Jupyter server; the server it starts must see
    binder/jupyter_config.json: Voila's server extension on, sources stripped, idle kernels culled."""
    import os
    import subprocess
    import sys

    start = ROOT / "binder" / "start"
    assert os.access(start, os.X_OK), "repo2docker runs binder/start only if it is executable"
    env = {**os.environ, **{name: str(tmp_path / name) for name in
                            ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")}}
    env.pop("JUPYTER_CONFIG_PATH", None)
    probe = ("import json, os; from jupyter_server.serverapp import ServerApp; from jupyter_core.paths import jupyter_path\n"
             "app = ServerApp(); app.load_config_file()\n"
             "found = [p for p in jupyter_path('voila', 'templates', 'trainlab') if os.path.isfile(p + '/index.html.j2')]\n"
             "print(json.dumps({**{k: dict(app.config[k]) for k in "
             "('ServerApp', 'VoilaConfiguration', 'MappingKernelManager')}, 'template_found': found}, default=str))")
    out = subprocess.run([str(start), sys.executable, "-c", probe], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    config = json.loads(out.strip().splitlines()[-1])
    assert config["ServerApp"]["jpserver_extensions"]["voila.server_extension"] is True
    assert config["VoilaConfiguration"]["strip_sources"] is True
    assert config["VoilaConfiguration"]["show_tracebacks"] is False
    assert config["VoilaConfiguration"]["template"] == "trainlab"
    from trainlab.serve.app import PAGE_EXTENSIONS
    assert config["VoilaConfiguration"]["extension_allowlist"] == list(PAGE_EXTENSIONS), "as trainlab serve's pages"
    culling = config["MappingKernelManager"]
    assert culling["cull_idle_timeout"] > 0 and culling["cull_interval"] > 0
    assert culling["cull_connected"] is False  # a student's open page keeps its kernel
    assert config["template_found"], "the trainlab template is on the server's Jupyter path"


def test_compute_and_ui_tests_need_no_browser_extra():
    """The root conftest imports no Playwright: with it missing, the compute and ui tests are
    still collected (only the browser tests need the browser extra)."""
    import subprocess
    import sys

    probe = ("import sys; sys.modules['playwright'] = None; import pytest; "
             "sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', 'tests/compute', 'tests/ui']))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_every_test_that_opens_chromium_carries_the_browser_mark():
    import ast

    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        marked_module = "pytest.mark.browser" in path.read_text().split("def test", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                uses_browser = any(a.arg in ("browser", "page") for a in node.args.args)
                marked = marked_module or any("browser" in ast.unparse(d) for d in node.decorator_list)
                assert marked or not uses_browser, f"{path.name}::{node.name} opens Chromium without the mark"
