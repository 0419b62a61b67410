"""Panic POST latency and throughput against gunicorn on PostGIS, measured against the floor
(a bare Flask endpoint inserting one PostGIS point, bench/bare_app.py) in the same run, and how
long an alert's push job waits between the commit and the worker's first send attempt.

    SAFETY_BENCH_POSTGRES_URL=postgresql://... python -m bench.panic_bench [--alerts 2000]

Each request is a new alert from a different woman (one shared guardian with a phone, so
each alert makes a push job), inside an Almaty partner organisation with 50 on-duty
responders (so each alert also computes and stores three dispatch offers and their pushes).
The bare endpoint gets the same number of requests with the same body, from the same client
(8 threads), on the same gunicorn settings and database, with the worker running. The load
client, gunicorn and one `flask safety worker` share this machine's cores: absolute figures
move with whatever else runs; the ratio panic/bare is the figure to compare.

Beside each run, the CPU per request of each process (web server, outbox worker,
PostgreSQL; bench/cpu.py `MachineCpu`, from /proc): what a panic costs the whole machine.

Then the same panics at a steady rate below saturation (`--paced-share` of the rate just
measured): commit -> first push at saturation says how far the one worker falls behind a
flood, at a steady rate what a woman waits on a real night.
Beside them, the load-proof figure (bench/cpu.py): in this one process, through Flask's test
client, the CPU time the bare insert and the panic each cost per request, in the same world
(other women of the same set-up, so each panic is a new alert), and their ratio. `--cpu-only`
prints just that (quick, for profiling work).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, make_url, select, text

from bench.bare_app import create_bare_app, create_table
from bench.common import (
    bare_calls,
    bearer_tokens,
    bulk_users,
    drive,
    login_sessions,
    make_app,
    pct,
    serve,
    stop,
    with_a_guardian,
)
from bench.cpu import (
    Cpu,
    MachineCpu,
    calls_per_request,
    cpu_per_request,
    machine_line,
    postmaster_pid,
)

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def setup(app, n: int) -> list[str]:

    from safety.accounts.models import User
    from safety.dispatch.responders import set_duty
    from safety.extensions import db
    from safety.notify.models import Device
    from safety.orgs import service as orgs
    from safety.passwords import hash_secret

    with app.test_request_context():
        with db.engine.begin() as conn:
            ids = bulk_users(conn, n, hash_secret("bench-password"))
            guardian = bulk_users(conn, 1, "x", prefix="+7707")[0]
            with_a_guardian(conn, ids, guardian, "guardian-token")
            sessions = login_sessions(conn, ids)
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
        tokens = bearer_tokens(sessions)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return tokens


class _Admin:
    id = None

    def has_role(self, *roles):
        return True


def wait_for_heartbeat(app, limit_s: float = 120) -> None:
    """Until the outbox worker has made its first pass (its heartbeat row)."""
    from safety.extensions import db
    from safety.notify.models import WorkerHeartbeat

    since = time.perf_counter()
    with app.app_context():
        while not db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)):
            db.session.rollback()
            if time.perf_counter() - since > limit_s:
                raise RuntimeError("the outbox worker did not start")
            time.sleep(0.2)
        db.session.rollback()


def wait_for_worker(app, since: float, limit_s: float = 120) -> float | None:
    """Seconds after the load ended until no job then due (her guardians' pushes, the offers'
    pushes, anything else due by then) waited for a first attempt."""
    from safety.extensions import db
    from safety.notify.models import OutboxJob

    with app.app_context():
        while time.perf_counter() - since < limit_s:
            waiting = db.session.scalar(select(func.count()).where(
                OutboxJob.due_at <= func.now(), OutboxJob.first_attempt_at.is_(None)))
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
    parser.add_argument("--cpu-requests", type=int, default=300,
                        help="requests of each kind measured in process (after 30 warm-up)")
    parser.add_argument("--paced-alerts", type=int, default=300,
                        help="panics sent afterwards at a steady rate below saturation")
    parser.add_argument("--paced-share", type=float, default=0.5,
                        help="that steady rate, as a share of the measured panic rate")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the in-process CPU figure, no gunicorn run")
    args = parser.parse_args()
    url = os.environ["SAFETY_BENCH_POSTGRES_URL"]
    # Offers are left to time out only after the run: the figures are of the alarm path, not
    # of 2,000 simultaneous re-dispatch rounds that a real night never sees.
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "SAFETY_ENV": "production",
           "RATELIMIT_ENABLED": "false", "SMS_LOG_PROVIDER": "false", "OFFER_TIMEOUT_S": "600",
           "PUBLIC_BASE_URL": "https://bench.example"}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("postgresql", tmp)
        app.config["JWT_SECRET_KEY"] = SECRET
        gunicorn_alerts = 0 if args.cpu_only else args.alerts + args.paced_alerts
        tokens = setup(app, gunicorn_alerts + CPU_WARMUP + args.cpu_requests + CALLS_COUNTED)
        create_table(url)
        cpu = cpu_figures(url, env, tokens[gunicorn_alerts:])
        if args.cpu_only:
            _drop(app)
            print_cpu(*cpu)
            return
        tokens = tokens[:gunicorn_alerts]
        venv_bin = os.path.dirname(sys.executable)
        worker = subprocess.Popen(
            [os.path.join(venv_bin, "flask"), "--app", "wsgi", "safety", "worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # its first pass before any load (it takes a second or two to start)
            wait_for_heartbeat(app)
            # The floor first, on an idle worker; then the panics, the same client and count.
            # what each process spends (web server, outbox worker, PostgreSQL), per request
            postgres = postmaster_pid(make_url(url).port or 5432)
            server, base = serve("bench.bare_app:create_bare_app()", env, args.gunicorn_workers)
            try:
                machine = MachineCpu(web=server.pid, worker=worker.pid, PostgreSQL=postgres)
                machine.take()
                floor = drive(base, bare_calls(args.alerts), args.concurrency)
                floor_machine = machine.used()
            finally:
                stop(server)
            server, base = serve("wsgi:app", env, args.gunicorn_workers)
            saturated_from = datetime.now(UTC)
            try:
                machine = MachineCpu(web=server.pid, worker=worker.pid, PostgreSQL=postgres)
                machine.take()
                panics = drive(base, panic_calls(tokens[:args.alerts]), args.concurrency)
                drained_after = wait_for_worker(app, time.perf_counter())
                panic_machine = machine.used()
                # then a steady night: the same panics at a share of that rate
                paced_rate = max(1.0, panics.rate * args.paced_share)
                paced_from = datetime.now(UTC)
                machine.take()
                paced = drive(base, panic_calls(tokens[args.alerts:]), args.concurrency,
                              rate=paced_rate)
                wait_for_worker(app, time.perf_counter())
                paced_machine = machine.used()
            finally:
                stop(server)
        finally:
            stop(worker)
        with app.app_context():
            from safety.extensions import db
            from safety.notify.models import OutboxJob

            rows = db.session.execute(select(OutboxJob.created_at, OutboxJob.first_attempt_at)
                                      .where(OutboxJob.kind == "alert")).all()
            # only the gunicorn runs' panics: the in-process CPU figures' panics (made before
            # the worker started) waited for it to start, which is not a delay of the alarm path
            waits = [(b - a).total_seconds() for a, b in rows
                     if b is not None and saturated_from <= a < paced_from]
            paced_waits = [(b - a).total_seconds() for a, b in rows
                           if b is not None and a >= paced_from]
            unsent = sum(1 for _, b in rows if b is None)
            # the first offer's push, timed from the alert's own commit (its created_at): the
            # same as the push job's while the round is computed in the panic's transaction,
            # and still the right start if it ever moves to a worker (docs/scaling.md)
            from safety.alerts.models import Alert

            offers = db.session.execute(
                select(Alert.created_at, func.min(OutboxJob.first_attempt_at))
                .join(OutboxJob, OutboxJob.alert_id == Alert.id)
                .where(OutboxJob.kind == "dispatch_offer").group_by(Alert.id)).all()
            offer_waits = [(b - a).total_seconds() for a, b in offers
                           if b is not None and saturated_from <= a < paced_from]
            paced_offer_waits = [(b - a).total_seconds() for a, b in offers
                                 if b is not None and a >= paced_from]
        _drop(app)
    print(f"gunicorn ({args.gunicorn_workers} sync workers) + PostGIS, {args.concurrency} "
          f"client threads, {args.alerts} requests each, one outbox worker running")
    print(floor.line("bare insert (bench/bare_app.py)") +
          f"  (non-201: {floor.bad((201,))})")
    print(panics.line("panic POST /api/v1/alerts", "alerts/s", floor) +
          f"  (non-201: {panics.bad((201,))})")
    print(machine_line(floor_machine, args.alerts, "bare insert"))
    print(machine_line(panic_machine, args.alerts, "panic") + " (the worker's sends included)")
    print(f"  ratio panic/bare {panics.rate / floor.rate:.1%}   "
          f"p99 panic {panics.p99_ms:.1f} ms, bare {floor.p99_ms:.1f} ms")
    print(_waits_line("commit -> first push attempt (one worker, woken by NOTIFY)", waits))
    print(_waits_line("commit -> first offer's push attempt", offer_waits))
    drained = "not within 120 s" if drained_after is None else f"{drained_after:.1f} s"
    print(f"  the worker's backlog (every job due) was gone {drained} after the load ended "
          f"(jobs never attempted: {unsent})")
    print(f"steady load below saturation: {args.paced_alerts} panics at {paced_rate:.0f}/s "
          f"({args.paced_share:.0%} of the rate above)")
    print(paced.line("panic POST /api/v1/alerts", "alerts/s") +
          f"  (non-201: {paced.bad((201,))})")
    print(machine_line(paced_machine, args.paced_alerts, "panic"))
    print(_waits_line("commit -> first push attempt", paced_waits))
    print(_waits_line("commit -> first offer's push attempt", paced_offer_waits))
    print_cpu(*cpu)


def _waits_line(name: str, waits: list[float]) -> str:
    ms = [w * 1000 for w in waits] or [0.0]
    return (f"  {name}: p50={pct(ms, .5):.0f} ms  p99={pct(ms, .99):.0f} ms  "
            f"max={max(ms):.0f} ms  (n={len(waits)})")


CPU_WARMUP = 30
CALLS_COUNTED = 50  # requests whose Python function calls are counted, after the CPU ones


def cpu_figures(url: str, env: dict, tokens: list[str]) -> tuple[Cpu, Cpu, float, float]:
    """CPU per request in this process (bench/cpu.py), then Python function calls per
    request: the bare insert, then the panic of the app built with the gunicorn run's
    settings, one new alert per woman."""
    from safety import create_app

    timed, counted = tokens[:-CALLS_COUNTED], tokens[-CALLS_COUNTED:]
    bare = create_bare_app(url).test_client()
    floor = cpu_per_request(bare, bare_calls(len(timed)), CPU_WARMUP)
    floor_calls = calls_per_request(bare, bare_calls(CALLS_COUNTED))
    app = create_app(env=env)
    with app.app_context():
        client = app.test_client()
        panic = cpu_per_request(client, panic_calls(timed), CPU_WARMUP)
        panic_calls_n = calls_per_request(client, panic_calls(counted))
    return floor, panic, floor_calls, panic_calls_n


def print_cpu(floor: Cpu, panic: Cpu, floor_calls: float, panic_calls_n: float) -> None:
    print(f"in one process (Flask test client, same database and world), CPU time of this "
          f"process only, after {CPU_WARMUP} warm-up requests each:")
    print(floor.line("bare insert (bench/bare_app.py)") + f"  (non-201: {floor.bad((201,))})")
    print(panic.line("panic POST /api/v1/alerts", floor) + f"  (non-201: {panic.bad((201,))})")
    print(f"  ratio bare/panic CPU {floor.mean_ms / panic.mean_ms:.1%} "
          f"(the panic's CPU is {panic.mean_ms / floor.mean_ms:.1f}x the bare insert's)")
    print(f"  Python function calls per request (load-proof): bare {floor_calls:,.0f}, "
          f"panic {panic_calls_n:,.0f} ({panic_calls_n / floor_calls:.1f}x)")


def _drop(app) -> None:
    from safety.extensions import db

    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()


def panic_calls(tokens: list[str]) -> list:
    """One panic per woman, each a new alert."""
    return [("POST", "/api/v1/alerts",
             {"client_id": str(uuid.uuid4()), "trigger": "button",
              "location": {"lat": 43.25 + (i % 100) / 10_000, "lon": 76.92}}, token, None)
            for i, token in enumerate(tokens)]


if __name__ == "__main__":
    main()
