"""No 500 for hostile input: deep JSON, oversized CSV fields, odd GeoJSON, out-of-range numbers,
subnormal coordinates; empty PATCH bodies and blank names are 422."""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest

from tests.apidoc import operations

PROBLEM = "application/problem+json"


def _fill(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda m: str(uuid.uuid4()), path)


JSON_BODIES = [(m, p) for m, p, op in operations()
               if "application/json" in op.get("requestBody", {}).get("content", {})]
PATCHES = [(m, p) for m, p, _ in operations() if m == "PATCH"]


def test_the_operations_are_found_in_the_document():
    assert ("POST", "/api/v1/alerts") in JSON_BODIES
    assert ("PATCH", "/api/v1/me") in PATCHES and len(PATCHES) >= 6


# -- JSON nested 1,000 deep -------------------------------------------------------------------


@pytest.mark.parametrize("method, path", JSON_BODIES)
@pytest.mark.parametrize("deep", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_json_nested_a_thousand_deep_is_400(admin, method, path, deep):
    r = admin.client.open(_fill(path), method=method, data=deep, headers={
        **admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.content_type == PROBLEM, r.get_data(as_text=True)
    assert "nested" in r.get_json()["detail"]


def test_deep_json_inside_a_field_is_400_too(user):
    body = json.dumps({"client_id": str(uuid.uuid4()), "trigger": "button",
                       "location": {"lat": 1, "lon": 2}, "note": "NOTE"})
    body = body.replace('"NOTE"', "[" * 900 + "]" * 900)
    r = user.client.post("/api/v1/alerts", data=body, headers={
        **user.headers, "Content-Type": "application/json"})
    assert r.status_code == 400


def test_brackets_inside_strings_do_not_count(user):
    r = user.post("/api/v1/alerts", json={
        "client_id": str(uuid.uuid4()), "trigger": "button", "note": "[" * 900 + "{" * 99,
        "location": {"lat": 43.25, "lon": 76.92}})
    assert r.status_code == 201, r.get_json()


# -- NUL characters (PostgreSQL cannot store them in text) -------------------------------------


@pytest.mark.parametrize("method, path", [(m, p) for m, p in JSON_BODIES
                                          if (m, p) != ("POST", "/api/v1/alerts")])
def test_nul_in_a_json_string_is_422_naming_the_field(admin, method, path):
    body = json.dumps({"name": "He\x00lp", "location": {"note": ["ok", "\x00"]}})
    r = admin.client.open(_fill(path), method=method, data=body, headers={
        **admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_json()
    nul = ["Contains a NUL character."]
    assert r.get_json()["errors"] == {"name": nul, "location": {"note": {"1": nul}}}


# -- Lone surrogates ("\ud800": valid JSON grammar, not a character; no driver stores it) ------

HALF = ["Contains half of a UTF-16 surrogate pair, which is not a character."]


@pytest.mark.parametrize("method, path", [(m, p) for m, p in JSON_BODIES
                                          if (m, p) != ("POST", "/api/v1/alerts")])
def test_a_lone_surrogate_in_a_json_string_is_422_naming_the_field(admin, method, path):
    body = '{"name": "He\\ud800lp", "location": {"note": ["ok", "\\udfff"]}}'
    r = admin.client.open(_fill(path), method=method, data=body, headers={
        **admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_json()
    assert r.get_json()["errors"] == {"name": HALF, "location": {"note": {"1": HALF}}}


def test_a_surrogate_pair_is_a_character_and_is_kept(admin):
    r = admin.client.post("/api/v1/help/hotlines", data='{"name": "Help \\ud83d\\udcde", '
                          '"number": "150", "region": "Almaty"}',
                          headers={**admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "Help \U0001f4de"


def test_a_contact_named_with_a_lone_surrogate_is_422_and_stores_nothing(user):
    r = user.client.post("/api/v1/me/contacts", data='{"name": "Mom \\ud800", '
                         '"phone": "+77011234567"}',
                         headers={**user.headers, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.get_json()["errors"] == {"name": HALF}
    assert user.get("/api/v1/me/contacts").get_json()["items"] == []


@pytest.mark.parametrize("note, stored", [
    ("help \\ud800 me", "help \ufffd me"),
    ("\\udc00\\ud800", "\ufffd\ufffd"),
    ("nul \\u0000 here", "nul \ufffd here"),
    ("pair \\ud83d\\ude00 kept", "pair \U0001f600 kept"),
])
def test_a_panic_with_unstorable_characters_is_raised_with_them_replaced(user, note, stored):
    """A panic never fails: characters no database stores become U+FFFD, the alert is raised."""
    cid = str(uuid.uuid4())
    body = ('{"client_id": "' + cid + '", "trigger": "button", "location": {"lat": 43.25, '
            '"lon": 76.92}, "note": "' + note + '"}')
    headers = {**user.headers, "Content-Type": "application/json"}
    r = user.client.post("/api/v1/alerts", data=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["note"] == stored
    again = user.client.post("/api/v1/alerts", data=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == r.get_json()["id"]
    assert user.get(f"/api/v1/alerts/{r.get_json()['id']}").get_json()["note"] == stored


def test_escaped_backslash_before_u0000_is_not_a_nul(admin):
    r = admin.post("/api/v1/help/hotlines", json={
        "name": "Help \\u0000 line", "number": "150", "region": "Almaty"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "Help \\u0000 line"


@pytest.mark.parametrize("url, param", [
    ("/api/v1/help/hotlines?region=%00", "region"),
    ("/api/v1/help/places?lat=1&lon=1&kind=Sh%00", "kind"),
    ("/api/v1/orgs?cursor=%00", "cursor"),
])
def test_nul_in_the_query_is_422_naming_the_parameter(admin, url, param):
    r = admin.get(url)
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_json()
    assert r.get_json()["errors"] == {param: ["Contains a NUL character."]}


def test_nul_in_the_path_is_404(admin):
    r = admin.put("/api/v1/me/devices/phone%001", json={"push_token": "t",
                                                       "platform": "android"})
    assert r.status_code == 404 and r.content_type == PROBLEM, r.get_json()


@pytest.mark.parametrize("path", ["/api/v1/registry/entries/import",
                                  "/api/v1/help/places/import"])
def test_import_file_with_nul_is_422(admin, path):
    raw = b"name,kind,address,lat,lon\nShel\x00ter,shelter,Abay 1,43.25,76.92\n"
    r = admin.post(path, data={"file": (io.BytesIO(raw), "rows.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


# -- CSV fields over the limit ----------------------------------------------------------------

BIG = "x" * 200_000  # over the csv module's 131,072-character field limit

IMPORTS = ("/api/v1/registry/entries/import", "/api/v1/help/places/import")


@pytest.mark.parametrize("path", IMPORTS)
def test_csv_field_over_the_limit_is_a_rejected_row(admin, registry_csv, path):
    good1 = registry_csv.GOOD1
    header, huge, good = {
        "/api/v1/registry/entries/import": (
            registry_csv.HEADER, f'"{BIG}"' + good1[good1.index(","):], good1),
        "/api/v1/help/places/import": (
            "name,kind,address,lat,lon\n", f'"{BIG}",shelter,Abay 1,43.25,76.92\n',
            "Shelter One,shelter,Abay 1,43.25,76.92\n"),
    }[path]
    raw = (header + huge + good).encode()
    r = admin.post(path, data={"file": (io.BytesIO(raw), "rows.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()["rows"]
    assert [(row["row"], row["status"]) for row in rows] == [(2, "rejected"), (3, "accepted")]
    assert "field limit" in rows[0]["errors"]["_row"][0]


@pytest.mark.parametrize("path", IMPORTS)
def test_csv_header_over_the_limit_is_422(admin, path):
    raw = (f'"{BIG}",name\n').encode()
    r = admin.post(path, data={"file": (io.BytesIO(raw), "rows.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


# -- GeoJSON features that are not objects ----------------------------------------------------

GOOD_FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.92, 43.25]},
                "properties": {"name": "Shelter One", "kind": "shelter", "address": "Abay 1"}}


def _geojson(admin, doc):
    raw = json.dumps(doc).encode()
    return admin.post("/api/v1/help/places/import",
                      data={"file": (io.BytesIO(raw), "places.geojson")},
                      content_type="multipart/form-data")


@pytest.mark.parametrize("feature", [
    1, "x", None, [1, 2], True,
    {"type": "Feature", "properties": "a string", "geometry": GOOD_FEATURE["geometry"]},
    {"type": "Feature", "properties": GOOD_FEATURE["properties"], "geometry": 5},
    {"type": "Feature", "properties": [1], "geometry": {"type": "Point", "coordinates": "ab"}},
])
def test_geojson_feature_that_is_not_an_object_is_a_rejected_row(admin, feature):
    r = _geojson(admin, {"type": "FeatureCollection", "features": [feature, GOOD_FEATURE]})
    assert r.status_code == 200, r.get_json()
    assert [row["status"] for row in r.get_json()["rows"]] == ["rejected", "accepted"]


@pytest.mark.parametrize("features", [{"a": 1}, 5, "features"])
def test_geojson_features_that_are_not_a_list_is_422(admin, features):
    r = _geojson(admin, {"type": "FeatureCollection", "features": features})
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


def test_geojson_file_nested_too_deep_is_422(admin):
    raw = ('{"type": "FeatureCollection", "features": ' + "[" * 5000 + "]" * 5000 + "}")
    r = admin.post("/api/v1/help/places/import",
                   data={"file": (io.BytesIO(raw.encode()), "places.geojson")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


# -- hotline sort beyond the column's range ---------------------------------------------------


@pytest.mark.parametrize("sort", [2**31, 2**63, 10**30, -1, -(2**31) - 1])
def test_hotline_sort_out_of_range_is_422(admin, sort):
    # (regional: the tests keep the national numbers the migration seeds, and only those)
    body = {"name": "Help", "number": "150", "region": "Almaty"}
    r = admin.post("/api/v1/help/hotlines", json={**body, "sort": sort})
    assert r.status_code == 422 and "sort" in r.get_json()["errors"]
    made = admin.post("/api/v1/help/hotlines", json=body)
    r = admin.patch(f"/api/v1/help/hotlines/{made.get_json()['id']}", json={"sort": sort})
    assert r.status_code == 422 and "sort" in r.get_json()["errors"]


# -- coordinates like 1e-300 ------------------------------------------------------------------

TINY = [1e-300, -1e-300, 5e-324, 0.0]


@pytest.mark.parametrize("where", TINY)
def test_places_near_subnormal_coordinates(admin, client, where):
    r = admin.post("/api/v1/help/places", json={"name": "Null Island Shelter", "kind": "shelter",
                                                 "address": "Gulf of Guinea",
                                                 "lat": 1e-300, "lon": 1e-300})
    assert r.status_code == 201, r.get_json()
    r = client.get("/api/v1/help/places", query_string={"lat": where, "lon": where})
    assert r.status_code == 200, r.get_json()
    assert [p["name"] for p in r.get_json()["items"]] == ["Null Island Shelter"]
    assert r.get_json()["items"][0]["distance_m"] == pytest.approx(0, abs=0.01)


def test_panic_next_to_a_responder_at_subnormal_coordinates_is_dispatched(admin, user, make_person,
                                                                          create_org, add_member,
                                                                          panic):
    box = {"type": "Polygon", "coordinates": [[[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]]}
    org = create_org(admin, coverage=box)
    responder = make_person("responder")
    add_member(admin, org["id"], responder, "responder")
    r = responder.put("/api/v1/responder/duty", json={
        "on_duty": True, "location": {"lat": 1e-300, "lon": 5e-324}})
    assert r.status_code == 200, r.get_json()
    r = panic(user, lat=0.0, lon=0.0)
    assert r.status_code == 201, r.get_json()
    offers = responder.get("/api/v1/responder/offers").get_json()["items"]
    assert [o["alert_id"] for o in offers] == [r.get_json()["id"]]


# -- empty PATCH bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("method, path", PATCHES)
def test_empty_patch_body_is_422(admin, method, path):
    r = admin.patch(_fill(path), json={})
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_json()


def test_patch_bodies_say_they_need_a_field():
    from tests.apidoc import served_document

    doc = served_document()
    for method, path, op in operations():
        if method == "PATCH":
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert schema.get("minProperties") == 1, path


# -- names of only spaces ---------------------------------------------------------------------

BLANKS = ["   ", "\t\n ", "\u00a0\u3000"]
NAME_FIELDS = [
    ("POST", "/api/v1/auth/register", "full_name"),
    ("PATCH", "/api/v1/me", "full_name"),
    ("POST", "/api/v1/me/contacts", "name"),
    ("PATCH", "/api/v1/me/contacts/{id}", "name"),
    ("POST", "/api/v1/orgs", "name"),
    ("PATCH", "/api/v1/orgs/{id}", "name"),
    ("POST", "/api/v1/help/places", "name"),
    ("POST", "/api/v1/help/places", "address"),
    ("PATCH", "/api/v1/help/places/{id}", "name"),
    ("POST", "/api/v1/help/hotlines", "name"),
    ("PATCH", "/api/v1/help/hotlines/{id}", "name"),
    ("POST", "/api/v1/registry/entries", "full_name"),
    ("POST", "/api/v1/registry/entries", "authority"),
    ("PATCH", "/api/v1/registry/entries/{id}", "full_name"),
    ("POST", "/api/v1/registry/checks", "full_name"),
]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("method, path, field", NAME_FIELDS)
def test_blank_name_is_422(admin, method, path, field, blank):
    r = admin.client.open(_fill(path), method=method, json={field: blank},
                          headers=admin.headers)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["errors"][field] == ["Must not be blank."]


def test_names_are_stored_without_surrounding_spaces(user):
    r = user.patch("/api/v1/me", json={"full_name": "  Aigerim S.  "})
    assert r.status_code == 200 and r.get_json()["full_name"] == "Aigerim S."
    r = user.post("/api/v1/me/contacts", json={"name": "\tMother ", "phone": "+77015550123"})
    assert r.status_code == 201 and r.get_json()["name"] == "Mother"
