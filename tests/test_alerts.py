import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest


def test_panic_creates_alert_and_its_jobs_in_one_go(app, user, make_person, make_guardian,
                                                    register_device, panic, jobs):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(mom, "mom-phone")
    register_device(mom, "mom-tablet", installation="tablet", platform="ios")
    user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    r = panic(user, battery_pct=40, note="kitchen")
    assert r.status_code == 201
    a = r.get_json()
    assert a["status"] == "active" and a["trigger"] == "button"
    assert a["location"]["lat"] == pytest.approx(43.2567)
    assert "duress" not in a  # never shown to her
    pushes = jobs(app, kind="alert")
    assert len(pushes) == 2 and {j.recipient_user_id for j in pushes} == {mom.id}
    sms = jobs(app, kind="alert_sms")
    assert len(sms) == 1 and sms[0].payload["phone"] == "+77015550123"
    assert "/t/" in sms[0].payload["text"]
    assert len(jobs(app, kind="alert_escalate")) == 1
    assert {n["recipient_name"] for n in a["notifications"]} == {"Mom", "Neighbour"}


def test_same_client_id_is_the_same_alert(user, panic):
    cid = uuid.uuid4()
    first = panic(user, client_id=cid)
    again = panic(user, client_id=cid)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1


def test_second_panic_while_live_returns_it_and_adds_location(user, panic):
    first = panic(user).get_json()
    second = panic(user, lat=43.30, lon=76.95)
    assert second.status_code == 200
    assert second.get_json()["id"] == first["id"]
    assert second.get_json()["location"]["lat"] == pytest.approx(43.30)
    trail = user.get(f"/api/v1/alerts/{first['id']}/locations").get_json()["items"]
    assert len(trail) == 2


def test_concurrent_duplicate_panics_make_exactly_one_alert(app, user, jobs):
    cid = str(uuid.uuid4())
    results = []
    barrier = threading.Barrier(8)

    def press():
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/alerts", headers=user.headers, json={
            "client_id": cid, "trigger": "button", "location": {"lat": 43.25, "lon": 76.92}})
        results.append((r.status_code, r.get_json()["id"]))

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in results) == [200] * 7 + [201]
    assert len({i for _, i in results}) == 1
    assert len(jobs(app, kind="alert_escalate")) == 1


def test_concurrent_different_client_ids_still_one_live_alert(app, user):
    results = []
    barrier = threading.Barrier(6)

    def press():
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/alerts", headers=user.headers, json={
            "client_id": str(uuid.uuid4()), "trigger": "shake",
            "location": {"lat": 43.25, "lon": 76.92}})
        results.append((r.status_code, r.get_json()["id"]))

    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({i for _, i in results}) == 1
    assert [s for s, _ in results].count(201) == 1


@pytest.mark.parametrize("body, field", [
    ({"trigger": "button", "location": {"lat": 1, "lon": 1}}, "client_id"),
    ({"client_id": "nope", "trigger": "button", "location": {"lat": 1, "lon": 1}}, "client_id"),
    ({"client_id": str(uuid.uuid4()), "trigger": "dance", "location": {"lat": 1, "lon": 1}},
     "trigger"),
    ({"client_id": str(uuid.uuid4()), "trigger": "button", "location": {"lat": 91, "lon": 1}},
     "location"),
    ({"client_id": str(uuid.uuid4()), "trigger": "button"}, "location"),
    ({"client_id": str(uuid.uuid4()), "trigger": "button", "location": {"lat": 1, "lon": 1},
      "battery_pct": 120}, "battery_pct"),
])
def test_bad_panic_is_422_and_stores_nothing(app, user, body, field, jobs):
    r = user.post("/api/v1/alerts", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert user.get("/api/v1/alerts").get_json()["items"] == []
    assert jobs(app) == []


def test_locations_batch_late_and_out_of_order_kept_by_recorded_at(user, panic):
    alert = panic(user).get_json()
    t0 = datetime.now(UTC)
    pts = [{"lat": 43.26 + i / 1000, "lon": 76.93, "recorded_at": (t0 + timedelta(seconds=i))
            .isoformat()} for i in (3, 1, 2)]
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": pts})
    assert r.status_code == 202 and r.get_json()["received"] == 3
    # the same batch again (a retry) adds nothing
    user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": pts})
    # a point recorded earlier but arriving late
    late = [{"lat": 43.2, "lon": 76.9, "recorded_at": (t0 - timedelta(minutes=1)).isoformat()}]
    user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": late})
    trail = user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    times = [p["recorded_at"] for p in trail]
    assert times == sorted(times) and len(trail) == 5
    now = user.get(f"/api/v1/alerts/{alert['id']}").get_json()["location"]
    assert now["lat"] == pytest.approx(43.263)  # the newest recorded point, not the last sent
    since = user.get(f"/api/v1/alerts/{alert['id']}/locations",
                     query_string={"since": times[-2]}).get_json()["items"]
    assert len(since) == 1


def test_trail_pages(user, panic):
    alert = panic(user).get_json()
    t0 = datetime.now(UTC)
    pts = [{"lat": 43.0, "lon": 76.0, "recorded_at": (t0 + timedelta(seconds=i)).isoformat()}
           for i in range(1, 6)]
    user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": pts})
    page = user.get(f"/api/v1/alerts/{alert['id']}/locations",
                    query_string={"limit": 4}).get_json()
    assert len(page["items"]) == 4 and page["next_since"]
    rest = user.get(f"/api/v1/alerts/{alert['id']}/locations",
                    query_string={"since": page["next_since"]}).get_json()
    assert len(rest["items"]) == 2 and rest["next_since"] is None


def test_location_batch_limits(user, panic):
    alert = panic(user).get_json()
    pts = [{"lat": 1, "lon": 1}] * 101
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": pts})
    assert r.status_code == 422
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [{"lat": 1}]})
    assert r.status_code == 422


