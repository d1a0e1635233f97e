"""ActivationGallery without a browser: controls in, figure, status and notices out. What the
curves mean is tested in tests/compute/net/test_activation_curves.py."""

from __future__ import annotations

import pytest

from trainlab import ActivationGallery
from trainlab.presets import GALLERY_PRESETS

SMALL = {"width": 256, "depth": 4, "layer": 2}


def drawn(gallery: ActivationGallery) -> dict:
    assert gallery.wait(120)
    return gallery.plot.figure


@pytest.fixture
def gallery():
    widget = ActivationGallery(**SMALL)
    yield widget
    widget.close()


def test_it_draws_f_and_f_prime_and_the_layers_pre_activations_with_their_flat_share(gallery):
    figure = drawn(gallery)
    names = [t["name"] for t in figure["data"]]
    assert names == ["tanh(x)", "tanh'(x)", "1 % of the largest |f'|", "layer 2's pre-activations (% of values)"]
    hist = gallery.histogram
    assert gallery.flat_share == pytest.approx(gallery.curve.flat_share(hist))
    assert f"{100 * gallery.flat_share:.0f} % of layer 2's pre-activations fall where f is flat" in (
        figure["layout"]["title"]["text"])
    bars = figure["data"][3]
    assert sum(bars["y"]) == pytest.approx(100, abs=0.1)
    # Flat regions shaded on both panels: tanh has two.
    assert len(figure["layout"]["shapes"]) == 4
    assert "layer 2 of" in gallery.status.text and "where f is flat" in gallery.status.text


def test_the_activation_moves_the_network_with_it_and_the_layer_can_change(gallery):
    drawn(gallery)
    gallery.activation.value = "relu"
    drawn(gallery)
    assert gallery.settings.network.activation == "relu" and gallery.curve.spec.activation == "relu"
    gallery.layer.value = 4
    drawn(gallery)
    assert gallery.settings.layer == 4 and "layer 4's pre-activations" in gallery.plot.figure["data"][3]["name"]


def test_a_curve_the_network_lacks_is_drawn_alone_with_a_notice(gallery):
    drawn(gallery)
    gallery.activation.value = "maxout"
    figure = drawn(gallery)
    assert [t["name"] for t in figure["data"]][:2] == ["maxout(x)", "maxout'(x)"] and len(figure["data"]) == 3
    assert gallery.flat_share is None
    assert "The explorer's network has no maxout" in " ".join(t for _, t in gallery.status.notices)
    assert gallery.settings.network.activation == "tanh", "the network keeps the activation it can run"


def test_the_slope_slider_shows_for_leaky_relu_only_and_shapes_the_curve(gallery):
    assert gallery.slope.layout.display == "none"
    gallery.set(activation="leaky_relu", slope=0.3)
    drawn(gallery)
    assert gallery.slope.layout.display != "none" and gallery.alpha.layout.display == "none"
    assert gallery.curve.df[0] == pytest.approx(0.3)


@pytest.mark.parametrize(("changes", "setting"), [({"layer": 9}, "layer"), ({"slope": 2.0}, "slope"),
                                                  ({"activation": "swish"}, "activation"), ({"depth": 0}, "depth"),
                                                  ({"colour": "red"}, "colour")])
def test_a_bad_value_is_refused_by_name_and_the_figure_stays(gallery, changes, setting):
    before = drawn(gallery)
    problems = gallery.set(**changes)
    assert problems and problems[0].startswith(f"{setting}=") or setting in problems[0], problems
    assert drawn(gallery) == before


def test_a_shallower_net_moves_the_layer_into_it(gallery):
    drawn(gallery)
    gallery.set(depth=1)
    drawn(gallery)
    assert gallery.settings.layer == 1 and gallery.layer.value == 1


@pytest.mark.parametrize("label", list(GALLERY_PRESETS))
def test_a_lecture_case_sets_what_it_names_and_shows_its_lesson(label):
    widget = ActivationGallery(preset=label, width=256)
    try:
        drawn(widget)
        flat = widget._model.flat(widget.settings)
        assert all(str(flat[k]) == str(v) for k, v in GALLERY_PRESETS[label].settings.items() if k != "width")
        assert GALLERY_PRESETS[label].lesson in " ".join(t for _, t in widget.status.notices)
    finally:
        widget.close()


def test_a_link_moves_a_new_widget_to_the_same_view(gallery):
    gallery.set(activation="elu", alpha=2.0, layer=3)
    drawn(gallery)
    other = ActivationGallery()
    try:
        other.apply_query(gallery.query())
        assert other.settings == gallery.settings
    finally:
        other.close()


def test_its_pass_leaves_the_page_a_core(monkeypatch):
    """As the explorer's: the page shows its spinner and draws while the pass runs."""
    from trainlab.compute.devices import ui_friendly_threads
    from trainlab.ui import activation_gallery

    asked = []
    real = activation_gallery.run_pass
    monkeypatch.setattr(activation_gallery, "run_pass", lambda *a, **k: asked.append(k.get("threads")) or real(*a, **k))
    widget = ActivationGallery(**SMALL)
    try:
        drawn(widget)
        assert asked == [ui_friendly_threads(widget.device)]
    finally:
        widget.close()
