"""Silent replies: messages in an alert's timeline between her, her guardians and the responder
holding the dispatch. Who may read and write; what a duress cancel hides from her phone; the
limits; pushes through firebase-admin against the fake FCM, in each reader's language."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from safety.extensions import db
from safety.messages.models import AlertMessage

HER_CODES = {"cant_talk", "hiding", "still_here", "safe_now", "come_quickly"}


@pytest.fixture
def stored(app):
    """`stored()`: every message in the database, oldest first (detached)."""

    def read() -> list[AlertMessage]:
        with app.app_context():
            rows = list(db.session.scalars(select(AlertMessage).order_by(
                AlertMessage.created_at)))
            db.session.expunge_all()
            return rows

    return read


@pytest.fixture
def scene(world, make_person, make_guardian, register_device, panic, offers_of):
    """Her live alert: two guardians (Mom, Sister), the nearest responder (r500) holding the
    dispatch, everyone with a device."""
    her = world.user
    register_device(her, "her-phone")
    mom = make_person(name="Mom")
    make_guardian(her, mom, name="Mother")
    register_device(mom, "mom-phone")
    sister = make_person(name="Sister")
    make_guardian(her, sister, name="Sister")
    register_device(sister, "sister-phone")
    alert = panic(her).get_json()
    responder = world.responders["r500"]
    dispatch_id = offers_of(responder)[0]["dispatch_id"]
    assert responder.post(f"/api/v1/dispatches/{dispatch_id}/accept").status_code == 200
    return SimpleNamespace(
        her=her, mom=mom, sister=sister, responder=responder, world=world,
        alert_id=alert["id"], dispatch_id=dispatch_id,
        path=f"/api/v1/alerts/{alert['id']}/messages")


def pushes(fcm, token: str) -> list[dict]:
    """Message pushes the fake FCM accepted for `token` (firebase-admin sends a batch in
    parallel: they arrive in any order)."""
    return [m for m in fcm.sent_to(token) if m["data"]["type"] == "alert_message"]


def bodies(fcm, token: str) -> list[str]:
    return sorted(m["notification"]["body"] for m in pushes(fcm, token))


def push_saying(fcm, token: str, body: str) -> dict:
    (push,) = [m for m in pushes(fcm, token) if m["notification"]["body"] == body]
    return push


# -- quick replies --------------------------------------------------------------------------------


def test_quick_replies_are_listed_with_their_text_and_senders(user):
    r = user.get("/api/v1/quick-replies")
    assert r.status_code == 200
    replies = {item["code"]: item for item in r.get_json()["items"]}
    assert HER_CODES <= set(replies)
    assert replies["cant_talk"]["text"] == "I can't talk"
    assert replies["still_here"]["text"] == "He is still here"
    assert replies["safe_now"]["senders"] == ["owner"]
    assert replies["on_my_way"]["senders"] == ["guardian", "responder"]


def test_quick_replies_need_a_login(client):
    assert client.get("/api/v1/quick-replies").status_code == 401


# -- who writes, who reads ------------------------------------------------------------------------


def test_each_message_pushes_to_the_others_and_not_to_the_sender(app, scene, fcm, drain):
    r = scene.her.post(scene.path, json={"code": "hiding"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["kind"] == "quick_reply" and body["code"] == "hiding"
    assert body["text"] == "I'm hiding" and body["from_role"] == "owner" and body["mine"] is True
    assert "held" not in body  # never on her phone
    assert scene.mom.post(scene.path, json={"text": "  Where are you?  "}).status_code == 201
    assert scene.responder.post(scene.path, json={"code": "on_my_way"}).status_code == 201
    drain(app)
    assert bodies(fcm, "her-phone") == ["I'm on my way", "Where are you?"]
    assert bodies(fcm, "mom-phone") == ["I'm hiding", "I'm on my way"]
    assert bodies(fcm, "sister-phone") == ["I'm hiding", "I'm on my way", "Where are you?"]
    assert bodies(fcm, "tok-r500") == ["I'm hiding", "Where are you?"]
    first = push_saying(fcm, "mom-phone", "I'm hiding")
    assert first["notification"]["title"] == "Message from Aigerim"
    assert first["data"]["alert_id"] == scene.alert_id and first["data"]["code"] == "hiding"
    assert first["data"]["from_role"] == "owner" and first["data"]["held"] == "0"
    assert first["data"]["message_id"] == body["id"]
    # the responder never learns a guardian's name
    assert push_saying(fcm, "tok-r500", "Where are you?")["notification"]["title"] == \
        "Message from her guardian"
    assert push_saying(fcm, "her-phone", "Where are you?")["notification"]["title"] == \
        "Message from Mom"
    # nobody else hears of it: the org admin, the other responders, the platform admin
    for token in ("tok-org-admin", "tok-admin", "tok-r1500", "tok-r3000", "tok-r9000"):
        assert pushes(fcm, token) == [], token


def test_every_reader_sees_the_thread_as_their_role_may(scene):
    scene.her.post(scene.path, json={"code": "still_here"})
    scene.mom.post(scene.path, json={"text": "Coming"})
    scene.responder.post(scene.path, json={"text": "5 minutes"})
    w = scene.world
    views = {name: p.get(scene.path) for name, p in (
        ("her", scene.her), ("mom", scene.mom), ("sister", scene.sister),
        ("responder", scene.responder), ("org_admin", w.org_admin), ("admin", w.admin))}
    for name, r in views.items():
        assert r.status_code == 200, name
        items = r.get_json()["items"]
        assert [m["text"] for m in items] == ["5 minutes", "Coming", "He is still here"], name
        assert r.get_json()["next_cursor"] is None
    mom_view = views["mom"].get_json()["items"]
    assert [m["mine"] for m in mom_view] == [False, True, False]
    assert [m["from_name"] for m in mom_view] == ["r500", "Mom", "Aigerim"]
    assert all(m["held"] is False for m in mom_view)
    for staff in ("responder", "org_admin"):
        assert [m["from_name"] for m in views[staff].get_json()["items"]] == \
            ["r500", None, "Aigerim"]
    assert all("held" not in m for m in views["her"].get_json()["items"])


@pytest.mark.parametrize("reader", ["org_admin", "admin"])
def test_staff_who_only_read_cannot_write(scene, stored, reader):
    r = getattr(scene.world, reader).post(scene.path, json={"text": "hello"})
    assert r.status_code == 403
    assert r.headers["Content-Type"] == "application/problem+json"
    assert stored() == []


def test_a_guardian_who_is_also_an_org_admin_writes_as_her_guardian(scene, make_guardian,
                                                                    stored):
    org_admin = scene.world.org_admin
    make_guardian(scene.her, org_admin, name="Aunt")
    r = org_admin.post(scene.path, json={"code": "police_called"})
    assert r.status_code == 201 and r.get_json()["from_role"] == "guardian"


@pytest.fixture
def outsiders(app, monkeypatch, scene, make_person, make_guardian, admin, create_org, add_member,
              astana_box):
    """Everyone who must not reach her thread, by name."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "100 per minute")  # many logins here
    her = scene.her
    people = {"stranger": make_person(name="Stranger")}
    declined = make_person(name="Declined")
    her.post("/api/v1/me/contacts", json={"name": "Dad", "phone": declined.phone})
    inv = declined.get("/api/v1/me/guardian-invitations").get_json()["items"][0]
    assert declined.post(f"/api/v1/me/guardian-invitations/{inv['id']}/decline").status_code \
        == 200
    people["declined guardian"] = declined
    removed = make_person(name="Removed")
    cid = make_guardian(her, removed, name="Ex")
    assert her.delete(f"/api/v1/me/contacts/{cid}").status_code == 204
    people["removed guardian"] = removed
    unverified = make_person(name="Unverified", verified=False)
    her.post("/api/v1/me/contacts", json={"name": "Old phone", "phone": unverified.phone})
    people["unverified contact"] = unverified
    # offered in the same round, but r500 accepted: their offers are gone
    people["responder offered, not holding"] = scene.world.responders["r1500"]
    people["responder of the same org"] = scene.world.responders["r9000"]
    other = create_org(admin, name="Other Security", coverage=astana_box)
    for role in ("responder", "org_admin"):
        p = make_person(name=f"Other {role}")
        add_member(admin, other["id"], p, role)
        people[f"another org's {role}"] = p
    return people


