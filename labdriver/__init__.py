"""Driving trainlab's labs in a headless Chromium: shared by the browser tests, the benchmarks and
the thumbnail script (none of which imports another's files)."""
