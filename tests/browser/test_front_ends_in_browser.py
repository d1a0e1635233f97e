"""Several widget outputs on one page, in every front end a class uses: the four-widget notebook
opened in Voila (twice), JupyterLab and Notebook 7 (once each, Run All from the menu). Every widget
must draw, every plot must hear from the kernel, and the console must stay clean. The counts here
keep CI fast; scripts/prove_widget_outputs.py runs the full ones (see README)."""

from __future__ import annotations

import pytest

from labdriver.front_ends import prove
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
COUNTS = {"voila": 2, "lab": 1, "notebook": 1}


def test_every_widget_output_draws_in_voila_jupyterlab_and_notebook_7(browser):
    artifacts = ARTIFACTS / "front-ends"
    artifacts.mkdir(parents=True, exist_ok=True)
    results = list(prove(browser, COUNTS, artifacts=artifacts))
    assert [r.front_end for r in results] == ["voila"] * 2 + ["lab", "notebook"]
    failed = [r.line() for r in results if not r.ok]
    assert not failed, "\n".join(failed)