WHO = ["stranger", "declined guardian", "removed guardian", "unverified contact",
       "responder offered, not holding", "responder of the same org", "another org's responder",
       "another org's org_admin"]


@pytest.mark.parametrize("who", WHO)
def test_people_without_access_get_404_on_every_messages_endpoint(scene, outsiders, stored, who):
    scene.her.post(scene.path, json={"code": "hiding"})
    person = outsiders[who]
    for r in (person.get(scene.path), person.post(scene.path, json={"text": "hi"}),
              person.post(scene.path, json={"code": "on_my_way"})):
        assert r.status_code == 404, (who, r.get_json())
        assert r.get_json()["detail"] == "No such alert."
    assert len(stored()) == 1


def test_an_unknown_alert_is_404(user):
    path = f"/api/v1/alerts/{uuid.uuid4()}/messages"
    assert user.get(path).status_code == 404
    assert user.post(path, json={"code": "hiding"}).status_code == 404


def test_a_responder_who_declined_has_no_access(world, panic, offers_of, stored):
    her = world.user
    alert = panic(her).get_json()
    path = f"/api/v1/alerts/{alert['id']}/messages"
    r1500 = world.responders["r1500"]
    did = offers_of(r1500)[0]["dispatch_id"]
    assert r1500.post(f"/api/v1/dispatches/{did}/decline", json={}).status_code == 200
    # an open offer is not access either
    assert offers_of(world.responders["r500"])
    for person in (r1500, world.responders["r500"]):
        assert person.get(path).status_code == 404
        assert person.post(path, json={"text": "hi"}).status_code == 404
    assert stored() == []


