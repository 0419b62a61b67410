"""The outbox worker and firebase-admin against a local fake FCM server."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from safety.extensions import db
from safety.util import advance_clock
from tests.conftest import drain, jobs, make_guardian, panic, register_device


@pytest.fixture
def fcm(fake_fcm):
    fake_fcm.reset()
    yield fake_fcm
    fake_fcm.reset()


@pytest.fixture
def guarded(user, make_person):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    return mom


def test_push_goes_out_through_firebase_admin(app, user, guarded, fcm):
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
def test_dead_token_retires_the_device_and_is_not_retried(app, user, guarded, fcm, token):
    from safety.accounts.models import Device

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
def test_fcm_down_for_a_while_loses_nothing(app, user, guarded, fcm, mode):
    register_device(guarded, "mom-token")
    register_device(guarded, "mom-tablet", installation="tablet")
    fcm.mode = mode
    panic(user)
    for _ in range(3):  # several failed rounds, each after its backoff
        drain(app)
        advance_clock(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    failing = jobs(app, kind="alert")
    assert all(j.status == "pending" and j.attempts == 3 and j.last_error for j in failing)
    assert fcm.sent == []
    fcm.mode = "ok"
    drain(app)  # not due yet? we advanced past the longest backoff above
    assert {j.status for j in jobs(app, kind="alert")} == {"sent"}
    for token in ("mom-token", "mom-tablet"):  # the alarm itself, exactly once each
        assert [m["data"]["type"] for m in fcm.sent_to(token)].count("alert") == 1


def test_a_hanging_fcm_times_out_and_is_retried(app, user, guarded, fcm):
    register_device(guarded, "mom-token")
    fcm.mode = "hang"
    fcm.hang_s = app.config["PUSH_TIMEOUT_S"] + 1.5
    panic(user)
    drain(app)
    (job,) = jobs(app, kind="alert")
    assert job.status == "pending" and job.attempts == 1
    fcm.mode = "ok"
    advance_clock(app.config["WORKER_BACKOFF_MAX_S"] + 1)
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


def test_gives_up_after_max_attempts_and_records_it(app, user, guarded, fcm):
    register_device(guarded, "mom-token")
    app.config["WORKER_MAX_ATTEMPTS"] = 2
    try:
        fcm.mode = "500"
        panic(user)
        for _ in range(3):
            drain(app)
            advance_clock(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    finally:
        app.config["WORKER_MAX_ATTEMPTS"] = 12
    (job,) = jobs(app, kind="alert")
    assert job.status == "failed" and job.attempts == 2 and "500" in job.last_error


def _many_push_jobs(app, make_person, n_people=4, devices_each=30):
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


def test_two_workers_never_send_one_job_twice(app, make_person, fcm):
    tokens = _many_push_jobs(app, make_person)
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
    housekeeping = len(jobs(app, kind="retention_purge"))  # the workers' own hourly job
    assert sum(counts) == len(tokens) + housekeeping
    assert all(counts), counts  # both took part
    sent_tokens = [m["token"] for m in fcm.sent]
    assert sorted(sent_tokens) == sorted(tokens)  # every one, exactly once
    assert {j.status for j in jobs(app, kind="test")} == {"sent"}


def test_a_killed_workers_claims_are_picked_up_after_its_lease(app, make_person, fcm):
    from safety.notify import outbox

    tokens = _many_push_jobs(app, make_person, n_people=1, devices_each=5)
    with app.app_context():
        claimed = outbox.claim("doomed-worker", 100)  # ...and then it dies
        assert len(claimed) == 5
    drain(app, worker_id="survivor")
    assert fcm.sent == []  # the lease still holds
    assert {j.status for j in jobs(app, kind="test")} == {"sending"}
    advance_clock(app.config["WORKER_LEASE_S"] + 1)
    drain(app, worker_id="survivor")
    assert sorted(m["token"] for m in fcm.sent) == sorted(tokens)
    assert {(j.claimed_by, j.status) for j in jobs(app, kind="test")} == {("survivor", "sent")}


def test_rolled_back_panic_enqueues_nothing(app, user, guarded, monkeypatch):
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


def test_escalation_when_nobody_answers(app, user, guarded, admin, fcm):
    register_device(guarded, "mom-token")
    register_device(admin, "admin-token")
    panic(user)
    drain(app)
    advance_clock(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    esc = jobs(app, kind="alert_escalation")
    assert {j.recipient_user_id for j in esc} == {guarded.id, admin.id}
    assert len(fcm.sent_to("admin-token")) >= 1


def test_no_escalation_once_a_guardian_acknowledged(app, user, guarded, fcm):
    register_device(guarded, "mom-token")
    alert = panic(user).get_json()
    guarded.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={})
    advance_clock(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    assert jobs(app, kind="alert_escalation") == []
    (timer,) = jobs(app, kind="alert_escalate")
    assert timer.status == "sent" and timer.result == {"skipped": "someone is on it"}


def test_worker_heartbeat_makes_readyz_green(app, client):
    drain(app)
    assert client.get("/readyz").status_code == 200
    advance_clock(app.config["WORKER_HEARTBEAT_MAX_AGE_S"] + 5)
    assert client.get("/readyz").status_code == 503


class _SmsServer:
    def __init__(self, status):
        self.status = status
        self.received = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append((self.headers.get("Authorization"), body))
                raw = json.dumps({"id": "sms-1"}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status, outcome", [(200, "sent"), (400, "failed"), (503, "pending")])
def test_sms_through_the_http_provider(app, user, status, outcome):
    server = _SmsServer(status)
    app.config.update(SMS_HTTP_URL=server.url, SMS_HTTP_TOKEN="sekret")
    try:
        user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
        panic(user)
        drain(app)
    finally:
        app.config.update(SMS_HTTP_URL=None, SMS_HTTP_TOKEN=None)
        server.close()
    (job,) = jobs(app, kind="alert_sms")
    assert job.status == outcome
    auth, body = server.received[0]
    assert auth == "Bearer sekret" and body["to"] == "+77015550123" and "/t/" in body["text"]


def test_no_sms_provider_means_no_sms_jobs(app, user):
    app.config["SMS_LOG_PROVIDER"] = False
    try:
        user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
        panic(user)
    finally:
        app.config["SMS_LOG_PROVIDER"] = True
    assert jobs(app, kind="alert_sms") == []


def test_log_provider_without_credentials():
    from safety.notify.push import LogPushProvider, PushMessage

    (out,) = LogPushProvider().send([PushMessage("tok", "t", "b", {"alert_id": "x"})])
    assert out.ok and out.message_id == "log:x"


def test_unknown_job_kind_fails_permanently(app):
    from safety.notify import outbox

    with app.app_context():
        outbox.enqueue("no_such_kind", "timer", {}, alert_id=uuid.uuid4())
        db.session.commit()
    drain(app)
    (job,) = jobs(app, kind="no_such_kind")
    assert job.status == "failed" and "no handler" in job.last_error


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
            assert waiter.wait(0.05) is False  # nothing committed (and now listening)
            outbox.enqueue("test", "timer", {}, due_at=utcnow() + timedelta(hours=1))
            db.session.commit()
            assert waiter.wait(0.05) is False
            outbox.enqueue("test", "timer", {})
            db.session.rollback()  # a rolled-back job wakes nobody
            assert waiter.wait(0.05) is False
            outbox.enqueue("test", "timer", {})
            db.session.commit()
            assert waiter.wait(10) is True
        finally:
            waiter.close()
