"""Every lab notebook runs top to bottom in a fresh kernel, as JupyterLab or Voila runs it."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import LABS

NOTEBOOKS = sorted(LABS.glob("*.ipynb"))


def test_labs_are_stored_without_outputs():
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


# After a lab's own cells: each widget it built must have drawn a real result.
CHECKS = {
    "InitExplorer(": "assert explorer.wait(180) and explorer.result.layers and explorer.histograms.figure['data']\n"
                     "print('drew', explorer.result.spec.activation, explorer.result.device)",
    "OptimizerRace(": "assert race.wait(180) and race.result and race.plot.figure['data']\n"
                      "print('drew', [run.optimizer.name for run in race.result])",
    "ActivationGallery(": "assert gallery.wait(180) and gallery.curve is not None and gallery.plot.figure['data']\n"
                          "print('drew', gallery.settings.curve.activation)",
    "ZeroCentredDemo(": "assert demo.wait(180) and demo.comparison and demo.plot.figure['data']\n"
                        "print('drew', demo.steps_to_converge)",
    "PreprocessingStages(": "assert stages.wait(180) and stages.stages and stages.plot.figure['data']\n"
                            "print('drew', stages.settings.view)",
    "TrainingDashboard(": "dash.set(steps=60)\n"
                          "dash.train()\n"
                          "assert dash.wait(240) and dash.trainer.records and dash.curves.figure['data']\n"
                          "print('drew', len(dash.trainer.records), 'records, val accuracy', dash.trainer.records[-1].val_accuracy)",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lab_executes(path):
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    checks = [check for widget, check in CHECKS.items() if widget in code]
    notebook.cells += [nbformat.v4.new_code_cell(check) for check in checks]
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(LABS)}}).execute()
    for cell in notebook.cells[len(notebook.cells) - len(checks):]:
        assert "drew" in cell.outputs[0]["text"]
