"""What a pass needs besides its arithmetic: the machine's store of base matrices, drawing several
at once, the time budget of a live figure, and the memo of recent passes."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
import torch

from trainlab.compute import NetworkSpec, SpecError, run_pass, run_sweep
from trainlab.compute.cancel import Cancelled, CancelToken
from trainlab.compute.net import budget
from trainlab.compute.net.network_pass import PassMemo, first_use
from trainlab.compute.net.weight_cache import BaseKey, WeightCache, _draw
from trainlab.compute.net.weight_store import ENV, WeightStore, default_folder


def _keys(family: str = "normal", width: int = 64, layers: int = 3) -> list[BaseKey]:
    return [BaseKey(layer, width, width, family, 0, "cpu") for layer in range(layers)]


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["normal", "uniform", "orthogonal"])
def test_stored_bases_are_the_drawn_ones_mapped_from_their_files(tmp_path, family: str) -> None:
    keys = [BaseKey(layer, 48, 32, family, 7, "cpu") for layer in range(2)]
    first = WeightCache(store=WeightStore(tmp_path))
    drawn = first.get_many(keys)
    assert first.draws == 2
    second = WeightCache(store=WeightStore(tmp_path))  # another kernel on the machine
    mapped = second.get_many(keys)
    assert second.draws == 0, "a stored matrix is mapped, not drawn again"
    for key, a, b in zip(keys, drawn, mapped, strict=True):
        assert torch.equal(a, b) and torch.equal(b, _draw(key))
        assert b.shape == (48, 32) and b.stride() == _draw(key).stride()  # torch.nn.init's layout, transposed
        path = second.store.path(key.name)
        assert path.stat().st_size == 48 * 32 * 4
        assert str(path) in open("/proc/self/maps").read(), "the tensor lives in the file's pages"


def test_a_cut_short_file_is_drawn_again(tmp_path) -> None:
    store = WeightStore(tmp_path)
    key = _keys()[0]
    WeightCache(store=store).get(key)
    store.path(key.name).write_bytes(b"\0" * 100)  # as a full disk might have left it
    cache = WeightCache(store=store)
    assert torch.equal(cache.get(key), _draw(key)) and cache.draws == 1


def test_an_unusable_folder_draws_in_memory(tmp_path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    cache = WeightCache(store=WeightStore(blocked))
    key = _keys()[0]
    assert torch.equal(cache.get(key), _draw(key)) and cache.draws == 1


def test_the_store_keeps_to_its_budget_dropping_the_least_recently_used(tmp_path) -> None:
    one = 64 * 64 * 4
    store = WeightStore(tmp_path, budget_bytes=2 * one)
    a, b, c = _keys()
    WeightCache(store=store).get(a)
    time.sleep(0.01)
    WeightCache(store=store).get(b)
    time.sleep(0.01)
    WeightCache(store=store).get(a)  # used again: b is now the oldest
    time.sleep(0.01)
    WeightCache(store=store).get(c)
    assert [store.contains(k.name, 64, 64) for k in (a, b, c)] == [True, False, True]


def test_a_kernel_waits_for_another_drawing_the_same_matrix_and_can_give_up(tmp_path) -> None:
    store = WeightStore(tmp_path)
    key = _keys()[0]
    store.folder.mkdir(parents=True)
    with open(store.folder / f"{key.name}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another kernel is drawing it
        cancel, outcome = CancelToken(), []

        def fetch() -> None:
            try:
                WeightCache(store=store).get_many([key], cancel=cancel)
                outcome.append("drawn")
            except Cancelled:
                outcome.append("cancelled")

        waiting = threading.Thread(target=fetch)
        waiting.start()
        time.sleep(0.3)
        assert outcome == [], "it waits for the lock"
        cancel.cancel()
        waiting.join(5)
    assert outcome == ["cancelled"]


def test_the_store_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "w"))
    assert default_folder() == tmp_path / "w"
    monkeypatch.setenv(ENV, "off")
    assert default_folder() is None
    monkeypatch.delenv(ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_folder() == tmp_path / "trainlab" / "weights"


# --------------------------------------------------------------------------------------------
# drawing several at once
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["normal", "uniform", "orthogonal"])
def test_drawing_on_several_threads_gives_the_same_matrices(family: str) -> None:
    keys = _keys(family, width=96, layers=5)
    alone, together = WeightCache(threads=1), WeightCache(threads=3)
    for a, b in zip(alone.get_many(keys), together.get_many(keys), strict=True):
        assert torch.equal(a, b)
    assert alone.draws == together.draws == 5


def test_cancelling_a_draw_leaves_nothing_half_done() -> None:
    cache, cancel = WeightCache(threads=2), CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        cache.get_many(_keys(width=256, layers=4), cancel=cancel)
    assert cache.nbytes == 0


# --------------------------------------------------------------------------------------------
# the time budget
# --------------------------------------------------------------------------------------------

@pytest.fixture()
def rates(monkeypatch) -> dict:
    """The budget's rates, starting empty and restored after the test."""
    seen: dict = {}
    monkeypatch.setattr(budget, "_flop_seconds", seen)
    monkeypatch.setattr(budget, "_draw_seconds", {})
    return seen


