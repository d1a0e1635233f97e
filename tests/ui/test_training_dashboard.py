"""TrainingDashboard without a browser: press its buttons in Python, check what it draws."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import datetime, timezone

import pytest

from trainlab import TrainingDashboard
from trainlab.compute.train.history import RunHistory
from trainlab.presets import TRAIN_PRESETS

SMALL = {"width": 64, "depth": 3, "steps": 60}


def notices(dash: TrainingDashboard, level: str) -> str:
    return dash.status.texts(level)


def trained(dash: TrainingDashboard) -> TrainingDashboard:
    dash.train()
    assert dash.wait(240)
    return dash


def test_defaults_constructor_settings_and_device_note():
    dash = TrainingDashboard(lr=0.01, dropout=0.2, optimizer="momentum", dataset="moons", schedule="cosine")
    assert dash.config.network.width == 256  # the CPU default, said in the UI
    assert "cpu" in dash.children[1].value and "256 by default" in dash.children[1].value
    fields = dash.fields
    assert (fields["optimizer"].value, fields["dataset"].value, fields["schedule"].value) == ("momentum", "moons", "cosine")
    assert fields["lr"].value == pytest.approx(0.01, rel=0.01) and fields["dropout"].value == 0.2
    assert fields["momentum"].layout.display is None and fields["beta1"].layout.display == "none"
    with pytest.raises(TypeError, match="learning_rate"):
        TrainingDashboard(learning_rate=0.1)


def test_train_draws_curves_histograms_and_progress():
    dash = trained(TrainingDashboard(**SMALL))
    t = dash.trainer
    assert t.step == 60 and t.finished
    names = {trace.get("name") for trace in dash.curves.figure["data"]}
    assert {"minibatch loss", "val loss", "val accuracy", "train accuracy", "lr"} <= names
    raw = next(tr for tr in dash.curves.figure["data"] if tr.get("name") == "minibatch loss")
    assert len(raw["y"]) == 60
    # After the run, the histograms can be scrubbed through every record.
    assert [f["name"] for f in dash.histograms.figure["frames"]] == [str(r.step) for r in t.records]
    assert "step 60/60" in dash.progress_text.value and "steps/s" in dash.progress_text.value
    assert dash.progress.value == 60
    assert "First loss" in notices(dash, "info") and "validation accuracy" in notices(dash, "info")
    assert dash.train_button.description == "▶ Train" and not dash.train_button.disabled
    assert dash.decision.layout.display == "none"  # digits: no 2-D boundary


def test_stop_then_resume_then_reset():
    dash = TrainingDashboard(**{**SMALL, "steps": 20_000})
    dash.train()
    deadline = time.monotonic() + 60
    while len(dash.trainer.records if dash.trainer else []) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    dash.stop()
    assert dash.wait(30)
    stopped_at = dash.trainer.step
    assert 0 < stopped_at < 20_000 and not dash.trainer.finished
    assert dash.train_button.description == "▶ Resume" and dash.stop_button.disabled
    time.sleep(0.3)
    assert dash.trainer.step == stopped_at, "nothing may train after Stop"
    trainer = dash.trainer
    dash.train()  # resumes the same run
    time.sleep(0.5)
    dash.stop()
    assert dash.wait(30)
    assert dash.trainer is trainer and dash.trainer.step > stopped_at
    dash.reset()
    assert dash.trainer is None and "ready" in dash.progress_text.value and dash.progress.value == 0


def test_changed_settings_start_a_new_run_and_the_old_one_is_overlaid():
    dash = trained(TrainingDashboard(**SMALL))
    dash.set(lr=0.01)
    trained(dash)
    assert [run.label for run in dash.history.runs] == ["#1 Adam lr 0.001"]
    legend = [tr["name"] for tr in dash.curves.figure["data"] if tr.get("showlegend")]
    assert legend == ["#1 Adam lr 0.001", "#2 lr 0.01 (this run)"], "the legend says what the current run changed"
    dash.clear_history()
    # "clear runs" clears every run, the finished current one too (a digits curve once stayed
    # over a spirals run after clearing).
    assert dash.history.runs == [] and dash.trainer is None
    assert not [t for t in dash.curves.figure["data"] if t.get("showlegend")]


def test_a_lecture_case_trains_its_runs_in_turn():
    label = "bad init vs good init vs BatchNorm"
    dash = TrainingDashboard(preset=label, width=64, steps=40)
    assert dash.preset.value == label
    assert label in notices(dash, "info")
    trained(dash)
    preset_runs = len(TRAIN_PRESETS[label].runs)
    assert len(dash.history.runs) == preset_runs - 1  # the last run is the current one
    assert dash.history.runs[1].label == "#2 init kaiming_normal"
    assert dash.trainer.config.network.norm == "batch"
    # The controls go back to where the lecture case starts, ready to run it again.
    assert dash.fields["norm"].value == "none" and dash.fields["std"].value == pytest.approx(0.01, rel=0.01)
    # The bad init does not learn; Kaiming and BatchNorm do.
    bad, good = dash.history.runs
    assert bad.val_accuracy[-1] < 0.3 < good.val_accuracy[-1]
    assert dash.trainer.records[-1].val_accuracy > 0.3


def test_changing_a_setting_leaves_the_lecture_case():
    dash = TrainingDashboard(preset="first loss = log 10", width=64)
    dash.fields["dropout"].value = 0.3
    assert dash.preset.value == "custom"
    dash.preset.value = "constant vs step vs cosine schedule"
    first_run = TRAIN_PRESETS["constant vs step vs cosine schedule"].settings
    assert dash.fields["schedule"].value == "none"
    assert dash.fields["lr"].value == pytest.approx(first_run["lr"], rel=0.01)
    assert dash.preset.value == "constant vs step vs cosine schedule"


def test_bad_input_shows_a_notice_and_starts_nothing():
    dash = TrainingDashboard(**SMALL)
    dash.fields["depth"].value = 0
    assert "depth" in notices(dash, "error")
    dash.train()
    assert dash.trainer is None and not dash.running
    assert dash.fields["depth"].value == 0, "the typed value stays where the user put it"
    dash.fields["depth"].value = 2
    assert notices(dash, "error") == ""
    bad = TrainingDashboard(lr=-1, **SMALL)
    assert "lr" in notices(bad, "error") and bad.config.optimizer.learning_rate == pytest.approx(1e-3)


def test_divergence_is_announced_with_its_step_and_cause():
    dash = trained(TrainingDashboard(optimizer="sgd", lr=5.0, **{**SMALL, "steps": 300}))
    t = dash.trainer
    assert t.divergence is not None
    assert f"Training diverged at step {t.divergence.step}" in notices(dash, "error")
    assert "learning rate is too high" in notices(dash, "error")
    assert any(a["text"].startswith("diverged at step") for a in dash.curves.figure["layout"]["annotations"])


def test_two_dimensional_data_draws_the_decision_boundary():
    dash = trained(TrainingDashboard(dataset="spirals", width=64, depth=3, steps=100, lr=0.01))
    assert dash.decision.layout.display is None
    kinds = [trace["type"] for trace in dash.decision.figure["data"]]
    assert kinds[:2] == ["heatmap", "contour"] and kinds.count("scatter") == 2


def test_early_stopping_and_restore_best():
    dash = trained(TrainingDashboard(train_subset=100, steps=3000, patience=4, width=64, depth=3))
    t = dash.trainer
    assert t.stopped_early
    assert "Early stopping" in notices(dash, "info")
    assert not dash.best_button.disabled and f"step {t.best.step}" in dash.best_button.description
    assert dash.restore_best() == t.best.step
    assert f"Restored the weights of step {t.best.step}" in notices(dash, "info")


def test_runs_save_load_and_download(tmp_path):
    dash = trained(TrainingDashboard(**SMALL))
    dash.set(lr=0.01)
    trained(dash)
    path = tmp_path / "runs.json"
    dash.save_history(str(path))
    assert [run.label for run in RunHistory.load(path).runs] == ["#1 Adam lr 0.001", "#2 lr 0.01"]

    dash.save_button.click()
    href = re.search(r"href='data:application/json;base64,([^']+)'", dash.download.value).group(1)
    assert json.loads(base64.b64decode(href))["format"] == "trainlab-runs/1"

    other = TrainingDashboard(**SMALL)
    other.load_history(str(path))
    assert len(other.history.runs) == 2
    assert len([t for t in other.curves.figure["data"] if t.get("showlegend")]) == 2


def test_uploading_a_bad_file_keeps_the_history_and_says_why():
    dash = trained(TrainingDashboard(**SMALL))
    dash.set(lr=0.01)
    dash.train()
    dash.wait(240)
    before = list(dash.history.runs)
    dash.upload.value = ({"name": "notes.json", "type": "application/json", "size": 3, "content": memoryview(b"{}"),
                          "last_modified": datetime.now(timezone.utc)},)
    assert "notes.json" in notices(dash, "error") and "left as it was" in notices(dash, "error")
    assert dash.history.runs == before


def test_redraws_are_capped_while_training():
    dash = TrainingDashboard(width=64, depth=2, steps=3000, batch=16)
    before = dash.curves.revision
    started = time.perf_counter()
    trained(dash)
    seconds = time.perf_counter() - started
    records = len(dash.trainer.records)
    redraws = dash.curves.revision - before
    assert records > 100
    # At most UI_HZ redraws a second, plus the first record's and the final one.
    assert redraws <= 4.0 * seconds + 3 and redraws < records


# -- a lecture case of several runs: Stop, Resume, Reset, a new case -------------------------
CASE = "learning rates: the four curves"


def _stop_during_run(dash: TrainingDashboard, run: int) -> None:
    """Train until the case's `run`-th run has taken a few records, then stop."""
    dash.train()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        t = dash.trainer
        if len(dash.history.runs) == run - 1 and t is not None and len(t.records) >= 2:
            break
        time.sleep(0.02)
    # While it trains the (disabled) button says Train, not Resume: the run has not stopped.
    assert dash.running and dash.train_button.description == "▶ Train" and dash.train_button.disabled
    dash.stop()
    assert dash.wait(60)


