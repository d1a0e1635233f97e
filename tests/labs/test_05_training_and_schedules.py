"""Lab 05, training and schedules: every checkable sentence against what the dashboard trains and draws.

For seeds 0, 1 and 2 the lab's own cell builds the dashboard, the seed box is moved and the
question answered (which trains the first lecture case), then the student's steps: the
overfitting check with the controls, and each later lecture case from the menu. One dashboard
per seed, shared by every test of the module.
"""

from __future__ import annotations

import math
import statistics

import pytest

from tests.labs.labkit import (LOG10, SEEDS, answer, best_val, diverged, last100, mean, move, notices, run_cell,
                               runs, says, smoothed, trained)

LAB = "05_training_and_schedules"
FOUR, BAD_INIT, SCHEDULES = "learning rates: the four curves", "bad init vs good init vs BatchNorm", \
    "constant vs step vs cosine schedule"


def _finished_case(dash, label):
    dash.preset.value = label
    trained(dash)
    return {"runs": runs(dash), "notices": notices(dash), "records": list(dash.trainer.records),
            "curves": dash.curves.figure,
            "frames": dash.histograms.figure.get("frames", []), "settings": dash.settings}


@pytest.fixture(scope="module")
def lab():
    out = {}
    for seed in SEEDS:
        cell = run_cell(LAB)
        dash, question = cell["dash"], cell["question"]
        try:
            move(dash, seed=seed)
            out[seed, "question"] = question
            answer(question)  # commits the guess, then trains the lecture case (its `then`)
            assert dash.wait(1800)
            out[seed, "first loss"] = {"runs": runs(dash), "notices": notices(dash), "settings": dash.settings}
            move(dash, train_subset=40, batch=20, steps=200)
            out[seed, "preset after overfit settings"] = dash.preset.value
            trained(dash)
            out[seed, "overfit 40"] = runs(dash)[-1]
            out[seed, FOUR] = _finished_case(dash, FOUR)
            out[seed, BAD_INIT] = _finished_case(dash, BAD_INIT)
            dash.preset.value = "custom"  # run 1's settings alone (the case is back at them), 60 steps
            move(dash, steps=60)
            trained(dash)
            out[seed, "std 0.01 alone"] = list(dash.trainer.records)
            out[seed, SCHEDULES] = _finished_case(dash, SCHEDULES)
            if seed == 0:
                dash.preset.value = "custom"
                move(dash, steps=40)
                trained(dash)
                trained(dash)
                move(dash, seed=1)
                trained(dash)
                out["repeat"] = runs(dash)[-3:], dash.settings
        finally:
            dash.close()
    return out


# -- 1. the first loss --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_first_loss(lab, seed):
    case = lab[seed, "first loss"]
    run1, run2 = case["runs"]
    says(LAB, "It trains two runs of 100 Adam steps: the first with Kaiming initialization, the second with every "
              "hidden weight drawn from $N(0, 1)$.")
    assert [r.config.network.init for r in (run1, run2)] == ["kaiming_normal", "normal"]
    assert run2.config.network.std == 1.0 and {len(r.train_loss) for r in (run1, run2)} == {100}
    assert {r.config.optimizer.name for r in (run1, run2)} == {"adam"}
    question = lab[seed, "question"]
    assert question.answer == "2.3"
    says(LAB, "Run 1 starts there: while it trains, the status line confirms that its first loss is within 5 % of "
              "log 10, and once both runs have finished, a note lists the first loss of each.")
    assert abs(run1.train_loss[0] - LOG10) < 0.05 * LOG10
    assert f"{run1.train_loss[0]:.4g}" in case["notices"] and f"{run2.train_loss[0]:.4g}" in case["notices"]
    says(LAB, "Run 2 starts around $10^5$.")
    assert 3e4 < run2.train_loss[0] < 3e5
    says(LAB, "the softmax is confidently wrong on nine images out of ten")
    assert run2.val_accuracy[0] < 0.2
    says(LAB, "Its curve sits orders of magnitude above run 1's")
    assert all(b > 100 * a for a, b in zip(smoothed(run1.train_loss), smoothed(run2.train_loss)))
    says(LAB, "Run 2's validation accuracy still climbs above 80 % while its loss stays in the thousands.")
    assert run2.val_accuracy[-1] > 0.8 and run2.val_loss[-1] > 1000


