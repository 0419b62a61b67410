"""SMS when there is no data: the provider forwards what she texts to the service's number.
SOS, OK <PIN>, +<minutes> <PIN>, CANCEL <PIN> from a verified phone; replies by SMS through
the SMS channel (against a local fake provider); nothing for anyone else."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from safety.extensions import db
from tests.helpers import sqlite_write_locked

SECRET = "inbound-test-secret-0123456789"
TWILIO_TOKEN = "twilio-auth-token-0123456789"
GENERIC_URL = "/api/v1/sms/inbound"
TWILIO_URL = "/api/v1/sms/inbound/twilio"
HERE = {"lat": 43.2567, "lon": 76.9286}
THERE = {"lat": 43.2389, "lon": 76.8897}


@pytest.fixture
def inbound(app, monkeypatch):
    """Both inbound endpoints configured."""
    monkeypatch.setitem(app.config, "SMS_INBOUND_SECRET", SECRET)
    monkeypatch.setitem(app.config, "SMS_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)


@pytest.fixture
def provider(app, fake_http, monkeypatch):
    """The outbound SMS provider: a local fake that records what it is asked to send."""
    server = fake_http(status=200, body={"id": "out-1"})
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", server.url("/send"))
    return server


def _now(app) -> datetime:
    return app.extensions["safety_clock"].now()


def signed(app, body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict:
    ts = int(_now(app).timestamp()) if ts is None else ts
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Safety-Timestamp": str(ts), "X-Safety-Signature": f"sha256={mac}",
            "Content-Type": "application/json"}


def text(client, app, sender: str, words: str, msg_id: str | None = None, **sign):
    """POST our generic format, signed; the response."""
    body = json.dumps({"id": msg_id or uuid.uuid4().hex, "from": sender, "text": words}).encode()
    return client.post(GENERIC_URL, data=body, headers=signed(app, body, **sign))


def replies(app, drain, provider, phone: str) -> list[str]:
    """What the SMS provider was asked to send to `phone` (the worker sends the outbox)."""
    drain(app)
    return [r.json()["text"] for r in provider.requests if r.json()["to"] == phone]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def start_timer(person, location=HERE, duration_s=3600):
    r = person.post("/api/v1/timers", json={"duration_s": duration_s, "location": location})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def guardian_with_phone(make_person, make_guardian, register_device, user):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(mom, "mom-token")
    return mom


def only_guardian_alert(mom):
    items = mom.get("/api/v1/alerts", query_string={"role": "guardian"}).get_json()["items"]
    assert len(items) == 1, items
    return mom.get(f"/api/v1/alerts/{items[0]['id']}").get_json()


# -- SOS ---------------------------------------------------------------------------------------


def test_sos_raises_an_alert_at_her_last_known_location_and_says_how_old(
        app, clock, client, inbound, provider, user, make_person, make_guardian,
        register_device, drain, jobs):
    mom = guardian_with_phone(make_person, make_guardian, register_device, user)
    timer = start_timer(user, location=THERE)
    clock.advance(25 * 60)
    r = text(client, app, user.phone, "SOS he is at the door")
    assert r.status_code == 200 and r.get_json() == {"received": True}

    seen = only_guardian_alert(mom)
    assert seen["trigger"] == "sms" and seen["status"] == "active"
    assert seen["note"] == "he is at the door"
    assert seen["location"]["lat"] == pytest.approx(THERE["lat"])
    started = datetime.fromisoformat(timer["created_at"])
    located = datetime.fromisoformat(seen["location"]["recorded_at"])
    assert abs((located - started).total_seconds()) < 2  # the timer's time, not now
    assert seen["location"]["clock_adjusted"] is False
    (note,) = jobs(app, kind="alert_by_sms", recipient_user_id=mom.id)
    assert note.payload["title"] == "Aigerim sent SOS by SMS"
    assert "last known location is from" in note.payload["body"]
    assert "(25 min ago)" in note.payload["body"]
    assert note.payload["data"]["location_at"].startswith(located.isoformat()[:16])
    (reply,) = replies(app, drain, provider, user.phone)
    assert reply.startswith("Received. Your trusted contacts are being told, with your last "
                           "known location (")


def test_sos_uses_her_newest_trail_point(app, clock, client, inbound, provider, user, panic,
                                         drain):
    start_timer(user, location=HERE)
    clock.advance(60)
    alert = panic(user).get_json()
    newer = {**THERE, "recorded_at": _now(app).isoformat()}
    assert user.post(f"/api/v1/alerts/{alert['id']}/locations",
                     json={"points": [newer]}).status_code == 202
    assert user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"}).status_code \
        == 200
    clock.advance(600)
    assert text(client, app, user.phone, "sos").status_code == 200
    items = user.get("/api/v1/alerts").get_json()["items"]
    sms_alert = next(a for a in items if a["trigger"] == "sms")
    mine = user.get(f"/api/v1/alerts/{sms_alert['id']}").get_json()
    assert mine["status"] == "active"
    assert mine["location"]["lat"] == pytest.approx(THERE["lat"])


def test_sos_without_any_known_location_still_raises(app, client, inbound, provider, world,
                                                     make_person, make_guardian,
                                                     register_device, jobs, drain):
    user = world.user
    mom = guardian_with_phone(make_person, make_guardian, register_device, user)
    r = text(client, app, user.phone, "SOS")
    assert r.status_code == 200
    seen = only_guardian_alert(mom)
    assert seen["status"] == "active" and seen["location"] is None
    mine = user.get(f"/api/v1/alerts/{seen['id']}").get_json()
    assert mine["location"] is None
    assert len(jobs(app, kind="alert", recipient_user_id=mom.id)) == 1  # the usual alert push
    (note,) = jobs(app, kind="alert_by_sms", recipient_user_id=mom.id)
    assert "we do not know where she is" in note.payload["body"]
    assert note.payload["data"]["lat"] == "" and note.payload["data"]["location_at"] == ""
    # nowhere to send a responder: nobody is offered it, and the platform admins are told
    assert world.admin.get(f"/api/v1/alerts/{seen['id']}").get_json()["unassigned"] is True
    assert jobs(app, kind="dispatch_offer") == []
    assert len(jobs(app, kind="alert_unassigned")) >= 1
    (reply,) = replies(app, drain, provider, user.phone)
    assert "We do not know where you are" in reply
    # her phone gets data back and sends a point: the alert has a location from then on
    point = {**HERE, "recorded_at": _now(app).isoformat()}
    assert user.post(f"/api/v1/alerts/{seen['id']}/locations",
                     json={"points": [point]}).status_code == 202
    assert mom.get(f"/api/v1/alerts/{seen['id']}").get_json()["location"]["lat"] == \
        pytest.approx(HERE["lat"])
    trail = mom.get(f"/api/v1/alerts/{seen['id']}/locations").get_json()["items"]
    assert len(trail) == 1


def test_a_location_older_than_the_limit_is_not_used(app, clock, client, inbound, user):
    start_timer(user, location=THERE, duration_s=24 * 3600)
    clock.advance(app.config["SMS_SOS_LOCATION_MAX_AGE_S"] + 60)
    assert text(client, app, user.phone, "SOS").status_code == 200
    (alert,) = [a for a in user.get("/api/v1/alerts").get_json()["items"]
                if a["trigger"] == "sms"]
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["location"] is None


@pytest.mark.parametrize("words", ["sos", "  S.O.S ", "SOS!", "СОС", "SОS", "помогите",
                                   "Помогите мне"])
def test_sos_words_in_either_alphabet(app, client, inbound, user, words):
    text(client, app, user.phone, words)
    alerts = user.get("/api/v1/alerts").get_json()["items"]
    expected = 0 if words.strip() == "S.O.S" else 1  # not a configured word: the help text
    assert len(alerts) == expected


def test_sos_while_an_alert_is_live_joins_it(app, client, inbound, provider, user, panic,
                                             drain):
    first = panic(user).get_json()
    assert text(client, app, user.phone, "SOS").status_code == 200
    items = user.get("/api/v1/alerts").get_json()["items"]
    assert [a["id"] for a in items] == [first["id"]]
    trail = user.get(f"/api/v1/alerts/{first['id']}/locations").get_json()["items"]
    assert len(trail) == 1  # no old location slipped into her live trail
    (reply,) = replies(app, drain, provider, user.phone)
    assert reply.startswith("Received.")


# -- the safety timer --------------------------------------------------------------------------


def test_ok_with_pin_checks_in(app, client, inbound, provider, user, drain):
    t = start_timer(user)
    assert text(client, app, user.phone, "OK 1234").status_code == 200
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "checked_in"
    assert replies(app, drain, provider, user.phone) == ["Checked in. Your timer is stopped."]
    assert text(client, app, user.phone, "ok 1234").status_code == 200
    assert replies(app, drain, provider, user.phone)[-1] == "You have no running timer."


def test_duress_pin_at_check_in_reads_like_a_check_in_and_raises_a_silent_alert(
        app, client, inbound, provider, make_person, make_guardian, register_device, drain,
        jobs):
    real = make_person(pin="1234", duress_pin="9999", name="Aigerim")
    forced = make_person(pin="1234", duress_pin="9999", name="Dana")
    mom = guardian_with_phone(make_person, make_guardian, register_device, forced)
    t_real, t_forced = start_timer(real), start_timer(forced)
    a = text(client, app, real.phone, "OK 1234")
    b = text(client, app, forced.phone, "OK 9999")
    assert (a.status_code, a.data) == (b.status_code, b.data)
    assert replies(app, drain, provider, real.phone) == \
        replies(app, drain, provider, forced.phone) == ["Checked in. Your timer is stopped."]
    for person, t in ((real, t_real), (forced, t_forced)):
        shown = person.get(f"/api/v1/timers/{t['id']}").get_json()
        assert shown["status"] == "checked_in" and shown["alert_id"] is None
        assert person.get("/api/v1/alerts").get_json()["items"] == []
    seen = only_guardian_alert(mom)
    assert seen["duress"] is True and seen["status"] == "active"
    assert len(jobs(app, kind="alert_duress", recipient_user_id=mom.id)) == 1


def test_plus_minutes_with_pin_extends_in_her_time_zone(app, client, inbound, provider, user,
                                                        drain):
    from safety.accounts.models import User

    with app.app_context():
        reader = db.session.get(User, user.id)
        reader.time_zone, reader.locale = "Asia/Aqtobe", "en"  # UTC+5, and a 12-hour clock
        db.session.commit()
    t = start_timer(user)
    due = datetime.fromisoformat(t["due_at"])
    assert text(client, app, user.phone, "+30 1234").status_code == 200
    after = datetime.fromisoformat(user.get(f"/api/v1/timers/{t['id']}").get_json()["due_at"])
    assert after - due == timedelta(minutes=30)
    from babel.dates import format_time

    aqtobe = format_time(after, "short", tzinfo=ZoneInfo("Asia/Aqtobe"),
                         locale="en").replace("\u202f", " ")  # SMS: a plain space (i18n)
    (reply,) = replies(app, drain, provider, user.phone)
    assert reply.startswith("Your timer now ends at") and aqtobe in reply
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "running"


def test_duress_pin_at_extend_reads_like_an_extend_and_raises_a_silent_alert(
        app, client, inbound, provider, make_person, make_guardian, register_device, drain):
    real = make_person(pin="1234", duress_pin="9999", name="Aigerim")
    forced = make_person(pin="1234", duress_pin="9999", name="Dana")
    mom = guardian_with_phone(make_person, make_guardian, register_device, forced)
    t_real, t_forced = start_timer(real), start_timer(forced)
    text(client, app, real.phone, "+45 1234")
    text(client, app, forced.phone, "+45 9999")
    views = [p.get(f"/api/v1/timers/{t['id']}").get_json()
             for p, t in ((real, t_real), (forced, t_forced))]
    for before, after in ((t_real, views[0]), (t_forced, views[1])):
        assert after["status"] == "running" and after["alert_id"] is None
        assert datetime.fromisoformat(after["due_at"]) - \
            datetime.fromisoformat(before["due_at"]) == timedelta(minutes=45)
    a, b = replies(app, drain, provider, real.phone), replies(app, drain, provider, forced.phone)
    assert len(a) == len(b) == 1 and a[0].startswith("Your timer now ends at") and \
        b[0].startswith("Your timer now ends at")
    assert forced.get("/api/v1/alerts").get_json()["items"] == []
    seen = only_guardian_alert(mom)
    assert seen["duress"] is True and seen["status"] == "active"


def test_extend_is_bounded_like_the_api(app, client, inbound, provider, user, drain):
    t = start_timer(user, duration_s=3600)
    text(client, app, user.phone, "+1400 1234")  # would end more than 24 h from now
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["due_at"] == t["due_at"]
    (reply,) = replies(app, drain, provider, user.phone)
    assert reply.startswith("A timer runs at most 24 hours from now.")


def test_extend_needs_the_pin(app, client, inbound, provider, user, drain):
    """A sender's number can be spoofed: a later deadline is a later alarm."""
    t = start_timer(user)
    text(client, app, user.phone, "+30")
    text(client, app, user.phone, "+30 0000")
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["due_at"] == t["due_at"]
    help_text, wrong = replies(app, drain, provider, user.phone)
    assert help_text.startswith("Commands:") and wrong == "Wrong PIN. 4 tries left."


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_with_pin(app, client, inbound, provider, user, panic, drain):
    alert = panic(user).get_json()
    assert text(client, app, user.phone, "CANCEL 1234").status_code == 200
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "canceled"
    text(client, app, user.phone, "cancel 1234")
    assert replies(app, drain, provider, user.phone) == ["Your alert is canceled.",
                                                         "You have no live alert."]


