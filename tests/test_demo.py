"""The demo simulator of `make run` (safety/demo.py), driven one tick at a time on the app's
clock: the seeded demo keeps dispatching an hour later, a person acting as a demo responder
comes first, and it never runs in production or on its own in the tests."""

from __future__ import annotations

import logging
import random
import re
import uuid
from pathlib import Path

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import select

from safety import geo
from safety.accounts.models import User
from safety.config import ConfigError, load_config
from safety.demo import DemoSimulator
from safety.dispatch.models import Dispatch, ResponderState
from safety.extensions import db
from safety.seed import ALMATY, DEMO_PASSWORD, RESPONDERS, seed_demo

HER = {"lat": 43.2567, "lon": 76.9286}  # README's panic: where Responder 2 starts
WOMAN = "+77010000002"


@pytest.fixture
def demo(app, clock):
    clock.freeze()  # the simulator's delays are seconds of the app's clock, not of a busy CPU
    with app.app_context():
        seed_demo()
        db.session.commit()
        db.session.remove()
    return DemoSimulator(app, rng=random.Random(11))


def _login(client, phone):
    r = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def _panic(client, where=HER) -> dict:
    r = client.post("/api/v1/alerts", headers=_login(client, WOMAN), json={
        "client_id": str(uuid.uuid4()), "trigger": "button", "location": where})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _dispatch(app, alert_id) -> Dispatch:
    with app.app_context():
        d = db.session.scalar(select(Dispatch).where(Dispatch.alert_id == uuid.UUID(alert_id)))
        db.session.expunge_all()
        return d


def _run(app, clock, sim, seconds, step=3.0, until=None) -> list[str]:
    """Tick every `step` seconds of the app's clock for `seconds`; the dispatch statuses seen."""
    seen: list[str] = []
    for _ in range(int(seconds / step)):
        clock.advance(step)
        sim.tick()
        if until is not None:
            status = _dispatch(app, until).status
            if not seen or seen[-1] != status:
                seen.append(status)
    return seen


def test_an_hour_after_seeding_nobody_is_available_without_it(app, client, clock, demo):
    """The problem it solves: the seeded positions go stale after RESPONDER_STALE_S."""
    clock.advance(3600)
    alert = _panic(client)
    assert alert["dispatch"]["status"] == "unassigned"


def test_an_hour_later_a_panic_is_offered_accepted_and_resolved(app, client, clock, demo,
                                                                  caplog):
    demo.tick()
    clock.advance(3600)  # an hour of `make run`...
    demo.tick()  # ...during which the simulator kept them on duty with fresh positions
    alert = _panic(client)
    assert alert["dispatch"]["status"] == "offering"
    with caplog.at_level(logging.INFO, logger="safety.demo"):
        seen = _run(app, clock, demo, 400, until=alert["id"])
    assert seen == ["offering", "accepted", "en_route", "on_scene", "resolved"]
    r = client.get(f"/api/v1/alerts/{alert['id']}", headers=_login(client, WOMAN))
    assert r.get_json()["status"] == "resolved"
    assert r.get_json()["dispatch"]["responder"]["first_name"] == "Responder"
    with app.app_context():  # the nearest
        nearest = db.session.scalar(select(User.id).where(User.full_name == "Responder 2"))
    assert _dispatch(app, alert["id"]).responder_id == nearest
    story = [rec.getMessage() for rec in caplog.records if rec.name == "safety.demo"]
    assert any(re.search(r"Responder 2 accepts the offer for Aigerim Demo's alert, \d\.\d km "
                         r"away \(\d+ s after it came", line) for line in story), story
    for words in ("is en route to Aigerim Demo", "is on scene with Aigerim Demo",
                  "resolved Aigerim Demo's alert"):
        assert any(words in line for line in story), (words, story)


def test_it_goes_through_the_services_so_pushes_and_timers_are_as_for_a_person(
        app, client, clock, demo):
    from safety.notify.models import OutboxJob

    demo.tick()
    alert = _panic(client)
    _run(app, clock, demo, 400, until=alert["id"])
    with app.app_context():
        kinds = set(db.session.scalars(select(OutboxJob.kind).where(
            OutboxJob.alert_id == uuid.UUID(alert["id"]))))
        timeout = db.session.scalar(select(OutboxJob.status).where(
            OutboxJob.kind == "dispatch_offer_timeout"))
    assert {"dispatch_offer", "dispatch_accepted", "dispatch_en_route", "dispatch_on_scene",
            "alert_resolved"} <= kinds
    assert timeout == "canceled"  # the accept canceled the round's timeout, as for a person