# -- 2. overfitting a handful -------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_overfit_forty_images(lab, seed):
    says(LAB, "Once a lecture case has finished, the controls are back at the settings of its first run (here "
              "Kaiming initialization, Adam at lr 1e-3).")
    settings = lab[seed, "first loss"]["settings"]
    assert settings.network.init == "kaiming_normal" and settings.optimizer.name == "adam"
    assert settings.optimizer.learning_rate == 1e-3
    says(LAB, "The lecture case switches to *custom* by itself.")
    assert lab[seed, "preset after overfit settings"] == "custom"
    run = lab[seed, "overfit 40"]
    assert (run.config.data.train_subset, run.config.network.batch, len(run.train_loss)) == (40, 20, 200)
    says(LAB, "The training accuracy reaches 100 % within the first 20 steps")
    assert run.train_eval_accuracy[run.record_steps.index(20)] == 1.0
    says(LAB, "below $10^{-6}$ by step 200")
    assert smoothed(run.train_loss)[-1] < 1e-6
    says(LAB, "The validation accuracy stops near two thirds")
    assert 0.6 < run.val_accuracy[-1] < 0.72


# -- 3. the four curves -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_four_curves(lab, seed):
    case = lab[seed, FOUR]
    says(LAB, "It runs Adam on all the training data for 400 steps with learning rates 0.3, 0.02, 1e-5 and 1e-3.")
    huge, high, low, good = case["runs"]
    assert [r.config.optimizer.learning_rate for r in case["runs"]] == [0.3, 0.02, 1e-5, 1e-3]
    assert all(r.config.data.train_subset is None and r.config.steps == 400 for r in case["runs"])
    says(LAB, "the loss explodes to millions at the very first step. The run is stopped at once, with a notice "
              "that names the likely cause")
    assert diverged(huge) and huge.train_loss[1] > 1e6 and "diverged at step 1 " in huge.outcome
    assert "learning rate is too high" in huge.outcome and len(huge.train_loss) < 50
    says(LAB, "Its curve is cut off at the top of the loss plot, where a marker gives the highest loss it reached, "
              "so that the axis fits the other runs.")
    figure = case["curves"]
    marks = [note["text"] for note in figure["layout"]["annotations"] if note["text"].startswith("▲")]
    peak = max(smoothed(huge.train_loss) + huge.val_loss)
    assert f"▲ {huge.label}: loss up to {peak:.3g}" in marks
    top = figure["layout"]["yaxis"]["range"][1]
    assert top < 10 and all(max(smoothed(r.train_loss) + r.val_loss) < top for r in (low, good))
    says(LAB, "the first steps make the loss jump, then it drops, climbs back up and wanders high, around 1 or above "
              "by the end, and the validation accuracy falls back well below the 1e-3 run's")
    assert max(high.train_loss[:5]) > 3 * high.train_loss[0] and max(smoothed(high.train_loss)[20:]) < top
    curve = smoothed(high.train_loss)
    lowest = min(curve)
    assert lowest < 0.35 and curve.index(lowest) < 200 and not diverged(high)
    assert last100(high) > 0.9 and last100(high) > 3 * lowest
    assert high.val_accuracy[-1] < max(high.val_accuracy) - 0.15 and high.val_accuracy[-1] < good.val_accuracy[-1] - 0.15
    says(LAB, "an almost straight, slow descent. After 400 steps the loss is still around 1.5 to 1.9.")
    curve = smoothed(low.train_loss)
    assert curve[100] > curve[200] > curve[300] > curve[-1] and 1.5 < last100(low) < 1.95
    says("06_regularization", "**underfitting**, shows no gap, only both curves poor, like the lr = 1e-5 run of the "
                              "training lab")
    assert abs(low.train_eval_accuracy[-1] - low.val_accuracy[-1]) < 0.04 and low.val_accuracy[-1] < 0.8
    says(LAB, "a steep drop in the first 50 steps, then the loss levels off close to zero, and the validation "
              "accuracy passes 95 %.")
    curve = smoothed(good.train_loss)
    assert curve[50] < 0.3 and curve[-1] < 1e-3 and good.val_accuracy[-1] > 0.95
    says(LAB, "a note under the controls gives each run's training loss over its last 100 steps and its final "
              "validation accuracy")
    for run in (high, low, good):
        assert f"training loss {last100(run):.2g} over the last 100 steps" in case["notices"]
        assert f"validation accuracy {run.val_accuracy[-1]:.1%}" in case["notices"]


