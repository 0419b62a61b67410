"""Responders and org admins: a suspended organisation's responders cannot accept; their read
access to an alert ends RESPONDER_ACCESS_AFTER_END_S after the alert ended."""

import pytest


def test_a_suspended_organisations_responder_cannot_accept(app, world, offers_of, panic):
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    assert world.admin.patch(f"/api/v1/orgs/{world.org['id']}",
                             json={"status": "suspended"}).status_code == 200
    r = r500.post(f"/api/v1/dispatches/{did}/accept")
    assert r.status_code == 409 and "suspended" in r.get_json()["detail"]
    assert offers_of(r500) == []
    seen = world.admin.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["status"] == "active" and seen["dispatch"]["status"] == "offering"
    assert r500.get(f"/api/v1/alerts/{alert['id']}").status_code == 404


def test_after_suspension_the_next_round_offers_nobody_of_that_org(app, clock, world, panic, drain,
                                                                   jobs, offers_of):
    panic(world.user)
    world.admin.patch(f"/api/v1/orgs/{world.org['id']}", json={"status": "suspended"})
    clock.advance(app.config["OFFER_TIMEOUT_S"] + 1)
    drain(app)
    assert all(offers_of(p) == [] for p in world.responders.values())
    assert len(jobs(app, kind="alert_unassigned")) == 1


@pytest.fixture
def resolved_alert(panic, offers_of):
    def resolved_alert(world):
        alert = panic(world.user).get_json()
        r500 = world.responders["r500"]
        did = offers_of(r500)[0]["dispatch_id"]
        assert r500.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
        r = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
        assert r.status_code == 200
        return alert["id"]

    return resolved_alert


def reads(world, alert_id):
    r500 = world.responders["r500"]
    return {
        "responder alert": r500.get(f"/api/v1/alerts/{alert_id}").status_code,
        "responder trail": r500.get(f"/api/v1/alerts/{alert_id}/locations").status_code,
        "responder list": [a["id"] for a in
                           r500.get("/api/v1/alerts?role=responder").get_json()["items"]],
        "org admin alert": world.org_admin.get(f"/api/v1/alerts/{alert_id}").status_code,
        "org admin trail": world.org_admin.get(
            f"/api/v1/alerts/{alert_id}/locations").status_code,
    }


def test_read_access_lasts_until_the_configured_time_after_the_end(app, clock, world,
                                                                   resolved_alert):
    alert_id = resolved_alert(world)
    clock.advance(app.config["RESPONDER_ACCESS_AFTER_END_S"] - 60)
    assert reads(world, alert_id) == {
        "responder alert": 200, "responder trail": 200, "responder list": [alert_id],
        "org admin alert": 200, "org admin trail": 200}


def test_read_access_ends_the_configured_time_after_the_end(app, clock, world, resolved_alert):
    alert_id = resolved_alert(world)
    clock.advance(app.config["RESPONDER_ACCESS_AFTER_END_S"] + 1)
    assert reads(world, alert_id) == {
        "responder alert": 404, "responder trail": 404, "responder list": [],
        "org admin alert": 404, "org admin trail": 404}
    # she, her guardians and platform admins keep their access
    assert world.user.get(f"/api/v1/alerts/{alert_id}").status_code == 200
    assert world.admin.get(f"/api/v1/alerts/{alert_id}").status_code == 200


@pytest.mark.parametrize("pin", ["1234", "9999"])
def test_a_canceled_alert_is_timed_from_the_real_end_only(app, clock, world, pin, panic, offers_of):
    """A real cancel ends the alert; a duress cancel does not (it stays live for responders),
    so the clock does not start."""
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": pin})
    clock.advance(app.config["RESPONDER_ACCESS_AFTER_END_S"] + 1)
    expected = 200 if pin == "9999" else 404
    assert world.org_admin.get(f"/api/v1/alerts/{alert['id']}").status_code == expected
