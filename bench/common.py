"""Shared bench helpers: an app on a given database, percentiles, bulk users."""

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