def test_duress_cancel_by_sms_looks_like_a_cancel(app, client, inbound, provider, make_person,
                                                  make_guardian, register_device, panic, drain,
                                                  jobs):
    real = make_person(pin="1234", duress_pin="9999", name="Aigerim")
    forced = make_person(pin="1234", duress_pin="9999", name="Dana")
    mom = guardian_with_phone(make_person, make_guardian, register_device, forced)
    a_real, a_forced = panic(real).get_json(), panic(forced).get_json()
    text(client, app, real.phone, "CANCEL 1234")
    text(client, app, forced.phone, "CANCEL 9999")
    for person, alert in ((real, a_real), (forced, a_forced)):
        assert person.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "canceled"
        text(client, app, person.phone, "CANCEL 1234")  # again: no live alert, either way
    a, b = replies(app, drain, provider, real.phone), replies(app, drain, provider, forced.phone)
    assert a == b == ["Your alert is canceled.", "You have no live alert."]
    seen = mom.get(f"/api/v1/alerts/{a_forced['id']}").get_json()
    assert seen["status"] == "active" and seen["duress"] is True
    assert len(jobs(app, kind="alert_duress", recipient_user_id=mom.id)) == 1


def test_a_spoofed_cancel_without_the_pin_does_nothing(app, client, inbound, provider, user,
                                                       panic, drain):
    alert = panic(user).get_json()
    for words in ("CANCEL", "cancel please", "STOP", "OK"):
        assert text(client, app, user.phone, words).status_code == 200
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"
    assert all(r.startswith("Commands: SOS to ask for help;")
               for r in replies(app, drain, provider, user.phone))


