"""Her phone going dark: heartbeats during a timer or an alert, and one warning to her guardians
per episode of low battery or silence (pushes through the real firebase-admin against the fake
FCM, the worker's timer jobs on the app's clock). Nothing of it reaches her phone."""

import re
import uuid
from types import SimpleNamespace

import pytest

from safety.extensions import db

HERE = {"lat": 43.2567, "lon": 76.9286}
THERE = {"lat": 43.2389, "lon": 76.8897}
BEAT = "/api/v1/me/heartbeat"
WARNINGS = ("phone_low", "phone_dark")


@pytest.fixture
def family(user, make_person, make_guardian, register_device, fcm):
    """Her (Aigerim, with a phone), her guardian Mom (reads English), and the fake FCM."""
    tag = uuid.uuid4().hex[:8]
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    assert mom.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    register_device(mom, f"mom-{tag}")
    register_device(user, f"her-{tag}")
    return SimpleNamespace(her=user, mom=mom, mom_token=f"mom-{tag}", her_token=f"her-{tag}",
                           fcm=fcm)


def start_timer(person, **body):
    r = person.post("/api/v1/timers", json={"duration_s": 3 * 3600, "note": "date at a cafe",
                                            "location": HERE, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def beat(person, pct=80, charging=False, location=None, **extra):
    body = {"battery_pct": pct, "charging": charging, **extra}
    if location is not None:
        body["location"] = location
    return person.post(BEAT, json=body)


def warnings(app, jobs, kind=None):
    return [j for j in jobs(app, channel="push") if j.kind in ((kind,) if kind else WARNINGS)]


def outbox(app, jobs):
    """The outbox as comparable values."""
    return [(j.id, j.kind, j.status, j.payload, j.due_at) for j in jobs(app)]


def state(app, model_name, row_id):
    """The phone columns of a timer or an alert, read from the database."""
    from safety.alerts.models import Alert
    from safety.timers.models import SafetyTimer

    model = {"timer": SafetyTimer, "alert": Alert}[model_name]
    with app.app_context():
        row = db.session.get(model, uuid.UUID(str(row_id)))
        out = {c.key: getattr(row, c.key) for c in model.__table__.columns}
        db.session.remove()
        return out


# -- low battery ---------------------------------------------------------------------------------


def test_low_battery_warns_her_guardians_once(app, family, drain, jobs):
    start_timer(family.her)
    fine = beat(family.her, 50)
    assert fine.status_code == 202
    assert warnings(app, jobs) == []
    r = beat(family.her, 14, location=THERE)
    assert r.status_code == 202 and r.get_json() == {"every_s": app.config["HEARTBEAT_EVERY_S"]}
    assert r.data == fine.data  # her phone cannot tell that a warning went out
    for pct in (12, 9, 18, 3):  # still low, or not yet recovered past the hysteresis
        assert beat(family.her, pct).status_code == 202
    (job,) = warnings(app, jobs)
    assert job.kind == "phone_low" and job.recipient_user_id == family.mom.id
    drain(app)
    (msg,) = family.fcm.sent_to(family.mom_token)
    assert msg["notification"]["title"] == "Aigerim's phone battery is low"
    assert re.match(r"14% left\. Her last known location is from .+ \(1 min ago\)\. "
                    r"Tap to see it\.", msg["notification"]["body"]), msg["notification"]
    assert msg["data"]["type"] == "phone_low" and msg["data"]["battery_pct"] == "14"
    assert float(msg["data"]["lat"]) == pytest.approx(THERE["lat"])  # her last known location
    assert family.fcm.sent_to(family.her_token) == []  # nothing on her phone


def test_battery_recovered_past_the_hysteresis_re_arms(app, family, jobs):
    start_timer(family.her)
    low, hysteresis = app.config["BATTERY_LOW_PCT"], app.config["BATTERY_HYSTERESIS_PCT"]
    beat(family.her, low - 1)
    beat(family.her, low + hysteresis - 1)  # not enough: still the same episode
    beat(family.her, low - 2)
    assert len(warnings(app, jobs, "phone_low")) == 1
    beat(family.her, low + hysteresis)  # recovered
    beat(family.her, low)  # at the level is not under it
    assert len(warnings(app, jobs, "phone_low")) == 1
    beat(family.her, low - 1)
    assert len(warnings(app, jobs, "phone_low")) == 2


def test_a_charging_phone_is_not_running_out(app, family, jobs):
    start_timer(family.her)
    beat(family.her, 5, charging=True)
    assert warnings(app, jobs) == []
    beat(family.her, 5, charging=False)  # unplugged
    assert len(warnings(app, jobs, "phone_low")) == 1


# -- silence -------------------------------------------------------------------------------------


def test_silence_warns_once(app, clock, family, drain, jobs):
    timer = start_timer(family.her)
    silence = app.config["HEARTBEAT_SILENCE_S"]
    beat(family.her, 60, location=THERE)
    clock.advance(silence - 5)
    drain(app)
    assert warnings(app, jobs) == []
    clock.advance(10)
    drain(app)
    (job,) = warnings(app, jobs)
    assert job.kind == "phone_dark" and job.payload["data"]["timer_id"] == timer["id"]
    msg = next(m for m in family.fcm.sent_to(family.mom_token)
               if m["data"]["type"] == "phone_dark")
    assert msg["notification"]["title"] == "Aigerim's phone has stopped reporting"
    assert re.match(r"Nothing from her phone for 5 min\. Her last known location is from .+ "
                    r"\(5 min ago\)\.", msg["notification"]["body"]), msg["notification"]
    for _ in range(3):  # a warning, not a stream of them
        clock.advance(silence)
        drain(app)
    assert len(warnings(app, jobs)) == 1
    assert family.fcm.sent_to(family.her_token) == []
    assert [j for j in jobs(app, kind="phone_silence") if j.status == "pending"] == []


def test_steady_heartbeats_never_warn_and_keep_one_check_pending(app, clock, family, drain, jobs):
    start_timer(family.her)
    every = app.config["HEARTBEAT_EVERY_S"]
    for _ in range(20):
        assert beat(family.her, 70).status_code == 202
        pending = [j for j in jobs(app, kind="phone_silence") if j.status == "pending"]
        assert len(pending) == 1
        clock.advance(every)
        drain(app)
    assert warnings(app, jobs) == []
    # a check per silence window, not one per heartbeat
    windows = 20 * every // app.config["HEARTBEAT_SILENCE_S"]
    assert len(jobs(app, kind="phone_silence")) <= windows + 2


def test_heartbeats_resuming_re_arm_the_silence_warning(app, clock, family, drain, jobs):
    start_timer(family.her)
    silence = app.config["HEARTBEAT_SILENCE_S"]
    beat(family.her, 60)
    clock.advance(silence + 1)
    drain(app)
    assert len(warnings(app, jobs, "phone_dark")) == 1
    assert beat(family.her, 58).status_code == 202  # she is back
    clock.advance(silence - 10)
    drain(app)
    assert len(warnings(app, jobs, "phone_dark")) == 1
    clock.advance(20)
    drain(app)
    assert len(warnings(app, jobs, "phone_dark")) == 2


def test_checking_in_stops_the_watch(app, clock, family, drain, jobs):
    timer = start_timer(family.her)
    beat(family.her, 60)
    r = family.her.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": "1234"})
    assert r.status_code == 200
    clock.advance(app.config["HEARTBEAT_SILENCE_S"] + 1)
    drain(app)
    assert warnings(app, jobs) == []
    (check,) = jobs(app, kind="phone_silence")
    assert check.result == {"skipped": "not watched any more"}
    assert beat(family.her, 5).status_code == 409  # and she is not followed any more


# -- nothing running: refused, nothing stored ----------------------------------------------------


def test_no_timer_and_no_alert_is_refused_and_nothing_is_stored(app, family, jobs):
    before = outbox(app, jobs)
    r = beat(family.her, 5, location=THERE)
    assert r.status_code == 409 and r.content_type == "application/problem+json"
    assert "safety timer" in r.get_json()["detail"]
    assert outbox(app, jobs) == before


def test_after_a_cancel_heartbeats_are_refused(app, family, panic, jobs):
    alert = panic(family.her).get_json()
    family.her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    before = outbox(app, jobs)
    assert beat(family.her, 5, location=THERE).status_code == 409
    assert outbox(app, jobs) == before
    assert state(app, "alert", alert["id"])["phone_seen_at"] is None


# -- the wrong person ----------------------------------------------------------------------------


def test_someone_else_cannot_report_for_her(app, family, stranger, jobs):
    timer = start_timer(family.her)
    before = state(app, "timer", timer["id"])
    # her guardian and a stranger, neither running anything: their own heartbeat is refused
    for other in (family.mom, stranger):
        assert beat(other, 3, location=THERE).status_code == 409
    assert state(app, "timer", timer["id"]) == before
    assert warnings(app, jobs) == []


@pytest.mark.parametrize("roles", [(), ("responder",), ("org_admin",), ("admin",)])
def test_her_timer_is_404_to_anyone_but_her_and_her_warned_guardians(app, family, make_person,
                                                                      roles):
    timer = start_timer(family.her)
    path = f"/api/v1/timers/{timer['id']}"
    beat(family.her, 80)
    assert family.mom.get(path).status_code == 404  # no warning yet: guardians do not know
    beat(family.her, 10, location=THERE)  # warned
    other = make_person(*roles, name="Other")
    assert other.get(path).status_code == 404
    for suffix, body in (("/extend", {"duration_s": 4 * 3600}), ("/check-in", {"pin": "1234"})):
        assert family.mom.post(path + suffix, json=body).status_code == 404
        assert other.post(path + suffix, json=body).status_code == 404
    assert family.her.get(path).get_json()["status"] == "running"


def test_warned_guardian_sees_her_timer_with_her_phone(app, clock, family):
    timer = start_timer(family.her)
    path = f"/api/v1/timers/{timer['id']}"
    beat(family.her, 10, location=THERE)
    clock.advance(42)
    seen = family.mom.get(path).get_json()
    assert "note" not in seen
    assert seen["person"]["full_name"] == "Aigerim" and seen["status"] == "running"
    assert seen["location"]["lat"] == pytest.approx(THERE["lat"])
    phone = seen["phone"]
    assert phone["battery_pct"] == 10 and phone["charging"] is False
    assert phone["battery_low"] is True and phone["silent"] is False
    assert 42 <= phone["heartbeat_age_s"] <= 44
    mine = family.her.get(path).get_json()  # her own view: as before, nothing of this
    assert mine["note"] == "date at a cafe"
    assert not {"phone", "person", "location"} & set(mine)
    family.her.post(f"{path}/check-in", json={"pin": "1234"})
    assert family.mom.get(path).status_code == 404  # only while it runs


# -- bad input: 422, nothing stored --------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"battery_pct": -1, "charging": False}, "battery_pct"),
    ({"battery_pct": 101, "charging": False}, "battery_pct"),
    ({"battery_pct": 50.5, "charging": False}, "battery_pct"),
    ({"battery_pct": "50", "charging": False}, "battery_pct"),
    ({"battery_pct": None, "charging": False}, "battery_pct"),
    ({"charging": False}, "battery_pct"),
    ({"battery_pct": 5, "charging": "yes"}, "charging"),
    ({"battery_pct": 5, "charging": 1}, "charging"),
    ({"battery_pct": 5}, "charging"),
    ({"battery_pct": 5, "charging": False, "location": {"lat": 91, "lon": 76.9}}, "location"),
    ({"battery_pct": 5, "charging": False, "location": {"lat": 43.2, "lon": 181}}, "location"),
    ({"battery_pct": 5, "charging": False,
      "location": {"lat": 43.2, "lon": 76.9, "recorded_at": "2026-11-23T08:00:00"}}, "location"),
    ({"battery_pct": 5, "charging": False, "screen": "on"}, "screen"),
])
def test_out_of_range_is_422_and_changes_nothing(app, family, panic, jobs, body, field):
    timer = start_timer(family.her)
    alert = panic(family.her).get_json()
    before = (state(app, "timer", timer["id"]), state(app, "alert", alert["id"]),
              outbox(app, jobs))
    r = family.her.post(BEAT, json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    after = (state(app, "timer", timer["id"]), state(app, "alert", alert["id"]),
             outbox(app, jobs))
    assert after == before
    trail = family.her.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    assert len(trail) == 1


def test_phone_times_are_clamped_like_other_points(app, family, panic):
    alert = panic(family.her).get_json()
    r = beat(family.her, 70, location={**THERE, "recorded_at": "9999-12-31T23:59:59Z"})
    assert r.status_code == 202
    trail = family.mom.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    newest = trail[-1]
    assert newest["lat"] == pytest.approx(THERE["lat"]) and newest["clock_adjusted"] is True
    assert newest["reported_recorded_at"] == "9999-12-31T23:59:59Z"


def test_heartbeats_are_rate_limited_per_account(app, family, monkeypatch):
    monkeypatch.setitem(app.config, "HEARTBEAT_RATE_LIMIT", "3 per minute")
    start_timer(family.her)
    assert [beat(family.her).status_code for _ in range(3)] == [202] * 3
    r = beat(family.her)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.content_type == "application/problem+json"
    assert beat(family.mom).status_code == 409  # his own budget (and nothing of his runs)


# -- during an alert ---------------------------------------------------------------------------


def test_an_alerts_heartbeat_extends_its_trail_and_guardians_see_the_phone(app, clock, family,
                                                                          panic):
    alert = panic(family.her).get_json()
    r = beat(family.her, 33, charging=True, location=THERE)
    assert r.status_code == 202
    trail = family.mom.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    assert len(trail) == 2 and trail[-1]["lat"] == pytest.approx(THERE["lat"])
    clock.advance(30)
    seen = family.mom.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["location"]["lat"] == pytest.approx(THERE["lat"])
    assert seen["phone"]["battery_pct"] == 33 and seen["phone"]["charging"] is True
    assert 30 <= seen["phone"]["heartbeat_age_s"] <= 32
    mine = family.her.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert "phone" not in mine


def test_an_alerts_guardians_view_before_any_heartbeat_has_no_phone(app, family, panic):
    alert = panic(family.her).get_json()
    assert family.mom.get(f"/api/v1/alerts/{alert['id']}").get_json()["phone"] is None


def test_during_an_alert_sms_contacts_get_a_tracking_link(app, client, family, panic, jobs, drain):
    family.her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    panic(family.her)
    beat(family.her, 8, location=THERE)
    (sms,) = jobs(app, kind="phone_low_sms")
    assert sms.recipient == "+77015550123"
    text = sms.payload["text"]
    assert text.startswith("Aigerim's phone is running out of battery (8%). Her last known "
                           "location, from ")
    path = re.search(r"(/t/[A-Za-z0-9_\-]+)", text).group(1)
    data = client.get(path + "/data").get_json()
    assert data["points"][-1]["lat"] == pytest.approx(THERE["lat"])
    drain(app)
    assert jobs(app, kind="phone_low_sms")[0].status == "sent"


def test_dark_phone_sms_count_towards_the_sms_limits(app, clock, family, panic, jobs, drain,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PER_CONTACT_PER_DAY", 2)
    family.her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    panic(family.her)  # the panic's SMS: 1
    silence = app.config["HEARTBEAT_SILENCE_S"]
    for _ in range(3):  # three episodes of silence
        beat(family.her, 70)
        clock.advance(silence + 1)
        drain(app)
    assert len(warnings(app, jobs, "phone_dark")) == 3
    dark = jobs(app, kind="phone_dark_sms")
    assert [j.status for j in dark] == ["sent", "skipped", "skipped"]


def test_trail_points_count_as_signs_of_life(app, clock, family, panic, drain, jobs):
    alert = panic(family.her).get_json()
    silence = app.config["HEARTBEAT_SILENCE_S"]
    beat(family.her, 70)
    for _ in range(4):
        clock.advance(silence // 2)
        r = family.her.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [THERE]})
        assert r.status_code == 202
        drain(app)
    assert warnings(app, jobs) == []
    clock.advance(silence + 1)
    drain(app)
    (dark,) = warnings(app, jobs)
    assert dark.kind == "phone_dark" and dark.alert_id == uuid.UUID(alert["id"])


def test_a_timer_that_alarms_hands_its_watch_to_the_alert(app, clock, family, drain, jobs):
    timer = start_timer(family.her, duration_s=600)
    beat(family.her, 12, location=THERE)  # low: warned under the timer
    clock.advance(590)
    beat(family.her, 11, location=THERE)
    clock.advance(11)
    drain(app)  # the deadline passes: an alert at her last known location
    seen = family.her.get(f"/api/v1/timers/{timer['id']}").get_json()
    alert = family.mom.get(f"/api/v1/alerts/{seen['alert_id']}").get_json()
    assert alert["location"]["lat"] == pytest.approx(THERE["lat"])
    assert alert["phone"]["battery_pct"] == 11 and alert["phone"]["battery_low"] is True
    beat(family.her, 9)  # the same episode: no second warning
    assert len(warnings(app, jobs, "phone_low")) == 1
    clock.advance(app.config["HEARTBEAT_SILENCE_S"] + 1)
    drain(app)
    (dark,) = warnings(app, jobs, "phone_dark")
    assert dark.alert_id == uuid.UUID(seen["alert_id"])


# -- duress --------------------------------------------------------------------------------------


def _story(app, clock, drain, jobs, panic, person, pin):
    """A panic, a heartbeat, a cancel with `pin`, then what her phone does: a low heartbeat."""
    alert = panic(person).get_json()
    beat(person, 40)
    person.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": pin})
    r = person.post(BEAT, json={"battery_pct": 7, "charging": False, "location": THERE})
    clock.advance(app.config["HEARTBEAT_SILENCE_S"] + 1)
    drain(app)
    # the rate limiter's headers count each account's own window (two women here, not one
    # phone); X-Request-Id is a new random one for every answer
    headers = {k: v for k, v in r.headers.items()
               if not k.startswith("X-RateLimit") and k not in ("Retry-After", "X-Request-Id")}
    return alert, (r.status_code, headers, r.data)


def test_after_a_duress_cancel_guardians_are_warned_and_her_phone_sees_a_real_cancel(
        app, clock, make_person, make_guardian, register_device, fcm, panic, drain, jobs):
    answers, kinds = {}, {}
    for pin in ("1234", "9999"):
        her = make_person(pin="1234", duress_pin="9999", name="Aigerim")
        mom = make_person(name="Mom")
        make_guardian(her, mom)
        register_device(mom, f"mom-{pin}")
        register_device(her, f"her-{pin}")
        alert, answers[pin] = _story(app, clock, drain, jobs, panic, her, pin)
        kinds[pin] = [j.kind for j in warnings(app, jobs) if j.alert_id == uuid.UUID(alert["id"])]
        assert fcm.sent_to(f"her-{pin}") == []  # nothing on her phone, either way
        if pin == "9999":
            # behind her screen: the point is on the trail her guardian follows
            trail = mom.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
            assert trail[-1]["lat"] == pytest.approx(THERE["lat"])
            seen = mom.get(f"/api/v1/alerts/{alert['id']}").get_json()
            assert seen["phone"]["battery_pct"] == 7 and seen["phone"]["silent"] is True
            assert "phone" not in her.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert answers["1234"] == answers["9999"]  # byte for byte, headers too
    assert answers["1234"][0] == 409
    assert kinds["1234"] == []  # a real cancel: she is safe, nothing more is watched
    assert kinds["9999"] == ["phone_low", "phone_dark"]


def test_a_duress_check_in_hands_the_watch_to_the_silent_alert(app, clock, family, drain, jobs):
    timer = start_timer(family.her)
    beat(family.her, 50, location=THERE)
    r = family.her.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": "9999"})
    assert r.status_code == 200 and r.get_json()["status"] == "checked_in"
    r = beat(family.her, 6)  # a heartbeat in flight: kept, and answered as after a check-in
    assert r.status_code == 409
    clock.advance(app.config["HEARTBEAT_SILENCE_S"] + 1)
    drain(app)
    assert [j.kind for j in warnings(app, jobs)] == ["phone_low", "phone_dark"]
    assert all(j.alert_id is not None for j in warnings(app, jobs))
    assert family.fcm.sent_to(family.her_token) == []


def test_config_refuses_a_silence_shorter_than_the_interval():
    from safety.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="HEARTBEAT_SILENCE_S"):
        load_config({"SAFETY_ENV": "testing", "HEARTBEAT_EVERY_S": "60",
                     "HEARTBEAT_SILENCE_S": "60"})
    with pytest.raises(ConfigError, match="BATTERY_LOW_PCT"):
        load_config({"SAFETY_ENV": "testing", "BATTERY_LOW_PCT": "98",
                     "BATTERY_HYSTERESIS_PCT": "5"})
    defaults = load_config({"SAFETY_ENV": "testing"})
    assert defaults["HEARTBEAT_EVERY_S"] < defaults["HEARTBEAT_SILENCE_S"]
