"""After a duress cancel her phone gets, for everything it may ask, exactly the answers it would
get after a real cancel; behind her screen the alert stays live and keeps its trail.

Two women live the same story, one cancels with her PIN, the other with her duress PIN. Their
answers are compared byte for byte, with the ids and the server's clock readings of each story
replaced by placeholders numbered in order of first appearance (so "updated_at equals
canceled_at" in one story and not in the other is still a difference)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

# Her phone's times: an hour before the tests run, so always within PHONE_CLOCK_BEHIND_S (a
# fixed date stopped being believed a day after it was written, and the stories then differed).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
CLIENT_TIMES = {T0 + timedelta(seconds=s): f"CLIENT+{s}" for s in (0, 10, 20, 30)}
NEIGHBOUR = "+77015550123"
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def canon(body: bytes) -> bytes:
    """Her phone's times stay as they are; each id and server time becomes a numbered token."""
    for t, name in CLIENT_TIMES.items():
        for text in (t.isoformat(), t.isoformat().replace("+00:00", "Z")):
            body = body.replace(text.encode(), name.encode())
    for pattern, label in ((UUID, b"ID"), (TIME, b"TIME")):
        seen: dict[bytes, bytes] = {}
        body = pattern.sub(
            lambda m, seen=seen, label=label: seen.setdefault(
                m.group(0), label + str(len(seen)).encode()), body)
    return body


def _same_shape(name: str, value: str) -> str:
    """Every answer's X-Request-Id is a new random one (safety/logs.py), whatever happened: it
    tells nothing, so its shape is compared, not its value."""
    if name == "X-Request-Id":
        return "RANDOM-ID" if re.fullmatch(r"[0-9a-f]{32}", value) else value
    return value


@pytest.fixture
def story(register_device, make_guardian, drain, jobs):
    def story(app, clock, her, mom, pin: str) -> dict:
        """A panic, a guardian's ack, a cancel, and everything her phone does after it."""

        def answer(r, exact=False) -> tuple:
            headers = {k: _same_shape(k, v) for k, v in r.headers.items()
                       if exact or k != "Content-Length"}
            body = r.data if exact else canon(r.data.replace(her.phone.encode(), b"HER"))
            return (r.status_code, headers, body)

        register_device(her, "her-phone")
        make_guardian(her, mom)
        register_device(mom, "mom-phone")
        her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": NEIGHBOUR})
        cid = uuid.uuid4()
        r = her.post("/api/v1/alerts", json={
            "client_id": str(cid), "trigger": "button",
            "location": {"lat": 43.25, "lon": 76.92, "accuracy_m": 10.0, "recorded_at": at(0)}})
        assert r.status_code == 201
        alert_id = r.get_json()["id"]
        base = f"/api/v1/alerts/{alert_id}"
        drain(app)
        mom.post(f"{base}/acknowledge", json={"message": "Coming"})
        her.post(f"{base}/messages", json={"code": "hiding"})
        mom.post(f"{base}/messages", json={"text": "Stay hidden"})
        out = {"cancel": answer(her.post(f"{base}/cancel", json={"pin": pin}))}
        # after the cancel: he holds the phone; the app keeps doing what apps do
        mom.post(f"{base}/acknowledge", json={"message": "Are you safe?"})
        mom.post(f"{base}/messages", json={"text": "Police are on the way"})
        out["message"] = answer(her.post(f"{base}/messages", json={"code": "safe_now"}),
                                exact=True)
        out["message_text"] = answer(her.post(f"{base}/messages", json={
            "text": "All fine, false alarm", "client_id": str(uuid.uuid4())}), exact=True)
        out["message_bad"] = answer(her.post(f"{base}/messages", json={"code": "on_my_way"}),
                                    exact=True)
        out["locations"] = answer(her.post(f"{base}/locations", json={"points": [
            {"lat": 43.30, "lon": 76.99, "recorded_at": at(10)}]}), exact=True)
        out["late_locations"] = answer(her.post(f"{base}/locations", json={"points": [
            {"lat": 43.31, "lon": 76.98, "recorded_at": at(30)}]}), exact=True)
        out["retry"] = answer(her.post("/api/v1/alerts", json={
            "client_id": str(cid), "trigger": "button",
            "location": {"lat": 43.40, "lon": 77.00, "recorded_at": at(20)}}))
        clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
        drain(app)
        clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
        drain(app)
        out["get"] = answer(her.get(base))
        out["list"] = answer(her.get("/api/v1/alerts"))
        out["trail"] = answer(her.get(f"{base}/locations"))
        out["messages"] = answer(her.get(f"{base}/messages"))
        out["trail_since"] = answer(her.get(f"{base}/locations",
                                            query_string={"since": at(0)}))
        out["cancel_again"] = answer(her.post(f"{base}/cancel", json={"pin": pin}))
        out["wrong_pin"] = answer(her.post(f"{base}/cancel", json={"pin": "0000"}), exact=True)
        out["pushes_to_her"] = sorted(
            j.kind for j in jobs(app, recipient_user_id=her.id) if str(j.alert_id) == alert_id)
        out["devices"] = answer(her.put("/api/v1/me/devices/phone-1", json={
            "push_token": "her-phone", "platform": "android"}))
        out["me"] = answer(her.get("/api/v1/me"))
        return out

    return story


