"""Changing the PIN needs the current PIN (or the password while none is set), behind the same
lock as cancel. The duress PIN given as the current PIN answers like a real change, changes
nothing of hers, and makes the PINs he chose duress PINs (decoys)."""

import uuid

import pytest

PIN = "/api/v1/me/pin"


def _cancel(person, alert_id, pin):
    return person.post(f"/api/v1/alerts/{alert_id}/cancel", json={"pin": pin})


def truth(app, alert_id) -> tuple[str, bool]:
    """What responders see: the alert's real status and its duress flag."""
    from safety.alerts.models import Alert
    from safety.extensions import db

    with app.app_context():
        alert = db.session.get(Alert, uuid.UUID(alert_id))
        return alert.status, alert.duress


def test_the_phone_holder_cannot_reset_her_pin_and_cancel_her_alert(user, make_person,
                                                                    make_guardian, panic):
    """The attack: he holds her unlocked phone (her token), sets a PIN he knows, cancels."""
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    alert = panic(user).get_json()
    reset = user.put(PIN, json={"pin": "5555"})
    assert reset.status_code == 422 and "current_pin" in reset.get_json()["errors"]
    assert _cancel(user, alert["id"], "5555").status_code == 403
    assert mom.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"


def test_a_guessed_current_pin_is_refused_and_changes_nothing(user, panic):
    r = user.put(PIN, json={"current_pin": "0000", "pin": "5555"})
    assert r.status_code == 403 and r.content_type == "application/problem+json"
    assert r.get_json()["attempts_left"] == 4
    alert = panic(user).get_json()
    assert _cancel(user, alert["id"], "5555").status_code == 403
    assert _cancel(user, alert["id"], "1234").status_code == 200


def test_the_current_pin_changes_it(user, panic):
    r = user.put(PIN, json={"current_pin": "1234", "pin": "2468", "duress_pin": "1357"})
    assert r.status_code == 204
    alert = panic(user).get_json()
    assert _cancel(user, alert["id"], "1234").status_code == 403  # the old PIN is gone
    assert _cancel(user, alert["id"], "2468").status_code == 200


def test_with_a_pin_set_the_password_does_not_replace_it(user):
    r = user.put(PIN, json={"current_password": user.password, "pin": "5555"})
    assert r.status_code == 422 and "current_pin" in r.get_json()["errors"]


def test_the_first_pin_needs_the_password(make_person):
    p = make_person()
    r = p.put(PIN, json={"pin": "2468"})
    assert r.status_code == 422 and "current_password" in r.get_json()["errors"]
    r = p.put(PIN, json={"pin": "2468", "current_password": "not her password"})
    assert r.status_code == 403 and r.get_json()["attempts_left"] == 4
    assert p.get("/api/v1/me").get_json()["has_pin"] is False
    r = p.put(PIN, json={"pin": "2468", "current_password": p.password})
    assert r.status_code == 204
    assert p.get("/api/v1/me").get_json()["has_pin"] is True


