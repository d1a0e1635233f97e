"""PlotlyView's kernel side: figure updates, transitions, and plotly.js on request."""

from __future__ import annotations

from trainlab.ui.plotly_view import PLOTLY_MIME, PlotlyView, plotly_bootstrap, plotly_js


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


def test_bootstrap_is_a_hidden_plotly_output():
    out = plotly_bootstrap()
    assert out.layout.display == "none"
    assert PLOTLY_MIME in out.outputs[0]["data"]