@pytest.mark.parametrize("roles", [(), ("admin",), ("responder",)])
def test_her_phone_cannot_tell_a_duress_cancel_from_a_real_one(app, clock, make_person, roles,
                                                               story):
    real = story(app, clock, make_person(*roles, name="Aigerim", pin="1234", duress_pin="9999"),
                 make_person(name="Mom"), "1234")
    forced = story(app, clock, make_person(*roles, name="Aigerim", pin="1234", duress_pin="9999"),
                   make_person(name="Mom"), "9999")
    for step in real:
        assert real[step] == forced[step], step


def test_locations_after_a_duress_cancel_answer_409_like_a_real_cancel(user, panic):
    a = panic(user).get_json()
    user.post(f"/api/v1/alerts/{a['id']}/cancel", json={"pin": "1234"})
    real = user.post(f"/api/v1/alerts/{a['id']}/locations",
                     json={"points": [{"lat": 1, "lon": 1}]})
    b = panic(user).get_json()
    user.post(f"/api/v1/alerts/{b['id']}/cancel", json={"pin": "9999"})
    forced = user.post(f"/api/v1/alerts/{b['id']}/locations",
                       json={"points": [{"lat": 1, "lon": 1}]})
    assert real.status_code == forced.status_code == 409
    assert {k: _same_shape(k, v) for k, v in real.headers.items()} == \
        {k: _same_shape(k, v) for k, v in forced.headers.items()}
    assert real.data == forced.data


def test_points_after_a_duress_cancel_still_reach_guardians(user, make_person, make_guardian,
                                                            panic):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    alert = panic(user).get_json()
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    later = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [
        {"lat": 43.30, "lon": 76.99, "recorded_at": later}]})
    assert r.status_code == 409
    trail = mom.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    assert [p["lat"] for p in trail][-1] == pytest.approx(43.30)
    theirs = mom.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert theirs["location"]["lat"] == pytest.approx(43.30)
    mine = user.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert mine["location"]["lat"] == pytest.approx(alert["location"]["lat"])
    assert len(user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]) == 1


def test_a_duress_cancel_sends_her_admins_escalations_not_to_her(app, clock, make_person,
                                                                 register_device, drain, jobs,
                                                                 panic):
    her = make_person("admin", name="Aigerim", pin="1234", duress_pin="9999")
    other_admin = make_person("admin", name="Other admin")
    register_device(her, "her-phone")
    register_device(other_admin, "admin-phone")
    alert = panic(her).get_json()
    her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    escalations = jobs(app, kind="alert_escalation")
    assert {j.recipient_user_id for j in escalations} == {other_admin.id}
