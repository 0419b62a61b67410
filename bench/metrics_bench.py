"""What metrics cost a panic (safety/metrics): the hooks alone, and panics with metrics on and off.

    python -m bench.metrics_bench [--panics 400]          # SpatiaLite in a temporary folder
    SAFETY_BENCH_POSTGRES_URL=postgresql://... python -m bench.metrics_bench --backend postgresql

1. The hooks a panic runs (request start, answer: the panic histogram and the request counter,
   the `raised` receiver and its count at commit), timed alone, in memory and in
   prometheus-client's multiprocess mode (what gunicorn runs: values in mmap files).
2. The same panics through the Flask test client (no network) against two apps on one
   database, one with METRICS_ENABLED off, in alternating blocks; each panic by a different
   woman with a guardian's device (one push job), no partner organisation.
3. A scrape of GET /metrics (its database queries) with every push job still waiting.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from bench.common import bearer_tokens, bulk_users, login_sessions, make_app, pct, with_a_guardian

HOOKS_N = 20_000
_CALLS = itertools.count()


def hooks_per_panic_us(n: int = HOOKS_N) -> float:
    """Microseconds the metrics hooks add to one panic (the mean of n)."""
    from flask import Flask

    from safety.metrics.hooks import KNOWN_TRIGGERS
    from safety.metrics.instruments import Metrics

    metrics = Metrics()
    app = Flask("hooks")
    with app.test_request_context("/api/v1/alerts", method="POST"):
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()  # before_request
            pending = [lambda: metrics.raised("button", KNOWN_TRIGGERS)]  # the receiver
            for count in pending:  # after_commit
                count()
            metrics.panic_answered(201, time.perf_counter() - t0)  # after_request
            metrics.answered("alerts.Alerts", "POST", 201)
        return (time.perf_counter() - start) / n * 1e6


def _hooks_in_subprocess(multiproc_dir: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    out = subprocess.run([sys.executable, "-c", "from bench.metrics_bench import "
                          "hooks_per_panic_us; print(hooks_per_panic_us())"],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _people(app, n: int) -> list[str]:

    from safety.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            call = next(_CALLS)
            ids = bulk_users(conn, n, "x", prefix=f"+771{call:03d}")
            guardian = bulk_users(conn, 1, "x", prefix=f"+772{call:03d}")[0]
            with_a_guardian(conn, ids, guardian, f"g-{guardian}")
            sessions = login_sessions(conn, ids)
        return bearer_tokens(sessions, hours=None)


def _panics(app, tokens: list[str]) -> list[float]:
    client = app.test_client()
    out = []
    for k, token in enumerate(tokens):
        body = {"client_id": str(uuid.uuid4()), "trigger": "button",
                "location": {"lat": 43.25 + k % 100 / 10_000, "lon": 76.92}}
        t = time.perf_counter()
        r = client.post("/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {token}"})
        out.append(time.perf_counter() - t)
        assert r.status_code == 201, r.get_json()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panics", type=int, default=400)
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        memory = _hooks_in_subprocess(None)
        mmap = _hooks_in_subprocess(folder)
    print(f"metrics hooks per panic, alone: {memory:.1f} µs in memory, {mmap:.1f} µs in "
          "multiprocess mode (mmap files, as under gunicorn)")

    from safety import create_app

    with tempfile.TemporaryDirectory() as tmpdir:
        base = make_app(args.backend, tmpdir)  # migrates; adds the people
        url = base.config["SQLALCHEMY_DATABASE_URI"]
        on, off = (create_app(env={"SAFETY_ENV": "testing", "DATABASE_URL": url,
                                   "METRICS_ENABLED": enabled,
                                   "SECRET_KEY": base.config["SECRET_KEY"]})
                   for enabled in ("true", "false"))
        times: dict[str, list[float]] = {"on": [], "off": []}
        for app in (on, off):  # warm both up
            _panics(app, _people(base, 20))
        for block in range(args.panics // args.block):
            for name, app in ((("on", on), ("off", off)) if block % 2 else
                              (("off", off), ("on", on))):
                times[name] += _panics(app, _people(base, args.block))
        on.config["METRICS_TOKEN"] = token = "bench-" + "t" * 40
        client = on.test_client()
        scrapes = []
        for _ in range(20):
            t = time.perf_counter()
            r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            scrapes.append(time.perf_counter() - t)
            assert r.status_code == 200
        backlog = sum(float(line.split()[-1]) for line in r.get_data(as_text=True).splitlines()
                      if line.startswith("safety_outbox_backlog_jobs{"))
    for name, ts in times.items():
        ms = [t * 1000 for t in ts]
        print(f"[{args.backend}] panic, metrics {name:<3}  n={len(ms)}  p50={pct(ms, .5):7.3f} ms"
              f"  p99={pct(ms, .99):7.3f} ms  mean={statistics.fmean(ms):7.3f} ms")
    print(f"[{args.backend}] GET /metrics with {backlog:.0f} jobs waiting: "
          f"p50={pct(scrapes, .5) * 1000:.1f} ms  max={max(scrapes) * 1000:.1f} ms")
    diff = (statistics.median(times["on"]) - statistics.median(times["off"])) * 1e6
    print(f"[{args.backend}] median difference (on - off): {diff:+.0f} µs per panic (noise "
          "included: compare with the hooks alone above)")


if __name__ == "__main__":
    main()
