"""A deployment of more than one process, run for real (docs/operations.md): two gunicorn
processes that share no memory, two outbox workers (`flask safety worker`), Redis (Debian's
redis-server, on a free port) as the rate-limit store, and a database of its own in the tests'
PostGIS cluster; push through the real firebase-admin to the fake FCM. It shows that

- a rate limit holds across both API processes (counted in Redis, not per process);
- each push is sent exactly once although two workers share the outbox;
- a worker killed (SIGKILL) in the middle of a batch loses nothing: its lease runs out and the
  other worker sends what it held (at least once: what it had already handed to FCM may go
  twice, never zero times);
- a panic during a rolling restart of both API processes is never lost: the phone's retry with
  the same client_id lands on whichever process answers, and makes no second alert;
- GET /metrics of a gunicorn with two workers sums both (prometheus-client multiprocess mode):
  every scrape, whichever worker answers, gives the same count.

One test, in phases, because the stack is the expensive part (~5 s of CPU per Python process
started). Every process is started in its own process group and killed whatever happens; the
database is dropped. Needs SAFETY_TEST_POSTGRES_URL (make test) and redis-server
(scripts/install-system.sh test); without them it is skipped, except under CI=true.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, text

from tests.fakesia import free_port

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("SAFETY_TEST_POSTGRES_URL")
REDIS = next((p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server")
              if os.path.exists(p)), None)
SECRET = "deploy-test-secret-key-" + "k" * 40
METRICS_TOKEN = "deploy-metrics-token-" + "m" * 20
WOMEN = 200


def _needs() -> str | None:
    if not PG_URL:
        return "SAFETY_TEST_POSTGRES_URL is unset (make test sets it)"
    if REDIS is None:
        return "redis-server is not installed (scripts/install-system.sh test)"
    return None


class Stack:
    """Processes of this test, each in its own process group, logs in `folder`."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (the process keeps it)
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, **env}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def stop(self, name: str, timeout: float = 15) -> None:
        """SIGTERM to the process (gunicorn: a graceful stop), SIGKILL to its group after
        `timeout`."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(proc)

    def stop_all(self) -> None:
        """All at once: SIGTERM, and SIGKILL to each group after 5 s."""
        procs = [self.procs.pop(name) for name in list(self.procs)]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap
        pass


def _wait(what: str, check, timeout: float = 60, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # not up yet
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def _metrics(url: str, token: str | None = None) -> Counter:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.get(url, headers=headers, timeout=5)
    r.raise_for_status()
    out: Counter = Counter()
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _database(tmp_path) -> tuple[str, str]:
    """A database of its own in the tests' cluster: (its URL, its name)."""
    name = f"safety_deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name, name