def test_a_responder_whose_offer_expired_has_no_access(app, clock, world, panic, offers_of,
                                                       drain):
    alert = panic(world.user).get_json()
    path = f"/api/v1/alerts/{alert['id']}/messages"
    clock.advance(app.config["OFFER_TIMEOUT_S"] + 1)
    drain(app)
    r9000 = world.responders["r9000"]
    did = offers_of(r9000)[0]["dispatch_id"]
    assert r9000.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    assert r9000.post(path, json={"code": "on_my_way"}).status_code == 201
    for name in ("r500", "r1500", "r3000"):
        person = world.responders[name]
        assert person.get(path).status_code == 404, name
        assert person.post(path, json={"text": "hi"}).status_code == 404, name


def test_a_responder_who_gave_the_dispatch_back_loses_access(scene, stored):
    r = scene.responder.post(f"/api/v1/dispatches/{scene.dispatch_id}/status",
                             json={"status": "unable"})
    assert r.status_code == 200
    assert scene.responder.get(scene.path).status_code == 404
    assert scene.responder.post(scene.path, json={"text": "sorry"}).status_code == 404
    assert stored() == []


def test_a_guardian_removed_during_the_alert_loses_access(scene):
    scene.mom.post(scene.path, json={"text": "I'm here for you"})
    cid = next(c["id"] for c in scene.her.get("/api/v1/me/contacts").get_json()["items"]
               if c["name"] == "Mother")
    assert scene.her.delete(f"/api/v1/me/contacts/{cid}").status_code == 204
    assert scene.mom.get(scene.path).status_code == 404
    assert scene.mom.post(scene.path, json={"text": "?"}).status_code == 404


# -- what her phone never shows after a duress cancel --------------------------------------------


def test_after_a_duress_cancel_messages_to_her_are_held(app, scene, fcm, drain, stored, jobs):
    scene.mom.post(scene.path, json={"text": "Before"})
    drain(app)
    assert len(pushes(fcm, "her-phone")) == 1
    # a message whose push to her is still queued when she cancels under duress
    scene.sister.post(scene.path, json={"text": "Queued"})
    r = scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "9999"})
    assert r.status_code == 200
    after = scene.mom.post(scene.path, json={"text": "Police are on the way"})
    assert after.status_code == 201 and after.get_json()["held"] is True
    assert scene.responder.post(scene.path, json={"code": "stay_hidden"}).status_code == 201
    drain(app)
    assert bodies(fcm, "her-phone") == ["Before"]
    queued = [j for j in jobs(app, kind="alert_message", recipient_user_id=scene.her.id)]
    assert sorted(j.status for j in queued) == ["canceled", "sent"]
    # the others go on talking
    assert bodies(fcm, "sister-phone") == \
        ["Before", "Police are on the way", "Stay where you are, help is coming"]
    assert push_saying(fcm, "sister-phone", "Police are on the way")["data"]["held"] == "1"
    assert push_saying(fcm, "sister-phone", "Before")["data"]["held"] == "0"
    mine = scene.her.get(scene.path).get_json()["items"]
    assert [m["text"] for m in mine] == ["Queued", "Before"]
    theirs = scene.mom.get(scene.path).get_json()["items"]
    assert [(m["text"], m["held"]) for m in theirs] == [
        ("Stay where you are, help is coming", True), ("Police are on the way", True),
        ("Queued", False), ("Before", False)]
    assert len(stored()) == 4


