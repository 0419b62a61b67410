"""The panic's round trips, counted (SQLAlchemy's `before_cursor_execute`): every statement
one `POST /api/v1/alerts` sends, each with what it is for. A change that adds one
fails here and has to say why; bench/panic_bench.py shows what each costs."""

import re

import pytest
from sqlalchemy import event

from safety.extensions import db


def _what(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    if verb == "WITH":  # SQLite's alert INSERT opens with its numbers' recursive CTE
        found = re.search(r"\bINSERT INTO (\w+)", sql)
        if found:
            return f"INSERT {found.group(1)}"
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    if verb == "SELECT":
        found = _outer_from(sql)
        return f"SELECT {found or words[1].split('(')[0]}"
    return verb


def _outer_from(sql: str) -> str | None:
    """The first table of the statement's own FROM (not of a subquery in its columns)."""
    depth = 0
    for m in re.finditer(r"[()]|\bFROM (\w+)", sql):
        if m.group(0) == "(":
            depth += 1
        elif m.group(0) == ")":
            depth -= 1
        elif depth == 0:
            return m.group(1)
    return None


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(_what(statement))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_panic_sends_these_statements(app, world, make_person, make_guardian,
                                        register_device, panic, statements):
    guardian = make_person(name="Mother")
    make_guardian(world.user, guardian)
    register_device(guardian, "tok-mother")
    statements.clear()
    r = panic(world.user)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["dispatch"]["status"] == "offering"
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    # Compared as a multiset: `events.raised` receivers (dispatch, heartbeats, monitoring) run
    # in blinker's order, which is not fixed.
    assert sorted(statements) == sorted([
        *([] if postgres else ["BEGIN"]),  # SQLite's (psycopg's BEGIN is not a statement)
        "SELECT auth_sessions",  # the token's session, not revoked, with its user and roles
        # ON CONFLICT DO NOTHING RETURNING: the unique constraints decide (a retry, her live
        # alert: read only then); its short number chosen inside it (commands.free_number)
        "INSERT alerts",
        "INSERT alert_locations",  # her first trail point
        "SELECT devices",  # her guardians with their devices and languages, one query
        "SELECT contacts",  # her contacts without the app (SMS): none here, so no counting
        # dispatch: the partners whose coverage contains her (ids and webhooks, not polygons)
        "SELECT organizations",
        # the nearest available responders, each with the partner they answer for: a KNN
        # scan on PostGIS; SpatiaLite has none, and geo.near widens a circle (500 m, 2 km,
        # then the radius) until three are found
        *["SELECT responder_states"] * (1 if postgres else 3),
        "SELECT devices",  # their devices and languages
        "INSERT dispatches",  # the dispatch with its first round,
        "INSERT outbox_jobs",  # every job so far in one executemany: her guardian's
        #                        push, the escalation timer, three offers' pushes, the offer
        #                        timeout
        "INSERT dispatch_offers",  # the three offers, one multi-row INSERT
        "SELECT safety_timers",  # heartbeats: a timer of hers whose phone state the alert takes
        "SELECT monitoring_receivers",  # monitoring: any station at all? (none: nothing more)
        # the answer, before the commit, from the jobs and the dispatch the panic made
        # (views.present_new): only the guardians' names are read
        "SELECT users",
        *(["SELECT pg_notify"] if postgres else []),  # wake the workers, at the commit
    ])


def test_a_new_alerts_answer_is_what_reading_it_back_shows(world, make_person, make_guardian,
                                                          register_device, panic):
    """The 201 is shaped from what the request made (views.present_new), not read back: it
    must say exactly what `GET /alerts/<id>` then says (who was told, with their names; the
    dispatch; no acknowledgements)."""
    guardian = make_person(name="Mother")
    make_guardian(world.user, guardian)
    register_device(guardian, "tok-mother")
    r = world.user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    assert r.status_code == 201, r.get_json()
    r = panic(world.user)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert sorted((n["kind"], n["recipient_name"]) for n in made["notifications"]) == [
        ("alert", "Mother"), ("alert_sms", "Neighbour")]
    assert made["dispatch"]["status"] == "offering" and made["acknowledgements"] == []
    read = world.user.get(f"/api/v1/alerts/{made['id']}")
    assert read.status_code == 200
    assert read.get_json() == made