def test_wrong_pins_by_sms_and_by_the_api_share_one_lock(app, client, inbound, provider, user,
                                                         panic, drain):
    alert = panic(user).get_json()
    for _ in range(3):
        text(client, app, user.phone, "CANCEL 0000")
    r = user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "0000"})
    assert r.status_code == 403 and r.get_json()["attempts_left"] == 1
    text(client, app, user.phone, "CANCEL 0000")  # the fifth: locked
    text(client, app, user.phone, "CANCEL 1234")  # the right PIN, but the gate is locked
    r = user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    assert r.status_code == 403 and "locked_until" in r.get_json()
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"
    got = replies(app, drain, provider, user.phone)
    assert got[:3] == ["Wrong PIN. 4 tries left.", "Wrong PIN. 3 tries left.",
                       "Wrong PIN. 2 tries left."]
    assert got[3].startswith("Too many wrong PINs. Try again after ") and got[4] == got[3]


def test_no_pin_set(app, client, inbound, provider, make_person, panic, drain):
    her = make_person(name="No Pin")
    panic(her)
    text(client, app, her.phone, "CANCEL 1234")
    assert replies(app, drain, provider, her.phone) == ["Set a PIN in the app first."]


# -- once per message --------------------------------------------------------------------------


def test_a_redelivery_answers_the_same_and_does_nothing_again(app, client, inbound, provider,
                                                              user, drain, jobs):
    from safety.inbound_sms.models import InboundSms

    first = text(client, app, user.phone, "SOS", msg_id="msg-1")
    again = text(client, app, user.phone, "SOS", msg_id="msg-1")
    assert (first.status_code, first.data) == (again.status_code, again.data)
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1
    assert len(replies(app, drain, provider, user.phone)) == 1
    assert count(app, InboundSms) == 1
    # a wrong PIN redelivered is not counted twice
    t = start_timer(user)
    text(client, app, user.phone, "OK 0000", msg_id="msg-2")
    text(client, app, user.phone, "OK 0000", msg_id="msg-2")
    r = user.post(f"/api/v1/timers/{t['id']}/check-in", json={"pin": "0000"})
    assert r.get_json()["attempts_left"] == 3
    assert len(jobs(app, kind="sms_reply")) == 2