def test_after_a_duress_cancel_her_phone_gets_the_real_cancels_answer(app, scene, fcm, drain,
                                                                      stored, tracking_path,
                                                                      client):
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "9999"})
    r = scene.her.post(scene.path, json={"code": "safe_now"})
    assert r.status_code == 409
    assert r.get_json()["detail"] == "This alert has ended; no new messages."
    # kept for her helpers, held, and flagged: typed on her phone after the duress cancel
    (kept,) = stored()
    assert kept.held is True and kept.code == "safe_now" and kept.sender_role == "owner"
    drain(app)
    (push,) = pushes(fcm, "mom-phone")
    assert push["notification"]["title"] == "From Aigerim's phone, after the duress cancel"
    assert push["notification"]["body"] == "It may not be her: I'm safe now"
    assert pushes(fcm, "tok-r500")[0]["data"]["held"] == "1"
    assert pushes(fcm, "her-phone") == []
    (seen,) = scene.mom.get(scene.path).get_json()["items"]
    assert seen["from_role"] == "owner" and seen["held"] is True
    assert scene.her.get(scene.path).get_json()["items"] == []


@pytest.mark.parametrize("body", [
    {"code": "on_my_way"},  # not hers to send: 422 before the cancel
    {"text": "x", "client_id": None},
])
def test_after_a_duress_cancel_nothing_her_phone_sends_gets_another_answer(app, scene, stored,
                                                                           monkeypatch, body):
    monkeypatch.setitem(app.config, "MESSAGES_PER_MINUTE", 1)
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "9999"})
    answers = {scene.her.post(scene.path, json=body).status_code for _ in range(3)}
    assert answers == {409}  # never 422 or 429: those would say the alert lives on
    assert len(stored()) == (0 if "code" in body else 1)


def test_a_real_cancel_closes_the_thread_for_everyone(app, scene, stored):
    scene.her.post(scene.path, json={"code": "hiding"})
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "1234"})
    for person in (scene.her, scene.mom):
        r = person.post(scene.path, json={"text": "still there?"})
        assert r.status_code == 409
    assert len(stored()) == 1
    assert [m["text"] for m in scene.her.get(scene.path).get_json()["items"]] == ["I'm hiding"]


def test_a_real_cancel_drops_message_pushes_to_her_not_yet_sent(app, scene, fcm, drain, jobs):
    scene.mom.post(scene.path, json={"text": "Queued"})
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "1234"})
    drain(app)
    assert pushes(fcm, "her-phone") == []
    (to_her,) = jobs(app, kind="alert_message", recipient_user_id=scene.her.id)
    assert to_her.status == "canceled"


def test_a_silent_alert_never_shows_her_its_messages(app, user, make_person, make_guardian,
                                                     register_device, drain, fcm):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(user, "her-phone")
    timer = user.post("/api/v1/timers", json={
        "duration_s": 600, "location": {"lat": 43.25, "lon": 76.92}}).get_json()
    user.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": "9999"})
    (alert,) = mom.get("/api/v1/alerts", query_string={"role": "guardian"}).get_json()["items"]
    path = f"/api/v1/alerts/{alert['id']}/messages"
    r = mom.post(path, json={"text": "Are you OK?"})
    assert r.status_code == 201 and r.get_json()["held"] is True
    assert user.get(path).status_code == 404
    assert user.post(path, json={"code": "safe_now"}).status_code == 404
    drain(app)
    assert pushes(fcm, "her-phone") == []