def test_cancel_with_pin(app, user, make_person, make_guardian, register_device, panic, jobs):
    mom = make_person()
    make_guardian(user, mom)
    register_device(mom, "mom-phone")
    alert = panic(user).get_json()
    r = user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    assert r.status_code == 200
    assert r.get_json()["status"] == "canceled"
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "canceled"
    assert len(jobs(app, kind="alert_canceled")) == 1
    assert jobs(app, kind="alert_escalate")[0].status == "canceled"
    # a new panic after a cancel is a new alert
    assert panic(user).status_code == 201


def test_duress_cancel_looks_exactly_like_a_cancel(app, user, make_person, make_guardian,
                                                   register_device, panic, jobs):
    mom = make_person()
    make_guardian(user, mom)
    register_device(mom, "mom-phone")
    a1 = panic(user).get_json()
    real = user.post(f"/api/v1/alerts/{a1['id']}/cancel", json={"pin": "1234"})
    a2 = panic(user).get_json()
    duress = user.post(f"/api/v1/alerts/{a2['id']}/cancel", json={"pin": "9999"})
    assert real.status_code == duress.status_code == 200
    r, d = real.get_json(), duress.get_json()
    assert set(r) == set(d) and r["status"] == d["status"] == "canceled"
    assert real.headers["Content-Type"] == duress.headers["Content-Type"]
    assert len(real.data) == len(duress.data)  # same shape: ids and times differ only
    # her own view: canceled, nothing after
    mine = user.get(f"/api/v1/alerts/{a2['id']}").get_json()
    assert mine["status"] == "canceled" and "duress" not in mine
    # the guardian sees the truth
    theirs = mom.get(f"/api/v1/alerts/{a2['id']}").get_json()
    assert theirs["status"] == "active" and theirs["duress"] is True
    assert len(jobs(app, kind="alert_duress")) == 1
    assert jobs(app, kind="alert_escalate", alert_id=uuid.UUID(a2["id"]))[0].status == "pending"
    # her list shows it as canceled too
    listed = {i["id"]: i["status"] for i in user.get("/api/v1/alerts").get_json()["items"]}
    assert listed[a2["id"]] == "canceled"


def test_wrong_pin_counts_down_then_locks_cancel_not_the_alert(app, clock, user, panic):
    alert = panic(user).get_json()
    path = f"/api/v1/alerts/{alert['id']}/cancel"
    lefts = []
    for _ in range(5):
        r = user.post(path, json={"pin": "0000"})
        assert r.status_code == 403
        lefts.append(r.get_json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    r = user.post(path, json={"pin": "1234"})  # right PIN, but locked
    assert r.status_code == 403 and "locked_until" in r.get_json()
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"

    clock.advance(app.config["CANCEL_LOCK_S"] + 1)
    assert user.post(path, json={"pin": "1234"}).status_code == 200


def test_cancel_without_a_pin_set_is_422(make_person, panic):
    p = make_person()
    alert = panic(p).get_json()
    r = p.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    assert r.status_code == 422


def test_guardian_acknowledges_and_she_is_told(app, user, make_person, make_guardian,
                                               register_device, panic, jobs):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(user, "her-phone")
    alert = panic(user).get_json()
    r = mom.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={"message": "Coming"})
    assert r.status_code == 200
    acks = user.get(f"/api/v1/alerts/{alert['id']}").get_json()["acknowledgements"]
    assert acks[0]["guardian_name"] == "Mom" and acks[0]["message"] == "Coming"
    assert len(jobs(app, kind="alert_ack", recipient_user_id=user.id)) == 1