def test_the_same_message_id_from_another_provider_is_another_message(app, client, inbound,
                                                                       user, panic):
    alert = panic(user).get_json()
    text(client, app, user.phone, "CANCEL 0000", msg_id="SM1")
    params = {"MessageSid": "SM1", "From": user.phone, "Body": "CANCEL 0000"}
    twilio_post(client, app, params)
    r = user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "0000"})
    assert r.get_json()["attempts_left"] == 2


def test_stored_messages_keep_neither_the_text_nor_the_number(app, client, inbound, user):
    from safety.inbound_sms.models import InboundSms

    text(client, app, user.phone, "OK 1234", msg_id="m-9")
    with app.app_context():
        (row,) = db.session.scalars(select(InboundSms)).all()
        stored = {c.name: getattr(row, c.name) for c in InboundSms.__table__.columns}
    assert stored["command"] == "check_in" and stored["outcome"] == "no_timer"
    assert "1234" not in json.dumps(stored, default=str)
    assert user.phone not in json.dumps(stored, default=str)


def test_handled_messages_are_forgotten_after_the_keep_days(app, clock, client, inbound, user):
    from safety.inbound_sms.jobs import _purge_inbound_sms
    from safety.inbound_sms.models import InboundSms

    text(client, app, user.phone, "hello")
    clock.advance(app.config["SMS_INBOUND_KEEP_DAYS"] * 86400 + 60)
    text(client, app, user.phone, "hello")
    with app.app_context():
        assert _purge_inbound_sms(None) == {"deleted": 1}
        db.session.commit()
    assert count(app, InboundSms) == 1


