"""GET /responder/dispatches: the dispatch a responder holds and their recent ones, newest
first, paged; nobody else's; responders only."""

import uuid

import pytest

BOX = {"type": "Polygon", "coordinates": [[
    [76.7, 43.1], [77.2, 43.1], [77.2, 43.45], [76.7, 43.45], [76.7, 43.1]]]}
HERE = {"lat": 43.2567, "lon": 76.9286}


class Crew:
    pass


@pytest.fixture
def crew(admin, make_person):
    r = admin.post("/api/v1/orgs", json={"name": "Kuzet", "kind": "security",
                                          "phone": "+77272000000", "coverage": BOX})
    assert r.status_code == 201, r.get_json()
    org_id = r.get_json()["id"]
    c = Crew()
    c.near, c.far = make_person(name="Near"), make_person(name="Far")
    for person, metres in ((c.near, 100), (c.far, 2000)):
        r = admin.post(f"/api/v1/orgs/{org_id}/members",
                       json={"phone": person.phone, "role": "responder"})
        assert person.post(f"/api/v1/me/org-invitations/{r.get_json()['id']}/accept"
                           ).status_code == 200
        r = person.put("/api/v1/responder/duty", json={"on_duty": True, "location": {
            "lat": HERE["lat"] + metres / 111_000, "lon": HERE["lon"]}})
        assert r.status_code == 200, r.get_json()
    c.women = [make_person(name=f"Woman {i}", pin="1234") for i in range(3)]
    return c


def _panic(person) -> dict:
    r = person.post("/api/v1/alerts", json={"client_id": str(uuid.uuid4()), "trigger": "button",
                                            "location": HERE})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _accept(responder, alert) -> str:
    did = alert["dispatch"]["id"]
    assert responder.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    return did


def _status(responder, did, status):
    r = responder.post(f"/api/v1/dispatches/{did}/status", json={"status": status})
    assert r.status_code == 200, r.get_json()


def _mine(person, **query):
    r = person.get("/api/v1/responder/dispatches", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_dispatch_i_hold_then_my_recent_ones_newest_first(crew, clock):
    first = _accept(crew.near, _panic(crew.women[0]))
    assert [(d["id"], d["status"]) for d in _mine(crew.near)["items"]] == [(first, "accepted")]
    _status(crew.near, first, "en_route")
    _status(crew.near, first, "resolved")
    clock.advance(60)
    second = _accept(crew.near, _panic(crew.women[1]))
    got = _mine(crew.near)
    assert [(d["id"], d["status"]) for d in got["items"]] == [(second, "accepted"),
                                                             (first, "resolved")]
    assert got["items"][0]["responder_id"] == str(crew.near.id)
    assert got["next_cursor"] is None


def test_paged_like_the_other_lists(crew, clock):
    ids = []
    for woman in crew.women[:2]:
        did = _accept(crew.near, _panic(woman))
        _status(crew.near, did, "resolved")
        ids.append(did)
        clock.advance(60)
    page = _mine(crew.near, limit=1)
    assert [d["id"] for d in page["items"]] == [ids[1]] and page["next_cursor"]
    page = _mine(crew.near, limit=1, cursor=page["next_cursor"])
    assert [d["id"] for d in page["items"]] == [ids[0]] and page["next_cursor"] is None


def test_another_responder_sees_none_of_them(crew):
    alert = _panic(crew.women[0])  # offered to both
    _accept(crew.near, alert)
    assert _mine(crew.far)["items"] == []


def test_a_dispatch_given_back_is_no_longer_mine(crew):
    did = _accept(crew.near, _panic(crew.women[0]))
    _status(crew.near, did, "unable")
    assert _mine(crew.near)["items"] == []


def test_canceled_by_her_shows_canceled(crew):
    alert = _panic(crew.women[0])
    did = _accept(crew.near, alert)
    r = crew.women[0].post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    assert r.status_code == 200
    assert [(d["id"], d["status"]) for d in _mine(crew.near)["items"]] == [(did, "canceled")]


def test_recent_means_within_the_access_window(app, crew, clock):
    did = _accept(crew.near, _panic(crew.women[0]))
    _status(crew.near, did, "resolved")
    clock.advance(app.config["RESPONDER_ACCESS_AFTER_END_S"] - 60)
    assert [d["id"] for d in _mine(crew.near)["items"]] == [did]
    clock.advance(120)
    assert _mine(crew.near)["items"] == []


def test_a_plain_user_gets_403_and_nobody_401(client, user):
    assert user.get("/api/v1/responder/dispatches").status_code == 403
    assert client.get("/api/v1/responder/dispatches").status_code == 401
