"""InitExplorer without a browser: set controls in Python, check what it would draw."""

from __future__ import annotations

import re

import pytest

from trainlab import InitExplorer
from trainlab.presets import INIT_PRESETS

SMALL = {"width": 256, "depth": 3}


def drawn(explorer: InitExplorer) -> tuple:
    assert explorer.wait(120)
    figure = explorer.histograms.figure
    return tuple(tuple(trace["y"]) for trace in figure["data"])


def notices(explorer: InitExplorer, level: str) -> str:
    return explorer.status.texts(level)


def test_constructor_arguments_set_every_control():
    explorer = InitExplorer(activation="relu", init="xavier_normal", batch=8, seed=3, **SMALL)
    fields = explorer.fields
    assert (fields["activation"].value, fields["init"].value, fields["batch"].value) == ("relu", "xavier_normal", 8)
    assert (fields["width"].value, fields["depth"].value, fields["seed"].value) == (256, 3, 3)
    drawn(explorer)
    assert explorer.result.spec.activation == "relu" and explorer.result.spec.init == "xavier_normal"
    assert len(explorer.histograms.figure["data"]) == 2 * 3  # activations and gradients per layer
    assert "cpu" in explorer.status.text and "relu" in explorer.status.text


def test_changing_a_control_redraws_figure_table_and_status():
    explorer = InitExplorer(**SMALL)
    before, table = drawn(explorer), explorer.table.value
    explorer.fields["activation"].value = "relu"
    after = drawn(explorer)
    assert after != before
    assert explorer.table.value != table
    assert explorer.result.spec.activation == "relu"
    explorer.fields["std"].value = 0.1
    assert drawn(explorer) != after
    assert explorer.result.spec.std == pytest.approx(0.1)


@pytest.mark.parametrize("label", list(INIT_PRESETS))
def test_presets_set_the_controls_they_name(label):
    explorer = InitExplorer(**SMALL)
    drawn(explorer)
    explorer.preset.value = label
    drawn(explorer)
    settings = INIT_PRESETS[label].settings
    for name in ("activation", "init", "norm"):
        assert explorer.fields[name].value == settings[name]
    if "std" in settings:
        assert explorer.fields["std"].value == pytest.approx(settings["std"])
    assert explorer.result.spec.activation == settings["activation"]
    # A case leaves the network size alone, unless its lesson is about depth (and then it names it).
    assert explorer.fields["width"].value == settings.get("width", 256)
    assert explorer.fields["depth"].value == settings.get("depth", SMALL.get("depth", 6))
    assert INIT_PRESETS[label].lesson in notices(explorer, "info")


def test_manual_change_after_preset_marks_custom():
    explorer = InitExplorer(preset="ReLU, Kaiming", **SMALL)
    drawn(explorer)
    explorer.fields["activation"].value = "tanh"
    drawn(explorer)
    assert explorer.preset.value == "custom"


def test_a_case_chosen_on_the_settings_drawn_states_its_numbers_without_a_new_pass():
    label = "ReLU, Kaiming"
    explorer = InitExplorer(preset=label, **SMALL)
    try:
        drawn(explorer)
        caption = INIT_PRESETS[label].caption(explorer.result)
        assert caption in notices(explorer, "info")
        explorer.fields["activation"].value = "tanh"
        drawn(explorer)
        explorer.fields["activation"].value = "relu"  # back to the case's settings, now as "custom"
        drawn(explorer)
        assert explorer.preset.value == "custom" and caption not in notices(explorer, "info")
        revision = explorer.histograms.revision
        explorer.preset.value = label
        drawn(explorer)
        assert explorer.histograms.revision == revision, "nothing to recompute"
        assert caption in notices(explorer, "info") and INIT_PRESETS[label].lesson in notices(explorer, "info")
    finally:
        explorer.close()


def test_bad_value_shows_notice_and_keeps_the_figure():
    explorer = InitExplorer(**SMALL)
    before, revision = drawn(explorer), explorer.histograms.revision
    explorer.fields["depth"].value = 0
    assert drawn(explorer) == before and explorer.histograms.revision == revision
    assert "depth" in notices(explorer, "error")
    assert explorer.fields["depth"].value == 0, "the user's input stays"
    explorer.fields["depth"].value = 4
    assert drawn(explorer) != before
    assert notices(explorer, "error") == ""