def test_pressing_panic_again_after_a_duress_cancel_never_shows_held_messages(scene, panic):
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "9999"})
    scene.mom.post(scene.path, json={"text": "held one"})
    again = panic(scene.her).get_json()  # a new press: her phone shows the live alert again
    assert again["id"] == scene.alert_id and again["status"] != "canceled"
    assert scene.her.get(scene.path).get_json()["items"] == []
    r = scene.mom.post(scene.path, json={"text": "now she sees"})
    assert r.get_json()["held"] is False
    assert [m["text"] for m in scene.her.get(scene.path).get_json()["items"]] == ["now she sees"]
    assert scene.her.post(scene.path, json={"code": "hiding"}).status_code == 201


# -- after the alert ends -------------------------------------------------------------------------


def test_after_the_end_the_thread_is_read_only_for_as_long_as_the_alert_is(app, clock, scene,
                                                                           stored):
    scene.her.post(scene.path, json={"code": "come_quickly"})
    r = scene.responder.post(f"/api/v1/dispatches/{scene.dispatch_id}/status",
                             json={"status": "resolved"})
    assert r.status_code == 200
    for person in (scene.her, scene.mom, scene.responder):
        assert person.post(scene.path, json={"text": "thanks"}).status_code == 409
        assert person.get(scene.path).status_code == 200
    assert len(stored()) == 1
    clock.advance(app.config["RESPONDER_ACCESS_AFTER_END_S"] + 1)
    assert scene.responder.get(scene.path).status_code == 404
    assert scene.world.org_admin.get(scene.path).status_code == 404
    assert scene.her.get(scene.path).status_code == 200
    assert scene.mom.get(scene.path).status_code == 200


def test_messages_are_purged_with_the_retention_period(app, clock, scene, stored, drain, jobs,
                                                       panic, user):
    scene.her.post(scene.path, json={"code": "come_quickly"})
    drain(app)
    scene.responder.post(f"/api/v1/dispatches/{scene.dispatch_id}/status",
                         json={"status": "resolved"})
    clock.advance(app.config["MESSAGE_RETENTION_DAYS"] * 86400 - 60)
    live = panic(scene.her).get_json()
    live_path = f"/api/v1/alerts/{live['id']}/messages"
    scene.her.post(live_path, json={"code": "hiding"})
    drain(app)  # the hourly purge runs: nothing old enough yet
    assert len(stored()) == 2
    clock.advance(app.config["PURGE_EVERY_S"] + 120)
    drain(app)
    (left,) = stored()
    assert str(left.alert_id) == live["id"]
    assert all(str(j.alert_id) == live["id"] for j in jobs(app, kind="alert_message"))
    assert scene.her.get(scene.path).get_json()["items"] == []
    assert scene.her.get(f"/api/v1/alerts/{scene.alert_id}").status_code == 200


def test_the_purge_command_deletes_old_messages_too(app, clock, scene, stored):
    scene.her.post(scene.path, json={"code": "come_quickly"})
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "1234"})
    runner = app.test_cli_runner()
    out = runner.invoke(args=["safety", "purge"])
    assert out.exit_code == 0 and "deleted 0 messages" in out.output
    clock.advance(app.config["MESSAGE_RETENTION_DAYS"] * 86400 + 60)
    out = runner.invoke(args=["safety", "purge"])
    assert out.exit_code == 0 and "deleted 1 messages" in out.output, out.output
    assert stored() == []


# -- input and limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"code": "dance"}, "code"),
    ({"code": ""}, "code"),
    ({"text": ""}, "text"),
    ({"text": "   \n\t "}, "text"),
    ({"text": "x" * 501}, "text"),
    ({"text": "bell\x07"}, "text"),
    ({"text": "tab\there"}, "text"),
    ({"text": "esc\x1b[2J"}, "text"),
    ({"text": "c1\x85inside"}, "text"),
    ({"text": "flip \u202egnirts"}, "text"),
    ({"text": "isolate \u2066x\u2069"}, "text"),
    ({"text": "line\u2028sep"}, "text"),
    ({"text": "nul\x00"}, "text"),
    ({"text": "half \ud800 a pair"}, "text"),
    ({"text": 5}, "text"),
    ({"code": "hiding", "text": "and text"}, "text"),
    ({}, "text"),
    ({"code": None, "text": None}, "text"),
    ({"text": "x", "client_id": "not-a-uuid"}, "client_id"),
    ({"text": "x", "extra": 1}, "extra"),
])
def test_bad_messages_are_422_and_store_nothing(scene, stored, body, field):
    r = scene.her.post(scene.path, json=body)
    assert r.status_code == 422, r.get_json()
    assert r.headers["Content-Type"] == "application/problem+json"
    assert field in r.get_json()["errors"]
    assert stored() == []


