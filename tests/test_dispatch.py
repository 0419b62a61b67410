import hashlib
import hmac
import threading
import uuid

import pytest


def test_offer_goes_to_the_nearest_available_responders(app, world, offers_of, panic, jobs):
    alert = panic(world.user).get_json()
    got = {n: offers_of(p) for n, p in world.responders.items()}
    assert [len(got[n]) for n in ("r500", "r1500", "r3000", "r9000")] == [1, 1, 1, 0]
    offer = got["r500"][0]
    assert offer["alert_id"] == alert["id"]
    assert offer["distance_m"] == pytest.approx(500, rel=0.02)
    assert len(jobs(app, kind="dispatch_offer")) == 3
    assert alert["dispatch"]["status"] == "offering"


def test_first_accept_wins_the_rest_get_409(app, world, offers_of, panic, jobs):
    alert = panic(world.user).get_json()
    did = offers_of(world.responders["r1500"])[0]["dispatch_id"]
    r = world.responders["r1500"].post(f"/api/v1/dispatches/{did}/accept")
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    late = world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    assert late.status_code == 409
    assert offers_of(world.responders["r3000"]) == []
    seen = world.user.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["status"] == "dispatched"
    assert seen["dispatch"]["responder"]["first_name"] == "r"  # "r1500": letters only
    assert "full_name" not in seen["dispatch"]["responder"]  # not on her screen
    assert jobs(app, kind="dispatch_offer_timeout")[0].status == "canceled"


def test_concurrent_accepts_exactly_one_wins(app, world, panic, offers_of):
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    names = ["r500", "r1500", "r3000"]
    results = {}
    barrier = threading.Barrier(len(names) * 3)

    def accept(name, i):
        client = app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/dispatches/{did}/accept",
                        headers=world.responders[name].headers)
        results[(name, i)] = r.status_code

    threads = [threading.Thread(target=accept, args=(n, i)) for n in names for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(results.values())
    assert codes.count(200) == 1 and codes.count(409) == len(codes) - 1, results


def test_unanswered_offers_time_out_and_move_on(app, clock, world, panic, drain, jobs, offers_of):
    panic(world.user)
    drain(app)
    clock.advance(app.config["OFFER_TIMEOUT_S"] + 1)
    drain(app)
    assert offers_of(world.responders["r500"]) == []
    assert len(offers_of(world.responders["r9000"])) == 1  # wider radius, next round
    missed = jobs(app, kind="dispatch_missed")
    assert {j.recipient_user_id for j in missed} == {world.org_admin.id}


def test_nobody_left_flags_unassigned_and_tells_admins(app, clock, world, drain, panic, jobs):
    alert = panic(world.user).get_json()
    for _ in range(3):
        drain(app)
        clock.advance(app.config["OFFER_TIMEOUT_S"] + 1)
    drain(app)
    seen = world.admin.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["unassigned"] is True and seen["dispatch"]["status"] == "unassigned"
    told = {j.recipient_user_id for j in jobs(app, kind="alert_unassigned")}
    assert world.admin.id in told and world.org_admin.id in told
    # a late accept still wins
    did = seen["dispatch"]["id"]
    r = world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    assert r.status_code == 200
    assert world.admin.get(f"/api/v1/alerts/{alert['id']}").get_json()["unassigned"] is False


def test_no_covering_organisation_is_unassigned_at_once(app, admin, user, register_device,
                                                        create_org, astana_box, panic, jobs):
    register_device(admin, "tok-admin")
    create_org(admin, coverage=astana_box)
    alert = panic(user).get_json()
    seen = admin.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["unassigned"] is True
    assert len(jobs(app, kind="alert_unassigned")) == 1


def test_suspended_organisation_gets_no_offers(world, panic, offers_of):
    r = world.admin.patch(f"/api/v1/orgs/{world.org['id']}", json={"status": "suspended"})
    assert r.status_code == 200
    panic(world.user)
    assert all(offers_of(p) == [] for p in world.responders.values())


def test_stale_and_off_duty_responders_are_not_offered(app, clock, world, panic, offers_of, north):
    clock.advance(app.config["RESPONDER_STALE_S"] + 1)
    world.responders["r1500"].post("/api/v1/responder/location", json={"location": north(1500)})
    world.responders["r3000"].put("/api/v1/responder/duty", json={"on_duty": False})
    world.responders["r3000"].post("/api/v1/responder/location", json={"location": north(3000)})
    panic(world.user)
    got = {n: len(offers_of(p)) for n, p in world.responders.items()}
    assert got == {"r500": 0, "r1500": 1, "r3000": 0, "r9000": 0}


def test_busy_responder_is_not_offered_a_second_alert(world, make_person, panic, offers_of):
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    other = make_person(name="Another woman")
    panic(other)
    assert offers_of(world.responders["r500"]) == []
    assert len(offers_of(world.responders["r1500"])) == 1


def test_all_declines_move_on_without_waiting(world, panic, offers_of):
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    for name in ("r500", "r1500", "r3000"):
        r = world.responders[name].post(f"/api/v1/dispatches/{did}/decline",
                                        json={"reason": "busy"})
        assert r.status_code == 200
    assert len(offers_of(world.responders["r9000"])) == 1
    again = world.responders["r500"].post(f"/api/v1/dispatches/{did}/decline", json={})
    assert again.status_code == 409


def test_status_flow_resolves_the_alert(app, world, panic, offers_of):
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    assert r500.post(f"/api/v1/dispatches/{did}/status",
                     json={"status": "on_scene"}).status_code == 200
    bad = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": "en_route"})
    assert bad.status_code == 409
    assert world.user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "responding"
    r = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved",
                                                            "note": "safe with sister"})
    assert r.status_code == 200
    final = world.user.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert final["status"] == "resolved" and final["ended_at"]
    assert r500.post(f"/api/v1/dispatches/{did}/status",
                     json={"status": "resolved"}).status_code == 409


