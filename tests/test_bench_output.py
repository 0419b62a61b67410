"""The bench prints one line per backend and measure; SpatiaLite's and PostGIS's line up."""

from bench.common import backend_line


def test_backend_lines_line_up():
    lines = [backend_line(b, "check by IIN, 100,000 entries", [0.001, 0.002])
             for b in ("sqlite", "postgresql")]
    for column in ("n=", "p50=", "p99=", "mean="):
        assert lines[0].index(column) == lines[1].index(column), lines
    assert lines[0].startswith("[sqlite]     check") and lines[1].startswith("[postgresql] check")


def test_a_run_prints_its_rate_p99_and_share_of_the_bare_insert():
    from bench.common import Run

    floor = Run([0.01] * 100, 1.0, [201] * 100)
    panic = Run([0.02] * 40 + [0.05], 1.0, [201] * 40 + [500])
    line = panic.line("panic POST /api/v1/alerts", "alerts/s", floor)
    assert "41 alerts/s" in line and "p99=  50.0 ms" in line
    assert "41.0% of the bare insert" in line
    assert panic.bad((201,)) == 1 and floor.p99_ms == 10.0


def test_the_bare_insert_gets_the_panics_body_without_a_token():
    from bench.common import bare_calls
    from bench.panic_bench import panic_calls

    (bare,), (panic,) = bare_calls(1), panic_calls(["t"])
    assert bare[0] == panic[0] == "POST" and bare[3] is None and panic[3] == "t"
    assert bare[2].keys() == panic[2].keys() == {"client_id", "trigger", "location"}


def test_the_cpu_figure_prints_the_panics_cpu_as_a_multiple_of_the_bare_inserts(capsys):
    from bench.cpu import Cpu
    from bench.panic_bench import print_cpu

    floor = Cpu([0.002] * 10, [201] * 10)
    panic = Cpu([0.030] * 9 + [0.040], [201] * 9 + [500])
    print_cpu(floor, panic, 1000.0, 15000.0)
    out = capsys.readouterr().out
    assert "mean  31.00 ms" in out and "15.5x the bare insert" in out
    assert "(non-201: 1)" in out and "bare 1,000, panic 15,000 (15.0x)" in out


def test_the_machine_figure_splits_a_panics_cpu_by_process():
    import os

    from bench.cpu import machine_line, tree_cpu_s

    line = machine_line({"web": 1.41, "worker": 0.62, "PostgreSQL": 0.70}, 100, "panic")
    assert line == ("  CPU per panic by process: web 14.1 ms, worker 6.2 ms, PostgreSQL 7.0 ms; "
                    "27.3 ms in all")
    import time

    before = tree_cpu_s(os.getpid())
    spent = time.process_time()
    while time.process_time() - spent < 0.05:  # 50 ms of this process's CPU: 5 clock ticks
        sum(i * i for i in range(10_000))
    assert tree_cpu_s(os.getpid()) > before > 0
