"""The explorer draws a pass's activations before its backward pass, and a sweep's first value
before the others; a setting too slow for a live figure is refused with its time."""

from __future__ import annotations

from trainlab import InitExplorer
from trainlab.compute import NetworkSpec, run_pass
from trainlab.compute.net.weight_cache import WeightCache
from trainlab.figures import explorer as figures
from trainlab.ui.explorer_forward import forward_figure

SMALL = {"width": 256, "depth": 3}


def _rows(figure: dict) -> tuple[list, list]:
    """(activation traces' y, gradient traces' y): activations on panels 1..C, gradients after."""
    columns = len(figure["data"]) // 2
    index = lambda trace: int(trace["yaxis"][1:] or 1)  # noqa: E731
    acts = [t["y"] for t in figure["data"] if index(t) <= columns]
    grads = [t["y"] for t in figure["data"] if index(t) > columns]
    return acts, grads


def test_the_forward_figure_is_the_new_activations_over_the_gradients_drawn() -> None:
    cache = WeightCache()
    old = run_pass(NetworkSpec(std=0.02, **SMALL), device="cpu", cache=cache)
    halves = []
    new = run_pass(NetworkSpec(std=0.05, **SMALL), device="cpu", cache=cache, on_forward=halves.append)
    drawn, full = figures.histogram_figure(old), figures.histogram_figure(new)
    merged = forward_figure(figures.histogram_figure(halves[0]), drawn)
    assert _rows(merged)[0] == _rows(full)[0], "the activation row is the new pass's"
    assert _rows(merged)[1] == _rows(drawn)[1], "the gradient row stays as drawn"
    titles = [a["text"] for a in merged["layout"]["annotations"]]
    assert all(a["text"] in titles for a in drawn["layout"]["annotations"] if a["text"].startswith("dL/dh"))
    assert all(a["text"] in titles for a in full["layout"]["annotations"] if a["text"].startswith("<b>layer"))
    # other panels (another depth): nothing to keep, so no forward figure
    deeper = run_pass(NetworkSpec(std=0.05, width=256, depth=4), device="cpu", cache=cache)
    assert forward_figure(figures.histogram_figure(deeper), drawn) is None
    assert forward_figure(figures.histogram_figure(halves[0]), None) is None


def test_a_change_draws_the_activations_then_everything() -> None:
    explorer = InitExplorer(**SMALL)
    assert explorer.wait(120)
    revision = explorer.histograms.revision
    explorer.fields["std"].value = 0.05
    assert explorer.wait(120)
    assert explorer.histograms.revision == revision + 2, "the forward half, then the whole pass"
    assert explorer.result.spec.std == 0.05
    final = figures.histogram_figure(explorer.result)
    assert _rows(explorer.histograms.figure) == _rows(final)


def test_a_sweep_shows_its_first_value_before_the_others() -> None:
    explorer = InitExplorer(**SMALL)
    assert explorer.wait(120)
    revision = explorer.histograms.revision
    explorer.sweep()
    assert explorer.wait(300)
    assert explorer.histograms.revision == revision + 2, "the first value, then the animated sweep"
    assert len(explorer.swept) == explorer.sweep_points and explorer.histograms.figure["frames"]
    assert "ms of batched passes" in explorer.status.texts("info")


def test_a_setting_too_slow_for_a_live_figure_is_refused_with_its_time() -> None:
    explorer = InitExplorer(**SMALL)
    assert explorer.wait(120)
    explorer.fields["batch"].value = 4096
    explorer.fields["width"].value = 8192  # fits in memory, but 2.7e12 flops of products
    assert explorer.wait(120)
    message = explorer.status.texts("error")
    assert "would take about" in message and "s here" in message
    assert explorer.result.spec.width == 256, "the figures keep the last setting drawn"


def test_the_busy_line_says_what_a_first_use_draws() -> None:
    explorer = InitExplorer(init="orthogonal", width=136, depth=2, seed=4242)  # in no store yet
    assert "drawing 2 orthogonal 136×136 matrices" in explorer.status.busy
    assert explorer.wait(120)
    explorer.fields["gain"].value = 1.5
    assert "drawing" not in explorer.status.busy, "drawn once, then at hand"
    assert explorer.wait(120)
