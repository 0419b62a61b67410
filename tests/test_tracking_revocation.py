"""A contact's tracking link dies the moment she removes the contact or gives it another
number; an ended alert's links die TRACKING_GRACE_S after it ended."""

import re

import pytest

NEIGHBOUR, SISTER = "+77015550123", "+77015550124"


@pytest.fixture
def links(jobs):
    def links(app) -> dict[str, str]:
        """phone -> /t/<token> from the SMS jobs."""
        return {j.payload["phone"]: re.search(r"(/t/[A-Za-z0-9_\-]+)", j.payload["text"]).group(1)
                for j in jobs(app, kind="alert_sms")}

    return links


@pytest.fixture
def two_contacts(app, user, panic, links):
    ids = {}
    for name, phone in (("Neighbour", NEIGHBOUR), ("Sister", SISTER)):
        ids[phone] = user.post("/api/v1/me/contacts",
                               json={"name": name, "phone": phone}).get_json()["id"]
    alert = panic(user).get_json()
    return alert, ids, links(app)


def assert_dead(client, path):
    data = client.get(path + "/data")
    assert data.status_code == 404 and data.content_type == "application/problem+json"
    page = client.get(path)
    assert page.status_code == 404 and b"expired" in page.data


def test_removing_a_contact_kills_its_link_at_once(client, user, two_contacts):
    alert, ids, paths = two_contacts
    assert client.get(paths[NEIGHBOUR] + "/data").get_json()["status"] == "live"
    assert user.delete(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}").status_code == 204
    assert_dead(client, paths[NEIGHBOUR])
    # her alert and her other contact's link go on
    assert client.get(paths[SISTER] + "/data").get_json()["status"] == "live"
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"


def test_a_new_number_kills_the_old_numbers_link(client, user, two_contacts):
    _, ids, paths = two_contacts
    r = user.patch(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}", json={"phone": "+77015550999"})
    assert r.status_code == 200
    assert_dead(client, paths[NEIGHBOUR])
    assert client.get(paths[SISTER] + "/data").status_code == 200


def test_a_new_name_keeps_the_link(client, user, two_contacts):
    _, ids, paths = two_contacts
    user.patch(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}", json={"name": "Aunt Dana"})
    user.patch(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}", json={"phone": NEIGHBOUR})  # same
    assert client.get(paths[NEIGHBOUR] + "/data").status_code == 200


def test_removal_during_the_grace_kills_the_link_too(client, user, two_contacts):
    alert, ids, paths = two_contacts
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    assert client.get(paths[NEIGHBOUR] + "/data").get_json()["status"] == "ended"
    user.delete(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}")
    assert_dead(client, paths[NEIGHBOUR])


def test_a_removed_contact_gets_no_sms_not_yet_sent(app, user, two_contacts, drain, jobs):
    _, ids, _ = two_contacts
    user.delete(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}")
    drain(app)
    status = {j.payload["phone"]: j.status for j in jobs(app, kind="alert_sms")}
    assert status == {NEIGHBOUR: "canceled", SISTER: "sent"}


def test_a_later_alert_gets_a_link_for_the_new_number(app, user, two_contacts, panic, links):
    alert, ids, paths = two_contacts
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    user.patch(f"/api/v1/me/contacts/{ids[NEIGHBOUR]}", json={"phone": "+77015550999"})
    panic(user)
    assert "+77015550999" in links(app)


# -- the grace after an alert ends ---------------------------------------------------------


@pytest.fixture
def held(app, user, admin, make_person, add_member, on_duty, create_org, panic, offers_of, links):
    """Her alert, held by a responder, with two SMS contacts."""
    responder = make_person(name="Responder")
    add_member(admin, create_org(admin)["id"], responder, "responder")
    on_duty(responder, 300)
    for name, phone in (("Neighbour", NEIGHBOUR), ("Sister", SISTER)):
        user.post("/api/v1/me/contacts", json={"name": name, "phone": phone})
    alert = panic(user).get_json()
    did = offers_of(responder)[0]["dispatch_id"]
    assert responder.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    return alert, responder, did, links(app)


@pytest.mark.parametrize("how", ["cancel", "resolve"])
def test_links_last_exactly_the_grace_after_the_alert_ends(app, clock, client, user, held, how):
    alert, responder, did, paths = held
    if how == "cancel":
        r = user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    else:
        r = responder.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
    assert r.status_code == 200
    grace = app.config["TRACKING_GRACE_S"]
    clock.advance(grace - 5)
    for path in paths.values():
        assert client.get(path + "/data").get_json()["status"] == "ended"
    clock.advance(10)
    for path in paths.values():
        assert_dead(client, path)


def test_a_duress_cancel_keeps_the_links_live(app, clock, client, user, two_contacts):
    """Her SMS contacts are her helpers: their page goes on (tests/test_tracking_page.py)."""
    alert, _, paths = two_contacts
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    clock.advance(app.config["TRACKING_GRACE_S"] + 60)
    assert client.get(paths[NEIGHBOUR] + "/data").get_json()["status"] == "live"