def test_while_it_drives_she_sees_who_is_coming_and_how_far(app, client, clock, demo):
    demo.tick()
    alert = _panic(client, {"lat": 43.2300, "lon": 76.8700})  # README's Dana: 1.8 km away
    her = _login(client, WOMAN)
    seen = []
    for _ in range(200):
        clock.advance(2)
        demo.tick()
        d = client.get(f"/api/v1/alerts/{alert['id']}", headers=her).get_json()["dispatch"]
        if d["status"] == "en_route" and d["responder_position"]:
            seen.append(d["responder_position"])
        if d["status"] == "on_scene":
            break
    assert d["status"] == "on_scene" and d["responder"]["first_name"] == "Responder"
    assert len(seen) > 10  # a position every tick or so while driving
    distances = [p["distance_m"] for p in seen]
    assert distances == sorted(distances, reverse=True) and distances[0] > 1500
    assert all(p["eta_minutes"] and p["age_s"] <= 4 and not p["stale"] for p in seen)
    assert seen[0]["eta_minutes"] > seen[-1]["eta_minutes"]


def test_answers_come_after_the_configured_delay(app, client, clock, demo):
    demo.tick()
    alert = _panic(client)
    low, high = app.config["DEMO_ANSWER_DELAY_S"]
    _run(app, clock, demo, low - 1, step=1)
    assert _dispatch(app, alert["id"]).status == "offering"
    _run(app, clock, demo, high - low + 2, step=1)
    assert _dispatch(app, alert["id"]).status == "accepted"


def test_positions_stay_fresh_and_inside_the_coverage(app, clock, demo):
    demo.tick()
    area = shape(ALMATY)
    for _ in range(120):  # two hours in minutes
        clock.advance(60)
        demo.tick()
    with app.app_context():
        from safety.util import utcnow

        states = list(db.session.scalars(select(ResponderState)))
        assert len(states) == len(RESPONDERS)
        for state in states:
            lon, lat = geo.to_geojson(state.location)["coordinates"]
            assert area.contains(Point(lon, lat))
            assert state.on_duty
            assert (utcnow() - state.location_at).total_seconds() < 60


def test_a_person_who_answers_first_keeps_the_dispatch(app, client, clock, demo, caplog):
    demo.tick()
    alert = _panic(client)
    responder = _login(client, RESPONDERS[1][0])  # Responder 2, offered it
    (offer,) = client.get("/api/v1/responder/offers", headers=responder).get_json()["items"]
    r = client.post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept", headers=responder)
    assert r.status_code == 200
    seen = _run(app, clock, demo, 600, until=alert["id"])
    assert seen == ["accepted"]  # nobody moved it on but the person
    r = client.post(f"/api/v1/dispatches/{offer['dispatch_id']}/status", headers=responder,
                    json={"status": "resolved"})
    assert r.status_code == 200


def test_it_leaves_a_dispatch_alone_once_its_responder_acted_through_the_api(
        app, client, clock, demo, caplog):
    demo.tick()
    alert = _panic(client)
    with caplog.at_level(logging.INFO, logger="safety.demo"):
        assert _run(app, clock, demo, 20, step=1, until=alert["id"])[-1] == "accepted"
        d = _dispatch(app, alert["id"])
        with app.app_context():
            phone = db.session.get(User, d.responder_id).phone
        r = client.post(f"/api/v1/dispatches/{d.id}/status", headers=_login(client, phone),
                        json={"status": "on_scene"})
        assert r.status_code == 200
        seen = _run(app, clock, demo, 600, until=alert["id"])
    assert seen == ["on_scene"]
    assert any("leaves it to the person" in rec.getMessage() for rec in caplog.records)