@pytest.mark.parametrize("seed", SEEDS)
def test_validation_loss_of_the_good_run(lab, seed):
    good = lab[seed, FOUR]["runs"][3]
    says(LAB, "in the 1e-3 run above, the training loss ends near $10^{-4}$")
    assert 3e-5 < smoothed(good.train_loss)[-1] < 3e-4
    says(LAB, "It is lowest after about 100 steps (read the dashed curve: between 0.2 and 0.3) and then creeps back "
              "up by the end, while the validation accuracy hardly moves.")
    best, step = best_val(good)
    assert 60 <= step <= 150 and 0.2 <= best <= 0.3
    assert good.val_loss[-1] > 1.1 * best
    assert abs(good.val_accuracy[-1] - good.val_accuracy[good.record_steps.index(step)]) <= 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_update_ratios_of_the_good_run(lab, seed):
    case = lab[seed, FOUR]
    records = case["records"]
    says(LAB, "The 1e-3 run is the last of the case, so its histograms stay on screen")
    assert records[-1].step == 399 and case["runs"][-1].config.optimizer.learning_rate == 1e-3
    assert [f["name"] for f in case["frames"]][-1] == "399"
    ratios = {r.step: [layer.update_ratio for layer in r.layers] for r in records}
    says(LAB, "At step 0 it is about $10^{-2}$")
    assert all(4e-3 < u < 2e-2 for u in ratios[0])
    says(LAB, "Over the first hundred steps, while the loss falls fast, it comes down through a few $10^{-3}$ to "
              "about $10^{-3}$.")
    assert all(3e-4 < u < 8e-3 for step in range(10, 101, 10) for u in ratios[step])
    assert 5e-4 < statistics.median(ratios[100]) < 2e-3
    says(LAB, "it sinks to between $10^{-5}$ and a few $10^{-4}$")
    assert all(3e-6 < u < 6e-4 for u in ratios[399]) and min(ratios[399]) < 3e-5
    # The ratio is what the histogram panels print for the frame shown.
    assert f"update/weight {ratios[399][0]:.1e}" in str(case["frames"][-1])


# -- 5. bad init, good init, BatchNorm ----------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_bad_init_good_init_batchnorm(lab, seed):
    case = lab[seed, BAD_INIT]
    bad, kaiming, batchnorm = case["runs"]
    says(LAB, "It trains SGD with momentum (lr 0.01, 400 steps) three times: hidden weights with std 0.01, Kaiming "
              "initialization, and std 0.01 again with BatchNorm before each ReLU.")
    assert all(r.config.optimizer.name == "momentum" and r.config.optimizer.learning_rate == 0.01 for r in case["runs"])
    assert (bad.config.network.std, kaiming.config.network.init, batchnorm.config.network.norm) == (0.01, "kaiming_normal", "batch")
    says(LAB, "$0.01\\sqrt{D_{in}/2}$ (0.11 for 256 units)")
    assert bad.config.network.width == 256 and 0.01 * math.sqrt(256 / 2) == pytest.approx(0.11, abs=0.005)
    says(LAB, "the loss sits exactly on the log 10 line for all 400 steps, and the accuracy stays at chance, 10 %")
    assert len(bad.train_loss) == 400 and all(abs(v - LOG10) < 0.01 for v in bad.val_loss)
    assert all(abs(v - LOG10) < 0.02 for v in smoothed(bad.train_loss))
    assert abs(bad.val_accuracy[-1] - 0.1) < 0.01 and max(bad.val_accuracy) < 0.15
    says(LAB, "While this run trains, its histograms show every layer squeezed onto zero.")
    for record in lab[seed, "std 0.01 alone"]:
        stds = [layer.std for layer in record.layers]
        assert max(stds) < 0.2 and stds[-1] < 1e-4
    says(LAB, "**Kaiming:** trains at once; the validation accuracy ends around 96 %.")
    assert 0.94 < kaiming.val_accuracy[-1] < 0.98 and kaiming.val_accuracy[1] > 0.3  # step 10: three times chance already
    says(LAB, "The same bad initialization trains, even to the lowest validation loss of the three")
    assert best_val(batchnorm)[0] < min(best_val(bad)[0], best_val(kaiming)[0])
    assert f"lowest validation loss {best_val(batchnorm)[0]:.2f}" in case["notices"]