def test_a_quick_reply_not_for_your_role_is_422(scene, stored):
    for person, code in ((scene.mom, "hiding"), (scene.responder, "safe_now"),
                         (scene.her, "on_my_way")):
        r = person.post(scene.path, json={"code": code})
        assert r.status_code == 422 and "code" in r.get_json()["errors"], code
    assert stored() == []


def test_text_is_stripped_kept_to_500_characters_and_keeps_line_breaks(scene, stored):
    r = scene.her.post(scene.path, json={"text": "  " + "я" * 500 + "\n "})
    assert r.status_code == 201 and r.get_json()["text"] == "я" * 500
    r = scene.her.post(scene.path, json={"text": "Flat 12\r\nsecond floor 👩‍👧"})
    assert r.get_json()["text"] == "Flat 12\nsecond floor 👩‍👧"
    assert [m.text for m in stored()] == ["я" * 500, "Flat 12\nsecond floor 👩‍👧"]


def test_a_sender_is_limited_per_minute(app, clock, scene, stored):
    limit = app.config["MESSAGES_PER_MINUTE"]
    for i in range(limit):
        assert scene.her.post(scene.path, json={"text": f"m{i}"}).status_code == 201
    clock.advance(20)
    r = scene.her.post(scene.path, json={"text": "one too many"})
    assert r.status_code == 429
    assert r.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 41
    assert len(stored()) == limit
    # another sender is not held back by her count
    assert scene.mom.post(scene.path, json={"text": "mine"}).status_code == 201
    clock.advance(int(r.headers["Retry-After"]))
    assert scene.her.post(scene.path, json={"text": "later"}).status_code == 201