def test_product_flops_count_forward_backward_and_warm_up() -> None:
    spec = NetworkSpec(depth=6, width=1000, batch=10)
    assert budget.product_flops(spec, 1) == 2 * 10 * 1000 * 1000 * 11
    assert budget.product_flops(spec, 4) == 4 * budget.product_flops(spec, 1)
    running = spec.replace(norm="batch", bn_mode="running")
    assert budget.product_flops(running, 1) == 2 * 10 * 1000 * 1000 * (11 + 6 * 8)


def test_a_pass_too_slow_for_a_live_figure_is_refused_up_front(rates) -> None:
    cpu = torch.device("cpu")
    budget.note_pass(cpu, 16, 1e10, 0.2)  # 50 GFLOPS on a few rows ...
    budget.note_pass(cpu, 256, 1e10, 0.1)  # ... and 100 on many
    big = NetworkSpec(batch=4096)
    expected = budget.product_flops(big, 1) * 1e-11
    cache = WeightCache()
    with pytest.raises(SpecError) as refused:
        run_pass(big, device="cpu", cache=cache, time_limit=budget.LIVE_SECONDS)
    assert refused.value.field == "size"
    assert f"about {expected:.0f} s" in str(refused.value) and "batch 4096" in str(refused.value)
    assert cache.draws == 0, "refused before drawing anything"
    with pytest.raises(SpecError, match="a sweep of 16 values"):
        run_sweep(NetworkSpec(batch=256), [0.01] * 16, device="cpu", cache=cache, time_limit=budget.LIVE_SECONDS)
    # within the limit, and without one, it runs
    small = NetworkSpec(width=64, batch=4096)
    assert run_pass(small, device="cpu", cache=cache, time_limit=budget.LIVE_SECONDS).layers
    assert budget.pass_seconds(NetworkSpec(), 1, cpu) == pytest.approx(budget.product_flops(NetworkSpec(), 1) * 2e-11)


def test_before_any_pass_a_refusal_rests_on_a_timed_product(rates) -> None:
    cpu = torch.device("cpu")
    assumed = budget.product_flops(NetworkSpec(batch=64), 1) / budget.ASSUMED_FLOPS["cpu"]
    seconds = budget.pass_seconds(NetworkSpec(batch=64), 1, cpu, limit=assumed / 2)  # the assumption says no...
    assert rates, "... so one product was timed"
    (timed,) = rates.values()
    flops = budget.product_flops(NetworkSpec(batch=64), 1)
    assert seconds == pytest.approx(flops * min(timed, 1 / budget.ASSUMED_FLOPS["cpu"]))


