"""Shared bench helpers: an app on a given database, percentiles, bulk users; gunicorn serving
the app or the bare insert (bench/bare_app.py) and the load client that drives both."""

from __future__ import annotations

import os
import statistics
import time
import uuid

from safety import create_app
from safety.config import sqlite_url


def make_app(backend: str, tmpdir: str):
    if backend == "postgresql":
        url = os.environ["SAFETY_BENCH_POSTGRES_URL"]
    else:
        url = sqlite_url(os.path.join(tmpdir, "bench.db"))
    app = create_app(env={"SAFETY_ENV": "testing", "DATABASE_URL": url},
                     config={"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024})
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import text

        from safety.extensions import db

        if backend == "postgresql":  # a bench database starts empty every time
            db.session.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
    return app


def pct(values: list[float], q: float) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:<48} n={len(ms):>6}  p50={pct(ms, .5):8.3f} ms  p99={pct(ms, .99):8.3f} ms"
            f"  mean={statistics.fmean(ms):8.3f} ms")


def backend_line(backend: str, name: str, seconds: list[float]) -> str:
    """`summary` behind the backend's name, padded so that SpatiaLite's and PostGIS's lines
    line up column for column."""
    return f"{'[' + backend + ']':<12} " + summary(name, seconds)


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def bulk_users(conn, n: int, password_hash: str, prefix: str = "+7705") -> list[uuid.UUID]:
    from safety.accounts.models import User, UserRole
    from safety.util import utcnow

    ids = [uuid.uuid4() for _ in range(n)]
    now = utcnow()
    for start in range(0, n, 5000):
        chunk = ids[start:start + 5000]
        conn.execute(User.__table__.insert(), [
            {"id": i, "phone": f"{prefix}{start + k:07d}", "password_hash": password_hash,
             "full_name": f"Bench {start + k}", "locale": "ru", "created_at": now,
             "phone_verified_at": now}
            for k, i in enumerate(chunk)])
        conn.execute(UserRole.__table__.insert(), [{"user_id": i, "role": "user"} for i in chunk])
    return ids


def with_a_guardian(conn, ids: list[uuid.UUID], guardian: uuid.UUID, push_token: str) -> None:
    """`guardian` (one Android device with `push_token`) becomes the accepted guardian of each
    woman in `ids`: her panic pushes to him."""
    from safety.contacts.models import Contact
    from safety.notify.models import Device
    from safety.util import utcnow

    conn.execute(Device.__table__.insert(), [{
        "id": uuid.uuid4(), "user_id": guardian, "installation_id": "g",
        "push_token": push_token, "platform": "android", "created_at": utcnow(),
        "updated_at": utcnow()}])
    conn.execute(Contact.__table__.insert(), [{
        "id": uuid.uuid4(), "owner_id": i, "name": "Guardian", "phone": "+77070000000",
        "status": "accepted", "guardian_id": guardian, "created_at": utcnow()}
        for i in ids])


def login_sessions(conn, ids: list[uuid.UUID]) -> list[dict]:
    """A login session (a day long) for each user in `ids`, inserted; the rows."""
    from datetime import timedelta

    from safety.accounts.models import AuthSession
    from safety.util import utcnow

    sessions = [{"id": uuid.uuid4(), "user_id": i, "created_at": utcnow(),
                 "expires_at": utcnow() + timedelta(days=1)} for i in ids]
    conn.execute(AuthSession.__table__.insert(), sessions)
    return sessions


def bearer_tokens(sessions: list[dict], hours: float | None = 2) -> list[str]:
    """An access token per session (in an app context); `hours=None`: the app's lifetime."""
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    expires = timedelta(hours=hours) if hours is not None else None
    return [create_access_token(identity=str(s["user_id"]),
                                additional_claims={"sid": str(s["id"])}, expires_delta=expires)
            for s in sessions]


# -- serving and driving over HTTP (the panic and ingest benches) ------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(spec: str, env: dict, workers: int = 2):
    """gunicorn serving `spec` (`wsgi:app`, `'bench.bare_app:create_bare_app()'`) with the
    bench's settings: `workers` sync workers on a free loopback port. Returns (process,
    base URL) once it answers /healthz."""
    import subprocess
    import sys

    import requests

    port = free_port()
    venv_bin = os.path.dirname(sys.executable)
    proc = subprocess.Popen(
        [os.path.join(venv_bin, "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", spec],
        env=env, stdout=subprocess.DEVNULL, cwd=os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn {spec} did not start")


def stop(proc) -> None:
    import signal

    proc.send_signal(signal.SIGTERM)
    proc.wait(15)


class Run:
    """What one drive measured: latencies (s), wall time (s), the answers' statuses."""

    def __init__(self, latencies: list[float], wall: float, statuses: list[int]):
        self.latencies, self.wall, self.statuses = latencies, wall, statuses

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    @property
    def p99_ms(self) -> float:
        return pct([x * 1000 for x in self.latencies], .99)

    def bad(self, ok: tuple[int, ...]) -> int:
        return sum(1 for s in self.statuses if s not in ok)

    def line(self, name: str, unit: str = "req/s", floor: Run | None = None) -> str:
        ms = [x * 1000 for x in self.latencies]
        text = (f"  {name:<42} {self.rate:7.0f} {unit:<9} p50={pct(ms, .5):6.1f} ms  "
                f"p99={pct(ms, .99):6.1f} ms")
        if floor is not None:
            text += f"  {self.rate / floor.rate:6.1%} of the bare insert"
        return text


def drive(base: str, calls: list, concurrency: int = 8, rate: float | None = None) -> Run:
    """Each call is (method, path, json body or None, bearer token or None, cookies or None
    (a console login's)), sent by `concurrency` threads, each on its own keep-alive
    session, in order: as fast as they answer, or with `rate` (calls per second) the i-th call
    not before i/rate seconds after the start (a steady load below saturation)."""
    import threading

    import requests

    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    it = iter(enumerate(calls))
    start = time.perf_counter()

    def run():
        session = requests.Session()
        while True:
            with lock:
                i, call = next(it, (None, None))
            if call is None:
                return
            if rate:
                time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            method, path, body, token, cookies = call
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            t = time.perf_counter()
            r = session.request(method, base + path, json=body, headers=headers,
                                cookies=cookies)
            dt = time.perf_counter() - t
            with lock:
                latencies.append(dt)
                statuses.append(r.status_code)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(latencies, time.perf_counter() - start, statuses)


def bare_calls(n: int) -> list:
    """The bare insert's requests: the panic's body, no token."""
    return [("POST", "/bare", {"client_id": str(uuid.uuid4()), "trigger": "button",
                               "location": {"lat": 43.25 + (i % 100) / 10_000, "lon": 76.92}},
             None, None) for i in range(n)]
