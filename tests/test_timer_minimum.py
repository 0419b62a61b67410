"""One rule for a timer's shortest run: `duration_s` and `due_at` both at least 60 s from now,
and the error says so."""

from datetime import timedelta

import pytest

from safety.timers.schemas import TOO_SOON
from safety.util import utcnow

HERE = {"lat": 43.2567, "lon": 76.9286}


def _start(person, **when):
    return person.post("/api/v1/timers", json={"location": HERE, **when})


def _due(app, seconds: float) -> str:
    with app.app_context():  # the app's clock, which the service reads
        return (utcnow() + timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize("when", [{"duration_s": 59}, {"duration_s": 10}, {"due_at": 32},
                                  {"due_at": 55}])
def test_less_than_a_minute_is_refused_with_the_same_words(app, user, when):
    if "due_at" in when:
        when = {"due_at": _due(app, when["due_at"])}
    r = _start(user, **when)
    assert r.status_code == 422, r.get_json()
    field = next(iter(when))
    assert r.get_json()["errors"][field] == [TOO_SOON]
    assert "60" in TOO_SOON


@pytest.mark.parametrize("when", [{"duration_s": 60}, {"due_at": 65}])
def test_a_minute_is_enough(app, user, when):
    if "due_at" in when:
        when = {"due_at": _due(app, when["due_at"])}
    r = _start(user, **when)
    assert r.status_code == 201, r.get_json()


def test_extending_follows_the_same_rule(app, user):
    timer = _start(user, duration_s=60).get_json()
    r = user.post(f"/api/v1/timers/{timer['id']}/extend", json={"due_at": _due(app, 59.5)})
    assert r.status_code == 422 and r.get_json()["errors"]["due_at"] == [TOO_SOON]
