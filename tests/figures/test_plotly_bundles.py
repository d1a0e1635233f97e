"""plotly_bundles.py: each figure is drawn by the smallest plotly.js bundle that has its trace types."""

from __future__ import annotations

import pytest

from trainlab.figures.plotly_bundles import BUNDLES, FULL, bundle_for, rank, trace_types


def test_trace_types_of_data_frames_and_base_with_scatter_as_plotly_s_default():
    figure = {"data": [{"x": [1]}, {"type": "bar"}], "frames": [{"data": [{"type": "heatmap"}]}, {"name": "empty"}]}
    assert trace_types(figure) == {"scatter", "bar", "heatmap"}
    assert trace_types({}, base=[{"type": "contour"}]) == {"contour"}
    assert trace_types({}) == set()


@pytest.mark.parametrize(("types", "file"), [
    (set(), "plotly-basic.min.js"),
    ({"scatter", "bar"}, "plotly-basic.min.js"),
    ({"scatter", "contour"}, "plotly-cartesian.min.js"),
    ({"heatmap"}, "plotly-cartesian.min.js"),
    ({"surface", "scatter"}, "plotly.min.js"),
    ({"scatter3d"}, "plotly.min.js"),
    ({"a-type-no-bundle-lists"}, "plotly.min.js"),
])
def test_the_smallest_bundle_that_draws_every_type(types, file):
    assert bundle_for(types).file == file


def test_bundles_are_ordered_smallest_first_and_each_draws_what_the_smaller_ones_do():
    assert [rank(b.file) for b in BUNDLES] == list(range(len(BUNDLES)))
    assert FULL.traces is None
    for smaller, larger in zip(BUNDLES, BUNDLES[1:]):
        assert larger.draws(set(smaller.traces)), (smaller.file, larger.file)