# -- who may text ------------------------------------------------------------------------------


def test_an_unknown_number_gets_the_same_answer_and_nothing_happens(app, client, inbound,
                                                                    provider, user, next_phone,
                                                                    drain):
    from safety.alerts.models import Alert
    from safety.inbound_sms.models import InboundSms
    from safety.notify.models import OutboxJob

    known = text(client, app, user.phone, "hello")
    with app.app_context():
        db.session.execute(InboundSms.__table__.delete())
        db.session.execute(OutboxJob.__table__.delete())
        db.session.commit()
    stranger = next_phone()
    for words in ("SOS", "OK 1234", "CANCEL 1234", "hello"):
        r = text(client, app, stranger, words)
        assert (r.status_code, r.data) == (known.status_code, known.data)
    assert text(client, app, "KaspiBank", "SOS").status_code == 200  # not a number at all
    assert count(app, InboundSms) == count(app, Alert) == count(app, OutboxJob) == 0
    assert replies(app, drain, provider, stranger) == []


def test_an_unverified_phone_can_do_nothing(app, client, inbound, provider, make_person, panic,
                                            drain):
    from safety.inbound_sms.models import InboundSms

    her = make_person(pin="1234", verified=False)
    alert = panic(her).get_json()
    start_timer(her)
    for words in ("SOS", "OK 1234", "CANCEL 1234", "+30 1234"):
        assert text(client, app, her.phone, words).status_code == 200
    assert her.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"
    assert her.get("/api/v1/timers").get_json()["items"][0]["status"] == "running"
    assert len(her.get("/api/v1/alerts").get_json()["items"]) == 1
    assert count(app, InboundSms) == 0
    assert replies(app, drain, provider, her.phone) == []


