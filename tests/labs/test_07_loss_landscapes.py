"""Lab 07, loss landscapes: every checkable sentence against the studies the widget computes and
draws. The lab's own cell builds the explorer; its question is answered, and every lecture case
chosen from the menu. Training and the slices are deterministic (seeded); the figures' tests hold
that what is drawn is what is computed, so the numbers here are read from the widget's result."""

from __future__ import annotations

import re

import pytest
import torch

from tests.labs.labkit import answer, notices, run_cell, says
from trainlab.presets import LANDSCAPE_PRESETS
from trainlab.ui.landscape_explorer import SHARED_CACHE, LandscapeExplorer, landscape_figure_of

LAB = "07_loss_landscapes"


def _drawn(explorer):
    assert explorer.wait(600)
    assert explorer.result is not None and explorer.result.finished
    return explorer.result


@pytest.fixture(scope="module")
def studies():
    cell = run_cell(LAB)
    explorer, question = cell["landscape"], cell["question"]
    out = {"start": _drawn(explorer), "start notices": notices(explorer), "preset": explorer.preset.value}
    try:
        out["explanation"] = " ".join(question.explanation.split())
        answer(question)
        out["revealed"] = (explorer.preset.value, _drawn(explorer))
        for label in LANDSCAPE_PRESETS:
            explorer.preset.value = label
            # The lab claims no number of the BatchNorm case: its lesson is read, its study not
            # waited for (closing the explorer abandons it), which keeps this file under a minute.
            out[label] = _drawn(explorer) if label != "with BatchNorm" else explorer.settings.spec
            out[label, "notices"] = notices(explorer)
    finally:
        explorer.close()
    return out


def _paths(study):
    return {path.optimizer: path.projected for path in study.paths}


def test_the_net_its_weights_and_the_slice(studies):
    study = studies["start"]
    says(LAB, "the digits net here (six hidden layers of 256 ReLU units) has about\n350,000 weights")
    spec = study.spec
    assert (spec.depth, spec.width) == (6, 256)
    run = SHARED_CACHE.run(spec.train_config("sgd"))  # the widget's run, kept in the kernel's cache
    count = sum(p.numel() for p in run.trainer.model.parameters())
    assert 340_000 <= count <= 360_000, count
    assert run.trainer.config.network.activation == "relu"
    says(LAB, "every run from\nthe same initial weights, for 300 steps")
    assert spec.steps == 300 and all(path.steps[-1] == 300 for path in study.paths)
    starts = [float(p.true_loss[0]) for p in _paths(study).values()]
    assert max(starts) == pytest.approx(min(starts))
    says(LAB, "evaluates the slice on the same 1,000 examples at\nevery point")
    assert spec.eval_samples == 1000
    says(LAB, "It draws a coarse 11 × 11\npicture first, then 21 × 21 and 41 × 41.")
    assert spec.levels == (11, 21, 41) and study.slice.size == 41


def test_the_pca_plane_fits_sgds_path_and_not_adams(studies):
    assert studies["preset"] == "SGD vs Adam paths"
    study = studies["start"]
    paths = _paths(study)
    says(LAB, "here the two directions explain over 95 % of\nit")
    assert study.spec.directions == "pca" and sum(study.explained) > 0.95
    first, second = study.explained
    assert f"The PCA directions explain {first:.0%} and {second:.0%} of the variance of SGD's path." in (
        studies["start notices"])
    says(LAB, "its two loss lines on the right run close together")
    sgd = paths["sgd"]
    gap = ((sgd.true_loss - sgd.slice_loss).abs() / sgd.true_loss)
    assert float(gap.max()) < 0.2, gap
    says(LAB, "at its end, more than\n99 % of the distance from Adam's weights to the centre lies off the plane")
    assert float(paths["adam"].off_plane[-1]) > 0.99
    says(LAB, "at its\nlast step the map puts Adam lower than it really was")
    assert float(paths["adam"].slice_loss[-1]) < float(paths["adam"].true_loss[-1])


def test_random_directions_miss_the_paths(studies):
    study = studies["filter-normalized random directions"]
    says(LAB, "both paths shrink to a dot\nat the centre (every projected point lies within 0.01 of it)")
    assert study.spec.directions == "filter" and study.span == 1.0
    for path in study.paths:
        assert float(path.projected.coords.abs().max()) < 0.01


