"""The outbox worker and firebase-admin against a local fake FCM server."""

import logging
import threading
import uuid
from contextlib import contextmanager

import pytest

from safety.extensions import db


@pytest.fixture
def guarded(user, make_person, make_guardian):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    return mom


def test_push_goes_out_through_firebase_admin(app, user, guarded, fcm, register_device, drain, jobs,
                                              panic):
    register_device(guarded, "mom-token")
    alert = panic(user).get_json()
    drain(app)
    (msg,) = fcm.sent_to("mom-token")
    assert msg["data"]["alert_id"] == alert["id"]
    assert msg["data"]["type"] == "alert"
    assert float(msg["data"]["lat"]) == pytest.approx(43.2567)
    assert msg["notification"]["title"] == "Aigerim needs help"
    assert msg["android"]["priority"] == "high"
    assert msg["android"]["ttl"].endswith("s")
    assert msg["apns"]["headers"]["apns-priority"] == "10"
    (job,) = jobs(app, kind="alert")
    assert job.status == "sent" and job.result["message_id"].startswith("projects/safety-test/")
    seen = user.get(f"/api/v1/alerts/{alert['id']}").get_json()["notifications"]
    assert seen[0]["status"] == "sent" and seen[0]["sent_at"]


@pytest.mark.parametrize("token", ["unreg-abc", "invalid-abc"])
def test_dead_token_retires_the_device_and_is_not_retried(app, user, guarded, fcm, token,
                                                          register_device, panic, drain, jobs):
    from safety.notify.models import Device

    register_device(guarded, token)
    panic(user)
    drain(app)
    (job,) = jobs(app, kind="alert")
    assert job.status == "failed" and job.attempts == 1
    with app.app_context():
        device = db.session.query(Device).filter_by(push_token=token).one()
        assert device.retired_at is not None
    # the retired device gets nothing next time
    user.post(f"/api/v1/alerts/{job.alert_id}/cancel", json={"pin": "1234"})
    panic(user)
    assert [j for j in jobs(app, kind="alert") if j.alert_id != job.alert_id] == []