def test_a_sender_has_a_bounded_count_per_alert(app, clock, scene, stored, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGES_PER_SENDER_PER_ALERT", 3)
    for i in range(3):
        assert scene.her.post(scene.path, json={"text": f"m{i}"}).status_code == 201
        clock.advance(61)
    r = scene.her.post(scene.path, json={"text": "more"})
    assert r.status_code == 409 and "3" in r.get_json()["detail"]
    assert len(stored()) == 3
    # her spamming (or his, on her phone) never silences her helpers
    assert scene.responder.post(scene.path, json={"code": "on_my_way"}).status_code == 201


def test_an_alert_has_a_bounded_count_of_messages(app, scene, stored, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGES_PER_ALERT_MAX", 4)
    for person in (scene.her, scene.mom, scene.sister, scene.responder):
        assert person.post(scene.path, json={"text": "hello"}).status_code == 201
    r = scene.her.post(scene.path, json={"text": "one more"})
    assert r.status_code == 409
    assert len(stored()) == 4


def test_a_retry_with_the_same_client_id_is_the_same_message(app, scene, fcm, drain, stored):
    cid = str(uuid.uuid4())
    first = scene.her.post(scene.path, json={"code": "hiding", "client_id": cid})
    again = scene.her.post(scene.path, json={"code": "hiding", "client_id": cid})
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    # the same client_id from someone else is their own message
    assert scene.mom.post(scene.path, json={"text": "ok", "client_id": cid}).status_code == 201
    drain(app)
    assert len(pushes(fcm, "sister-phone")) == 2
    assert len(stored()) == 2


def test_the_thread_is_paged_newest_first(scene):
    for i in range(5):
        scene.her.post(scene.path, json={"text": f"m{i}"})
    page = scene.mom.get(scene.path, query_string={"limit": 2}).get_json()
    assert [m["text"] for m in page["items"]] == ["m4", "m3"]
    seen = [m["text"] for m in page["items"]]
    while page["next_cursor"]:
        page = scene.mom.get(scene.path, query_string={
            "limit": 2, "cursor": page["next_cursor"]}).get_json()
        seen += [m["text"] for m in page["items"]]
    assert seen == ["m4", "m3", "m2", "m1", "m0"]
    r = scene.mom.get(scene.path, query_string={"cursor": "forged.cursor"})
    assert r.status_code == 422 and "cursor" in r.get_json()["errors"]


# -- in each reader's language -------------------------------------------------------------------


RU = {
    "Message from %(name)s": "Сообщение от %(name)s",
    "I'm hiding": "Я прячусь",
    "I'm on my way": "Я уже еду",
    "Message from her guardian": "Сообщение от её близкого",
}


@pytest.fixture
def russian(app, tmp_path):
    """A Russian catalogue of a few of these texts, beside the app's own catalogues (whatever
    they hold): it shows each reader gets their own language through the real plumbing."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from safety.i18n import babel

    catalog = Catalog(locale="ru")
    for msgid, msgstr in RU.items():
        catalog.add(msgid, msgstr)
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as f:
        write_mo(f, catalog)
    config = app.extensions["babel"]
    config.translation_directories.append(str(tmp_path))
    babel.domain_instance.cache.clear()
    yield
    config.translation_directories.remove(str(tmp_path))
    babel.domain_instance.cache.clear()


def test_pushes_and_answers_are_in_each_readers_language(app, scene, fcm, drain, russian):
    assert scene.mom.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    assert scene.responder.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    scene.her.post(scene.path, json={"code": "hiding"})
    scene.sister.post(scene.path, json={"code": "on_my_way"})
    drain(app)
    assert push_saying(fcm, "mom-phone", "Я прячусь")["notification"]["title"] == \
        "Сообщение от Aigerim"
    assert push_saying(fcm, "mom-phone", "Я уже еду")["notification"]["title"] == \
        "Сообщение от Sister"
    assert push_saying(fcm, "tok-r500", "I'm hiding")["notification"]["title"] == \
        "Message from Aigerim"
    assert push_saying(fcm, "tok-r500", "I'm on my way")["notification"]["title"] == \
        "Message from her guardian"
    # answers: the request's Accept-Language, else the reader's own locale (a request that
    # names no language: the test client's default English taken away)
    own = scene.mom.client.get(scene.path, headers=scene.mom.headers,
                               environ_overrides={"HTTP_ACCEPT_LANGUAGE": ""})
    assert [m["text"] for m in own.get_json()["items"]] == ["Я уже еду", "Я прячусь"]
    en = scene.mom.client.get(scene.path,
                              headers={**scene.mom.headers, "Accept-Language": "en"})
    assert [m["text"] for m in en.get_json()["items"]] == ["I'm on my way", "I'm hiding"]
    replies = scene.responder.client.get(
        "/api/v1/quick-replies", headers={**scene.responder.headers, "Accept-Language": "ru"})
    assert {r["code"]: r["text"] for r in replies.get_json()["items"]}["hiding"] == "Я прячусь"


# -- the tracking page of contacts without the app ----------------------------------------------


def test_the_tracking_page_shows_her_latest_quick_reply_only(app, scene, client, tracking_path,
                                                             make_person):
    scene.her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    # a contact added during the alert gets no SMS: raise a fresh alert for the page
    scene.her.post(f"/api/v1/alerts/{scene.alert_id}/cancel", json={"pin": "1234"})
    alert = scene.her.post("/api/v1/alerts", json={
        "client_id": str(uuid.uuid4()), "trigger": "button",
        "location": {"lat": 43.25, "lon": 76.92}}).get_json()
    path = f"/api/v1/alerts/{alert['id']}/messages"
    page = tracking_path()
    assert client.get(page + "/data").get_json()["her_reply"] is None
    scene.her.post(path, json={"code": "cant_talk"})
    scene.her.post(path, json={"text": "I'm in flat 12, the bathroom"})
    scene.mom.post(path, json={"code": "police_called"})
    data = client.get(page + "/data").get_json()
    assert data["her_reply"]["code"] == "cant_talk"
    assert data["her_reply"]["text"] == "I can't talk"
    raw = client.get(page + "/data").get_data(as_text=True)
    assert "flat 12" not in raw and "police" not in raw
    # what is typed on her phone after a duress cancel never shows there
    scene.her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    assert scene.her.post(path, json={"code": "safe_now"}).status_code == 409
    assert client.get(page + "/data").get_json()["her_reply"]["code"] == "cant_talk"