def test_too_many_messages_from_one_phone_are_not_acted_on_but_sos_still_is(
        app, client, inbound, provider, user, drain):
    from safety.inbound_sms.models import InboundSms

    limit = app.config["SMS_INBOUND_PER_PHONE_MAX"]
    for _ in range(limit):
        text(client, app, user.phone, "hello")
    t = start_timer(user)
    text(client, app, user.phone, "OK 1234")  # over the limit: not tried, no reply
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "running"
    text(client, app, user.phone, "SOS")  # a panic never fails
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1
    assert len(replies(app, drain, provider, user.phone)) == limit
    with app.app_context():
        outcomes = db.session.scalars(select(InboundSms.outcome)).all()
    assert sorted(outcomes).count("throttled") == 2


# -- refused calls store nothing ---------------------------------------------------------------


def _nothing_stored(app):
    from safety.alerts.models import Alert
    from safety.inbound_sms.models import InboundSms
    from safety.notify.models import OutboxJob

    assert count(app, InboundSms) == count(app, Alert) == count(app, OutboxJob) == 0


def test_unsigned_forged_and_replayed_calls_are_refused(app, clock, client, inbound, user):
    body = json.dumps({"id": "m1", "from": user.phone, "text": "SOS"}).encode()
    unsigned = client.post(GENERIC_URL, data=body, content_type="application/json")
    assert unsigned.status_code == 401
    assert unsigned.content_type == "application/problem+json"
    forged = client.post(GENERIC_URL, data=body, headers=signed(app, body, secret="x" * 20))
    assert forged.status_code == 403 and forged.content_type == "application/problem+json"
    headers = signed(app, body)
    tampered = body.replace(b"SOS", b"SOS ")
    assert client.post(GENERIC_URL, data=tampered, headers=headers).status_code == 403
    clock.advance(app.config["SMS_INBOUND_MAX_AGE_S"] + 1)
    replayed = client.post(GENERIC_URL, data=body, headers=headers)
    assert replayed.status_code == 403 and "timestamp" in replayed.get_json()["detail"]
    future = signed(app, body, ts=int(_now(app).timestamp()) + 3600)
    assert client.post(GENERIC_URL, data=body, headers=future).status_code == 403
    garbled = {**headers, "X-Safety-Timestamp": "soon"}
    assert client.post(GENERIC_URL, data=body, headers=garbled).status_code == 401
    _nothing_stored(app)


@pytest.mark.parametrize("payload, field", [
    ({"from": "+77010000000", "text": "SOS"}, "id"),
    ({"id": "", "from": "+77010000000", "text": "SOS"}, "id"),
    ({"id": "x" * 101, "from": "+77010000000", "text": "SOS"}, "id"),
    ({"id": "m", "text": "SOS"}, "from"),
    ({"id": "m", "from": "+77010000000"}, "text"),
    ({"id": "m", "from": "+77010000000", "text": 7}, "text"),
])
def test_malformed_messages_are_422_and_store_nothing(app, client, inbound, payload, field):
    body = json.dumps(payload).encode()
    r = client.post(GENERIC_URL, data=body, headers=signed(app, body))
    assert r.status_code == 422 and field in r.get_json()["errors"]
    _nothing_stored(app)


