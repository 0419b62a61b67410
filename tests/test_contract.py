"""The OpenAPI document tells the truth: errors are problem+json with their real shape, and it
says which operations need no token."""

from __future__ import annotations

import copy
import re
import uuid

import pytest

from tests.apidoc import operations, served_document

OPERATIONS = operations()
PUBLIC = {("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/login"),
          ("POST", "/api/v1/auth/phone-codes"),
          ("GET", "/api/v1/help/places"), ("GET", "/api/v1/help/places/{place_id}"),
          ("GET", "/api/v1/help/hotlines")}


def _resolve(doc: dict, obj: dict) -> dict:
    while "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = doc["components"][section][name]
    return obj


@pytest.mark.parametrize("method, path, op", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in
                                                             OPERATIONS])
def test_errors_are_documented_as_problem_json(method, path, op):
    doc = served_document()
    errors = {code: _resolve(doc, r) for code, r in op["responses"].items()
              if code == "default" or code.startswith(("4", "5"))}
    assert "default" in errors
    for code, response in errors.items():
        assert list(response["content"]) == ["application/problem+json"], code
        schema = _resolve(doc, response["content"]["application/problem+json"]["schema"])
        assert set(schema["required"]) == {"type", "title", "status", "detail"}
        assert {"errors", "attempts_left", "locked_until"} <= set(schema["properties"])


def test_operations_that_need_no_token_say_so():
    for method, path, op in OPERATIONS:
        if (method, path) in PUBLIC:
            assert op["security"] == [], (method, path)
        elif op.get("security") == []:
            pytest.fail(f"{method} {path} is documented as public")


def test_operations_behind_login_say_bearer_auth(client):
    doc = served_document()
    assert doc.get("security", []) == []
    for method, path, op in OPERATIONS:
        if op.get("security"):
            assert op["security"] == [{"bearerAuth": []}]
            url = re.sub(r"\{\w+\}", str(uuid.uuid4()), path)
            r = client.open(url, method=method)
            assert r.status_code == 401, (method, path, r.status_code)


# -- request rules the document states -------------------------------------------------------


def _request_schemas() -> dict[str, dict]:
    doc = served_document()
    found = {}
    for _method, _path, op in OPERATIONS:
        for media in op.get("requestBody", {}).get("content", {}).values():
            ref = media["schema"].get("$ref")
            if ref:
                found[ref.rsplit("/", 1)[1]] = _resolve(doc, media["schema"])
    return found


def test_phone_numbers_have_their_pattern():
    from safety.fields import PHONE_PATTERN

    phones = {name: schema["properties"]["phone"] for name, schema in _request_schemas().items()
              if "phone" in schema.get("properties", {})}
    assert {"Register", "Login", "Contact", "MemberIn", "Org", "Check", "Entry"} <= set(phones)
    for name, prop in phones.items():
        assert prop["pattern"] == PHONE_PATTERN, name


@pytest.mark.parametrize("phone", ["+7 701 FLOWERS", "87011234567 ext. 5", "tel:+77011234567"])
def test_phone_outside_the_pattern_is_422(user, phone):
    r = user.post("/api/v1/me/contacts", json={"name": "Mother", "phone": phone})
    assert r.status_code == 422 and "phone" in r.get_json()["errors"]


def test_iin_pattern():
    schemas = _request_schemas()
    for name in ("Check", "Entry"):
        assert schemas[name]["properties"]["iin"]["pattern"] == "^\\d{12}$"


def test_every_cursor_has_a_pattern():
    cursors = [p for _, _, op in OPERATIONS for p in op.get("parameters", [])
               if p["name"] == "cursor"]
    assert len(cursors) >= 7
    assert all(p["schema"]["pattern"] == "^[A-Za-z0-9_.-]{1,300}$" for p in cursors)


def test_timer_deadline_is_due_at_xor_duration_s():
    schemas = _request_schemas()
    for name in ("StartTimer", "Extend"):
        branches = schemas[name]["oneOf"]
        assert [b["required"] for b in branches] == [["due_at"], ["duration_s"]]


@pytest.mark.parametrize("due, status", [
    ({"duration_s": 600}, 201), ({"duration_s": 600, "due_at": None}, 201),
    ({}, 422), ({"due_at": None, "duration_s": None}, 422),
    ({"duration_s": 600, "due_at": "2099-01-01T00:00:00Z"}, 422),
])
def test_timer_server_agrees_with_the_oneof(user, due, status):
    r = user.post("/api/v1/timers", json={**due, "location": {"lat": 43.25, "lon": 76.92}})
    assert r.status_code == status, r.get_json()


def test_uploads_are_documented_as_utf8_text():
    for _method, path, op in OPERATIONS:
        multipart = op.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        if multipart:
            types = multipart["encoding"]["file"]["contentType"].split(", ")
            assert types and all(t.endswith("; charset=utf-8") for t in types), path


# -- contract fuzzing: schemathesis over the whole document, in-process ------------------------
#
# Every operation the app serves, on both backends: generated requests go to the WSGI app
# in-process, and every answer must be no 5xx, a documented status with a documented content
# type, a body that matches its documented schema, and no 2xx without the token an operation
# says it needs. Schemathesis' coverage phase (deterministic boundary and invalid values,
# positive and negative) runs as a person holding every role, so that it gets past the role
# checks to the validation behind them; its fuzzing phase (random valid and invalid requests)
# runs as each role in turn: user, responder, org_admin, admin. Path parameters name real
# objects (the `world` fixture) when the document uses a name the fixture knows.

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