def test_raw_directions_reach_absurd_losses(studies):
    says(LAB, "along two raw Gaussian directions is...")
    assert studies["explanation"].startswith("A raw Gaussian direction moves every weight by about 1 per unit of α")
    label, revealed = studies["revealed"]
    assert label == "raw random directions" and revealed.spec.directions == "random" and revealed.span == 1.0
    filtered = studies["filter-normalized random directions"]
    ratio = float(revealed.slice.loss.max()) / float(filtered.slice.loss.max())
    assert ratio > 1000, ratio
    says(LAB, "swamped and the loss reaches hundreds of millions")
    assert 1e8 <= float(revealed.slice.loss.max()) < 1e9
    says(LAB, "net's hidden layers is typically under 0.1 in size")
    model = SHARED_CACHE.run(revealed.spec.train_config("sgd")).trainer.model
    hidden = [p for name, p in model.named_parameters() if p.dim() == 2][1:-1]  # after the input layer
    assert hidden and all(float(p.detach().abs().mean()) < 0.1 for p in hidden)


def test_the_batchnorm_case_is_the_same_runs_with_batchnorm_on_their_pca_plane(studies):
    says(LAB, "the same runs with BatchNorm before every activation, on their own PCA\nplane")
    spec = studies["with BatchNorm"]
    assert (spec.norm, spec.directions, spec.runs) == ("batch", "pca", ("sgd", "adam"))


def test_every_lecture_case_shows_its_lesson(studies):
    for label, preset in LANDSCAPE_PRESETS.items():
        assert preset.lesson in studies[label, "notices"]
    raw, filtered = studies["raw random directions"], studies["filter-normalized random directions"]
    assert float(raw.slice.loss.max()) > 1000 * float(filtered.slice.loss.max())
    assert torch.isfinite(filtered.slice.loss).all()


# -- sharp and flat: the four cases that compare one SGD run's neighbourhood -------------------
BATCH_16, BATCH_1024 = "flat or sharp? batch 16", "flat or sharp? batch 1024"
SMALL_LR, LARGE_LR = "small learning rate (× 0.1)", "large learning rate (× 4)"
SHARPNESS_CASES = (BATCH_16, BATCH_1024, SMALL_LR, LARGE_LR)
RISE = re.compile(r"Sharpness: within ±0\.5 of the centre along both directions, the loss rises by ([0-9.]+) on "
                  r"average \(from ([0-9.e+-]+) at the centre\)\.")


def _rise_shown(text: str) -> float:
    """The rise the sharpness note shows the student."""
    found = RISE.search(text)
    assert found, text
    return float(found.group(1))


@pytest.fixture(scope="module")
def sharpness(studies):
    """case -> seed -> (study, rise shown): seed 0 from the lab's own explorer, seeds 1 and 2 (of the
    plane and of the initial weights, as a link sets them) from an explorer of their own."""
    out = {label: {0: (studies[label], _rise_shown(studies[label, "notices"]))} for label in SHARPNESS_CASES}
    for seed in (1, 2):
        for label in SHARPNESS_CASES:
            explorer = LandscapeExplorer(preset=label, seed=seed, net_seed=seed)
            try:
                out[label][seed] = (_drawn(explorer), _rise_shown(notices(explorer)))
            finally:
                explorer.close()
    return out


def test_the_sharpness_note_is_the_mean_rise_within_half_a_unit(sharpness):
    says(LAB, "the note under the plot gives how much the loss rises, on\naverage, within ±0.5 of the centre "
              "along two filter-normalized directions")
    for label in SHARPNESS_CASES:
        study, shown = sharpness[label][0]
        assert study.spec.directions == "filter" and study.span == 1.0 and study.spec.runs == ("sgd",)
        inside = study.slice.a.abs() <= 0.5
        rise = float(study.slice.loss[inside][:, inside].mean()) - study.centre_loss
        assert shown == pytest.approx(rise, abs=0.005)


def test_batch_1024_ends_in_a_sharper_minimum_than_batch_16(sharpness):
    small, large = sharpness[BATCH_16], sharpness[BATCH_1024]
    assert small[0][0].spec.batch == 16 and large[0][0].spec.batch == 1024
    says(LAB, "Within ±0.5 of the centre the loss rises by about 0.4.")
    assert 0.3 <= small[0][1] <= 0.5
    says(LAB, "the\nrise is about 1.0, roughly two to four times as much as with batch 16 for each of the seeds 0, 1\nand 2")
    assert 0.85 <= large[0][1] <= 1.15
    for seed in (0, 1, 2):
        assert 1.8 <= large[seed][1] / small[seed][1] <= 4.2, (seed, small[seed][1], large[seed][1])
    says(LAB, "in its 300 steps batch 1024 saw 64\ntimes more examples")
    assert small[0][0].spec.steps == large[0][0].spec.steps == 300 and 1024 / 16 == 64