def test_unable_puts_the_alert_back_on_offer(world, offers_of, panic):
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    r = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": "unable",
                                                            "note": "car broke"})
    assert r.status_code == 200 and r.get_json()["status"] == "offering"
    assert world.user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "active"
    assert len(offers_of(world.responders["r9000"])) == 1
    assert offers_of(r500) == []


def test_who_may_read_a_dispatched_alert(world, make_person, admin, create_org, add_member,
                                         astana_box, panic, offers_of):
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    # offered but not accepted: not yet
    assert r500.get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    r500.post(f"/api/v1/dispatches/{did}/accept")
    for path in ("", "/locations"):
        assert r500.get(f"/api/v1/alerts/{alert['id']}{path}").status_code == 200
        assert world.org_admin.get(f"/api/v1/alerts/{alert['id']}{path}").status_code == 200
        assert world.responders["r1500"].get(
            f"/api/v1/alerts/{alert['id']}{path}").status_code == 404
    other_org = create_org(admin, name="Other", coverage=astana_box)
    other_admin = make_person()
    add_member(admin, other_org["id"], other_admin, "org_admin")
    assert other_admin.get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    held = r500.get("/api/v1/alerts", query_string={"role": "responder"}).get_json()["items"]
    assert [a["id"] for a in held] == [alert["id"]]


@pytest.mark.parametrize("action, body", [
    ("accept", None), ("decline", {}), ("status", {"status": "en_route"})])
def test_dispatch_actions_by_the_wrong_person(world, make_person, action, body, panic, add_member,
                                              offers_of, create_org, astana_box):
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    outsider = make_person()
    add_member(world.admin, create_org(world.admin, name="X", coverage=astana_box)["id"],
               outsider, "responder")
    # a responder of another org, and the woman herself (not a responder: 403)
    r = outsider.post(f"/api/v1/dispatches/{did}/{action}", json=body)
    assert r.status_code == 404
    assert world.user.post(f"/api/v1/dispatches/{did}/{action}", json=body).status_code == 403
    assert world.responders["r500"].post(
        f"/api/v1/dispatches/{uuid.uuid4()}/{action}", json=body).status_code == 404
    assert len(offers_of(world.responders["r500"])) == 1


def test_status_by_a_responder_not_holding_it_is_404(world, panic, offers_of):
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    r = world.responders["r1500"].post(f"/api/v1/dispatches/{did}/status",
                                       json={"status": "resolved"})
    assert r.status_code == 404


