"""The OpenAPI document tells the truth: errors are problem+json with their real shape, and it
says which operations need no token."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.apidoc import operations, served_document

OPERATIONS = operations()
PUBLIC = {("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/login"),
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
