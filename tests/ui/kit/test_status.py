"""StatusBar's kernel side: what is being computed, and the progress bar's share done."""

from __future__ import annotations

from trainlab.ui.kit.status import StatusBar


def test_progress_is_shown_while_busy_clamped_and_cleared_when_idle():
    bar = StatusBar()
    bar.set_busy("slicing")
    assert (bar.busy, bar.progress) == ("slicing", -1.0), "no share known: no bar"
    bar.set_busy("slicing", 0.25)
    assert bar.progress == 0.25 and "computing slicing" in bar.text
    bar.set_busy("slicing", 1.5)
    assert bar.progress == 1.0
    bar.set_busy("", 0.5)
    assert (bar.busy, bar.progress) == ("", -1.0), "an idle bar shows no progress"
    bar.close()