@pytest.mark.parametrize("mode", ["500", "503", "429"])
def test_fcm_down_for_a_while_loses_nothing(app, clock, user, guarded, fcm, mode, register_device,
                                            panic, jobs, drain):
    register_device(guarded, "mom-token")
    register_device(guarded, "mom-tablet", installation="tablet")
    fcm.mode = mode
    panic(user)
    for _ in range(3):  # several failed rounds, each after its backoff
        drain(app)
        clock.advance(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    failing = jobs(app, kind="alert")
    assert all(j.status == "pending" and j.attempts == 3 and j.last_error for j in failing)
    assert fcm.sent == []
    fcm.mode = "ok"
    drain(app)  # not due yet? we advanced past the longest backoff above
    assert {j.status for j in jobs(app, kind="alert")} == {"sent"}
    for token in ("mom-token", "mom-tablet"):  # the alarm itself, exactly once each
        assert [m["data"]["type"] for m in fcm.sent_to(token)].count("alert") == 1


def test_a_hanging_fcm_times_out_and_is_retried(app, clock, user, guarded, fcm, register_device,
                                                panic, drain, jobs):
    register_device(guarded, "mom-token")
    fcm.mode = "hang"
    fcm.hang_s = app.config["PUSH_TIMEOUT_S"] + 1.5
    panic(user)
    drain(app)
    (job,) = jobs(app, kind="alert")
    assert job.status == "pending" and job.attempts == 1
    fcm.mode = "ok"
    clock.advance(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    drain(app)
    assert jobs(app, kind="alert")[0].status == "sent"
    assert [m["data"]["type"] for m in fcm.sent_to("mom-token")].count("alert") == 1


def test_retry_backoff_grows_with_jitter(app):
    from safety.notify.outbox import backoff_seconds

    with app.app_context():
        base = app.config["WORKER_BACKOFF_BASE_S"]
        for attempt in range(1, 6):
            values = {backoff_seconds(attempt) for _ in range(20)}
            ceiling = min(app.config["WORKER_BACKOFF_MAX_S"], base * 2 ** (attempt - 1))
            assert all(ceiling / 2 <= v <= ceiling for v in values)
            assert len(values) > 1  # jitter


def test_gives_up_after_max_attempts_and_records_it(app, clock, user, guarded, fcm, register_device,
                                                    jobs, panic, drain):
    register_device(guarded, "mom-token")
    app.config["WORKER_MAX_ATTEMPTS"] = 2
    try:
        fcm.mode = "500"
        panic(user)
        for _ in range(3):
            drain(app)
            clock.advance(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    finally:
        app.config["WORKER_MAX_ATTEMPTS"] = 12
    (job,) = jobs(app, kind="alert")
    assert job.status == "failed" and job.attempts == 2 and "500" in job.last_error


@pytest.fixture
def many_push_jobs(register_device):
    def many_push_jobs(app, make_person, n_people=4, devices_each=30):
        from safety.notify import service as notify

        tokens = []
        people = []
        for i in range(n_people):
            p = make_person()
            people.append(p)
            for d in range(devices_each):
                token = f"tok-{i}-{d}"
                register_device(p, token, installation=f"inst-{d}")
                tokens.append(token)
        with app.app_context():
            notify.push_to_users([p.id for p in people], "test", "t", "b", {"x": 1})
            db.session.commit()
        return tokens

    return many_push_jobs


def test_two_workers_never_send_one_job_twice(app, make_person, fcm, jobs, many_push_jobs):
    tokens = many_push_jobs(app, make_person)
    app.config["WORKER_BATCH"] = 7  # many small claims, so the two workers interleave
    try:
        from safety.notify.worker import Worker

        workers = [Worker(app, worker_id=f"w{i}") for i in range(2)]
        counts = [0, 0]

        def run(i):
            while n := workers[i].run_once():
                counts[i] += n

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        app.config["WORKER_BATCH"] = 500
    from safety.notify.channels import EXTENSION

    housekeeping = sum(len(jobs(app, kind=periodic.name))  # the workers' own periodic jobs
                       for periodic in app.extensions[EXTENSION].periodic)
    assert sum(counts) == len(tokens) + housekeeping
    assert all(counts), counts  # both took part
    sent_tokens = [m["token"] for m in fcm.sent]
    assert sorted(sent_tokens) == sorted(tokens)  # every one, exactly once
    assert {j.status for j in jobs(app, kind="test")} == {"sent"}


def test_a_killed_workers_claims_are_picked_up_after_its_lease(app, clock, make_person, fcm, drain,
                                                               jobs, many_push_jobs):
    from safety.notify import outbox

    tokens = many_push_jobs(app, make_person, n_people=1, devices_each=5)
    with app.app_context():
        claimed = outbox.claim("doomed-worker", 100)  # ...and then it dies
        assert len(claimed) == 5
    drain(app, worker_id="survivor")
    assert fcm.sent == []  # the lease still holds
    assert {j.status for j in jobs(app, kind="test")} == {"sending"}
    clock.advance(app.config["WORKER_LEASE_S"] + 1)
    drain(app, worker_id="survivor")
    assert sorted(m["token"] for m in fcm.sent) == sorted(tokens)
    assert {(j.claimed_by, j.status) for j in jobs(app, kind="test")} == {("survivor", "sent")}


def test_a_burst_of_due_timer_jobs_does_not_hold_up_a_new_alarms_push(
        app, user, guarded, register_device, panic, fcm, jobs):
    """Two queues, deliveries first: with many timer jobs due before it (a flood of panics
    makes as many escalations two minutes later), her guardian's push goes out in the
    worker's next pass, beside only WORKER_TIMER_BATCH of them; the rest follow."""
    from datetime import timedelta

    from safety.notify import outbox
    from safety.notify.channels.timer import register_job
    from safety.notify.worker import Worker
    from safety.util import utcnow

    ran = []
    register_job(app, "test_burst", lambda job: ran.append(job.id) or {})
    app.config["WORKER_TIMER_BATCH"] = 3
    app.config["WORKER_BATCH"] = 10  # fewer than the timers due before her push
    with app.app_context():
        for _ in range(20):
            outbox.enqueue("test_burst", "timer", {}, due_at=utcnow() - timedelta(minutes=2))
        db.session.commit()
    register_device(guarded, "mom-token")
    assert panic(user).status_code == 201
    worker = Worker(app, worker_id="w-burst")
    assert worker.run_once() >= 4
    assert len(fcm.sent_to("mom-token")) == 1  # in the first pass, not after twenty timers
    assert len(ran) == 3
    while worker.run_once():
        pass
    assert len(ran) == 20 and len(fcm.sent_to("mom-token")) == 1
    assert {j.status for j in jobs(app, kind="test_burst")} == {"sent"}


def test_rolled_back_panic_enqueues_nothing(app, user, guarded, monkeypatch, register_device, panic,
                                            jobs):
    """The outbox is transactional: if the alert is not committed, no job exists."""
    register_device(guarded, "mom-token")
    from safety.dispatch import offers as dispatch

    def broken(alert):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "start", broken)
    r = panic(user)
    assert r.status_code == 500
    assert jobs(app) == []
    assert user.get("/api/v1/alerts").get_json()["items"] == []


def test_escalation_when_nobody_answers(app, clock, user, guarded, admin, fcm, register_device,
                                        panic, drain, jobs):
    register_device(guarded, "mom-token")
    register_device(admin, "admin-token")
    panic(user)
    drain(app)
    clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    esc = jobs(app, kind="alert_escalation")
    assert {j.recipient_user_id for j in esc} == {guarded.id, admin.id}
    assert len(fcm.sent_to("admin-token")) >= 1


def test_no_escalation_once_a_guardian_acknowledged(app, clock, user, guarded, fcm, register_device,
                                                    drain, jobs, panic):
    register_device(guarded, "mom-token")
    alert = panic(user).get_json()
    guarded.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={})
    clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    assert jobs(app, kind="alert_escalation") == []
    (timer,) = jobs(app, kind="alert_escalate")
    assert timer.status == "sent" and timer.result == {"skipped": "someone is on it"}


def test_worker_heartbeat_makes_readyz_green(app, clock, client, drain):
    drain(app)
    assert client.get("/readyz").status_code == 200
    clock.advance(app.config["WORKER_HEARTBEAT_MAX_AGE_S"] + 5)
    assert client.get("/readyz").status_code == 503


@pytest.mark.parametrize("status, outcome", [(200, "sent"), (400, "failed"), (503, "pending")])
def test_sms_through_the_http_provider(app, user, status, outcome, fake_http, jobs, panic, drain):
    server = fake_http(status=status, body={"id": "sms-1"})
    app.config.update(SMS_HTTP_URL=server.url("/send"), SMS_HTTP_TOKEN="sekret")
    try:
        user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
        panic(user)
        drain(app)
    finally:
        app.config.update(SMS_HTTP_URL=None, SMS_HTTP_TOKEN=None)
    (job,) = jobs(app, kind="alert_sms")
    assert job.status == outcome
    auth, body = server.requests[0].headers.get("Authorization"), server.requests[0].json()
    assert auth == "Bearer sekret" and body["to"] == "+77015550123" and "/t/" in body["text"]


def test_no_sms_provider_means_no_sms_jobs(app, user, panic, jobs):
    app.config["SMS_LOG_PROVIDER"] = False
    try:
        user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
        panic(user)
    finally:
        app.config["SMS_LOG_PROVIDER"] = True
    assert jobs(app, kind="alert_sms") == []


def test_log_provider_without_credentials():
    from safety.notify.channels.push import LogPushProvider, PushMessage

    (out,) = LogPushProvider().send([PushMessage("tok", "t", "b", {"alert_id": "x"})])
    assert out.ok and out.message_id == "log:x"


def test_a_job_kind_nobody_registered_waits_and_is_named_in_the_log_once(app, caplog, jobs):
    """Not claimed, so not failed: it waits for a worker whose app registered its kind."""
    from safety.notify import outbox
    from safety.notify.worker import Worker

    with app.app_context():
        outbox.enqueue("no_such_kind", "timer", {}, alert_id=uuid.uuid4())
        db.session.commit()
    worker = Worker(app, worker_id="w-test")
    with caplog.at_level(logging.WARNING, logger="safety.notify.worker"):
        while worker.run_once():  # (its own periodic job)
            pass
        with app.app_context():
            worker.beat(force=True)
    (job,) = jobs(app, kind="no_such_kind")
    assert job.status == "pending" and job.attempts == 0
    told = [r for r in caplog.records if "'no_such_kind'" in r.getMessage()]
    assert len(told) == 1 and "'timer'" in told[0].getMessage()


def test_a_worker_without_the_factorys_registrations_leaves_jobs_to_one_with_them(
        app, user, guarded, fcm, caplog, register_device, panic, jobs, drain):
    """A worker built on an app that did not come from create_app (no channels registered)
    claims nothing: the alarm stays pending, and the app factory's worker then sends it."""
    from flask import Flask

    from safety.notify.worker import Worker

    register_device(guarded, "mom-token")
    panic(user)
    bare = Flask("bare")
    bare.config.update(app.config)
    db.init_app(bare)
    try:
        with caplog.at_level(logging.WARNING, logger="safety.notify.worker"):
            assert Worker(bare, worker_id="bare").run_once() == 0
    finally:
        with bare.app_context():
            db.session.remove()
            db.engine.dispose()
    assert any("registered no notification channels" in r.getMessage() for r in caplog.records)
    (job,) = jobs(app, kind="alert")
    assert job.status == "pending" and job.attempts == 0
    assert fcm.sent == []
    drain(app)
    (job,) = jobs(app, kind="alert")
    assert job.status == "sent"
    assert len(fcm.sent_to("mom-token")) == 1


def test_a_channel_is_an_object_with_send_and_one_registration(app, monkeypatch, drain, jobs):
    """The worker knows only the interface: batches of at most batch_size, one outcome per job
    recorded as sent, retried (after the time the channel asks), or failed for good."""
    from safety.notify import channels, outbox
    from safety.notify.channels import Outcome

    class Probe:
        name, kinds, batch_size = "probe", None, 2

        def __init__(self):
            self.batches = []

        def send(self, jobs):
            self.batches.append(sorted(j.payload["n"] for j in jobs))
            answers = {0: Outcome.sent({"ok": 0}), 1: Outcome.retry("busy", after_s=600),
                       2: Outcome.permanent("refused")}
            return [answers[j.payload["n"]] for j in jobs]

    probe = Probe()
    monkeypatch.setitem(channels.registry(app).channels, probe.name, probe)
    with app.app_context():
        for n in range(3):
            outbox.enqueue("probe_kind", "probe", {"n": n})
        db.session.commit()
    drain(app)
    assert sorted(n for batch in probe.batches for n in batch) == [0, 1, 2]
    assert all(len(batch) <= 2 for batch in probe.batches)
    rows = {j.payload["n"]: j for j in jobs(app, kind="probe_kind")}
    assert rows[0].status == "sent" and rows[0].result == {"ok": 0}
    assert rows[1].status == "pending" and rows[1].last_error == "busy"
    assert 590 <= (rows[1].due_at - rows[1].first_attempt_at).total_seconds() <= 610
    assert rows[2].status == "failed" and rows[2].last_error == "refused"


def test_a_commit_with_due_jobs_wakes_an_idle_worker(app):
    """LISTEN/NOTIFY on PostgreSQL, an in-process event on SQLite: a woken worker does not
    wait out its poll interval. Jobs due later do not wake it (they are polled for)."""
    from datetime import timedelta

    from safety.notify import outbox
    from safety.util import utcnow

    with app.app_context():
        waiter = outbox.Waiter(db.engine.url)
        outbox.WAKE.clear()
        try:
            # the first wait starts the LISTEN (PostgreSQL) and answers "woken" at once: a
            # pass must look for what was committed while nobody listened
            assert waiter.wait(0.05) is (db.engine.dialect.name == "postgresql")
            assert waiter.wait(0.05) is False  # nothing committed since (and now listening)
            outbox.enqueue("test", "timer", {}, due_at=utcnow() + timedelta(hours=1))
            db.session.commit()
            assert waiter.wait(0.05) is False
            outbox.enqueue("test", "timer", {})
            db.session.rollback()  # a rolled-back job wakes nobody
            assert waiter.wait(0.05) is False
            outbox.enqueue("test", "timer", {})
            db.session.commit()
            outbox.enqueue("test", "timer", {})
            db.session.commit()
            assert waiter.wait(10) is True  # two commits: one wake-up, both taken
            assert waiter.wait(0.05) is False
        finally:
            waiter.close()


def test_a_lost_listen_connection_is_reopened_and_answers_woken(app):
    """PostgreSQL: the LISTEN connection killed (a database restart, a proxy's idle cut):
    the wait that finds it gone says "not woken" after its timeout, the next one listens again
    and says "woken" at once, so that the worker looks for what was committed meanwhile."""
    from sqlalchemy import text

    from safety.notify import outbox

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's workers are woken by an event in the process")
        waiter = outbox.Waiter(db.engine.url)
        try:
            assert waiter.wait(0.05) is True  # listening now
            assert waiter.wait(0.05) is False
            pid = waiter.conn.info.backend_pid
            db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            db.session.commit()
            outbox.enqueue("test", "timer", {})  # committed while nobody listens
            db.session.commit()
            assert waiter.wait(0.05) is False  # the wait that finds the connection gone
            assert waiter.wait(0.05) is True  # listening again: look for what was missed
            assert waiter.conn.info.backend_pid != pid
        finally:
            waiter.close()


def test_the_running_worker_sends_at_once_what_was_committed_while_it_sent(
        app, user, guarded, make_person, make_guardian, register_device, panic, fcm,
        unfrozen):
    """The worker's loop (`run_forever`): after a pass that left nothing due it waits to be
    woken instead of claiming again at once. A panic committed while it was sending has woken
    it already, so her guardian's push goes out at once, not at the next poll (a minute
    here)."""
    other = make_person(name="Dana")
    dad = make_person(name="Dad")
    make_guardian(other, dad)
    register_device(guarded, "mom-token")
    register_device(dad, "dad-token")
    fcm.delay_s = 0.5  # each send takes a while: the second panic lands during it
    with _running_worker(app):
        assert panic(user).status_code == 201
        assert _arrived(fcm, ["mom-token"]), "woken by her panic's commit"
        assert panic(other).status_code == 201  # while that send waits for FCM
        assert _arrived(fcm, ["dad-token"]), "not left for the next poll"


def test_the_running_worker_goes_on_at_once_after_a_full_batch(app, make_person, fcm,
                                                                many_push_jobs, unfrozen):
    """A pass that claimed a whole WORKER_BATCH may have left more due: the loop claims again
    at once, without waiting to be woken (one commit, one wake-up, five pushes in batches of
    two) — not at the next poll (a minute here)."""
    with _running_worker(app, WORKER_BATCH=2):
        tokens = many_push_jobs(app, make_person, n_people=1, devices_each=5)
        assert _arrived(fcm, tokens), sorted(m["token"] for m in fcm.sent)


def _arrived(fcm, tokens: list[str], within_s: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if all(fcm.sent_to(token) for token in tokens):
            return True
        time.sleep(0.01)
    return False


@contextmanager
def _running_worker(app, **config):
    """A worker's `run_forever` on a thread of this process, with a poll of a minute (so what
    it sends sooner, it sent because it was woken or went on by itself), waiting to be woken
    when the block starts; stopped after it."""
    from safety.notify.worker import Worker

    saved = {key: app.config[key] for key in ("WORKER_POLL_S", *config)}
    app.config.update(WORKER_POLL_S=60.0, **config)
    stop = threading.Event()
    thread = threading.Thread(target=Worker(app, worker_id="looping").run_forever,
                              args=(stop,))
    thread.start()
    try:
        _until_waiting(app)
        yield
    finally:
        stop.set()
        app.config.update(saved)
        _wake_workers(app)  # its wait would last the minute
        thread.join(70)
    assert not thread.is_alive()


def _until_waiting(app, within_s: float = 10.0) -> None:
    """Until a worker started in this process has made its first passes and waits to be woken:
    on PostgreSQL, until its LISTEN is in place (the first wait starts it, then one more pass
    looks for what was committed before)."""
    import time

    from sqlalchemy import func, select, text

    from safety.notify.models import WorkerHeartbeat

    deadline = time.monotonic() + within_s
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        while time.monotonic() < deadline:
            if postgres:
                ready = db.session.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'LISTEN %'"))
            else:
                ready = db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))
            db.session.rollback()
            if ready:
                time.sleep(0.2)  # its catch-up pass
                return
            time.sleep(0.01)
    raise AssertionError("the worker did not start waiting")


def _wake_workers(app) -> None:
    from sqlalchemy import text

    from safety.notify import outbox

    outbox.WAKE.set()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"SELECT pg_notify('{outbox.CHANNEL}', '')"))
            db.session.commit()
