import uuid
from datetime import UTC, datetime, timedelta

import pytest

HERE = {"lat": 43.2567, "lon": 76.9286}


def start(person, **body):
    payload = {"duration_s": 600, "note": "date at a cafe", "location": HERE, **body}
    return person.post("/api/v1/timers", json=payload)


def test_missed_deadline_raises_a_timer_alert(app, clock, user, make_person, make_guardian,
                                              register_device, drain, jobs):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    register_device(mom, "mom-token")
    t = start(user).get_json()
    assert t["status"] == "running"
    drain(app)
    assert user.get("/api/v1/alerts").get_json()["items"] == []
    clock.advance(601)
    drain(app)
    timer = user.get(f"/api/v1/timers/{t['id']}").get_json()
    assert timer["status"] == "alarmed" and timer["alert_id"]
    alert = user.get(f"/api/v1/alerts/{timer['alert_id']}").get_json()
    assert alert["trigger"] == "timer" and alert["status"] == "active"
    assert alert["note"] == "date at a cafe"
    assert alert["location"]["lat"] == pytest.approx(HERE["lat"])
    assert len(jobs(app, kind="alert", recipient_user_id=mom.id)) == 1


def test_timer_alarm_survives_a_restart_and_a_retried_job(app, clock, user, jobs):
    """The timer is a job in the database: any worker, any time later, raises it once."""
    t = start(user).get_json()
    clock.advance(601)
    from safety.notify.worker import Worker

    Worker(app, worker_id="after-restart").run_once()
    from safety.extensions import db
    from safety.timers.service import _due_now

    (job,) = jobs(app, kind="timer_due")
    with app.app_context():
        again = _due_now(job)  # the same job delivered twice
        db.session.commit()
    assert again == {"skipped": "checked in or extended"}
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "alarmed"


def test_check_in_stops_the_timer(app, clock, user, drain, jobs):
    t = start(user).get_json()
    r = user.post(f"/api/v1/timers/{t['id']}/check-in", json={"pin": "1234"})
    assert r.status_code == 200 and r.get_json()["status"] == "checked_in"
    clock.advance(601)
    drain(app)
    assert user.get("/api/v1/alerts").get_json()["items"] == []
    assert jobs(app, kind="timer_due")[0].status == "canceled"
    again = user.post(f"/api/v1/timers/{t['id']}/check-in", json={"pin": "1234"})
    assert again.status_code == 409


def test_duress_check_in_looks_the_same_and_raises_a_silent_alert(app, user, make_person,
                                                                  make_guardian, register_device,
                                                                  jobs):
    mom = make_person()
    make_guardian(user, mom)
    register_device(mom, "mom-token")
    t1 = start(user).get_json()
    real = user.post(f"/api/v1/timers/{t1['id']}/check-in", json={"pin": "1234"})
    t2 = start(user).get_json()
    duress = user.post(f"/api/v1/timers/{t2['id']}/check-in", json={"pin": "9999"})
    assert real.status_code == duress.status_code == 200
    r, d = real.get_json(), duress.get_json()
    assert set(r) == set(d) and r["status"] == d["status"] == "checked_in"
    assert d["alert_id"] is None
    assert user.get(f"/api/v1/timers/{t2['id']}").get_json()["alert_id"] is None
    listed = user.get("/api/v1/timers").get_json()["items"]
    assert [t["alert_id"] for t in listed] == [None, None]  # the list does not name it either
    assert user.get("/api/v1/alerts").get_json()["items"] == []  # her phone shows nothing
    theirs = mom.get("/api/v1/alerts", query_string={"role": "guardian"}).get_json()["items"]
    assert len(theirs) == 1
    seen = mom.get(f"/api/v1/alerts/{theirs[0]['id']}").get_json()
    assert seen["duress"] is True and seen["status"] == "active" and seen["trigger"] == "timer"
    assert user.get(f"/api/v1/alerts/{theirs[0]['id']}").status_code == 404
    assert len(jobs(app, kind="alert_duress")) == 1


def test_wrong_pin_counts_and_locks_but_the_timer_runs(app, clock, user, drain):
    t = start(user).get_json()
    lefts = [user.post(f"/api/v1/timers/{t['id']}/check-in", json={"pin": "0000"})
             .get_json()["attempts_left"] for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    r = user.post(f"/api/v1/timers/{t['id']}/check-in", json={"pin": "1234"})
    assert r.status_code == 403 and "locked_until" in r.get_json()
    clock.advance(601)
    drain(app)
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "alarmed"


def test_extend_moves_the_deadline(app, clock, user, drain):
    t = start(user).get_json()
    r = user.post(f"/api/v1/timers/{t['id']}/extend", json={"duration_s": 1800})
    assert r.status_code == 200
    clock.advance(601)
    drain(app)
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "running"
    clock.advance(1200)
    drain(app)
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "alarmed"
    assert len(user.get("/api/v1/alerts").get_json()["items"]) == 1


def test_extend_must_move_later(user):
    t = start(user, duration_s=3600).get_json()
    r = user.post(f"/api/v1/timers/{t['id']}/extend", json={"duration_s": 600})
    assert r.status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"duration_s": 10}, "duration_s"),
    ({"duration_s": 100_000}, "duration_s"),
    ({"duration_s": None}, "due_at"),
    ({"duration_s": 600, "due_at": "2030-01-01T00:00:00Z"}, "due_at"),
    ({"duration_s": None, "due_at": "2001-01-01T00:00:00Z"}, "due_at"),
    ({"location": None}, "location"),
])
def test_start_validation(app, user, body, field, jobs):
    r = start(user, **body)
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert jobs(app) == []


def test_due_at_form(user):
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = start(user, duration_s=None, due_at=due)
    assert r.status_code == 201


def test_one_running_timer_at_a_time(user):
    assert start(user).status_code == 201
    assert start(user).status_code == 409


@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None), ("post", "/extend", {"duration_s": 3600}),
    ("post", "/check-in", {"pin": "1234"}),
])
def test_timers_of_someone_else_are_404(app, user, stranger, method, suffix, body):
    t = start(user).get_json()
    path = f"/api/v1/timers/{t['id']}{suffix}"
    r = stranger.get(path) if method == "get" else stranger.post(path, json=body)
    assert r.status_code == 404
    assert user.get(f"/api/v1/timers/{t['id']}").get_json()["status"] == "running"
    assert user.get(f"/api/v1/timers/{uuid.uuid4()}").status_code == 404