def test_a_large_learning_rate_ends_in_a_flatter_minimum(sharpness):
    small, large = sharpness[SMALL_LR][0][0], sharpness[LARGE_LR][0][0]
    lr = {label: SHARED_CACHE.run(sharpness[label][0][0].spec.train_config("sgd")).trainer.config.optimizer.lr
          for label in (SMALL_LR, LARGE_LR)}
    says(LAB, "*small learning rate (× 0.1)* trains SGD at 0.005")
    assert lr[SMALL_LR] == pytest.approx(0.005)
    says(LAB, "after 300\nsteps it is still on its way down, at about 92 % accuracy, and the loss within ±0.5 rises by about\n0.8")
    falling = small.paths[0].projected.true_loss
    assert float(falling[-1]) < 0.9 * float(falling[-4]), falling  # still falling over its last snapshots
    centre = small.slice.size // 2
    assert 0.9 <= float(small.slice.accuracy[centre, centre]) <= 0.94
    assert 0.7 <= sharpness[SMALL_LR][0][1] <= 0.95
    says(LAB, "*large learning rate (× 4)*, at 0.2, reaches about 99 % accuracy with a rise of about 0.3,\nless than "
              "half, for each of the seeds 0, 1 and 2")
    assert lr[LARGE_LR] == pytest.approx(0.2)
    assert 0.985 <= float(large.slice.accuracy[centre, centre]) <= 0.995
    assert 0.25 <= sharpness[LARGE_LR][0][1] <= 0.37
    for seed in (0, 1, 2):
        assert sharpness[LARGE_LR][seed][1] < 0.5 * sharpness[SMALL_LR][seed][1], seed


def test_the_sharpness_lessons_quote_the_widgets_numbers(sharpness):
    """What the four cases' lessons claim beyond the lab's text: the centre losses."""
    assert "a loss of about 0.35 at the centre" in LANDSCAPE_PRESETS[SMALL_LR].lesson
    assert 0.3 <= sharpness[SMALL_LR][0][0].centre_loss <= 0.4
    assert "a loss of about 0.1 at the centre" in LANDSCAPE_PRESETS[LARGE_LR].lesson
    assert 0.07 <= sharpness[LARGE_LR][0][0].centre_loss <= 0.13


def test_the_paths_play_under_the_map(studies):
    says(LAB, "press ▶ play under the map to watch the paths grow snapshot by snapshot")
    study = studies["start"]
    figure = landscape_figure_of(study, "contour")
    assert [f["name"] for f in figure["frames"]] == [str(s) for s in study.paths[0].steps]
    assert [b["label"] for b in figure["layout"]["updatemenus"][0]["buttons"]][0] == "▶ play"


def test_sgd_and_adam_end_in_one_basin_joined_by_a_line_without_a_barrier():
    says(LAB, "Choose the view *line*: the loss along the straight line\nfrom SGD's trained weights (t = 0) to "
              "Adam's (t = 1), and half as far again beyond each end")
    says(LAB, "Between\nthem the loss never rises above the higher of the two ends, for each of the seeds 0, 1 and 2: "
              "there\nis no barrier")
    says(LAB, "Beyond the two ends the loss climbs.")
    for seed in (0, 1, 2):
        explorer = LandscapeExplorer(preset="SGD vs Adam paths", view="line", seed=seed, net_seed=seed)
        try:
            assert explorer.wait(600)
            line = explorer.line
            assert (line.start, line.end) == ("SGD", "Adam") and (line.t[0], line.t[-1]) == (-0.5, 1.5)
            assert line.barrier <= 0, (seed, line.barrier)
            assert "the loss never rises above the higher end: no barrier" in notices(explorer)
            at = {round(t, 6): float(loss) for t, loss in zip(line.t, line.loss)}
            assert at[-0.5] > at[0.0] and at[1.5] > at[1.0], (seed, at)
        finally:
            explorer.close()
