"""KernelLinked's kernel side: the model id its front end looks itself up by, and the state sent
again to a front end that mended its link (the browser side is in tests/browser)."""

from __future__ import annotations

import pytest

from trainlab.ui.kit import kernel_link
from trainlab.ui.kit.kernel_link import KernelLinked, front_end
from trainlab.ui.kit.plotly_view import PlotlyView
from trainlab.ui.kit.share_link import ShareLink
from trainlab.ui.kit.status import StatusBar


@pytest.mark.parametrize("kind", [PlotlyView, StatusBar, ShareLink])
def test_every_front_end_knows_its_model_id_from_its_first_state(kind):
    widget = kind()
    assert isinstance(widget, KernelLinked)
    assert widget._trainlab_id == widget.model_id and len(widget.model_id) == 32
    assert widget.get_state()["_trainlab_id"] == widget.model_id
    assert "trainlabKernelLink(model)" in widget._esm and widget._esm.startswith(front_end("status.js")[:200])
    widget.close()


def test_two_widgets_get_two_ids():
    a, b = StatusBar(), StatusBar()
    assert a.model_id != b.model_id
    a.close()
    b.close()


def test_a_mended_front_end_gets_the_whole_state_again_at_most_every_few_seconds(monkeypatch):
    view = PlotlyView()
    view.show({"data": [{"type": "scatter", "y": [1, 2]}], "layout": {}})
    sent = []
    monkeypatch.setattr(view, "send_state", lambda key=None: sent.append(key))
    clock = iter([100.0, 101.0, 100.0 + kernel_link.RESYNC_EVERY])
    monkeypatch.setattr(kernel_link.time, "monotonic", lambda: next(clock))
    for _ in range(3):
        view._on_link_message(view, {"type": "resync"}, [])
    assert sent == [None, None], "the whole state, once, then again only after RESYNC_EVERY"
    view._on_link_message(view, {"type": "ping"}, [])
    view._on_link_message(view, "resync", [])
    assert len(sent) == 2
    view.close()
