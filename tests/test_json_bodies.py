"""A body without `Content-Type: application/json` where JSON is expected (curl -d) is a 415
problem that says a JSON body is expected, on every operation that takes one."""

import re
import uuid

import pytest

from safety.json_bodies import DETAIL


def _json_operations(client) -> list[tuple[str, str]]:
    doc = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}) if method != "parameters" else {}
            if "application/json" in body:
                found.append((method.upper(), re.sub(r"\{\w+\}", str(uuid.uuid4()), path)))
    return found


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain",
                                          None])
def test_every_json_operation_answers_415(client, admin, content_type):
    operations = _json_operations(client)
    assert len(operations) >= 30, operations
    wrong = []
    for method, path in operations:
        headers = dict(admin.headers)
        if content_type:
            headers["Content-Type"] = content_type
        r = client.open(path, method=method, data='{"phone": "+77010000002"}', headers=headers)
        body = r.get_json(force=True, silent=True) or {}
        if (r.status_code, r.mimetype, body.get("detail")) != (
                415, "application/problem+json", DETAIL):
            wrong.append((method, path, r.status_code, body))
    assert wrong == []


def test_without_a_token_it_is_still_the_body_that_is_wrong(client):
    r = client.post("/api/v1/auth/login", data='{"phone": "+77010000002", "password": "x"}',
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.get_json(force=True)["title"] == "Unsupported Media Type"
    assert r.headers["Accept-Post"] == "application/json"


def test_json_and_empty_bodies_go_on_as_before(client, user):
    r = user.post("/api/v1/auth/login", json={"phone": user.phone, "password": user.password})
    assert r.status_code == 200
    r = client.post("/api/v1/auth/login", data=b"",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 422 and "phone" in r.get_json()["errors"]
    r = client.post("/api/v1/auth/login", data='{"phone": "+77010000002", "password": "x"}',
                    content_type="application/merge-patch+json")
    assert r.status_code != 415  # any application/*+json is JSON


def test_an_upload_keeps_its_own_content_type(admin):
    import io

    r = admin.post("/api/v1/help/places/import", data={
        "file": (io.BytesIO(b"name,kind,address,lat,lon\nA place,police,Almaty,43.2,76.9\n"),
                 "p.csv", "text/csv")}, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
