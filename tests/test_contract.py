"""The OpenAPI document tells the truth: errors are problem+json with their real shape, and it
says which operations need no token."""

from __future__ import annotations

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
