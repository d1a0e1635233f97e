"""PlotlyView's kernel side: figure updates, transitions, and plotly.js on request."""

from __future__ import annotations

import pytest
import traitlets

from trainlab.ui.kit.plotly_view import PLOTLY_JS_EVERY, PLOTLY_MIME, PlotlyView, plotly_bootstrap, plotly_js


def figure(traces: int, transition: bool = True) -> dict:
    layout = {"xaxis": {}, "yaxis": {}}
    if transition:
        layout["transition"] = {"duration": 200}
    return {"data": [{"type": "scatter", "y": [i]} for i in range(traces)], "layout": layout}


def test_show_updates_figure_and_revision():
    view = PlotlyView()
    view.show(figure(2))
    view.show(figure(2))
    assert view.revision == 2 and len(view.figure["data"]) == 2


def test_transition_kept_between_like_figures_and_dropped_otherwise():
    view = PlotlyView()
    view.show(figure(2))
    assert "transition" not in view.figure["layout"], "nothing to transition from"
    view.show(figure(2))
    assert "transition" in view.figure["layout"]
    view.show(figure(3))
    assert "transition" not in view.figure["layout"]


def test_front_end_without_plotly_gets_plotly_js_as_a_buffer(monkeypatch):
    view = PlotlyView()
    sent = []
    monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.append((content, buffers)))
    view._on_front_end_message(view, {"type": "plotly-js"}, [])
    (content, buffers), = sent
    assert content == {"type": "plotly-js"}
    assert buffers[0] == plotly_js() and b"Plotly" in buffers[0][:5000]


def test_plotly_js_is_sent_once_per_interval_however_often_a_page_asks(monkeypatch):
    """Each answer is 4.8 MB the server must hold for a client that may not read it."""
    view = PlotlyView()
    sent = []
    monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.append(content))
    clock = [1000.0]
    monkeypatch.setattr("trainlab.ui.kit.plotly_view.time.monotonic", lambda: clock[0])
    for _ in range(50):
        view._on_front_end_message(view, {"type": "plotly-js"}, [])
    assert len(sent) == 1
    clock[0] += PLOTLY_JS_EVERY
    view._on_front_end_message(view, {"type": "plotly-js"}, [])
    assert len(sent) == 2


def test_a_ping_gets_a_pong(monkeypatch):
    view = PlotlyView()
    sent = []
    monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.append(content))
    view._on_front_end_message(view, {"type": "ping"}, [])
    assert sent == [{"type": "pong"}]


def test_bootstrap_is_a_hidden_plotly_output():
    out = plotly_bootstrap()
    assert out.layout.display == "none"
    assert PLOTLY_MIME in out.outputs[0]["data"]


def fonts_figure() -> dict:
    return {"data": [{"type": "scatter", "y": [1, 2]}],
            "layout": {"font": {"size": 12}, "height": 500, "xaxis": {"tickfont": {"size": 10}},
                       "annotations": [{"text": "a", "font": {"size": 11}}]},
            "frames": [{"name": "0", "data": [{"y": [1]}], "layout": {"title": {"font": {"size": 10}}}},
                       {"name": "1", "data": [{"y": [2]}]}]}


def test_default_view_leaves_figures_untouched():
    view = PlotlyView()
    original = fonts_figure()
    view.show(fonts_figure())
    assert view.figure == original


def test_text_scale_and_height_fit_the_figure_and_its_frames():
    view = PlotlyView(text_scale=1.4, height=300)
    given = fonts_figure()
    view.show(given)
    layout = view.figure["layout"]
    assert layout["font"]["size"] == 16.8 and layout["xaxis"]["tickfont"]["size"] == 14
    assert layout["annotations"][0]["font"]["size"] == 15.4
    assert layout["height"] == 300
    frames = view.figure["frames"]
    assert frames[0]["layout"]["title"]["font"]["size"] == 14 and frames[0]["data"] == [{"y": [1]}]
    assert frames[1] == {"name": "1", "data": [{"y": [2]}]}
    assert given == fonts_figure(), "the caller's figure is not modified"


def test_height_alone_keeps_the_text_size():
    view = PlotlyView(height=250)
    view.show({"data": [], "layout": {"font": {"size": 12}}})
    assert view.figure["layout"] == {"font": {"size": 12}, "height": 250}
    view.show({"data": []})  # a figure without a layout still gets the height
    assert view.figure["layout"] == {"height": 250}


def test_the_bundle_named_to_the_front_end_draws_every_figure_shown_and_never_shrinks():
    """Where trainlab serves plotly.js, the front end draws with the bundle `bundle` names."""
    view = PlotlyView()
    assert view.bundle == "plotly-basic.min.js"
    view.show(figure(2))
    assert view.bundle == "plotly-basic.min.js"
    sent: list[dict] = []
    view.comm.send = lambda data, buffers=None, **_: sent.append(data)  # what reaches the page, in one message
    view.show({"data": [{"type": "contour", "z": [[1]]}], "layout": {}})
    assert view.bundle == "plotly-cartesian.min.js"
    states = [m["state"] for m in sent if m.get("method") == "update"]
    assert any({"bundle", "figure"} <= set(state) for state in states), "the bundle comes with the figure that needs it"
    view.show(figure(1), base=[{"type": "surface", "z": [[1]]}])
    assert view.bundle == "plotly.min.js"
    view.show(figure(1), base=[])
    assert view.bundle == "plotly.min.js", "a plot that showed 3-D keeps the bundle it has"
    assert PlotlyView({"data": [{"type": "heatmap"}], "layout": {}}).bundle == "plotly-cartesian.min.js"


def test_a_bundle_that_does_not_exist_is_refused_by_name():
    view = PlotlyView()
    with pytest.raises(traitlets.TraitError, match="'bundle' trait"):
        view.bundle = "plotly-geo.min.js"
    assert view.bundle == "plotly-basic.min.js"