def test_a_slow_rate_seen_never_refuses_what_the_assumed_rate_answers_in_time(rates) -> None:
    """A pass timed on a loaded machine (or a first pass, with its one-time costs) once refused the
    labs' default setting, and every later pass of its size, since none could run to show better."""
    cpu = torch.device("cpu")
    budget.note_pass(cpu, 16, 1e9, 10.0)  # 0.1 GFLOPS: a machine crawling under load
    default = NetworkSpec()
    assert budget.pass_seconds(default, 1, cpu, limit=budget.LIVE_SECONDS) == pytest.approx(
        budget.product_flops(default, 1) / budget.ASSUMED_FLOPS["cpu"])
    assert run_pass(default.replace(width=512), device="cpu", cache=WeightCache(), time_limit=budget.LIVE_SECONDS)


def test_passes_teach_the_budget_their_rate(rates) -> None:
    run_pass(NetworkSpec(width=512, batch=64), device="cpu", cache=WeightCache())
    assert (("cpu", False) in rates) and rates[("cpu", False)] > 0


def test_first_use_says_what_is_drawn_and_how_long_it_takes(rates) -> None:
    cache = WeightCache(threads=1)
    spec = NetworkSpec(width=128, depth=3, init="orthogonal")
    note = first_use(spec, device="cpu", cache=cache)
    assert note.startswith("drawing 3 orthogonal 128×128 matrices (about ") and note.endswith("once per machine)")
    run_pass(spec, device="cpu", cache=cache)
    assert first_use(spec, device="cpu", cache=cache) == ""
    assert first_use(spec.replace(init="zeros"), device="cpu", cache=cache) == ""
    seconds = budget.draw_seconds("orthogonal", 4096, 4096, 6, torch.device("cpu"))
    assert seconds == pytest.approx(6 * budget._draw_seconds.get(("cpu", "orthogonal"),
                                                                  budget.DRAW_DEFAULTS["orthogonal"]) * 4096**3)


def test_the_environment_of_the_tests_keeps_the_store_out_of_home() -> None:
    assert os.environ[ENV] and "trainlab-test-home" in os.environ[ENV]


def test_a_memo_returns_a_configuration_passed_before_without_passing_it() -> None:
    memo, cache = PassMemo(size=2), WeightCache()
    spec = NetworkSpec(width=64, depth=2)
    first = run_pass(spec, device="cpu", cache=cache, memo=memo)
    halves = []
    assert run_pass(spec.replace(gain=None), device="cpu", cache=cache, memo=memo, on_forward=halves.append) is first
    assert halves == [], "nothing was passed"
    run_pass(spec.replace(std=0.02), device="cpu", cache=cache, memo=memo)
    run_pass(spec.replace(std=0.03), device="cpu", cache=cache, memo=memo)
    assert run_pass(spec, device="cpu", cache=cache, memo=memo) is not first, "the memo keeps the last 2"


def test_the_pass_runs_on_the_threads_asked_for_its_draws_on_all_and_they_are_restored(monkeypatch) -> None:
    from trainlab.compute.net import network_pass

    before = torch.get_num_threads()
    seen: dict[str, int] = {}

    def spy(name: str, real):
        def wrapped(*args, **kwargs):
            seen.setdefault(name, torch.get_num_threads())
            return real(*args, **kwargs)
        return wrapped

    for name in ("_resolve", "_forward", "_backward_summary"):
        monkeypatch.setattr(network_pass, name, spy(name, getattr(network_pass, name)))
    spec = NetworkSpec(width=64, depth=2)
    plain = run_pass(spec, device="cpu", cache=WeightCache())
    assert seen == {"_resolve": before, "_forward": before, "_backward_summary": before}
    seen.clear()
    result = run_pass(spec, device="cpu", cache=WeightCache(), threads=1,
                      on_forward=lambda _: seen.setdefault("on_forward", torch.get_num_threads()))
    # A first use's matrices are drawn on every core; the pass proper, both halves, on the one asked for.
    assert seen == {"_resolve": before, "_forward": 1, "on_forward": 1, "_backward_summary": 1}
    assert torch.get_num_threads() == before
    assert result.layers == plain.layers  # the numbers do not depend on the thread count