def test_a_person_who_declines_is_not_overruled(app, client, clock, demo):
    demo.tick()
    alert = _panic(client)
    responder = _login(client, RESPONDERS[1][0])
    (offer,) = client.get("/api/v1/responder/offers", headers=responder).get_json()["items"]
    assert client.post(f"/api/v1/dispatches/{offer['dispatch_id']}/decline",
                       headers=responder, json={}).status_code == 200
    _run(app, clock, demo, 30, step=1)
    d = _dispatch(app, alert["id"])
    assert d.status in ("accepted", "en_route")  # by another demo responder
    with app.app_context():
        assert db.session.get(User, d.responder_id).phone != RESPONDERS[1][0]


def test_a_demo_responder_a_person_takes_off_duty_stays_off(app, client, clock, demo):
    demo.tick()
    phone = RESPONDERS[0][0]
    r = client.put("/api/v1/responder/duty", headers=_login(client, phone),
                   json={"on_duty": False})
    assert r.status_code == 200
    _run(app, clock, demo, 120, step=10)
    with app.app_context():
        states = dict(db.session.execute(select(User.phone, ResponderState.on_duty).join(
            ResponderState, ResponderState.user_id == User.id)).all())
    assert states[phone] is False
    assert sum(states.values()) == len(RESPONDERS) - 1


def test_a_canceled_alert_makes_it_stand_down(app, client, clock, demo, caplog):
    demo.tick()
    alert = _panic(client)
    _run(app, clock, demo, 20, step=1)
    r = client.post(f"/api/v1/alerts/{alert['id']}/cancel", headers=_login(client, WOMAN),
                    json={"pin": "1234"})
    assert r.status_code == 200
    with caplog.at_level(logging.INFO, logger="safety.demo"):
        assert _run(app, clock, demo, 60, until=alert["id"]) == ["canceled"]
    assert any("stands down" in rec.getMessage() for rec in caplog.records)


def test_it_picks_up_its_own_dispatches_after_a_restart(app, client, clock, demo):
    demo.tick()
    alert = _panic(client)
    seen = []
    while not seen or seen[-1] != "en_route":
        seen = _run(app, clock, demo, 3, step=1, until=alert["id"]) or seen
    again = DemoSimulator(app, rng=random.Random(5))  # `make run` stopped and started
    assert _run(app, clock, again, 400, until=alert["id"])[-1] == "resolved"


# -- never in production, never on its own in the tests ------------------------------------------


def test_refused_in_production(tmp_path):
    env = {"SAFETY_ENV": "production", "SECRET_KEY": "k" * 48,
           "PUBLIC_BASE_URL": "https://safety.example.kz", "RUN_DEMO_SIMULATOR": "1"}
    with pytest.raises(ConfigError, match="RUN_DEMO_SIMULATOR"):
        load_config(env, instance_path=str(tmp_path))


def test_only_development_turns_it_on(tmp_path):
    assert load_config({"SAFETY_ENV": "testing", "RUN_DEMO_SIMULATOR": "1"},
                       instance_path=str(tmp_path))["RUN_DEMO_SIMULATOR"] is False
    assert load_config({"SAFETY_ENV": "development", "RUN_DEMO_SIMULATOR": "1"},
                       instance_path=str(tmp_path))["RUN_DEMO_SIMULATOR"] is True
    assert load_config({"SAFETY_ENV": "development"},
                       instance_path=str(tmp_path))["RUN_DEMO_SIMULATOR"] is False


def test_the_test_app_runs_none_and_make_run_starts_it(app):
    assert "safety_demo" not in app.extensions
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "RUN_DEMO_SIMULATOR=1" in run


@pytest.mark.parametrize("raw, pair", [("8-15", (8.0, 15.0)), ("10", (10.0, 10.0)),
                                       ("0.5-2", (0.5, 2.0))])
def test_delays_are_ranges(tmp_path, raw, pair):
    cfg = load_config({"SAFETY_ENV": "testing", "DEMO_ANSWER_DELAY_S": raw})
    assert cfg["DEMO_ANSWER_DELAY_S"] == pair


@pytest.mark.parametrize("raw", ["15-8", "soon", "-3"])
def test_a_wrong_delay_is_a_config_error(raw):
    with pytest.raises(ConfigError, match="DEMO_ANSWER_DELAY_S"):
        load_config({"SAFETY_ENV": "testing", "DEMO_ANSWER_DELAY_S": raw})
