"""The log providers (no Firebase project, no SMS gateway) name who each message is for, so the
development log reads as a story; in production they write no names, texts or coordinates, and
a missing push credential is an ERROR once, at start-up."""

import logging
import uuid

import pytest
from sqlalchemy import event, select

from safety import create_app
from safety.extensions import db
from safety.notify.channels.push import PushChannel
from safety.notify.channels.sms import LogSmsProvider
from safety.notify.models import OutboxJob
from safety.recipients import describe

HERE = {"lat": 43.2567, "lon": 76.9286}


@pytest.fixture
def story(app, admin, make_person, user):
    """Aigerim (`user`) with her mother as guardian, and a responder on duty nearby."""
    mom = make_person(name="Gulnara")
    r = user.post("/api/v1/me/contacts", json={"name": "Mother", "phone": mom.phone})
    assert mom.post(f"/api/v1/me/guardian-invitations/{r.get_json()['id']}/accept"
                    ).status_code == 200
    org = admin.post("/api/v1/orgs", json={
        "name": "Kuzet", "kind": "security", "phone": "+77272000000", "coverage": {
            "type": "Polygon", "coordinates": [[[76.7, 43.1], [77.2, 43.1], [77.2, 43.45],
                                                [76.7, 43.45], [76.7, 43.1]]]}}).get_json()
    rider = make_person(name="Serik")
    r = admin.post(f"/api/v1/orgs/{org['id']}/members",
                   json={"phone": rider.phone, "role": "responder"})
    assert rider.post(f"/api/v1/me/org-invitations/{r.get_json()['id']}/accept"
                      ).status_code == 200
    assert rider.put("/api/v1/responder/duty", json={"on_duty": True, "location": HERE}
                     ).status_code == 200
    for person, token in ((mom, "mom-token-123456"), (rider, "rider-token-123456")):
        assert person.put("/api/v1/me/devices/phone-1", json={
            "push_token": token, "platform": "android"}).status_code == 200
    r = user.post("/api/v1/alerts", json={"client_id": str(uuid.uuid4()), "trigger": "button",
                                          "location": HERE})
    assert r.status_code == 201
    return mom, rider


def _send_logged(app, env: str, caplog) -> list[str]:
    config = {**app.config, "FCM_CREDENTIALS": None, "GOOGLE_APPLICATION_CREDENTIALS": None,
              "SAFETY_ENV": env}
    with caplog.at_level(logging.INFO, logger="safety.notify.channels.push"):
        channel = PushChannel(config, describe=describe)
        with app.app_context():
            jobs = list(db.session.scalars(select(OutboxJob).where(OutboxJob.channel == "push")
                                           .order_by(OutboxJob.kind)))
            outcomes = channel.send(jobs)
            db.session.rollback()
    assert [o.state for o in outcomes] == ["sent"] * len(jobs)
    return [r.getMessage() for r in caplog.records if "PUSH (log provider" in r.getMessage()]


def test_each_push_line_says_whom_it_is_for(app, story, caplog):
    mom, rider = story
    lines = _send_logged(app, "development", caplog)
    (to_mom,) = [line for line in lines if " alert to " in line]
    assert f"to user {mom.id.hex[:8]}… (Gulnara, guardian of Aigerim)" in to_mom
    assert "Aigerim needs help" in to_mom
    (offer,) = [line for line in lines if " dispatch_offer to " in line]
    assert f"to user {rider.id.hex[:8]}… (Serik, responder at Kuzet)" in offer


def test_in_production_no_names_texts_or_coordinates(app, story, caplog):
    mom, rider = story
    lines = _send_logged(app, "production", caplog)
    assert len(lines) == 2
    text = "\n".join(lines)
    assert f"user {mom.id.hex[:8]}… (guardian)" in text
    assert f"user {rider.id.hex[:8]}… (responder)" in text
    for secret in ("Aigerim", "Gulnara", "Serik", "Kuzet", "needs help", "43.25", "76.92",
                   "'lat'", "'lon'"):
        assert secret not in text, secret
    assert "alert_id" in text


def test_many_recipients_are_described_in_four_queries(app, story, admin, user):
    """A worker's batch names all its recipients at once: users, their roles, guardianships,
    memberships — four queries however many (it was three per user), each said as when
    described alone."""
    mom, rider = story
    ids = [mom.id, rider.id, admin.id, user.id]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)

    with app.app_context():
        alone = {k: v for i in ids for k, v in describe([i]).items()}
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            together = describe(ids)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()
    assert together == alone
    assert "platform admin" in together[admin.id]
    assert together[user.id].endswith("(Aigerim, user)")
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 4


def test_sms_log_lines_in_production_keep_no_code_or_number(caplog):
    with caplog.at_level(logging.INFO, logger="safety.notify.channels.sms"):
        LogSmsProvider(redact=True).send("+77011234567", "Safety code: 123456. Do not share.")
        LogSmsProvider().send("+77011234567", "Safety code: 654321.")
    production, development = (r.getMessage() for r in caplog.records)
    assert "123456" not in production and "+7701123" not in production
    assert "***4567" in production
    assert development == "SMS (log provider) to +77011234567: Safety code: 654321."


def test_no_push_credentials_in_production_is_an_error_once_at_start(tmp_path, caplog):
    env = {"SAFETY_ENV": "production", "SECRET_KEY": "k" * 48,
           "PUBLIC_BASE_URL": "https://safety.example.kz", "SAFETY_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/p.db", "GOOGLE_APPLICATION_CREDENTIALS": "",
           "RUN_WORKER_IN_PROCESS": "0"}
    with caplog.at_level(logging.INFO):
        create_app(env=env)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "GOOGLE_APPLICATION_CREDENTIALS" in errors[0].getMessage()
    assert "NOT SENT" in errors[0].getMessage()


def test_with_credentials_nothing_is_said(tmp_path, caplog, fcm_credentials):
    env = {"SAFETY_ENV": "production", "SECRET_KEY": "k" * 48,
           "PUBLIC_BASE_URL": "https://safety.example.kz", "SAFETY_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/p.db", "RUN_WORKER_IN_PROCESS": "0"}
    with caplog.at_level(logging.INFO):
        create_app(env=env, config={"FCM_CREDENTIALS": fcm_credentials})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_guardian_of_many_is_named_with_two_of_them_and_how_many_more(app, make_person):
    """At most MAX_NAMES names are read a guardian (alphabetical), with how many more there
    are; the redacted line (production) reads no name at all."""
    mom = make_person(name="Gulnara")
    women = [make_person(name=name) for name in ("Dana", "Aliya", "Bota", "Saule")]
    for woman in women:
        r = woman.post("/api/v1/me/contacts", json={"name": "Mother", "phone": mom.phone})
        assert mom.post(f"/api/v1/me/guardian-invitations/{r.get_json()['id']}/accept"
                        ).status_code == 200
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert describe([mom.id])[mom.id].endswith(
                "(Gulnara, guardian of Aliya, Bota and 2 more)")
            (named,) = [s for s in seen if "FROM contacts" in s]
            seen.clear()
            assert describe([mom.id], redact=True)[mom.id].endswith("(guardian)")
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()
    assert "row_number() OVER" in named, "two names a guardian leave the database, not all"
    (ties,) = [s for s in seen if "FROM contacts" in s]
    assert "full_name" not in ties, "the redacted line reads no names"