# -- 6. schedules -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_schedules(lab, seed):
    case = lab[seed, SCHEDULES]
    constant, step, cosine, warm = case["runs"]
    says(LAB, "It runs SGD with momentum 0.9 at lr 0.015, a high rate for this network, with minibatches of 16 and "
              "dropout 0.3, for 600 steps, four times: a constant rate, step decay, cosine, and cosine after 60 "
              "warm-up steps.")
    for run in case["runs"]:
        c = run.config
        assert (c.optimizer.name, c.optimizer.value("momentum"), c.optimizer.learning_rate) == ("momentum", 0.9, 0.015)
        assert (c.network.batch, c.dropout, len(run.train_loss)) == (16, 0.3, 600) and not diverged(run)
    assert [(r.config.schedule.name, r.config.schedule.warmup) for r in case["runs"]] == \
        [("none", 0), ("step", 0), ("cosine", 0), ("cosine", 60)]
    says(LAB, "the loss stays noisy and never settles; of the four runs it ends highest, and its validation "
              "accuracy keeps jumping by a few percent from one record to the next")
    ends = [last100(r) for r in case["runs"]]
    assert ends[0] == max(ends)
    jumps = [abs(b - a) for a, b in zip(constant.val_accuracy[30:], constant.val_accuracy[31:])]
    assert max(jumps) > 0.03
    says(LAB, "at step 200 the rate falls to 0.0015. From then on the loss is far less noisy and stays below the "
              "constant run's, and after a last climb the validation accuracy hardly moves from one record to the "
              "next. The second ×0.1, at step 400, changes little.")
    assert step.lrs[199] == pytest.approx(0.015) and step.lrs[200] == pytest.approx(0.0015)
    assert statistics.pstdev(step.train_loss[300:]) < 0.6 * statistics.pstdev(constant.train_loss[300:])
    assert mean(step.train_loss[250:]) < mean(constant.train_loss[250:])
    assert step.record_steps[25] == 250
    assert max(abs(b - a) for a, b in zip(step.val_accuracy[25:], step.val_accuracy[26:])) < 0.015
    assert abs(mean(step.train_loss[350:400]) - mean(step.train_loss[400:450])) < 0.15
    says(LAB, "the rate falls smoothly, and so do the noise and the loss. The two cosine runs end lowest, step decay "
              "in between.")
    assert statistics.pstdev(cosine.train_loss[500:]) < statistics.pstdev(constant.train_loss[500:])
    assert max(ends[2], ends[3]) < ends[1] < ends[0]
    says(LAB, "the rate starts at $0.015/61 \\approx 0.00025$ and climbs to 0.015 over 60 steps")
    assert warm.lrs[0] == pytest.approx(0.015 / 61) and warm.lrs[59] < 0.015 and warm.lrs[60] == pytest.approx(0.015)
    says(LAB, "The note at the end of the case gives each run's training loss over its last 100 steps.")
    assert all(f"training loss {e:.2g} over the last 100 steps" in case["notices"] for e in ends)
    says(LAB, "for seeds 0, 1 and 2 the constant run ends highest, step decay next and the two cosine runs lowest")


def test_runs_repeat_exactly(lab):
    says(LAB, "The initial weights and dropout's masks come from the run's *seed*, and the order of the minibatches "
              "from a data seed of its own: the same settings give the same curves on every try.")
    (first, again, other), settings = lab["repeat"]
    assert first.train_loss == again.train_loss and first.val_loss == again.val_loss
    assert other.config.network.seed == 1 and other.train_loss != first.train_loss
    assert settings.data.seed == first.config.data.seed == 0


def test_the_data():
    from trainlab.compute.train.datasets import DataSpec, load
    data = load(DataSpec())
    says(LAB, "1,797 images of 8×8 pixels, 10 classes); 20 % of the images are set aside as a validation set")
    assert (len(data.y_train), len(data.y_val), data.features, data.classes) == (1438, 359, 64, 10)
    says(LAB, "Here an epoch is 1,438 training images, 22 minibatches of 64.")
    assert len(data.y_train) // 64 == 22
    says(LAB, "The 64 pixel values are standardized, each centred and scaled to unit variance, using the mean and "
              "standard deviation of the *training* images only.")
    varying = data.x_train.std(0) > 0
    assert data.x_train.mean(0).abs().max() < 1e-5 and (data.x_train.std(0, unbiased=False)[varying] - 1).abs().max() < 1e-3
    assert data.x_val.mean(0).abs().max() > 1e-3  # the validation images get the training images' shift


def test_schedule_cell_agrees_with_the_formulas():
    says(LAB, "The dashboard's schedules are PyTorch's own `torch.optim.lr_scheduler` classes.")
    run_cell(LAB, 1)  # the cell asserts that every step agrees with the formulas


def test_the_lecture_cases_lessons_say_the_same():
    """The note a lecture case shows in the dashboard says what the lab and the tests above say."""
    from trainlab.presets import TRAIN_PRESETS
    assert "0.02 jumps, drops, then climbs back up and ends high; 1e-5 crawls" in TRAIN_PRESETS[FOUR].lesson
    lesson = TRAIN_PRESETS[SCHEDULES].lesson
    assert "stays noisy and ends highest" in lesson and "after step decay's first x0.1 it calms down and stays below" in lesson
    assert "cosine lowers it smoothly to the end, lowest of all" in lesson
    assert "Kaiming init trains; BatchNorm rescues the same bad init" in TRAIN_PRESETS[BAD_INIT].lesson