def _drop_database(name: str) -> None:
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _people(url: str) -> tuple[object, list[str], list[uuid.UUID]]:
    """Migrate the new database (as `flask db upgrade` does) and add WOMEN women who share
    one guardian with a phone: each panic makes one push job. Their access tokens, and ids."""
    from flask_jwt_extended import create_access_token
    from flask_migrate import upgrade

    from safety import create_app
    from safety.accounts.models import AuthSession, User, UserRole
    from safety.contacts.models import Contact
    from safety.extensions import db
    from safety.notify.models import Device
    from safety.util import utcnow

    app = create_app(env={"SAFETY_ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        now = utcnow()
        women = [uuid.uuid4() for _ in range(WOMEN)]
        guardian = uuid.uuid4()
        users = [{"id": i, "phone": f"+7705{k:07d}", "password_hash": "x",
                  "full_name": f"Woman {k}", "locale": "ru", "created_at": now,
                  "phone_verified_at": now} for k, i in enumerate(women)]
        users.append({"id": guardian, "phone": "+77070000001", "password_hash": "x",
                      "full_name": "Guardian", "locale": "ru", "created_at": now,
                      "phone_verified_at": now})
        sessions = [{"id": uuid.uuid4(), "user_id": i, "created_at": now,
                     "expires_at": now + timedelta(hours=1)} for i in women]
        with db.engine.begin() as conn:
            conn.execute(User.__table__.insert(), users)
            conn.execute(UserRole.__table__.insert(),
                         [{"user_id": u["id"], "role": "user"} for u in users])
            conn.execute(Device.__table__.insert(), [{
                "id": uuid.uuid4(), "user_id": guardian, "installation_id": "g",
                "push_token": "guardian-token", "platform": "android", "created_at": now,
                "updated_at": now}])
            conn.execute(Contact.__table__.insert(), [{
                "id": uuid.uuid4(), "owner_id": i, "name": "Guardian", "phone": "+77070000001",
                "status": "accepted", "guardian_id": guardian, "created_at": now}
                for i in women])
            conn.execute(AuthSession.__table__.insert(), sessions)
        tokens = [create_access_token(identity=str(s["user_id"]),
                                      additional_claims={"sid": str(s["id"])},
                                      expires_delta=timedelta(hours=1)) for s in sessions]
    return app, tokens, women


def _panic(base: str, token: str, client_id: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/alerts", timeout=10, headers={
        "Authorization": f"Bearer {token}"}, json={
        "client_id": client_id, "trigger": "button",
        "location": {"lat": 43.2567, "lon": 76.9286, "accuracy_m": 10}})


class Phone:
    """A woman's phone during a rolling restart: a panic is sent to one API process and, on
    any failure (refused, reset, timed out, 5xx), sent again with the same client_id to the
    next one (what a load balancer in front of them does), until it is answered."""

    def __init__(self, bases: list[str], tokens: list[str]) -> None:
        self.bases = bases
        self.tokens = iter(tokens)
        self.answers: dict[str, tuple[int, str]] = {}  # client_id -> (status, alert id)
        self.retries = 0
        self.lost: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        k = 0
        while not self.stop.is_set():
            token = next(self.tokens, None)
            if token is None:
                return
            client_id = str(uuid.uuid4())
            deadline = time.monotonic() + 30
            attempt = 0
            while True:
                base = self.bases[(k + attempt) % len(self.bases)]
                try:
                    r = requests.post(f"{base}/api/v1/alerts", timeout=5, headers={
                        "Authorization": f"Bearer {token}"}, json={
                        "client_id": client_id, "trigger": "button",
                        "location": {"lat": 43.2567, "lon": 76.9286}})
                    if r.status_code in (200, 201):
                        self.answers[client_id] = (r.status_code, r.json()["id"])
                        break
                except requests.RequestException:
                    pass
                attempt += 1
                self.retries += 1
                if time.monotonic() > deadline:
                    self.lost.append(client_id)
                    break
                time.sleep(0.05)
            k += 1
            time.sleep(0.05)


def test_two_api_processes_two_workers_redis_and_postgis(tmp_path, fcm, fcm_credentials):
    missing = _needs()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the multi-process stage: {missing}")
        pytest.skip(missing)
    from safety.extensions import db
    from safety.notify.models import OutboxJob, WorkerHeartbeat

    url, dbname = _database(tmp_path)
    creds = tmp_path / "fcm.json"
    creds.write_text(json.dumps(fcm_credentials))
    redis_port, port_a, port_b, metrics_1, metrics_2 = (free_port() for _ in range(5))
    keep = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV")}
    env = {**keep, "SAFETY_ENV": "production", "SECRET_KEY": SECRET,
           "PUBLIC_BASE_URL": "https://safety.example.kz", "DATABASE_URL": url,
           "SAFETY_INSTANCE_PATH": str(tmp_path / "instance"),
           # what a process makes with tempfile (B's metrics folder) stays in tmp_path, even if
           # it is killed before it can clean up
           "TMPDIR": str(tmp_path),
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
           "LOGIN_RATE_LIMIT": "3 per minute", "METRICS_TOKEN": METRICS_TOKEN,
           "GOOGLE_APPLICATION_CREDENTIALS": str(creds), "FAKE_FCM_URL": fcm.base,
           "WORKER_BATCH": "5", "WORKER_LEASE_S": "3", "WORKER_POLL_S": "0.2",
           "WORKER_BACKOFF_BASE_S": "0.2", "WORKER_BACKOFF_MAX_S": "1", "PUSH_TIMEOUT_S": "5",
           "DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "2"}
    stack = Stack(tmp_path, env)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # as docs/operations.md runs them (--preload: the app is imported once, before the fork);
    # A keeps its metrics in a folder it is given, B in one gunicorn.conf.py makes
    api = {"a": [gunicorn, "--preload", "-w", "2", "-b", f"127.0.0.1:{port_a}",
                 "--graceful-timeout", "10", "wsgi:app"],
           "b": [gunicorn, "--preload", "-w", "1", "-b", f"127.0.0.1:{port_b}",
                 "--graceful-timeout", "10", "wsgi:app"]}
    api_env = {"a": {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics-a")}, "b": {}}
    base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    app = None
    t0 = time.monotonic()

    def mark(what: str) -> None:
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    try:
        stack.start("redis", [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(tmp_path)])
        app, tokens, _women = _people(url)
        mark("database migrated, people added")
        for name, args in api.items():
            stack.start(name, args, **api_env[name])
        stack.start("worker1", [sys.executable, "-m", "tests.deploy_worker"],
                    WORKER_METRICS_ADDRESS=f"127.0.0.1:{metrics_1}")
        stack.start("worker2", [sys.executable, "-m", "tests.deploy_worker"],
                    WORKER_METRICS_ADDRESS=f"127.0.0.1:{metrics_2}")

        def ready(base: str) -> bool:
            for name in stack.procs:
                stack.alive(name)
            return requests.get(f"{base}/readyz", timeout=2).status_code == 200

        _wait("both API processes ready", lambda: ready(base_a) and ready(base_b), 90)

        def both_workers() -> bool:
            with app.app_context():
                n = db.session.scalar(select(db.func.count()).select_from(WorkerHeartbeat))
                db.session.remove()
            return n == 2

        _wait("both workers' heartbeats", both_workers, 30)
        mark("stack ready")
        tokens = iter(tokens)

        # 1. A rate limit holds across both processes: 3 logins a minute per address, counted
        # in Redis (each process alone would let 3 through).
        statuses = [requests.post(f"{base}/api/v1/auth/login", timeout=10, json={
            "phone": "+77019999999", "password": "wrong password"}).status_code
            for base in (base_a, base_b, base_a, base_b, base_a)]
        assert statuses == [401] * 3 + [429] * 2, statuses
        import redis

        assert redis.Redis(port=redis_port).keys("LIMITS*")

        mark("rate limit")
        # 2. Each push exactly once across both workers.
        fcm.delay_s = 0.2  # a batch takes a moment: both workers take some
        first: dict[str, str] = {}
        for k in range(20):
            base = (base_a, base_b)[k % 2]
            r = _panic(base, next(tokens), str(uuid.uuid4()))
            assert r.status_code == 201, r.text
            first[r.json()["id"]] = base

        def all_sent(alert_ids) -> list[OutboxJob]:
            with app.app_context():
                rows = list(db.session.scalars(select(OutboxJob).where(
                    OutboxJob.kind == "alert", OutboxJob.alert_id.in_(
                        [uuid.UUID(a) for a in alert_ids]))))
                db.session.remove()
            return rows if rows and all(j.status == "sent" for j in rows) and \
                len(rows) == len(alert_ids) else []

        jobs = _wait("the first pushes sent", lambda: all_sent(first), 30)
        pushed = Counter(m["data"]["alert_id"] for m in fcm.sent)
        assert {a: pushed[a] for a in first} == {a: 1 for a in first}
        assert len({j.claimed_by for j in jobs}) == 2, "both workers took jobs"
        assert all(j.attempts == 1 for j in jobs)
        sends = [_metrics(f"http://127.0.0.1:{port}/metrics")[(
            "safety_outbox_sends_total", (("channel", "push"), ("outcome", "sent")))]
            for port in (metrics_1, metrics_2)]
        assert sum(sends) == 20 and all(sends), sends
        # the two gunicorn workers of A, summed, whichever answers the scrape
        raised = {_metrics(f"{base_a}/metrics", METRICS_TOKEN)[(
            "safety_alerts_raised_total", (("trigger", "button"),))] for _ in range(6)}
        assert raised == {10.0}, raised
        assert requests.get(f"{base_a}/metrics", timeout=5).status_code == 401

        mark("exactly once")
        # 3. A worker killed in the middle of a batch loses nothing.
        fcm.delay_s = 1.5
        pids = {stack.procs[name].pid: name for name in ("worker1", "worker2")}
        second = []
        for k in range(10):
            r = _panic((base_a, base_b)[k % 2], next(tokens), str(uuid.uuid4()))
            assert r.status_code == 201, r.text
            second.append(r.json()["id"])

        def holding() -> tuple[int, list[uuid.UUID]] | None:
            """A worker in the middle of a batch, and the jobs it holds."""
            with app.app_context():
                rows = db.session.execute(select(OutboxJob.id, OutboxJob.claimed_by).where(
                    OutboxJob.status == "sending")).all()
                db.session.remove()
            for pid in pids:
                held = [job_id for job_id, by in rows if f":{pid}:" in by]
                if held:
                    return pid, held
            return None

        victim, held = _wait("a worker holding a batch", holding, 20, every=0.02)
        os.kill(victim, signal.SIGKILL)
        stack.procs[pids[victim]].wait(5)
        fcm.delay_s = 0.0
        jobs = _wait("the second pushes sent (lease run out)", lambda: all_sent(second), 30)
        again = [j for j in jobs if j.id in held]
        assert len(again) == len(held)
        assert all(j.attempts == 2 and f":{victim}:" not in j.claimed_by for j in again)
        pushed = Counter(m["data"]["alert_id"] for m in fcm.sent)
        assert all(pushed[a] >= 1 for a in second)
        twice = {str(j.alert_id) for j in again}
        assert all(pushed[a] == 1 for a in second if a not in twice)

        mark("worker killed")
        # 4. A panic during a rolling restart of both API processes is never lost.
        r = _panic(base_a, women_token := next(tokens), retry_id := str(uuid.uuid4()))
        assert r.status_code == 201
        repeat = _panic(base_b, women_token, retry_id)  # her retry after a lost answer
        assert repeat.status_code == 200 and repeat.json()["id"] == r.json()["id"]
        phone = Phone([base_a, base_b], list(tokens))
        phone.thread.start()
        for name in ("a", "b"):
            time.sleep(0.5)
            stack.stop(name)  # graceful: what it is answering, it answers
            mark(f"{name} stopped")
            stack.start(name, api[name], **api_env[name])
            base = base_a if name == "a" else base_b
            _wait(f"{name} back", lambda base=base: requests.get(
                f"{base}/healthz", timeout=2).status_code == 200, 60)
            mark(f"{name} back")
        time.sleep(0.5)
        phone.stop.set()
        phone.thread.join(40)
        assert not phone.lost and phone.answers and phone.retries > 0, \
            (phone.lost, len(phone.answers), phone.retries)
        with app.app_context():
            from safety.alerts.models import Alert

            stored = Counter(str(c) for c in db.session.scalars(select(Alert.client_id).where(
                Alert.client_id.in_([uuid.UUID(c) for c in phone.answers]))))
            ids = dict(db.session.execute(select(Alert.client_id, Alert.id).where(
                Alert.client_id.in_([uuid.UUID(c) for c in phone.answers]))).all())
            db.session.remove()
        assert stored == {c: 1 for c in phone.answers}
        assert {c: str(ids[uuid.UUID(c)]) for c in phone.answers} == \
            {c: alert for c, (_status, alert) in phone.answers.items()}
        _wait("their pushes sent", lambda: all_sent([a for _s, a in phone.answers.values()]),
              30)
        mark(f"rolling restart: {len(phone.answers)} panics, {phone.retries} retries")
    finally:
        stack.stop_all()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        _drop_database(dbname)
        mark("stopped")
        for name in ("a.log", "b.log", "worker1.log", "worker2.log"):
            path = tmp_path / name
            if path.exists():
                print(f"--- {name}\n{path.read_text(errors='replace')[-2000:]}")

