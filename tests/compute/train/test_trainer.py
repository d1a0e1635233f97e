"""The trainer: it learns, it records honestly, and it stops, resumes and diverges as it says."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from trainlab.compute.errors import SpecError
from trainlab.compute.optim.schedules import ScheduleSpec, learning_rates
from trainlab.compute.train.config import TrainConfig
from trainlab.compute.train.trainer import Trainer, smoothed

SMALL = TrainConfig().with_settings(width=128, steps=60, record_every=10)


def test_adam_reaches_95_percent_on_digits_in_400_steps():
    trainer = Trainer(TrainConfig().with_settings(width=128, optimizer="adam", lr=1e-3, steps=400))
    trainer.run()
    assert trainer.divergence is None
    assert trainer.records[-1].val_accuracy >= 0.95
    assert trainer.accuracy("val") >= 0.95


@pytest.mark.parametrize("settings", [dict(activation="relu", init="kaiming_normal"),
                                      dict(activation="tanh", init="xavier_normal"),
                                      dict(activation="relu", init="kaiming_normal", norm="batch")])
def test_first_loss_is_log_10_at_a_sane_init(settings):
    trainer = Trainer(SMALL.with_settings(steps=1, record_every=1, **settings))
    trainer.run()
    assert trainer.initial_loss == pytest.approx(math.log(10), rel=0.05)


def test_records_hold_per_layer_statistics_computed_on_the_batch():
    config = SMALL.with_settings(depth=4, batch=32, bins=30)
    trainer = Trainer(config)
    trainer.run()
    assert [r.step for r in trainer.records] == [0, 10, 20, 30, 40, 50, 59]
    assert len(trainer.train_losses) == len(trainer.lrs) == 60
    for record in trainer.records:
        assert len(record.layers) == 4
        for layer in record.layers:
            assert sum(layer.activation_hist.counts) == 32 * 128  # every activation of the batch
            assert sum(layer.grad_hist.counts) == 32 * 128
            assert len(layer.activation_hist.counts) == 30
            assert 0 < layer.update_ratio < 1
            assert layer.std > 0 and layer.grad_std > 0
            assert 0 <= layer.inactive_fraction <= 1  # ReLU: units off for the whole batch
        assert record.train_loss == trainer.train_losses[record.step]
        assert 0 <= record.val_accuracy <= 1


def test_recorded_learning_rates_follow_the_schedule():
    schedule = ScheduleSpec("cosine", warmup=10)
    trainer = Trainer(SMALL.with_settings(schedule="cosine", warmup=10, lr=0.01))
    trainer.run()
    assert trainer.lrs == pytest.approx(learning_rates(0.01, schedule, 60), rel=1e-12)
    assert [r.lr for r in trainer.records] == [trainer.lrs[r.step] for r in trainer.records]


def test_stop_stops_after_one_chunk_and_resume_matches_an_unbroken_run():
    straight = Trainer(SMALL)
    straight.run()
    broken = Trainer(SMALL)
    broken.run(should_stop=lambda: True)
    assert broken.step == 10 and len(broken.records) == 1 and not broken.finished
    broken.run()
    assert broken.step == 60 and broken.finished
    assert broken.train_losses == pytest.approx(straight.train_losses, rel=1e-5)
    assert [r.val_loss for r in broken.records] == pytest.approx([r.val_loss for r in straight.records], rel=1e-5)


def test_stop_from_another_thread_takes_effect_within_one_chunk():
    stop = threading.Event()
    seen = []

    def on_record(record):
        seen.append(record.step)
        if record.step == 20:
            threading.Thread(target=stop.set).start()
            stop.wait()

    trainer = Trainer(SMALL.with_settings(steps=10_000))
    trainer.run(should_stop=stop.is_set, on_record=on_record)
    assert seen[-1] == 20 and trainer.step == 30


def test_too_high_a_learning_rate_diverges_and_says_so():
    trainer = Trainer(SMALL.with_settings(optimizer="sgd", lr=5.0, steps=300))
    trainer.run()
    assert trainer.divergence is not None and trainer.finished
    assert trainer.step < 300
    assert "learning rate is too high" in trainer.divergence.message
    assert f"step {trainer.divergence.step}" in trainer.divergence.message
    bad = trainer.train_losses[trainer.divergence.step]
    assert not math.isfinite(bad) or bad > 4 * math.log(10)


def test_a_bad_init_is_named_as_the_cause():
    trainer = Trainer(SMALL.with_settings(optimizer="sgd", lr=0.01, init="normal", std=1.0, steps=200))
    trainer.run()
    assert trainer.initial_loss > 20 * math.log(10)
    assert trainer.divergence is not None
    assert "bad initialization" in trainer.divergence.message


def test_a_short_spike_is_not_a_divergence():
    """Adam at lr 0.05 jumps far up early, then comes back down: it is not stopped."""
    trainer = Trainer(TrainConfig().with_settings(width=256, lr=0.05, steps=400))
    trainer.run()
    assert max(trainer.train_losses) > 4 * math.log(10)
    assert trainer.divergence is None and trainer.step == 400


def test_early_stopping_stops_and_restores_the_best_weights():
    trainer = Trainer(SMALL.with_settings(train_subset=100, steps=2000, record_every=10, patience=4))
    trainer.run()
    assert trainer.stopped_early and trainer.step < 2000
    best = trainer.best
    later = [r.val_loss for r in trainer.records if r.step > best.step]
    assert len(later) == 4 and min(later) >= best.val_loss
    assert trainer.restore_best() == best.step
    with trainer._evaluating():
        logits = trainer.model(trainer.data.x_val)
        loss = torch.nn.functional.cross_entropy(logits, trainer.data.y_val)
    assert float(loss) == pytest.approx(best.val_loss, rel=1e-5)


def test_batchnorm_eval_mode_uses_running_statistics_and_train_mode_leaves_them_alone():
    running = Trainer(SMALL.with_settings(norm="batch", bn_mode="running"))
    batch_stats = Trainer(SMALL.with_settings(norm="batch", bn_mode="train"))
    for trainer in (running, batch_stats):
        trainer.run(should_stop=lambda: True)
    bn = batch_stats.model.hidden[0].norm
    kept = bn.running_mean.clone(), bn.num_batches_tracked.clone()
    with batch_stats._evaluating():
        batch_stats.model(batch_stats.data.x_val)
    assert torch.equal(bn.running_mean, kept[0]) and torch.equal(bn.num_batches_tracked, kept[1])
    # The same weights (same seed, same steps) evaluated two ways give different losses.
    assert running.records[0].val_loss != batch_stats.records[0].val_loss


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_weight_decay_reaches_weight_matrices_only(optimizer):
    """Coupled (SGD, Adam: wd * w added to the gradient) or decoupled (AdamW: w shrunk by lr * wd):
    either way only the weight matrices decay, biases and norm parameters do not."""
    config = SMALL.with_settings(optimizer=optimizer, lr=0.1, weight_decay=0.5, norm="layer")
    trainer = Trainer(config)
    groups = trainer.optimizer.param_groups
    decayed = {id(p) for g in groups if g["weight_decay"] == 0.5 for p in g["params"]}
    matrices = [*trainer.model.layer_weights(), trainer.model.readout.weight]
    assert decayed == {id(p) for p in matrices}
    # With a zero gradient the only change is the decay: exact for SGD and AdamW.
    w = trainer.model.readout.weight
    before = w.detach().clone()
    trainer.optimizer.zero_grad()
    for p in trainer.model.parameters():
        p.grad = torch.zeros_like(p)
    trainer.optimizer.step()
    if optimizer == "sgd":
        assert torch.allclose(w, before * (1 - 0.1 * 0.5))
    elif optimizer == "adamw":
        assert torch.allclose(w, before * (1 - 0.1 * 0.5))
    else:  # coupled into Adam: the decay term is normalized like any gradient, a step of about lr
        step = (before - w).detach().abs()
        assert float(step.median()) == pytest.approx(0.1, rel=1e-4) and float(step.max()) <= 0.1 + 1e-6


def test_decision_map_for_a_2d_set():
    trainer = Trainer(TrainConfig().with_settings(dataset="moons", width=64, steps=300, lr=0.01))
    trainer.run()
    assert trainer.records[-1].val_accuracy > 0.9
    xs, ys, p = trainer.decision_map(30)
    assert xs.shape == (30,) and ys.shape == (30,) and p.shape == (30, 30)
    assert float(p.min()) >= 0 and float(p.max()) <= 1
    assert float(p.min()) < 0.1 and float(p.max()) > 0.9  # both classes appear on the map
    with pytest.raises(SpecError, match="data"):
        Trainer(SMALL).decision_map()


def test_smoothed_is_a_bias_corrected_moving_average():
    assert smoothed([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])
    out = smoothed([1.0, float("nan"), 3.0], beta=0.5)
    assert out[0] == 1.0 and out[1] == 1.0 and out[2] == pytest.approx((0.25 * 1 + 0.5 * 3) / 0.75)


@pytest.mark.parametrize("settings, field", [
    (dict(dropout=1.0), "dropout"),
    (dict(optimizer="lbfgs"), "optimizer"),
    (dict(steps=0), "steps"),
    (dict(record_every=0), "record_every"),
    (dict(warmup=60), "warmup"),
    (dict(lr=-1.0), "lr"),
    (dict(depth=0), "depth"),
    (dict(dataset="mnist"), "dataset"),
    (dict(patience=0), "patience"),
])
def test_bad_configurations_name_the_field(settings, field):
    with pytest.raises(SpecError) as error:
        SMALL.with_settings(**settings).validate()
    assert error.value.field == field


def test_a_batch_larger_than_the_data_or_a_net_too_big_is_refused():
    with pytest.raises(SpecError, match="batch"):
        Trainer(SMALL.with_settings(train_subset=50, batch=64))
    with pytest.raises(SpecError, match="width"):
        Trainer(SMALL.with_settings(width=65536, depth=50))


def test_unknown_setting_names_are_refused():
    with pytest.raises(SpecError, match="not a training setting"):
        SMALL.with_settings(learning_rate=0.1)


def test_runs_with_dropout_repeat_exactly_and_leave_the_callers_random_numbers_alone():
    config = SMALL.with_settings(dropout=0.5)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = Trainer(config)
    first.run()
    assert torch.equal(torch.rand(3), expected)
    second = Trainer(config)
    second.run(should_stop=lambda: True)
    second.run()
    assert first.train_losses == second.train_losses
    other_seed = Trainer(config.with_settings(seed=1))
    other_seed.run()
    assert other_seed.train_losses != first.train_losses
