"""Panic latency while logins flood the service, with the real argon2 cost.

    python -m bench.login_flood_bench [--logins-in-flight 8] [--panics 60]
    SAFETY_BENCH_POSTGRES_URL=postgresql://... \
        python -m bench.login_flood_bench --backend postgresql

In one process (threads, like a threaded server; argon2-cffi lets go of the GIL while it
hashes): first panics alone, one after another, each from a different woman; then the same
while N threads log in again and again with the right password (each login is one argon2
verify, t=3, 64 MiB, and one AuthSession row). If a hash ran inside a write transaction, on
SQLite every panic would queue behind it (the database has one writer) and its latency would
grow with the number of logins in flight; here it should stay near its value alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid

from bench.common import bearer_tokens, bulk_users, login_sessions, make_app, pct

PASSWORD = "bench-password-123"


def setup(app, women: int, loggers: int) -> tuple[list[str], list[str]]:

    from safety.extensions import db
    from safety.passwords import hash_secret

    with app.test_request_context():
        password_hash = hash_secret(PASSWORD)
        with db.engine.begin() as conn:
            ids = bulk_users(conn, women, password_hash)
            bulk_users(conn, loggers, password_hash, prefix="+7706")
            sessions = login_sessions(conn, ids)
        tokens = bearer_tokens(sessions)
    phones = [f"+7706{k:07d}" for k in range(loggers)]
    return tokens, phones


def hash_time(app, n: int = 5) -> float:
    from safety.passwords import hash_secret, verify_secret

    with app.app_context():
        stored = hash_secret(PASSWORD)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            verify_secret(stored, PASSWORD)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def panics(app, tokens: list[str]) -> list[float]:
    client = app.test_client()
    out = []
    for token in tokens:
        body = {"client_id": str(uuid.uuid4()), "trigger": "button",
                "location": {"lat": 43.25, "lon": 76.92}}
        t = time.perf_counter()
        r = client.post("/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {token}"})
        out.append(time.perf_counter() - t)
        assert r.status_code == 201, r.get_json()
    return out


def flood(app, phones: list[str], stop: threading.Event, done: list[int]) -> list[threading.Thread]:
    def run(phone: str) -> None:
        client = app.test_client()
        while not stop.is_set():
            r = client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            done.append(1)

    threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in phones]
    for t in threads:
        t.start()
    return threads


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"  {name:<34} n={len(ms):>4}  p50={pct(ms, .5):8.1f} ms  p90={pct(ms, .9):8.1f} ms"
            f"  max={max(ms):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--logins-in-flight", type=int, default=8)
    parser.add_argument("--panics", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.backend, tmp)
        from safety.extensions import limiter

        limiter.enabled = False  # the flood comes from one address
        app.config.update(ARGON2_TIME_COST=3, ARGON2_MEMORY_KIB=65536)  # production cost
        tokens, phones = setup(app, 2 * args.panics, args.logins_in_flight)
        one_hash = hash_time(app)
        panics(app, tokens[:5])  # warm up
        alone = panics(app, tokens[5:args.panics])
        stop, done = threading.Event(), []
        threads = flood(app, phones, stop, done)
        time.sleep(1.0)  # let every login thread get going
        started, before = time.perf_counter(), len(done)
        flooded = panics(app, tokens[args.panics:2 * args.panics - 5])
        wall, logins = time.perf_counter() - started, len(done) - before
        stop.set()
        for t in threads:
            t.join(30)
    print(f"panic POST /api/v1/alerts on {args.backend}, in-process threads; argon2 t=3 m=64MiB")
    print(f"  one argon2 verify                  {one_hash * 1000:8.1f} ms")
    print(line("panics alone", alone))
    print(line(f"panics with {args.logins_in_flight} logins in flight", flooded))
    print(f"  logins done meanwhile              {logins} in {wall:.1f} s "
          f"({logins / wall:.1f}/s)")
    print(f"  worst panic / one hash             {max(flooded) / one_hash:8.2f}")


if __name__ == "__main__":
    main()
