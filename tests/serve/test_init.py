"""The serve package's surface: what cli.py imports, and an import that loads no widget or torch
code (so `trainlab serve` starts quickly and Voila's process does not carry them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import trainlab.serve

HEAVY = ("ipywidgets", "plotly", "anywidget", "torch")
# trainlab/__init__.py is the widget API and imports the widgets; whether it does so lazily is not
# this package's business, so the check imports the serve package under an empty `trainlab`.
IMPORT_SERVE = """
import json, sys, types
package = types.ModuleType("trainlab")
package.__path__ = [{package!r}]
sys.modules["trainlab"] = package
import trainlab.serve, trainlab.serve.kernel_manager
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})))
"""


def test_the_package_gives_cli_its_two_functions():
    assert trainlab.serve.__all__ == ["add_serve_arguments", "serve"]
    assert callable(trainlab.serve.add_serve_arguments) and callable(trainlab.serve.serve)


def test_importing_the_serve_package_loads_no_widget_or_torch_code():
    package = str(Path(trainlab.serve.__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", IMPORT_SERVE.format(package=package, heavy=HEAVY)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert json.loads(out) == []