def test_bodies_are_bounded(app, client, inbound, user):
    big = json.dumps({"id": "m", "from": user.phone,
                      "text": "SOS " + "x" * app.config["SMS_INBOUND_MAX_BYTES"]}).encode()
    r = client.post(GENERIC_URL, data=big, headers=signed(app, big))
    assert r.status_code == 413 and r.content_type == "application/problem+json"
    not_json = b"id=m&from=x&text=SOS"
    headers = {**signed(app, not_json), "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(GENERIC_URL, data=not_json, headers=headers).status_code == 415
    broken = b'{"id": "m", '
    assert client.post(GENERIC_URL, data=broken, headers=signed(app, broken)).status_code == 400
    _nothing_stored(app)


def test_a_long_sos_is_cut_not_refused(app, client, inbound, user):
    r = text(client, app, user.phone, "SOS " + "x" * 3000)
    assert r.status_code == 200
    (alert,) = user.get("/api/v1/alerts").get_json()["items"]
    assert len(user.get(f"/api/v1/alerts/{alert['id']}").get_json()["note"]) <= 1000


def test_endpoints_without_a_secret_do_not_exist(app, client, user):
    assert text(client, app, user.phone, "SOS").status_code == 404
    assert client.post(TWILIO_URL, data={"From": user.phone}).status_code == 404
    _nothing_stored(app)


def test_a_provider_is_rate_limited_but_unsigned_calls_do_not_use_its_budget(
        app, client, inbound, user, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_INBOUND_RATE_LIMIT", "3 per minute")
    body = b'{"id": "m", "from": "+77010000000", "text": "SOS"}'
    for _ in range(5):
        assert client.post(GENERIC_URL, data=body,
                           content_type="application/json").status_code == 401
    for _ in range(3):
        assert text(client, app, user.phone, "hello").status_code == 200
    r = text(client, app, user.phone, "hello")
    assert r.status_code == 429 and r.headers.get("Retry-After")
    # Twilio has its own budget
    assert twilio_post(client, app, {"MessageSid": "SMx", "From": user.phone,
                                     "Body": "hi"}).status_code == 200


# -- Twilio ------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller, expected", [
    ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),  # Twilio's documented examples
    ("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
])
def test_twilio_signature_matches_twilios_documented_examples(caller, expected):
    from safety.inbound_sms.providers import twilio_signature

    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", caller), ("Digits", "1234"),
              ("From", caller), ("To", "+18005551212")]
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                            params) == expected


def twilio_post(client, app, params: dict, *, token: str = TWILIO_TOKEN,
                signature: str | None = None, query: str = ""):
    from safety.inbound_sms.providers import twilio_signature

    form = {"AccountSid": "AC" + "0" * 32, "To": "+17775550000", "NumMedia": "0",
            "SmsSid": params.get("MessageSid", ""), **params}
    url = app.config["PUBLIC_BASE_URL"] + TWILIO_URL + (f"?{query}" if query else "")
    sig = signature if signature is not None else twilio_signature(token, url,
                                                                   list(form.items()))
    return client.post(TWILIO_URL + (f"?{query}" if query else ""), data=urlencode(form),
                       headers={"X-Twilio-Signature": sig,
                                "Content-Type": "application/x-www-form-urlencoded"})


def test_twilio_sos_and_the_empty_twiml_answer(app, client, inbound, provider, user, drain):
    r = twilio_post(client, app, {"MessageSid": "SM" + "a" * 32, "From": user.phone,
                                  "Body": "СОС"}, query="region=kz")
    assert r.status_code == 200 and r.content_type.startswith("text/xml")
    assert r.data.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1
    assert len(replies(app, drain, provider, user.phone)) == 1
    again = twilio_post(client, app, {"MessageSid": "SM" + "a" * 32, "From": user.phone,
                                      "Body": "СОС"}, query="region=kz")
    assert (again.status_code, again.data) == (r.status_code, r.data)
    assert len(replies(app, drain, provider, user.phone)) == 1