def test_stop_in_a_case_stops_now_and_resume_goes_on_with_the_same_run_then_the_rest():
    dash = TrainingDashboard(preset=CASE, width=64, depth=2, steps=2000)
    _stop_during_run(dash, 2)
    stopped, step = dash.trainer, dash.trainer.step
    assert len(dash.history.runs) == 1 and not stopped.finished
    time.sleep(0.5)
    assert dash.trainer.step == step, "nothing trains after Stop"
    assert dash.train_button.description == "▶ Resume" and dash.preset.value == CASE
    assert "run 2 of 4" in dash.status.text or dash.status.busy == ""
    dash.train()  # Resume: the stopped run, then runs 3 and 4
    assert dash.wait(600)
    labels = [run.label for run in dash.history.runs]
    assert len(labels) == 3 and len(set(labels)) == 3, labels
    assert dash.trainer is not stopped or dash.trainer.step == 2000
    assert [r.config.optimizer.lr for r in dash.history.runs] + [dash.trainer.config.optimizer.lr] == \
        pytest.approx([run["lr"] for run in TRAIN_PRESETS[CASE].runs])
    assert dash.train_button.description == "▶ Train"


def test_a_new_case_or_reset_clears_what_the_stopped_case_had_left():
    dash = TrainingDashboard(preset=CASE, width=64, depth=2, steps=2000)
    _stop_during_run(dash, 2)
    dash.preset.value = "first loss = log 10"
    assert dash.trainer is None and dash.history.runs == [] and dash._queue == []
    assert dash.train_button.description == "▶ Train"
    assert "removed" in notices(dash, "info")
    dash.preset.value = CASE
    _stop_during_run(dash, 1)
    dash.reset()
    assert dash.trainer is None and dash._queue == [] and dash.train_button.description == "▶ Train"


def test_clear_runs_then_a_new_case_says_train_not_resume():
    dash = trained(TrainingDashboard(width=64, depth=2, steps=40))
    dash.clear_history()
    dash.preset.value = CASE
    assert dash.train_button.description == "▶ Train"
