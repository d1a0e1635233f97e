"""Several widget outputs on one page: the four-widget notebook opened three times in Voila, the
front end trainlab serve and Binder give students. Every widget must draw, every plot must hear
from the kernel, and the console must stay clean but for anywidget's own complaint about a model
trainlab's front end mended (labdriver/console.py). JupyterLab and Notebook 7 are opened by
scripts/prove_widget_outputs.py (each open there starts JupyterLab's own kernel and Run All, too
slow for every run of the suite)."""

from __future__ import annotations

import pytest

from labdriver.front_ends import prove
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
COUNTS = {"voila": 3}


def test_every_widget_output_of_a_voila_page_draws(browser):
    artifacts = ARTIFACTS / "front-ends"
    artifacts.mkdir(parents=True, exist_ok=True)
    results = list(prove(browser, COUNTS, artifacts=artifacts))
    assert [r.front_end for r in results] == ["voila"] * 3
    failed = [r.line() for r in results if not r.ok]
    assert not failed, "\n".join(failed)
