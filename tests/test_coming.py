"""Who is coming, where, when: the responder holding a dispatch posts positions; she, her
guardians and her SMS contacts see a first name, the company, vehicle and badge, the position,
its age, the distance and an ETA; pushes at each step; the org's admins told once when the
position goes stale en route; nothing of it on her phone after a duress cancel."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from safety.extensions import db

METRES_PER_DEGREE = 2 * math.pi * 6_371_008.8 / 360  # on the sphere distances are taken on


def metres_north(metres_in_helper_units: float) -> float:
    """`north(m)` moves m / 111,000 degrees: that many metres on the sphere."""
    return metres_in_helper_units / 111_000 * METRES_PER_DEGREE


def expected_eta_s(distance_m: float, factor=1.4, kmh=30.0) -> int:
    return math.ceil(distance_m * factor / (kmh / 3.6))


@pytest.fixture
def scene(admin, make_person, user, create_org, add_member, on_duty, register_device,
          make_guardian, astana_box):
    """Her (Aigerim) with two guardians and a contact without the app; Kuzet Security with an
    org admin, Aidos (500 m north, with a vehicle and badge) and Berik (3 km north); another
    organisation (covering Astana) with its own admin and responder."""
    s = SimpleNamespace(admin=admin, her=user)
    s.org = create_org(admin, name="Kuzet Security")
    s.org_admin = make_person(name="Dana Org-Admin")
    add_member(admin, s.org["id"], s.org_admin, "org_admin")
    s.aidos = make_person(name="Aidos Nurlanov")
    add_member(admin, s.org["id"], s.aidos, "responder")
    on_duty(s.aidos, 500)
    s.berik = make_person(name="Berik Sadykov")
    add_member(admin, s.org["id"], s.berik, "responder")
    on_duty(s.berik, 3000)
    s.other_org = create_org(admin, name="Astana Guard", coverage=astana_box)
    s.other_admin = make_person(name="Other Admin")
    add_member(admin, s.other_org["id"], s.other_admin, "org_admin")
    s.other_responder = make_person(name="Other Responder")
    add_member(admin, s.other_org["id"], s.other_responder, "responder")
    s.mom = make_person(name="Mom")
    s.sister = make_person(name="Sister")
    s.mom_contact = make_guardian(user, s.mom, name="Mom")
    make_guardian(user, s.sister, name="Sister")
    user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    for person, token in ((user, "her-phone"), (s.mom, "mom-phone"),
                          (s.sister, "sister-phone"), (s.aidos, "aidos-phone"),
                          (s.org_admin, "org-admin-phone"), (s.other_admin, "other-admin")):
        register_device(person, token)
        # the texts compared below are the English ones, whatever the catalogues say
        assert person.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    r = s.org_admin.patch(f"/api/v1/orgs/{s.org['id']}/members/{s.aidos.id}",
                          json={"vehicle": "white Lada Vesta 123 ABC 02", "badge": "K-117"})
    assert r.status_code == 200, r.get_json()
    return s


@pytest.fixture
def dispatched(scene, panic, offers_of, tracking_path):
    """Her panic (in Almaty), accepted by Aidos: (alert id, dispatch id, tracking path)."""
    alert = panic(scene.her).get_json()
    did = offers_of(scene.aidos)[0]["dispatch_id"]
    assert scene.aidos.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    return alert["id"], did, tracking_path()


def post(person, did, where, **extra):
    return person.post(f"/api/v1/responder/dispatches/{did}/location",
                       json={"location": {**where, **extra}})


def status(person, did, value):
    r = person.post(f"/api/v1/dispatches/{did}/status", json={"status": value})
    assert r.status_code == 200, r.get_json()


def brief(person, alert_id):
    r = person.get(f"/api/v1/alerts/{alert_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["dispatch"]


# -- what she and her guardians see ----------------------------------------------------------


def test_she_sees_first_name_company_vehicle_position_distance_and_eta(scene, dispatched,
                                                                       north, clock):
    alert_id, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    r = post(scene.aidos, did, north(1000), accuracy_m=8.0)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["stored"] is True
    clock.advance(7)
    seen = brief(scene.her, alert_id)
    assert seen["status"] == "en_route"
    assert seen["responder"] == {"first_name": "Aidos", "vehicle": "white Lada Vesta 123 ABC 02",
                                 "badge": "K-117"}
    assert seen["organization"]["name"] == "Kuzet Security"
    pos = seen["responder_position"]
    distance = metres_north(1000)
    assert pos["lat"] == pytest.approx(north(1000)["lat"])
    assert pos["distance_m"] == pytest.approx(distance, abs=0.5)
    assert pos["age_s"] == 7 and pos["stale"] is False
    assert pos["eta_s"] == expected_eta_s(distance) == 169
    assert pos["eta_minutes"] == 3
    assert pos["accuracy_m"] == 8.0 and pos["clock_adjusted"] is False


def test_the_abuser_reading_her_screen_gets_no_full_name_or_phone_of_the_responder(
        scene, dispatched, north):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(800))
    raw = scene.her.get(f"/api/v1/alerts/{alert_id}").get_data(as_text=True)
    assert "Nurlanov" not in raw and scene.aidos.phone not in raw and str(scene.aidos.id) \
        not in raw
    assert "Aidos" in raw


def test_each_guardian_sees_the_same(scene, dispatched, north):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(2000))
    mine = brief(scene.her, alert_id)
    for guardian in (scene.mom, scene.sister):
        theirs = brief(guardian, alert_id)
        assert theirs["responder"] == mine["responder"]
        assert theirs["responder_position"]["distance_m"] == \
            mine["responder_position"]["distance_m"]
        assert "full_name" not in theirs["responder"]


def test_staff_see_who_the_responder_is(scene, dispatched, north):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(2000))
    for person in (scene.org_admin, scene.admin, scene.aidos):
        seen = brief(person, alert_id)
        assert seen["responder"]["full_name"] == "Aidos Nurlanov"
        assert seen["responder"]["phone"] == scene.aidos.phone
        assert seen["responder_position"]["eta_minutes"] == \
            math.ceil(expected_eta_s(metres_north(2000)) / 60)


def test_the_position_follows_her_latest_point_and_his(scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    post(scene.aidos, did, north(6000))
    first = brief(scene.her, alert_id)["responder_position"]
    assert first["eta_s"] == expected_eta_s(metres_north(6000))
    assert first["eta_minutes"] == 17  # "about 17 min"
    clock.advance(5)
    post(scene.aidos, did, north(5900))
    # she moves 1 km south while he comes
    here = {"lat": north(-1000)["lat"], "lon": north(0)["lon"]}
    r = scene.her.post(f"/api/v1/alerts/{alert_id}/locations", json={"points": [here]})
    assert r.status_code == 202
    now = brief(scene.mom, alert_id)["responder_position"]
    assert now["distance_m"] == pytest.approx(metres_north(6900), abs=0.5)
    assert now["eta_s"] == expected_eta_s(metres_north(6900))


def test_eta_follows_the_configured_factor_and_speed(app, scene, dispatched, north,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "ETA_ROAD_FACTOR", 1.5)
    monkeypatch.setitem(app.config, "ETA_SPEED_KMH", 36.0)  # 10 m/s
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(1000))
    pos = brief(scene.her, alert_id)["responder_position"]
    assert pos["eta_s"] == math.ceil(metres_north(1000) * 1.5 / 10) == 151
    assert pos["eta_minutes"] == 3


def test_no_position_yet_no_estimate(scene, dispatched):
    alert_id, _, _ = dispatched
    seen = brief(scene.her, alert_id)
    assert seen["responder"]["first_name"] == "Aidos"
    assert seen["responder_position"] is None


def test_stale_position_is_flagged_and_gives_no_estimate(app, scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(1000))
    clock.advance(app.config["RESPONDER_POSITION_STALE_S"] + 1)
    pos = brief(scene.her, alert_id)["responder_position"]
    assert pos["stale"] is True and pos["eta_s"] is None and pos["eta_minutes"] is None
    assert pos["age_s"] == app.config["RESPONDER_POSITION_STALE_S"] + 1


def test_on_scene_shows_where_without_an_estimate(scene, dispatched, north):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(20))
    status(scene.aidos, did, "on_scene")
    pos = brief(scene.her, alert_id)["responder_position"]
    assert pos["distance_m"] == pytest.approx(metres_north(20), abs=0.5)
    assert pos["eta_s"] is None


def test_a_first_name_cannot_carry_a_link_or_a_number(app, scene, panic, offers_of, north,
                                                      make_person, add_member, on_duty):
    sly = make_person(name="+77019998877 www.call-me.kz Serik")
    add_member(scene.admin, scene.org["id"], sly, "responder")
    on_duty(sly, 100)
    alert = panic(scene.her).get_json()
    did = offers_of(sly)[0]["dispatch_id"]
    assert sly.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    assert brief(scene.her, alert["id"])["responder"]["first_name"] == "Serik"


# -- the tracking page of her SMS contacts ---------------------------------------------------


def test_tracking_json_shows_the_responder_position_and_eta(client, scene, dispatched, north):
    alert_id, did, path = dispatched
    status(scene.aidos, did, "en_route")
    post(scene.aidos, did, north(1000))
    body = client.get(path + "/data").get_json()
    r = body["responder"]
    assert r["first_name"] == "Aidos" and r["organization"] == "Kuzet Security"
    assert r["status"] == "en_route"
    assert r["position"]["distance_m"] == pytest.approx(metres_north(1000), abs=0.5)
    assert r["position"]["eta_minutes"] == 3
    assert r["text"] == "Aidos from Kuzet Security is on the way: 1 km away, about 3 min."
    raw = client.get(path + "/data").get_data(as_text=True)
    for secret in ("Nurlanov", scene.aidos.phone, "Lada", "K-117", str(scene.aidos.id), did):
        assert secret not in raw  # no full name, phone, vehicle, badge or ids for a link


def test_tracking_json_says_arrived_on_scene_and_nothing_after_the_end(client, scene,
                                                                        dispatched, north):
    _, did, path = dispatched
    post(scene.aidos, did, north(30))
    status(scene.aidos, did, "on_scene")
    r = client.get(path + "/data").get_json()["responder"]
    assert r["text"] == "Aidos from Kuzet Security has arrived." and r["position"]
    status(scene.aidos, did, "resolved")
    assert client.get(path + "/data").get_json()["responder"] is None


def test_the_tracking_page_has_a_place_for_who_is_coming(client, dispatched):
    _, _, path = dispatched
    page = client.get(path).get_data(as_text=True)
    assert 'data-state="coming"' in page and "RESPONDER ON THE WAY" in page


# -- the responder's phone: who may post, how often, what is believed -------------------------


def test_only_the_responder_holding_the_dispatch_may_post(scene, dispatched, north,
                                                          stranger):
    alert_id, did, _ = dispatched
    cases = {
        "another responder of the org": (scene.berik, 404),
        "a responder of another org": (scene.other_responder, 404),
        "her org's admin (no responder role)": (scene.org_admin, 403),
        "a plain user": (stranger, 403),
        "her": (scene.her, 403),
        "her guardian": (scene.mom, 403),
        "a platform admin": (scene.admin, 403),
    }
    for who, (person, code) in cases.items():
        assert post(person, did, north(100)).status_code == code, who
    assert post(scene.aidos, str(uuid.uuid4()), north(100)).status_code == 404
    assert brief(scene.her, alert_id)["responder_position"] is None  # nothing was stored


def test_wrong_people_cannot_read_the_position(scene, dispatched, north, stranger):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(1000))
    for person in (scene.berik, scene.other_responder, scene.other_admin, stranger):
        r = person.get(f"/api/v1/alerts/{alert_id}")
        assert r.status_code == 404
        assert "Aidos" not in r.get_data(as_text=True)


def test_an_ex_guardian_sees_nothing(scene, dispatched, north):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(1000))
    assert scene.her.delete(f"/api/v1/me/contacts/{scene.mom_contact}").status_code == 204
    r = scene.mom.get(f"/api/v1/alerts/{alert_id}")
    assert r.status_code == 404 and "Aidos" not in r.get_data(as_text=True)


def test_too_frequent_positions_are_429_and_not_stored(app, scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    assert post(scene.aidos, did, north(1000)).status_code == 200
    clock.advance(1)
    r = post(scene.aidos, did, north(990))
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert r.headers["Content-Type"] == "application/problem+json"
    assert brief(scene.her, alert_id)["responder_position"]["lat"] == \
        pytest.approx(north(1000)["lat"])
    clock.advance(app.config["RESPONDER_POSITION_MIN_INTERVAL_S"])
    assert post(scene.aidos, did, north(990)).status_code == 200


def test_an_implausible_jump_is_422_and_a_real_move_is_believed_later(scene, dispatched,
                                                                      north, clock):
    alert_id, did, _ = dispatched
    assert post(scene.aidos, did, north(1000)).status_code == 200
    clock.advance(3)
    r = post(scene.aidos, did, north(30_000))  # 29 km in 3 s
    assert r.status_code == 422 and "location" in r.get_json()["errors"]
    assert brief(scene.her, alert_id)["responder_position"]["lat"] == \
        pytest.approx(north(1000)["lat"])
    clock.advance(3)
    assert post(scene.aidos, did, north(1150)).status_code == 200  # 150 m in 3 s: fine
    clock.advance(500)  # the first fix was the wrong one: after a while the new one is taken
    assert post(scene.aidos, did, north(30_000)).status_code == 200


def test_an_older_fix_is_ignored(scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    now = datetime.now(UTC)
    assert post(scene.aidos, did, north(1000), recorded_at=now.isoformat()).status_code == 200
    clock.advance(3)
    r = post(scene.aidos, did, north(900),
             recorded_at=(now - timedelta(seconds=30)).isoformat())
    assert r.status_code == 200 and r.get_json()["stored"] is False
    assert brief(scene.her, alert_id)["responder_position"]["lat"] == \
        pytest.approx(north(1000)["lat"])


def test_a_clock_running_ahead_does_not_hide_the_next_fixes(scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()  # believed: within 5 min
    assert post(scene.aidos, did, north(1000), recorded_at=ahead).status_code == 200
    assert brief(scene.her, alert_id)["responder_position"]["age_s"] == 0
    clock.advance(3)
    r = post(scene.aidos, did, north(990))  # the phone's clock was put right meanwhile
    assert r.status_code == 200 and r.get_json()["stored"] is True
    assert brief(scene.her, alert_id)["responder_position"]["lat"] == \
        pytest.approx(north(990)["lat"])


def test_the_phone_clock_is_clamped_like_other_points(scene, dispatched, north):
    alert_id, did, _ = dispatched
    r = post(scene.aidos, did, north(1000), recorded_at="9999-12-31T23:59:59Z")
    assert r.status_code == 200
    pos = brief(scene.her, alert_id)["responder_position"]
    assert pos["clock_adjusted"] is True and pos["reported_recorded_at"] == \
        "9999-12-31T23:59:59Z"
    assert pos["age_s"] == 0 and pos["eta_s"] is not None


@pytest.mark.parametrize("body", [
    {"location": {"lat": 91, "lon": 0}}, {"location": {"lat": 43.2}}, {},
    {"location": {"lat": 43.2, "lon": 76.9, "recorded_at": "yesterday"}},
])
def test_bad_positions_are_422(scene, dispatched, body):
    _, did, _ = dispatched
    r = scene.aidos.post(f"/api/v1/responder/dispatches/{did}/location", json=body)
    assert r.status_code == 422


def test_positions_also_keep_him_fresh_for_dispatch(app, scene, dispatched, north):
    from safety.dispatch.models import ResponderState
    from safety.geo import to_geojson

    _, did, _ = dispatched
    post(scene.aidos, did, north(700))
    with app.app_context():
        state = db.session.get(ResponderState, scene.aidos.id)
        assert to_geojson(state.location)["coordinates"][1] == pytest.approx(north(700)["lat"])


# -- after the dispatch ends: refused and hidden -----------------------------------------------


def _kept_position(app, did):
    from safety.dispatch.models import Dispatch

    with app.app_context():
        d = db.session.get(Dispatch, uuid.UUID(did))
        return (d.responder_lat, d.responder_lon, d.responder_location_at)


def test_after_resolve_positions_are_refused_hidden_and_forgotten(app, client, scene,
                                                                  dispatched, north, clock):
    alert_id, did, path = dispatched
    post(scene.aidos, did, north(100))
    status(scene.aidos, did, "resolved")
    clock.advance(5)
    r = post(scene.aidos, did, north(50))
    assert r.status_code == 409
    for person in (scene.her, scene.mom, scene.org_admin, scene.aidos):
        assert brief(person, alert_id)["responder_position"] is None
    assert _kept_position(app, did) == (None, None, None)


def test_after_a_real_cancel_positions_are_refused(scene, dispatched, north, clock):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(100))
    scene.her.post(f"/api/v1/alerts/{alert_id}/cancel", json={"pin": "1234"})
    clock.advance(5)
    assert post(scene.aidos, did, north(50)).status_code == 409
    assert brief(scene.mom, alert_id)["responder_position"] is None


def test_a_responder_who_gives_it_back_can_no_longer_post(app, scene, dispatched, north,
                                                          clock, offers_of):
    alert_id, did, _ = dispatched
    post(scene.aidos, did, north(100))
    status(scene.aidos, did, "unable")
    clock.advance(5)
    assert post(scene.aidos, did, north(50)).status_code == 404
    assert _kept_position(app, did) == (None, None, None)  # nothing for the next responder
    seen = brief(scene.her, alert_id)
    assert seen["responder"] is None and seen["responder_position"] is None


# -- stale while en route: the org's admins are told once --------------------------------------


def test_stale_en_route_tells_the_org_admins_once(app, scene, dispatched, north, clock, drain,
                                                  jobs, fcm):
    _, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    limit = app.config["RESPONDER_POSITION_STALE_S"]
    for _ in range(4):  # positions every 20 s: fresh
        clock.advance(20)
        assert post(scene.aidos, did, north(900)).status_code == 200
        drain(app)
    assert jobs(app, kind="dispatch_position_stale") == []
    clock.advance(limit + 1)  # his phone goes quiet
    drain(app)
    for _ in range(5):
        clock.advance(limit)
        drain(app)
    (told,) = jobs(app, kind="dispatch_position_stale")
    assert told.recipient_user_id == scene.org_admin.id and told.status == "sent"
    (msg,) = fcm.sent_to("org-admin-phone")[-1:]
    assert msg["data"]["type"] == "dispatch_position_stale"
    assert "Aidos Nurlanov" in msg["notification"]["body"]
    assert fcm.sent_to("other-admin") == []
    assert not [m for m in fcm.sent_to("her-phone")
                if m["data"]["type"] == "dispatch_position_stale"]


def test_no_position_at_all_after_setting_off_is_stale_too(app, scene, dispatched, clock,
                                                           drain, jobs):
    _, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    clock.advance(app.config["RESPONDER_POSITION_STALE_S"] + 1)
    drain(app)
    drain(app)
    assert len(jobs(app, kind="dispatch_position_stale")) == 1


def test_no_stale_warning_once_on_scene(app, scene, dispatched, north, clock, drain, jobs):
    _, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    post(scene.aidos, did, north(10))
    status(scene.aidos, did, "on_scene")
    clock.advance(app.config["RESPONDER_POSITION_STALE_S"] * 5)
    drain(app)
    assert jobs(app, kind="dispatch_position_stale") == []


def test_the_stale_check_is_idempotent_when_its_job_runs_twice(app, scene, dispatched, clock,
                                                               jobs):
    from safety.dispatch.jobs import _position_check
    from safety.notify.models import OutboxJob

    _, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    clock.advance(app.config["RESPONDER_POSITION_STALE_S"] + 1)
    with app.app_context():
        job = db.session.scalar(select(OutboxJob).where(
            OutboxJob.kind == "dispatch_position_check"))
        first = _position_check(job)
        second = _position_check(job)
        db.session.commit()
    assert first["stale"] is True and second == {"skipped": "already told"}
    assert len(jobs(app, kind="dispatch_position_stale")) == 1


# -- pushes at each step, through the fake FCM ----------------------------------------------


def _steps(fcm, token):
    """(type, title, body) of the pushes to `token`, in the order of the dispatch's steps (the
    worker sends a batch at once: they may arrive in any order)."""
    order = ["alert", "dispatch_accepted", "dispatch_en_route", "dispatch_on_scene",
             "dispatch_resolved", "alert_duress", "alert_resolved"]
    sent = [(m["data"]["type"], m["notification"]["title"], m["notification"]["body"])
            for m in fcm.sent_to(token)]
    return sorted(sent, key=lambda s: order.index(s[0]) if s[0] in order else len(order))


def test_she_and_her_guardians_get_a_push_at_each_step(app, scene, dispatched, north, clock,
                                                       drain, fcm):
    _, did, _ = dispatched
    post(scene.aidos, did, north(1000))
    clock.advance(3)
    status(scene.aidos, did, "en_route")
    status(scene.aidos, did, "on_scene")
    status(scene.aidos, did, "resolved")
    drain(app)
    hers = [s for s in _steps(fcm, "her-phone") if s[0].startswith("dispatch_")]
    assert hers == [
        ("dispatch_accepted", "Help is coming",
         "Aidos from Kuzet Security accepted your alert."),
        ("dispatch_en_route", "Aidos is on the way", "About 3 min away (1 km)."),
        ("dispatch_on_scene", "Aidos has arrived", "Your responder has reached you."),
        ("dispatch_resolved", "Your alert is resolved",
         "Aidos from Kuzet Security marked it resolved."),
    ]
    for token in ("mom-phone", "sister-phone"):
        theirs = [s for s in _steps(fcm, token) if s[0].startswith(("dispatch_", "alert_"))
                  and s[0] != "alert"]
        assert theirs == [
            ("dispatch_accepted", "Help is coming for Aigerim",
             "Aidos from Kuzet Security accepted her alert."),
            ("dispatch_en_route", "Aidos is on the way to Aigerim", "About 3 min away (1 km)."),
            ("dispatch_on_scene", "Aidos has reached Aigerim", "The responder is on scene."),
            ("alert_resolved", "Aigerim is safe: the alert is resolved",
             "No action is needed any more."),
        ]
    en_route = next(m for m in fcm.sent_to("mom-phone")
                    if m["data"]["type"] == "dispatch_en_route")
    assert en_route["data"]["dispatch_id"] == did
    assert int(en_route["data"]["eta_s"]) == expected_eta_s(metres_north(1000))


def test_en_route_without_a_position_says_set_off(app, scene, dispatched, drain, fcm):
    _, did, _ = dispatched
    status(scene.aidos, did, "en_route")
    drain(app)
    (step,) = [s for s in _steps(fcm, "her-phone") if s[0] == "dispatch_en_route"]
    assert step[2] == "Aidos from Kuzet Security has set off."


# -- duress: nothing on her phone, guardians as today ------------------------------------------


def test_after_a_duress_cancel_her_phone_shows_and_gets_nothing_of_it(app, scene, dispatched,
                                                                      north, clock, drain, fcm,
                                                                      jobs):
    alert_id, did, path = dispatched
    post(scene.aidos, did, north(2000))
    drain(app)
    before = {s[0] for s in _steps(fcm, "her-phone")}
    r = scene.her.post(f"/api/v1/alerts/{alert_id}/cancel", json={"pin": "9999"})
    assert r.status_code == 200
    frozen = scene.her.get(f"/api/v1/alerts/{alert_id}").data
    assert b'"dispatch":null' in frozen.replace(b" ", b"")
    clock.advance(5)
    assert post(scene.aidos, did, north(1900)).status_code == 200  # he keeps coming
    status(scene.aidos, did, "en_route")
    clock.advance(5)
    assert post(scene.aidos, did, north(1800)).status_code == 200
    status(scene.aidos, did, "on_scene")
    later = scene.her.get(f"/api/v1/alerts/{alert_id}").data
    assert later == frozen  # her view shows nothing new, byte for byte
    status(scene.aidos, did, "resolved")
    drain(app)
    after = [s[0] for s in _steps(fcm, "her-phone")]
    assert {t for t in after} == before  # no push reached her after the cancel
    assert not [j for j in jobs(app, recipient_user_id=scene.her.id)
                if j.kind.startswith("dispatch_") and j.kind != "dispatch_accepted"]
    mom = [s[0] for s in _steps(fcm, "mom-phone")]
    assert {"alert_duress", "dispatch_en_route", "dispatch_on_scene",
            "alert_resolved"} <= set(mom)


def test_after_a_duress_cancel_guardians_and_the_tracking_page_still_see_him(
        client, scene, dispatched, north, clock):
    alert_id, did, path = dispatched
    scene.her.post(f"/api/v1/alerts/{alert_id}/cancel", json={"pin": "9999"})
    status(scene.aidos, did, "en_route")
    post(scene.aidos, did, north(1000))
    assert brief(scene.mom, alert_id)["responder_position"]["eta_minutes"] == 3
    assert client.get(path + "/data").get_json()["responder"]["position"]["eta_minutes"] == 3
    assert scene.her.get(f"/api/v1/alerts/{alert_id}").get_json()["dispatch"] is None


def test_accepted_after_a_duress_cancel_tells_her_nothing(app, scene, panic, offers_of, drain,
                                                         jobs):
    alert = panic(scene.her).get_json()
    scene.her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    did = offers_of(scene.aidos)[0]["dispatch_id"]
    assert scene.aidos.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    accepted = jobs(app, kind="dispatch_accepted")
    assert accepted and scene.her.id not in {j.recipient_user_id for j in accepted}


# -- the vehicle and badge an org admin sets ---------------------------------------------------


def test_vehicle_and_badge_are_set_by_the_org_admin_and_audited(scene):
    path = f"/api/v1/orgs/{scene.org['id']}/members/{scene.berik.id}"
    r = scene.org_admin.patch(path, json={"vehicle": "  black Toyota Camry 777 AAA 02 "})
    assert r.status_code == 200
    assert r.get_json()["vehicle"] == "black Toyota Camry 777 AAA 02"
    assert r.get_json()["badge"] is None
    members = scene.org_admin.get(f"/api/v1/orgs/{scene.org['id']}/members").get_json()
    berik = next(m for m in members["items"] if m["user_id"] == str(scene.berik.id))
    assert berik["vehicle"] == "black Toyota Camry 777 AAA 02"
    r = scene.org_admin.patch(path, json={"vehicle": None})
    assert r.status_code == 200 and r.get_json()["vehicle"] is None
    audit = scene.admin.get(f"/api/v1/orgs/{scene.org['id']}/audit").get_json()["items"]
    assert [e["action"] for e in audit].count("org.member_updated") == 3  # 2 + Aidos's


@pytest.mark.parametrize("who, code", [
    ("other_admin", 404), ("aidos", 404), ("her", 404), ("mom", 404), ("admin", 200),
])
def test_only_the_orgs_admins_set_a_vehicle(scene, who, code):
    r = getattr(scene, who).patch(
        f"/api/v1/orgs/{scene.org['id']}/members/{scene.berik.id}", json={"badge": "B-1"})
    assert r.status_code == code


def test_a_member_who_is_no_responder_has_no_vehicle(scene, stranger):
    base = f"/api/v1/orgs/{scene.org['id']}/members"
    assert scene.org_admin.patch(f"{base}/{scene.org_admin.id}",
                                 json={"badge": "X"}).status_code == 404
    assert scene.org_admin.patch(f"{base}/{stranger.id}", json={"badge": "X"}).status_code == 404
    assert scene.org_admin.patch(f"/api/v1/orgs/{scene.org['id']}/members/"
                                 f"{scene.other_responder.id}",
                                 json={"badge": "X"}).status_code == 404


@pytest.mark.parametrize("body", [
    {}, {"vehicle": "   "}, {"vehicle": "x" * 61}, {"badge": "b" * 31},
    {"vehicle": "white Lada\ncall +77010000000"}, {"badge": "K\u202e711"}, {"badge": 7},
])
def test_bad_vehicle_or_badge_is_422_and_changes_nothing(scene, body):
    path = f"/api/v1/orgs/{scene.org['id']}/members/{scene.aidos.id}"
    r = scene.org_admin.patch(path, json=body)
    assert r.status_code == 422
    members = scene.org_admin.get(f"/api/v1/orgs/{scene.org['id']}/members").get_json()
    aidos = next(m for m in members["items"] if m["user_id"] == str(scene.aidos.id))
    assert (aidos["vehicle"], aidos["badge"]) == ("white Lada Vesta 123 ABC 02", "K-117")


def test_the_estimate_is_documented_with_its_settings():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    notes = (docs / "api-notes.md").read_text()
    config = (docs / "configuration.md").read_text()
    for name in ("ETA_ROAD_FACTOR", "ETA_SPEED_KMH", "RESPONDER_POSITION_STALE_S",
                 "RESPONDER_POSITION_MIN_INTERVAL_S", "RESPONDER_MAX_SPEED_MPS"):
        assert name in config and name in notes, name
    assert re.search(r"## Who is coming", notes)
