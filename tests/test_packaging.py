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