def test_twilio_refuses_unsigned_and_forged_calls(app, client, inbound, user):
    params = {"MessageSid": "SM1", "From": user.phone, "Body": "SOS"}
    assert twilio_post(client, app, params, signature="").status_code == 401
    assert twilio_post(client, app, params, token="not-the-token-000000").status_code == 403
    # signed for other parameters than those sent
    from safety.inbound_sms.providers import twilio_signature

    url = app.config["PUBLIC_BASE_URL"] + TWILIO_URL
    sig = twilio_signature(TWILIO_TOKEN, url, [("MessageSid", "SM1"), ("From", user.phone),
                                               ("Body", "hello")])
    r = client.post(TWILIO_URL, data=urlencode(params), headers={
        "X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and r.content_type == "application/problem+json"
    _nothing_stored(app)


def test_twilio_without_the_message_sid_is_422(app, client, inbound, user):
    r = twilio_post(client, app, {"From": user.phone, "Body": "SOS"})
    assert r.status_code == 422 and "MessageSid" in r.get_json()["errors"]
    _nothing_stored(app)


# -- the migration -----------------------------------------------------------------------------


def test_0016_keeps_every_alerts_trail(app, user, panic):
    """Making the alert's location optional must not copy and drop the alerts table: with
    foreign keys on, that would delete every trail point (ON DELETE CASCADE)."""
    from flask_migrate import downgrade, upgrade

    from safety.alerts.models import AlertLocation

    alert = panic(user).get_json()
    with app.app_context():
        db.session.remove()
        downgrade(revision="0012")
        upgrade()
        db.session.remove()
    assert count(app, AlertLocation) == 1
    assert user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]


# -- reading the words -------------------------------------------------------------------------


@pytest.mark.parametrize("words, kind, pin, minutes", [
    ("SOS", "sos", None, None),
    ("sos!", "sos", None, None),
    ("\u200bSOS", "sos", None, None),
    ("КӨМЕК", "sos", None, None),
    ("OK 1234", "check_in", "1234", None),
    ("ОК 1234.", "check_in", "1234", None),  # Cyrillic, a full stop
    ("ok １２３４", "check_in", "1234", None),  # full-width digits
    ("OK 123", "help", None, None),
    ("OK 123456789", "help", None, None),
    ("OK 1234 5678", "help", None, None),
    ("+30 1234", "extend", "1234", 30),
    ("+ 15 1234", "extend", "1234", 15),
    ("+30", "help", None, None),
    ("+0 1234", "help", None, None),
    ("+10000 1234", "help", None, None),
    ("30 1234", "help", None, None),
    ("cancel 9999", "cancel", "9999", None),
    ("Отмена 1234", "cancel", "1234", None),
    ("", "help", None, None),
    ("SOS OK 1234", "sos", None, None),  # SOS comes first
])
def test_parsing(words, kind, pin, minutes):
    from safety.inbound_sms import parsing

    sos = parsing.words("SOS,СОС,ПОМОГИТЕ,КӨМЕК")
    ok, cancel = parsing.words("OK,ОК"), parsing.words("CANCEL,ОТМЕНА,БОЛДЫРМАУ")
    command = parsing.parse(words, sos, ok, cancel)
    assert (command.kind, command.pin, command.minutes) == (kind, pin, minutes)


# -- argon2 holds no lock ----------------------------------------------------------------------


def test_pins_by_sms_are_checked_with_no_transaction_open(app, client, inbound, user, panic,
                                                          monkeypatch):
    """As for the API (tests/test_hashing.py): on SQLite a transaction holds the write lock, and
    a PIN check inside one would hold every panic behind it."""
    from argon2 import PasswordHasher


    seen = []
    verify = PasswordHasher.verify

    def spy(hasher, *args, **kwargs):
        seen.append((db.session().in_transaction(),
                     app.config["BACKEND"] == "sqlite" and sqlite_write_locked(app)))
        return verify(hasher, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    start_timer(user)
    text(client, app, user.phone, "+30 0000")
    text(client, app, user.phone, "+30 1234")
    text(client, app, user.phone, "OK 9999")
    panic(user)
    text(client, app, user.phone, "CANCEL 1234")
    assert len(seen) >= 4 * 2  # her PIN and her duress PIN, every time
    assert all(state == (False, False) for state in seen), seen


def test_a_cancel_before_any_location_shows_her_none_after_it(app, client, inbound, provider,
                                                               make_person, drain):
    """Raised by SMS with no location, canceled by SMS (her PIN / her duress PIN), then her
    phone gets data back and sends a point: both see the same (409, no location)."""
    real = make_person(pin="1234", duress_pin="9999", name="Aigerim")
    forced = make_person(pin="1234", duress_pin="9999", name="Dana")
    seen = []
    for person, pin in ((real, "1234"), (forced, "9999")):
        text(client, app, person.phone, "SOS")
        (alert,) = person.get("/api/v1/alerts").get_json()["items"]
        text(client, app, person.phone, f"CANCEL {pin}")
        point = {**HERE, "recorded_at": _now(app).isoformat()}
        r = person.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [point]})
        assert r.status_code == 409
        mine = person.get(f"/api/v1/alerts/{alert['id']}").get_json()
        seen.append((mine["status"], mine["location"], r.data))
    assert seen[0] == seen[1] == ("canceled", None, seen[0][2])