def test_wrong_current_pins_lock_the_change_not_cancel(app, clock, user, panic):
    alert = panic(user).get_json()
    lefts = []
    for _ in range(app.config["CANCEL_MAX_ATTEMPTS"]):
        r = user.put(PIN, json={"current_pin": "0000", "pin": "5555"})
        assert r.status_code == 403
        lefts.append(r.get_json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    locked = user.put(PIN, json={"current_pin": "1234", "pin": "5555"})  # right, but locked
    assert locked.status_code == 403 and "locked_until" in locked.get_json()
    # the lock guards the change only: cancel still takes her PIN
    assert _cancel(user, alert["id"], "1234").status_code == 200
    clock.advance(app.config["CANCEL_LOCK_S"] + 1)
    assert user.put(PIN, json={"current_pin": "1234", "pin": "5555"}).status_code == 204


def test_the_lock_holds_across_her_logins(app, user, client):
    """Counted on her account, not on the token: logging in again does not reset it."""
    for _ in range(app.config["CANCEL_MAX_ATTEMPTS"]):
        user.put(PIN, json={"current_pin": "0000", "pin": "5555"})
    r = client.post("/api/v1/auth/login", json={"phone": user.phone, "password": user.password})
    fresh = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    r = client.put(PIN, json={"current_pin": "1234", "pin": "5555"}, headers=fresh)
    assert r.status_code == 403 and r.get_json()["attempts_left"] == 0


def test_a_right_pin_resets_the_count(user):
    for _ in range(3):
        user.put(PIN, json={"current_pin": "0000", "pin": "5555"})
    assert user.put(PIN, json={"current_pin": "1234", "pin": "2468"}).status_code == 204
    r = user.put(PIN, json={"current_pin": "0000", "pin": "5555"})
    assert r.get_json()["attempts_left"] == 4


# -- the duress PIN as the "current" PIN ---------------------------------------------------


def test_duress_pin_as_current_answers_exactly_like_the_pin(make_person):
    real = make_person(pin="1234", duress_pin="9999")
    forced = make_person(pin="1234", duress_pin="9999")
    a = real.put(PIN, json={"current_pin": "1234", "pin": "5555", "duress_pin": "6666"})
    b = forced.put(PIN, json={"current_pin": "9999", "pin": "5555", "duress_pin": "6666"})
    assert (a.status_code, a.data) == (b.status_code, b.data) == (204, b"")
    # X-Request-Id is a new random one for each answer: the rest must be the same
    assert {k: v for k, v in a.headers.items() if k != "X-Request-Id"} == \
        {k: v for k, v in b.headers.items() if k != "X-Request-Id"}
    assert len(a.headers["X-Request-Id"]) == len(b.headers["X-Request-Id"]) == 32
    me_a, me_b = real.get("/api/v1/me").get_json(), forced.get("/api/v1/me").get_json()
    assert me_a["has_pin"] is me_b["has_pin"] is True


def test_duress_pin_as_current_leaves_her_pins_as_they_were(app, user, panic):
    assert user.put(PIN, json={"current_pin": "9999", "pin": "5555"}).status_code == 204
    alert = panic(user).get_json()
    assert _cancel(user, alert["id"], "1234").status_code == 200
    assert truth(app, alert["id"]) == ("canceled", False)
    other = panic(user).get_json()
    assert _cancel(user, other["id"], "9999").status_code == 200
    assert truth(app, other["id"]) == ("active", True)


@pytest.mark.parametrize("his_pin", ["5555", "6666"])
def test_the_pins_he_chose_cancel_under_duress(app, user, make_person, his_pin, make_guardian,
                                               register_device, panic, jobs):
    """He forced 'her PIN' out of her, got the duress PIN, and set his own: every PIN he set
    cancels on her screen exactly like a real cancel, and her guardians learn the truth."""
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(mom, "mom-phone")
    user.put(PIN, json={"current_pin": "9999", "pin": "5555", "duress_pin": "6666"})
    alert = panic(user).get_json()
    r = _cancel(user, alert["id"], his_pin)
    assert r.status_code == 200 and r.get_json()["status"] == "canceled"
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "canceled"
    theirs = mom.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert theirs["status"] == "active" and theirs["duress"] is True
    assert len(jobs(app, kind="alert_duress")) == 1


def test_his_pin_as_current_changes_only_his_pins_again(app, user, panic):
    user.put(PIN, json={"current_pin": "9999", "pin": "5555"})
    assert user.put(PIN, json={"current_pin": "5555", "pin": "7777"}).status_code == 204
    first = panic(user).get_json()
    assert _cancel(user, first["id"], "1234").status_code == 200  # hers is untouched
    assert truth(app, first["id"]) == ("canceled", False)
    alert = panic(user).get_json()
    assert _cancel(user, alert["id"], "5555").status_code == 403  # replaced by 7777
    assert _cancel(user, alert["id"], "7777").status_code == 200
    assert truth(app, alert["id"]) == ("active", True)


def test_his_pin_checks_in_a_timer_under_duress(app, user):
    user.put(PIN, json={"current_pin": "9999", "pin": "5555"})
    timer = user.post("/api/v1/timers", json={
        "duration_s": 600, "location": {"lat": 43.25, "lon": 76.92}}).get_json()
    r = user.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": "5555"})
    assert r.status_code == 200
    from safety.alerts.models import Alert
    from safety.extensions import db

    with app.app_context():
        (alert,) = db.session.scalars(db.select(Alert)).all()
        assert alert.duress and alert.silent and alert.live


def test_duress_pin_at_a_change_tells_her_guardians(app, user, make_person, make_guardian,
                                                    register_device, jobs):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(mom, "mom-phone")
    register_device(user, "her-phone")
    user.put(PIN, json={"current_pin": "9999", "pin": "5555"})
    (push,) = jobs(app, kind="pin_duress")
    assert push.recipient_user_id == mom.id
    assert push.payload["data"]["type"] == "pin_duress"


def test_her_real_change_keeps_his_pins_as_duress_pins(app, user, panic):
    user.put(PIN, json={"current_pin": "9999", "pin": "5555"})
    assert user.put(PIN, json={"current_pin": "1234", "pin": "2468",
                               "duress_pin": "1357"}).status_code == 204
    alert = panic(user).get_json()
    assert _cancel(user, alert["id"], "5555").status_code == 200  # still his decoy
    assert truth(app, alert["id"]) == ("active", True)