def test_guardian_lists_alerts_by_role(user, make_person, make_guardian, panic):
    mom = make_person()
    make_guardian(user, mom)
    alert = panic(user).get_json()
    mine = mom.get("/api/v1/alerts").get_json()["items"]
    assert mine == []
    theirs = mom.get("/api/v1/alerts", query_string={"role": "guardian"}).get_json()["items"]
    assert [a["id"] for a in theirs] == [alert["id"]]


def test_alert_list_pagination(user, panic):
    ids = []
    for _ in range(3):
        a = panic(user).get_json()
        ids.append(a["id"])
        user.post(f"/api/v1/alerts/{a['id']}/cancel", json={"pin": "1234"})
    p1 = user.get("/api/v1/alerts", query_string={"limit": 2}).get_json()
    p2 = user.get("/api/v1/alerts", query_string={"limit": 2,
                                                  "cursor": p1["next_cursor"]}).get_json()
    got = [a["id"] for a in p1["items"] + p2["items"]]
    assert got == list(reversed(ids)) and p2["next_cursor"] is None
    assert user.get("/api/v1/alerts", query_string={"cursor": "garbage"}).status_code == 422


# -- the wrong person -----------------------------------------------------------------------


@pytest.fixture
def others(make_person, user, make_guardian):
    """A stranger, a contact who has not accepted, another user's guardian."""
    pending = make_person(name="Pending")
    user.post("/api/v1/me/contacts", json={"name": "P", "phone": pending.phone})
    someone = make_person(name="Someone")
    someones_guardian = make_person(name="Other guardian")
    make_guardian(someone, someones_guardian)
    stranger = make_person(name="Stranger")
    declined = make_person(name="Declined")
    cid = user.post("/api/v1/me/contacts", json={"name": "D", "phone": declined.phone}
                    ).get_json()["id"]
    declined.post(f"/api/v1/me/guardian-invitations/{cid}/decline")
    return [stranger, pending, someones_guardian, declined]


@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None),
    ("get", "/locations", None),
    ("post", "/locations", {"points": [{"lat": 1, "lon": 1}]}),
    ("post", "/cancel", {"pin": "1234"}),
    ("post", "/acknowledge", {"message": "x"}),
])
def test_alert_endpoints_are_404_for_the_wrong_person(app, user, others, method, suffix, body, jobs,
                                                      panic):
    alert = panic(user).get_json()
    before = jobs(app)
    for other in others:
        path = f"/api/v1/alerts/{alert['id']}{suffix}"
        r = other.get(path) if method == "get" else other.post(path, json=body)
        assert r.status_code == 404, (other.phone, r.get_json())
        assert r.content_type == "application/problem+json"
    after = user.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert after["status"] == "active" and after["acknowledgements"] == []
    assert len(jobs(app)) == len(before)


def test_unknown_alert_is_404(user):
    assert user.get(f"/api/v1/alerts/{uuid.uuid4()}").status_code == 404
    assert user.get("/api/v1/alerts/not-a-uuid").status_code == 404


def test_owner_cannot_acknowledge_her_own_alert(user, panic):
    alert = panic(user).get_json()
    assert user.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={}).status_code == 404


def test_ended_alert_takes_no_more_locations(user, panic):
    alert = panic(user).get_json()
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [{"lat": 1,
                                                                                "lon": 1}]})
    assert r.status_code == 409


def test_after_a_duress_cancel(user, panic):
    """A late network retry of the first press keeps the alert looking canceled; a new press
    shows her the live alert again."""
    cid = uuid.uuid4()
    alert = panic(user, client_id=cid).get_json()
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    retry = panic(user, client_id=cid)
    assert retry.status_code == 200 and retry.get_json()["status"] == "canceled"
    again = panic(user)
    assert again.status_code == 200
    assert again.get_json()["id"] == alert["id"] and again.get_json()["status"] == "active"