def test_cancel_withdraws_offers_and_tells_the_holder(app, world, jobs, panic, offers_of):
    alert = panic(world.user).get_json()
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    told = jobs(app, kind="dispatch_canceled")
    assert [j.recipient_user_id for j in told] == [world.responders["r500"].id]


def test_duress_cancel_keeps_the_dispatch_going(app, world, offers_of, jobs, panic):
    alert = panic(world.user).get_json()
    r = world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    assert r.get_json()["status"] == "canceled"
    offer = offers_of(world.responders["r500"])[0]
    assert offer["duress"] is True
    duress_pushes = {j.recipient_user_id for j in jobs(app, kind="alert_duress")}
    assert world.responders["r500"].id in duress_pushes
    did = offer["dispatch_id"]
    assert world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    # her phone is told nothing
    assert jobs(app, kind="dispatch_accepted", recipient_user_id=world.user.id) == []


def test_duty_needs_a_location_and_the_responder_role(make_person, world, add_member, north):
    fresh = make_person()
    add_member(world.admin, world.org["id"], fresh, "responder")
    r = fresh.put("/api/v1/responder/duty", json={"on_duty": True})
    assert r.status_code == 422 and "location" in r.get_json()["errors"]
    plain = make_person()
    r = plain.put("/api/v1/responder/duty", json={"on_duty": True, "location": north(1)})
    assert r.status_code == 403


def test_org_stats(app, clock, world, make_person, panic, offers_of):
    times = []
    for i, name in enumerate(("r500", "r1500")):
        woman = make_person(name=f"W{i}")
        panic(woman)
        did = offers_of(world.responders[name])[0]["dispatch_id"]
        clock.advance(10 * (i + 1))
        world.responders[name].post(f"/api/v1/dispatches/{did}/accept")
        clock.advance(100)
        world.responders[name].post(f"/api/v1/dispatches/{did}/status",
                                    json={"status": "on_scene"})
        times.append((10 * (i + 1), 10 * (i + 1) + 100))
    s = world.org_admin.get(f"/api/v1/orgs/{world.org['id']}/stats").get_json()
    assert s["dispatches"] == 2
    assert s["time_to_accept"]["median_s"] == pytest.approx(15, abs=1)
    assert s["time_to_accept"]["p90_s"] == pytest.approx(19, abs=1)
    assert s["time_to_arrive"]["median_s"] == pytest.approx(115, abs=1)
    listed = world.org_admin.get(f"/api/v1/orgs/{world.org['id']}/dispatches").get_json()
    assert len(listed["items"]) == 2


def test_signed_webhooks_for_dispatch_events(app, world, private_webhooks, fake_http, panic, drain,
                                             offers_of):
    hook = fake_http()
    secret = "s3cret-webhook-key-0123"
    world.admin.patch(f"/api/v1/orgs/{world.org['id']}",
                      json={"webhook_url": hook.url("/hook"), "webhook_secret": secret})
    panic(world.user)
    did = offers_of(world.responders["r500"])[0]["dispatch_id"]
    world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept")
    drain(app)
    events = [r.json()["event"] for r in hook.requests]
    assert events.count("dispatch.offered") == 3 and "dispatch.accepted" in events
    headers, body = hook.requests[-1].headers, hook.requests[-1].body
    ts = headers["X-Safety-Timestamp"]
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Safety-Signature"] == f"sha256={expected}"


def test_failing_webhook_is_retried(app, clock, world, private_webhooks, fake_http, panic, drain,
                                    jobs):
    hook = fake_http(status=502)
    world.admin.patch(f"/api/v1/orgs/{world.org['id']}",
                      json={"webhook_url": hook.url("/hook"), "webhook_secret": "x" * 20})
    panic(world.user)
    drain(app)
    pending = jobs(app, kind="webhook")
    assert pending and all(j.status == "pending" and j.attempts == 1 for j in pending)
    hook.status = 204
    clock.advance(app.config["WORKER_BACKOFF_MAX_S"] + 1)
    drain(app)
    assert {j.status for j in jobs(app, kind="webhook")} == {"sent"}


