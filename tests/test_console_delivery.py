"""Page 8, delivery health (both backends): what a platform admin sees of the outbox and its
workers, retry and abandon with their refusals and audit, and the page and its actions refused
without a session, to every other role, and without CSRF."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from safety.audit import AuditEvent
from safety.extensions import db
from safety.notify import outbox
from safety.notify.models import OutboxJob
from safety.util import utcnow

PHONE = "+77017654321"


def _job(app, *, status="pending", channel="sms", kind="panic_sms", error=None, attempts=0,
         payload=None, recipient=PHONE, age_s=0) -> uuid.UUID:
    with app.app_context():
        job = outbox.enqueue(kind, channel, payload or {"text": "Help me at Abay 10"},
                             recipient=recipient)
        job.status, job.last_error, job.attempts = status, error, attempts
        job.created_at = utcnow() - timedelta(seconds=age_s)
        if status == "failed":
            job.finished_at = utcnow()
        db.session.commit()
        return job.id


def _state(app, job_id) -> OutboxJob:
    with app.app_context():
        job = db.session.get(OutboxJob, job_id)
        db.session.expunge(job)
        return job


def _audits(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "outbox_job").order_by(AuditEvent.created_at)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def outbox_state(app):
    """A backlog, a job that keeps failing, one failed for good, a timer and a live worker."""
    failed = _job(app, status="failed", error="SMS gateway said 500: upstream down",
                  attempts=12, age_s=600)
    retrying = _job(app, error="timeout after 10 s", attempts=3, age_s=300)
    healthy = _job(app, kind="guardian_push", channel="push", recipient="android device",
                   age_s=120)
    timer = _job(app, kind="offer_timeout", channel="timer", recipient=None,
                 error="database busy", attempts=1)
    with app.app_context():
        outbox.heartbeat("w-main", "box-1", 42)
    return type("Outbox", (), {"failed": failed, "retrying": retrying, "healthy": healthy,
                               "timer": timer})


def test_the_page_shows_backlog_errors_and_workers_without_her_number(
        app, world, console, outbox_state):
    s = console(world.admin)
    r = s.get("/console/delivery")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'data-kind="panic_sms" data-channel="sms"' in page
    assert 'data-kind="guardian_push" data-channel="push"' in page
    assert "SMS gateway said 500: upstream down" in page and "timeout after 10 s" in page
    assert "w-main" in page and "box-1" in page and 'id="no-worker"' not in page
    assert PHONE not in page and "…4321" in page  # her number: the last four digits only
    assert "Help me at Abay 10" not in page  # never a payload
    assert 'name="csrf_token" value=""' not in page  # the forms work without htmx too
    assert "/console/delivery" in s.get("/console/").get_data(as_text=True)  # in the menu


def test_the_backlog_counts_per_kind_and_channel_and_the_oldest_age(app, world, outbox_state):
    from safety.notify import health

    with app.test_request_context(), app.app_context():
        rows = {(b.kind, b.channel): b for b in health.backlog(utcnow())}
    sms = rows[("panic_sms", "sms")]
    assert (sms.pending, sms.retrying, sms.sending) == (1, 1, 0)
    assert 290 <= sms.oldest_age_s <= 400  # the failed one is finished: not in the backlog
    assert rows[("guardian_push", "push")].pending == 1


def test_a_silent_worker_is_flagged(app, world, console, clock):
    with app.app_context():
        outbox.heartbeat("w-old", "box-2", 1)
    clock.advance(app.config["WORKER_HEARTBEAT_MAX_AGE_S"] + 5)
    page = console(world.admin).get("/console/delivery").get_data(as_text=True)
    assert 'id="no-worker"' in page and "w-old" in page


def test_retry_queues_a_failed_job_again_and_is_audited(app, world, console, outbox_state):
    s = console(world.admin)
    s.get("/console/delivery")
    r = s.post(f"/console/delivery/jobs/{outbox_state.failed}/retry")
    assert r.status_code == 200 and 'id="action-message"' in r.get_data(as_text=True)
    job = _state(app, outbox_state.failed)
    assert (job.status, job.attempts, job.finished_at) == ("pending", 0, None)
    assert job.due_at <= utcnow() + timedelta(seconds=1)
    [event] = _audits(app)
    assert event.action == "outbox_job.retry" and event.actor_id == world.admin.id
    assert event.object_id == str(outbox_state.failed)
    assert event.changes["attempts"] == {"before": 12, "after": 0}
    assert "upstream down" in event.changes["last_error"]


def test_abandon_cancels_a_failing_job_scrubs_it_and_is_audited(app, world, console):
    job_id = _job(app, kind="code_sms", error="gateway 503", attempts=2,
                  payload={"text": "Your code 123456", "redacted": "Your code ******"})
    s = console(world.admin)
    s.get("/console/delivery")
    r = s.post(f"/console/delivery/jobs/{job_id}/abandon", htmx=False)
    assert r.status_code == 200 and "<h1>" in r.get_data(as_text=True)  # the whole page
    job = _state(app, job_id)
    assert job.status == "canceled" and job.finished_at is not None
    assert job.payload["text"] == "Your code ******"
    [event] = _audits(app)
    assert event.action == "outbox_job.abandon" and event.actor_id == world.admin.id


@pytest.mark.parametrize("which,action,status", [
    ("retrying", "retry", 409),   # not failed
    ("healthy", "retry", 409),
    ("healthy", "abandon", 409),  # never failed: not the admin's to cancel
    ("failed", "abandon", 409),   # already finished
    ("timer", "abandon", 409),    # timers drive the escalation
])
def test_refusals_change_nothing(app, world, console, outbox_state, which, action, status):
    job_id = getattr(outbox_state, which)
    before = _state(app, job_id)
    s = console(world.admin)
    s.get("/console/delivery")
    r = s.post(f"/console/delivery/jobs/{job_id}/{action}")
    assert r.status_code == status and 'id="action-error"' in r.get_data(as_text=True)
    after = _state(app, job_id)
    assert (after.status, after.attempts, after.due_at) == \
        (before.status, before.attempts, before.due_at)
    assert _audits(app) == []


def test_a_job_that_carried_a_code_is_not_sent_again(app, world, console):
    job_id = _job(app, kind="code_sms", status="failed", error="gateway 400", attempts=12,
                  payload={"text": "Your code ******", "redacted": "Your code ******"})
    s = console(world.admin)
    s.get("/console/delivery")
    assert s.post(f"/console/delivery/jobs/{job_id}/retry").status_code == 409
    assert _state(app, job_id).status == "failed" and _audits(app) == []


def test_an_unknown_or_malformed_job_id(app, world, console):
    s = console(world.admin)
    s.get("/console/delivery")
    assert s.post(f"/console/delivery/jobs/{uuid.uuid4()}/retry").status_code == 404
    assert s.post("/console/delivery/jobs/not-a-uuid/retry").status_code == 404


def test_every_other_role_is_refused(app, world, console, console_session, outbox_state):
    paths = [f"/console/delivery/jobs/{outbox_state.failed}/retry",
             f"/console/delivery/jobs/{outbox_state.retrying}/abandon"]
    # an organisation's admin (the console's dispatcher): 403, nothing changed
    s = console(world.org_admin)
    assert s.get("/console/delivery").status_code == 403
    assert "/console/delivery" not in s.get("/console/").get_data(as_text=True)
    for path in paths:
        assert s.post(path).status_code == 403
        assert s.post(path, htmx=False).status_code == 403
    # no session: to the login page
    anon = console_session()
    r = anon.get("/console/delivery")
    assert r.status_code == 303 and "/console/login" in r.headers["Location"]
    for path in paths:
        assert anon.post(path).status_code in (401, 303)
    # her and a responder: no console at all
    for person in (world.user, world.responders["r500"]):
        other = console_session()
        assert other.login(person.phone, person.password).status_code == 403
        assert other.get("/console/delivery").status_code == 303
    # an API token opens nothing
    assert anon.client.get("/console/delivery",
                           headers=world.admin.headers).status_code == 303
    assert _state(app, outbox_state.failed).status == "failed"
    assert _state(app, outbox_state.retrying).status == "pending"
    assert _audits(app) == []


def test_actions_need_csrf(app, world, console, outbox_state):
    s = console(world.admin)
    s.get("/console/delivery")
    for path in (f"/console/delivery/jobs/{outbox_state.failed}/retry",
                 f"/console/delivery/jobs/{outbox_state.retrying}/abandon"):
        assert s.post(path, csrf=False).status_code == 403
        assert s.post(path, {"csrf_token": "forged"}, csrf=False).status_code == 403
    assert _state(app, outbox_state.failed).status == "failed"
    assert _state(app, outbox_state.retrying).status == "pending"
    assert _audits(app) == []
