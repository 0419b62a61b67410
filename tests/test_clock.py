"""A panic never fails for a wrong phone clock; times and cursors in queries are 422, never 500."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from tests.apidoc import operations, query_params

# Times a phone's clock can say: well-formed RFC 3339, but not to be believed.
WRONG_CLOCKS = [
    "0001-01-01T00:00:00+05:00",      # before UTC year 1: not representable
    "9999-12-31T23:59:59-14:00",      # after UTC year 9999: not representable
    "1970-01-01T00:00:00Z",           # a clock that lost its battery
    "2000-01-01T00:00:00+06:00",      # a factory reset
    "2099-06-01T12:00:00+06:00",      # far ahead
    "0000-01-01T00:00:00Z",           # year zero: valid RFC 3339, no such year in Python
    "2026-02-30T08:00:00+06:00",      # no such day
    "2026-06-30T23:59:60Z",           # a leap second
    "2098-11-23t08:00:00.123456789z",  # lower-case T and Z, nine fraction digits
]
BAD_QUERY_TIMES = [
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00",
    "yesterday", "2026-13-01T00:00:00Z",
]


def _recent(text: str, seconds: float = 60) -> bool:
    at = datetime.fromisoformat(text)
    return abs((datetime.now(UTC) - at).total_seconds()) < seconds


@pytest.fixture
def panic_at(almaty):
    def panic_at(person, recorded_at, client_id=None):
        return person.post("/api/v1/alerts", json={
            "client_id": str(client_id or uuid.uuid4()), "trigger": "button",
            "location": {**almaty, "recorded_at": recorded_at}})

    return panic_at


# -- the panic ---------------------------------------------------------------------------------


@pytest.mark.parametrize("clock", WRONG_CLOCKS)
def test_panic_with_a_wrong_phone_clock_raises_the_alert(user, clock, panic_at):
    r = panic_at(user, clock)
    assert r.status_code == 201, r.get_json()
    loc = r.get_json()["location"]
    assert loc["clock_adjusted"] is True
    assert loc["reported_recorded_at"] == clock
    assert _recent(loc["recorded_at"])  # the server's receive time stands in


def test_panic_with_a_believable_clock_keeps_the_phone_time(user, panic_at):
    then = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    r = panic_at(user, then.isoformat())
    loc = r.get_json()["location"]
    assert r.status_code == 201
    assert loc["clock_adjusted"] is False and loc["reported_recorded_at"] is None
    assert datetime.fromisoformat(loc["recorded_at"]) == then


@pytest.mark.parametrize("ahead, adjusted", [(240, False), (600, True)])
def test_phone_clock_ahead_of_the_server_is_believed_up_to_the_limit(app, user, ahead,
                                                                     adjusted, panic_at):
    assert app.config["PHONE_CLOCK_AHEAD_S"] == 300
    at = datetime.now(UTC) + timedelta(seconds=ahead)
    loc = panic_at(user, at.isoformat()).get_json()["location"]
    assert loc["clock_adjusted"] is adjusted


@pytest.mark.parametrize("behind, adjusted", [(23 * 3600, False), (25 * 3600, True)])
def test_phone_clock_behind_the_server_is_believed_up_to_a_day(app, user, behind, adjusted,
                                                               panic_at):
    assert app.config["PHONE_CLOCK_BEHIND_S"] == 86400
    at = datetime.now(UTC) - timedelta(seconds=behind)
    loc = panic_at(user, at.isoformat()).get_json()["location"]
    assert loc["clock_adjusted"] is adjusted


def test_naive_time_in_a_panic_is_a_422_naming_the_field(user, panic_at):
    r = panic_at(user, "2026-11-23T08:00:00")
    assert r.status_code == 422
    assert "recorded_at" in r.get_json()["errors"]["location"]


def test_retry_of_a_panic_with_a_wrong_clock_is_the_same_alert(user, panic_at):
    cid = uuid.uuid4()
    first = panic_at(user, "9999-12-31T23:59:59-14:00", cid)
    again = panic_at(user, "9999-12-31T23:59:59-14:00", cid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]


# -- the trail ---------------------------------------------------------------------------------


def test_trail_points_with_wrong_clocks_are_all_kept_in_the_order_sent(user, panic):
    alert = panic(user).get_json()
    points = [{"lat": 43.25 + i / 1000, "lon": 76.92, "recorded_at": clock}
              for i, clock in enumerate(WRONG_CLOCKS)]
    r = user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": points})
    assert r.status_code == 202, r.get_json()
    assert r.get_json() == {"received": len(points), "stored": len(points)}
    trail = user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    adjusted = [p for p in trail if p["clock_adjusted"]]
    assert [p["reported_recorded_at"] for p in adjusted] == WRONG_CLOCKS
    assert [p["lat"] for p in adjusted] == [p["lat"] for p in points]
    # the alert's location is the last point sent
    now = user.get(f"/api/v1/alerts/{alert['id']}").get_json()["location"]
    assert now["lat"] == pytest.approx(points[-1]["lat"])
    assert now["reported_recorded_at"] == WRONG_CLOCKS[-1]


def test_trail_point_with_a_believable_clock_is_not_adjusted(user, panic, almaty):
    alert = panic(user).get_json()
    then = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    user.post(f"/api/v1/alerts/{alert['id']}/locations",
              json={"points": [{**almaty, "recorded_at": then}]})
    trail = user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"]
    assert [p["clock_adjusted"] for p in trail] == [False, False]


def test_responder_location_with_a_wrong_clock_is_stored_at_receive_time(make_person, almaty):
    responder = make_person("responder")
    r = responder.put("/api/v1/responder/duty", json={
        "on_duty": True, "location": {**almaty, "recorded_at": "9999-12-31T23:59:59-14:00"}})
    assert r.status_code == 200, r.get_json()
    # a year-9999 fix would otherwise keep a responder "fresh" for dispatch forever
    assert _recent(r.get_json()["location_at"])


@pytest.mark.parametrize("due_at", BAD_QUERY_TIMES)
def test_timer_deadline_out_of_range_is_422(user, due_at, almaty):
    r = user.post("/api/v1/timers", json={"due_at": due_at, "location": almaty})
    assert r.status_code == 422, r.get_json()
    assert "due_at" in r.get_json()["errors"]


# -- every list and trail endpoint: query times and cursors -----------------------------------


def _with_param(kind: str) -> list[tuple[str, str]]:
    found = []
    for method, path, op in operations():
        params = query_params(op)
        if method != "GET":
            continue
        if kind == "cursor" and "cursor" in params:
            found.append((path, "cursor"))
        if kind == "time":
            found += [(path, name) for name, schema in params.items()
                      if schema.get("format") == "date-time"]
    return found


CURSOR_ENDPOINTS = _with_param("cursor")
TIME_ENDPOINTS = _with_param("time")


def test_the_lists_are_found_in_the_document():
    assert ("/api/v1/alerts", "cursor") in CURSOR_ENDPOINTS
    assert ("/api/v1/alerts/{alert_id}/locations", "since") in TIME_ENDPOINTS


@pytest.fixture
def ids(admin, user, create_org, panic):
    """Real objects for the path parameters of the list endpoints (read as an admin)."""
    alert = panic(user).get_json()
    org = create_org(admin)
    return {"alert_id": alert["id"], "org_id": org["id"]}


def _fill(path: str, ids: dict) -> str:
    def one(m):
        name = m.group(1)
        if name not in ids:
            pytest.fail(f"{path}: add a real {name} to the `ids` fixture of this test")
        return ids[name]

    return re.sub(r"\{(\w+)\}", one, path)


def _forged_cursors(app) -> list[str]:
    """Cursors this server never gave out: garbled, unsigned, signed with another key, and
    signed with its own key but holding nonsense (as if the key had leaked)."""
    import base64
    import json

    from safety.pagination import _cursor_signer

    unsigned = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00+00:00", str(uuid.uuid4())]).encode()).decode()
    other = URLSafeSerializer("another-servers-key", salt="page-cursor")
    with app.app_context():
        ours = _cursor_signer()
        nonsense = [ours.dumps(v) for v in (
            ["0001-01-01T00:00:00+05:00", str(uuid.uuid4())],
            ["9999-12-31T23:59:59-14:00", str(uuid.uuid4())],
            ["2026-01-01T00:00:00", str(uuid.uuid4())],
            ["2026-01-01T00:00:00+00:00", "not-a-uuid"],
            [1, 2], [[1], {}], "x", None, ["a", "b", "c"],
        )]
    return ["garbage", "!!!", "\x00", "a" * 5000, unsigned, unsigned.rstrip("="),
            other.dumps(["2026-01-01T00:00:00+00:00", str(uuid.uuid4())]), *nonsense]


@pytest.mark.parametrize("path, param", CURSOR_ENDPOINTS)
def test_forged_cursor_is_422_on_every_list(app, make_person, ids, path, param):
    url = _fill(path, ids)
    caller = make_person("admin", "responder")  # the admins' lists and a responder's own
    for cursor in _forged_cursors(app):
        r = caller.get(url, query_string={param: cursor})
        assert r.status_code == 422, (cursor, r.get_json())
        assert r.content_type == "application/problem+json"
        assert param in r.get_json()["errors"]


@pytest.mark.parametrize("path, param", TIME_ENDPOINTS)
def test_bad_query_time_is_422_on_every_trail(admin, ids, path, param):
    url = _fill(path, ids)
    for value in BAD_QUERY_TIMES:
        r = admin.get(url, query_string={param: value})
        assert r.status_code == 422, (value, r.get_json())
        assert param in r.get_json()["errors"]


def test_a_cursor_the_server_gave_out_pages_on(admin, create_org):
    made = {create_org(admin, name=f"Org {i}")["id"] for i in range(3)}
    first = admin.get("/api/v1/orgs", query_string={"limit": 2}).get_json()
    second = admin.get("/api/v1/orgs", query_string={
        "limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert second["next_cursor"] is None
    assert {o["id"] for o in first["items"] + second["items"]} == made
