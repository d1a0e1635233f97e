"""Keep Jupyter, IPython and Chromium state of a test run out of the home directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
ARTIFACTS = ROOT / "test-artifacts"

_home = Path(tempfile.mkdtemp(prefix="trainlab-test-home-"))
for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                  ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
    os.environ[name] = str(_home / sub)
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