def test_too_large_a_network_is_refused_with_sizes():
    explorer = InitExplorer(**SMALL)
    before = drawn(explorer)
    explorer.fields["width"].value = 65536
    assert drawn(explorer) == before
    message = notices(explorer, "error")
    assert "GB" in message and "free" in message
    assert explorer.result.spec.width == 256


def test_overflow_is_drawn_with_counts_and_the_widget_stays_live():
    explorer = InitExplorer(activation="relu", std=10.0, width=256, depth=50)
    drawn(explorer)
    assert explorer.result.nonfinite > 0
    assert "inf/NaN" in notices(explorer, "warning")
    assert "inf/NaN" in " ".join(a["text"] for a in explorer.histograms.figure["layout"]["annotations"])
    explorer.fields["std"].value = 0.05
    drawn(explorer)
    assert explorer.result.nonfinite == 0 and notices(explorer, "warning") == ""


def test_bad_constructor_value_falls_back_with_a_notice():
    explorer = InitExplorer(std=0.0, **SMALL)
    drawn(explorer)
    assert "std" in notices(explorer, "error")
    assert explorer.fields["std"].value == pytest.approx(0.01)
    with pytest.raises(TypeError, match="colour"):
        InitExplorer(colour="red")


def test_sweep_builds_frames_and_asks_the_browser_to_play(monkeypatch):
    explorer = InitExplorer(sweep_points=5, **SMALL)
    drawn(explorer)
    sent = []
    monkeypatch.setattr(explorer.histograms, "send", lambda content, buffers=None: sent.append(content))
    explorer.sweep()
    drawn(explorer)
    frames = explorer.histograms.figure["frames"]
    assert len(frames) == 5
    assert len({tuple(f["data"][0]["y"]) for f in frames}) == 5, "every frame shows a different std"
    assert [s["type"] for s in sent] == ["animate"]
    assert explorer.histograms.figure["layout"]["sliders"][0]["steps"][0]["label"] == frames[0]["name"]
    # Everything on screen shows the frame on the slider: the std per layer is a panel of the
    # animated figure, and the single-pass std plot and table are hidden.
    assert explorer._single.layout.display == "none"
    measured = [[t["y"] for t in f["data"] if t.get("name") == "measured"] for f in frames]
    assert measured == [[[layer.std for layer in r.layers]] for r in explorer.swept]


def test_sweep_of_gain_for_gain_schemes():
    explorer = InitExplorer(init="kaiming_normal", activation="relu", sweep_points=3, **SMALL)
    drawn(explorer)
    assert explorer.play.description == "▶ sweep gain"
    explorer.fields["init"].value = "zeros"
    assert explorer.play.disabled


def test_rapid_changes_keep_only_the_latest():
    explorer = InitExplorer(**SMALL)
    drawn(explorer)
    for value in [0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]:
        explorer.fields["std"].value = value
    drawn(explorer)
    assert explorer.result.spec.std == pytest.approx(0.08)
    assert explorer._worker.dropped > 0, "overtaken requests must not be computed"


def test_an_exploding_net_gets_a_notice_and_its_table_counts_what_it_calls_inf():
    explorer = InitExplorer(activation="relu", init="normal", std=10.0, width=256, depth=12)
    drawn(explorer)
    assert explorer.result.nonfinite == 0
    warning = notices(explorer, "warning")
    assert "exploding" in warning and f"{explorer.result.layers[-1].std:.2g}" in warning
    rows = re.findall(r"<tr>(.*?)</tr>", explorer.table.value)[1:]
    for row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row)
        inf_nan = re.sub(r"<[^>]+>", "", cells[6])
        if inf_nan == "0":
            assert "inf" not in cells[1:4] and "nan" not in cells[1:4], row
    explorer.set(std=0.05)
    drawn(explorer)
    assert "exploding" not in notices(explorer, "warning")


def test_the_pass_leaves_the_page_a_core(monkeypatch):
    """The page starts its spinner and draws the forward half while the pass runs: it asks for all cores but one."""
    from trainlab.compute.devices import ui_friendly_threads
    from trainlab.ui import init_explorer

    asked = []
    real = init_explorer.run_pass
    monkeypatch.setattr(init_explorer, "run_pass",
                        lambda *a, **k: asked.append(k.get("threads")) or real(*a, **k))
    explorer = InitExplorer(**SMALL)
    drawn(explorer)
    explorer.fields["std"].value = 0.05
    drawn(explorer)
    assert asked == [ui_friendly_threads(explorer.device)] * 2