def test_a_responder_holds_one_dispatch_at_a_time(world, make_person, panic, offers_of):
    panic(world.user)
    other = make_person(name="Second woman")
    panic(other)  # both offered to the nearest, r500 among them
    offers = offers_of(world.responders["r500"])
    assert len(offers) == 2
    r500 = world.responders["r500"]
    assert r500.post(f"/api/v1/dispatches/{offers[0]['dispatch_id']}/accept").status_code == 200
    second = r500.post(f"/api/v1/dispatches/{offers[1]['dispatch_id']}/accept")
    assert second.status_code == 409


def test_alerts_announce_each_status_change_dispatch_asks_for(app, world, panic, offers_of):
    """Dispatch asks alerts to change the alert's status; alerts announces each change
    (alerts.events.status_changed), in order, with the status before."""
    from safety.alerts import events

    seen = []

    def record(_app, *, alert, previous):
        seen.append((previous, alert.status))

    events.status_changed.connect(record, sender=app)
    try:
        panic(world.user)
        r500 = world.responders["r500"]
        did = offers_of(r500)[0]["dispatch_id"]
        assert r500.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
        for status in ("en_route", "on_scene", "resolved"):
            r = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": status})
            assert r.status_code == 200, r.get_json()
    finally:
        events.status_changed.disconnect(record, sender=app)
    assert seen == [("active", "dispatched"), ("dispatched", "responding"),
                    ("responding", "resolved")]


def test_receivers_hear_only_their_own_app(app, world, panic, jobs):
    """The factory connects receivers with sender=app: another app's never hear this one."""
    from safety import create_app
    from safety.alerts import events
    from safety.dispatch import offers

    other = create_app(env={"SAFETY_ENV": "testing", "DATABASE_URL": "sqlite://"})
    assert offers.on_alert_raised in events.raised.receivers_for(other)
    heard = []

    def record(sender, *, alert):
        heard.append(sender)

    events.raised.connect(record, sender=other)
    try:
        panic(world.user)
    finally:
        events.raised.disconnect(record, sender=other)
    assert heard == []
    assert len(jobs(app, kind="dispatch_offer")) == 3  # this app's dispatch heard it


def test_a_responder_of_two_partners_answers_for_the_first_that_covers_her(
        world, create_org, add_member, make_person, on_duty, panic, offers_of):
    """Two partners cover her; a responder of both gets one offer (on SQLite an EXISTS for
    the membership yielded him twice: two offers, a unique constraint, a failed panic), for
    the older partner (the one the round lists first) unless that one is suspended; a
    responder of the newer one only, for that one."""
    newer = create_org(world.admin, name="Second Shield")
    r500 = world.responders["r500"]
    add_member(world.admin, newer["id"], r500, "responder")
    only_newer = make_person(name="Nurlan")
    add_member(world.admin, newer["id"], only_newer, "responder")
    on_duty(only_newer, 200)

    def org_of_accepted(person):
        offers = offers_of(person)
        assert len(offers) == 1
        r = person.post(f"/api/v1/dispatches/{offers[0]['dispatch_id']}/accept")
        assert r.status_code == 200, r.get_json()
        return r.get_json()["org_id"]

    def panic_and_cancel_after(person, org_id):
        r = panic(world.user)
        assert r.status_code == 201, r.get_json()
        assert [len(offers_of(p)) for p in (only_newer, r500, world.responders["r1500"])] \
            == [1, 1, 1]
        assert org_of_accepted(person) == org_id
        assert world.user.post(f"/api/v1/alerts/{r.get_json()['id']}/cancel",
                               json={"pin": "1234"}).status_code == 200

    panic_and_cancel_after(r500, world.org["id"])
    panic_and_cancel_after(only_newer, newer["id"])
    assert world.admin.patch(f"/api/v1/orgs/{world.org['id']}",
                             json={"status": "suspended"}).status_code == 200
    r = panic(world.user)
    assert r.status_code == 201
    assert [len(offers_of(p)) for p in (only_newer, r500, world.responders["r1500"])] \
        == [1, 1, 0]  # r1500 is a responder of the suspended partner only
    assert org_of_accepted(r500) == newer["id"]
