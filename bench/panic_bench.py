"""Panic POST latency and throughput against gunicorn on PostGIS, and how long an alert's
push job waits between the commit and the worker's first send attempt.

    SAFETY_BENCH_POSTGRES_URL=postgresql://... python -m bench.panic_bench [--alerts 2000]

Each request is a new alert from a different woman (one shared guardian with a phone, so
each alert makes a push job), inside an Almaty partner organisation with 50 on-duty
responders (so each alert also computes and stores three dispatch offers and their pushes).
The load client, gunicorn and one `flask safety worker` share this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta

import requests
from sqlalchemy import func, select, text

from bench.common import bulk_users, make_app, pct

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup(app, n: int) -> list[str]:
    from flask_jwt_extended import create_access_token

    from safety.accounts.models import AuthSession, User
    from safety.contacts.models import Contact
    from safety.dispatch.responders import set_duty
    from safety.extensions import db
    from safety.notify.models import Device
    from safety.orgs import service as orgs
    from safety.passwords import hash_secret
    from safety.util import utcnow

    with app.test_request_context():
        with db.engine.begin() as conn:
            ids = bulk_users(conn, n, hash_secret("bench-password"))
            guardian = bulk_users(conn, 1, "x", prefix="+7707")[0]
            conn.execute(Device.__table__.insert(), [{
                "id": uuid.uuid4(), "user_id": guardian, "installation_id": "g",
                "push_token": "guardian-token", "platform": "android", "created_at": utcnow(),
                "updated_at": utcnow()}])
            conn.execute(Contact.__table__.insert(), [{
                "id": uuid.uuid4(), "owner_id": i, "name": "Guardian", "phone": "+77070000000",
                "status": "accepted", "guardian_id": guardian, "created_at": utcnow()}
                for i in ids])
            sessions = [{"id": uuid.uuid4(), "user_id": i, "created_at": utcnow(),
                         "expires_at": utcnow() + timedelta(days=1)} for i in ids]
            conn.execute(AuthSession.__table__.insert(), sessions)
        admin = db.session.get(User, ids[0])
        org = orgs.create_org({"name": "Bench Kuzet", "kind": "security",
                               "phone": "+77272000000", "coverage": {
                                   "type": "Polygon", "coordinates": [[[76.7, 43.1], [77.2, 43.1],
                                                                       [77.2, 43.45],
                                                                       [76.7, 43.45],
                                                                       [76.7, 43.1]]]}})
        responders = bulk_users(db.session.connection(), 50, "x", prefix="+7708")
        for k, rid in enumerate(responders):
            person = db.session.get(User, rid)
            invitation = orgs.invite_member(_Admin(), org.id, person.phone, "responder")
            orgs.respond_invitation(person, invitation.id, accept=True)
            set_duty(db.session.get(User, rid), True,
                     {"lat": 43.2 + k * 0.002, "lon": 76.9})
            db.session.add(Device(user_id=rid, installation_id="r", push_token=f"resp-{k}",
                                  platform="android"))
        db.session.commit()
        del admin
        tokens = [create_access_token(identity=str(s["user_id"]),
                                      additional_claims={"sid": str(s["id"])},
                                      expires_delta=timedelta(hours=2)) for s in sessions]
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return tokens


class _Admin:
    id = None

    def has_role(self, *roles):
        return True


def load(base: str, tokens: list[str], concurrency: int) -> tuple[list[float], float, list]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    it = iter(range(len(tokens)))

    def run():
        session = requests.Session()
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            body = {"client_id": str(uuid.uuid4()), "trigger": "button",
                    "location": {"lat": 43.25 + (i % 100) / 10_000, "lon": 76.92}}
            t = time.perf_counter()
            r = session.post(f"{base}/api/v1/alerts", json=body,
                             headers={"Authorization": f"Bearer {tokens[i]}"})
            dt = time.perf_counter() - t
            with lock:
                latencies.append(dt)
                statuses.append(r.status_code)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, statuses


def wait_for_worker(app, since: float, limit_s: float = 120) -> float | None:
    """Seconds after the load ended until no alert push waited for a first attempt."""
    from safety.extensions import db
    from safety.notify.models import OutboxJob

    with app.app_context():
        while time.perf_counter() - since < limit_s:
            waiting = db.session.scalar(select(func.count()).where(
                OutboxJob.kind == "alert", OutboxJob.first_attempt_at.is_(None)))
            db.session.rollback()
            if not waiting:
                return time.perf_counter() - since
            time.sleep(0.2)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ["SAFETY_BENCH_POSTGRES_URL"]
    # Offers are left to time out only after the run: the figures are of the alarm path, not
    # of 2,000 simultaneous re-dispatch rounds that a real night never sees.
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "SAFETY_ENV": "production",
           "RATELIMIT_ENABLED": "false", "SMS_LOG_PROVIDER": "false", "OFFER_TIMEOUT_S": "600"}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("postgresql", tmp)
        app.config["JWT_SECRET_KEY"] = SECRET
        tokens = setup(app, args.alerts)
        port = free_port()
        venv_bin = os.path.dirname(sys.executable)
        server = subprocess.Popen(
            [os.path.join(venv_bin, "gunicorn"), "-w", str(args.gunicorn_workers), "-b",
             f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            env=env, stdout=subprocess.DEVNULL)
        worker = subprocess.Popen(
            [os.path.join(venv_bin, "flask"), "--app", "wsgi", "safety", "worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if requests.get(f"{base}/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            latencies, wall, statuses = load(base, tokens, args.concurrency)
            bad = [s for s in statuses if s != 201]
            drained_after = wait_for_worker(app, time.perf_counter())
        finally:
            server.send_signal(signal.SIGTERM)
            worker.send_signal(signal.SIGTERM)
            server.wait(10)
            worker.wait(10)
        with app.app_context():
            from safety.extensions import db
            from safety.notify.models import OutboxJob

            rows = db.session.execute(select(OutboxJob.created_at, OutboxJob.first_attempt_at)
                                      .where(OutboxJob.kind == "alert")).all()
            waits = [(b - a).total_seconds() for a, b in rows if b is not None]
            unsent = sum(1 for _, b in rows if b is None)
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
    ms = [x * 1000 for x in latencies]
    print(f"panic POST /api/v1/alerts on gunicorn ({args.gunicorn_workers} sync workers) + "
          f"PostGIS, {args.concurrency} concurrent clients, {len(ms)} alerts")
    print(f"  latency p50={pct(ms, .5):.1f} ms  p99={pct(ms, .99):.1f} ms  "
          f"max={max(ms):.1f} ms")
    print(f"  throughput {len(ms) / wall:.0f} alerts/s  (non-201 answers: {len(bad)})")
    wms = [w * 1000 for w in waits]
    print(f"  commit -> first push attempt (one worker, polling every "
          f"{app.config['WORKER_POLL_S']} s): p50={pct(wms, .5):.0f} ms  "
          f"p99={pct(wms, .99):.0f} ms  max={max(wms):.0f} ms")
    drained = "not within 120 s" if drained_after is None else f"{drained_after:.1f} s"
    print(f"  the worker's backlog was gone {drained} after the load ended "
          f"(jobs never attempted: {unsent})")


if __name__ == "__main__":
    main()
