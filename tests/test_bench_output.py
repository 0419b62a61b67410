"""The bench prints one line per backend and measure; SpatiaLite's and PostGIS's line up."""

from bench.common import backend_line


def test_backend_lines_line_up():
    lines = [backend_line(b, "check by IIN, 100,000 entries", [0.001, 0.002])
             for b in ("sqlite", "postgresql")]
    for column in ("n=", "p50=", "p99=", "mean="):
        assert lines[0].index(column) == lines[1].index(column), lines
    assert lines[0].startswith("[sqlite]     check") and lines[1].startswith("[postgresql] check")