ROLES = ["user", "responder", "org_admin", "admin"]
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "ignored_auth"]
FUZZ_EXAMPLES = 10

def _errors_listed(doc: dict) -> dict:
    """The served document without its `default` responses (kept there for what no operation
    can list, a 500): so that `status_code_conformance` fails on any status an operation
    answers but does not list (safety/openapi.py says who lists which)."""
    doc = copy.deepcopy(doc)
    for _method, _path, op in ((m, p, o) for p, item in doc["paths"].items()
                               for m, o in item.items() if isinstance(o, dict)):
        op.get("responses", {}).pop("default", None)
    return doc


contract = schemathesis.openapi.from_dict(_errors_listed(served_document()))
contract.config.generation.update(max_examples=FUZZ_EXAMPLES, deterministic=True,
                                  database="none", with_security_parameters=False)
contract.config.checks.update(included_check_names=CHECKS)


@pytest.fixture
def national_hotlines_kept(app):
    """The tests keep the national hotlines the migration seeds and drop regional ones; the
    fuzzer adds national ones too: drop those (and undo its changes to the seeded ones)."""
    from sqlalchemy import select

    from safety.extensions import db
    from safety.help.models import Hotline

    with app.app_context():
        seeded = {h.id: {c.key: getattr(h, c.key) for c in Hotline.__table__.columns}
                  for h in db.session.scalars(select(Hotline))}
        db.session.remove()
    yield
    with app.app_context():
        for hotline in db.session.scalars(select(Hotline)):
            if hotline.id not in seeded:
                db.session.delete(hotline)
        for row in seeded.values():
            db.session.merge(Hotline(**row))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def world(admin, make_person, national_hotlines_kept, add_member, create_org, on_duty, panic,
          register_device):
    """One of everything, so that path parameters name real objects and answers have bodies;
    and a person for each role, plus one holding them all."""
    victim = make_person(pin="1234", duress_pin="9999", name="Aigerim")
    org = create_org(admin)
    responder = make_person(name="Responder")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 500)
    org_admin = make_person(name="Org Admin")
    add_member(admin, org["id"], org_admin, "org_admin")
    every = make_person("admin", pin="1234", name="Every Role")
    add_member(admin, org["id"], every, "responder")
    add_member(admin, org["id"], every, "org_admin")
    contact = victim.post("/api/v1/me/contacts", json={"name": "Mother",
                                                        "phone": "+77015550123"}).get_json()
    register_device(victim, "tok-victim")
    alert = panic(victim).get_json()
    offer = responder.get("/api/v1/responder/offers").get_json()["items"][0]
    timer = victim.post("/api/v1/timers", json={
        "duration_s": 600, "location": {"lat": 43.25, "lon": 76.92}}).get_json()
    place = admin.post("/api/v1/help/places", json={
        "name": "Shelter", "kind": "shelter", "address": "Abay 1", "lat": 43.25,
        "lon": 76.92}).get_json()
    hotline = admin.post("/api/v1/help/hotlines", json={
        "name": "City line", "number": "+7 727 000 00 00", "region": "Almaty"}).get_json()
    entry = admin.post("/api/v1/registry/entries", json={
        "full_name": "Serikov Nurlan", "birth_date": "1985-03-14",
        "category": "domestic_violence_criminal", "decided_on": "2024-05-02",
        "authority": "Court 2", "case_reference": "2-1/2024", "legal_basis": "court_decision",
        "expires_on": "2032-05-02"}).get_json()
    receiver = admin.post(f"/api/v1/orgs/{org['id']}/receivers", json={
        "priority": 1, "host": "127.0.0.1", "port": 9, "account": "1234"}).get_json()
    people = {"user": victim, "responder": responder, "org_admin": org_admin, "admin": admin,
              "every role": every}
    ids = {"alert_id": alert["id"], "contact_id": contact["id"], "org_id": org["id"],
           "user_id": str(responder.id), "dispatch_id": offer["dispatch_id"],
           "timer_id": timer["id"], "place_id": place["id"], "hotline_id": hotline["id"],
           "entry_id": entry["id"], "installation_id": "phone-1",
           "receiver_id": receiver["id"]}
    return people, ids


def _headers(app, person, case) -> dict:
    """The role's access token; the refresh token for /auth/refresh; a login of its own for
    /auth/logout (so that logging out does not end the role's token for what follows)."""
    path = case.operation.path
    if path.endswith("/auth/refresh"):
        return {"Authorization": f"Bearer {person.refresh}"}
    if path.endswith("/auth/logout"):
        from safety.accounts import service
        from safety.extensions import db

        with app.app_context():
            tokens = service.login(person.phone, person.password)
            db.session.commit()
        return {"Authorization": f"Bearer {tokens.access_token}"}
    return person.headers


@contract.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
    HealthCheck.data_too_large])
def test_contract(case, app, world):
    people, ids = world
    for name in case.path_parameters or {}:
        if name in ids:
            case.path_parameters[name] = ids[name]
    # The document is loaded once; the app under test is this backend's (probes sent by the
    # checks, e.g. ignored_auth, go through the schema's app).
    case.operation.schema.app = app
    fuzzing = case.meta is not None and case.meta.phase.name.value == "fuzzing"
    for role in ROLES if fuzzing else ["every role"]:
        try:
            case.call_and_validate(app=app, headers=_headers(app, people[role], case))
        except Exception as exc:
            exc.add_note(f"(sent as {role})")
            raise
