import io
import json
import uuid

import pytest

ALMATY = (43.2567, 76.9286)


def place(**over):
    body = {"name": "Crisis Centre Zhanartu", "kind": "crisis_center",
            "address": "Abay Ave 1, Almaty", "phones": ["8 727 300 00 00"], "hours": "24/7",
            "lat": ALMATY[0] + 0.01, "lon": ALMATY[1]}
    body.update(over)
    return body


@pytest.fixture
def places(admin):
    ids = {}
    for name, kind, dlat in (("Near police", "police", 0.001), ("Shelter", "shelter", 0.02),
                             ("Crisis", "crisis_center", 0.05), ("Far away", "shelter", 2.0)):
        r = admin.post("/api/v1/help/places", json=place(name=name, kind=kind,
                                                           lat=ALMATY[0] + dlat))
        assert r.status_code == 201, r.get_json()
        ids[name] = r.get_json()["id"]
    return ids


def test_places_nearest_first_with_distance(client, places):
    r = client.get("/api/v1/help/places", query_string={"lat": ALMATY[0], "lon": ALMATY[1]})
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert [p["name"] for p in items] == ["Near police", "Shelter", "Crisis"]
    assert items[0]["distance_m"] == pytest.approx(111, rel=0.02)
    assert items[0]["phones"] == ["+77273000000"]
    r = client.get("/api/v1/help/places", query_string={"lat": ALMATY[0], "lon": ALMATY[1],
                                                        "kind": "shelter",
                                                        "radius_m": 500_00})
    assert [p["name"] for p in r.get_json()["items"]] == ["Shelter"]


@pytest.mark.parametrize("query", [{"lat": 91, "lon": 0}, {"lon": 0}, {"lat": 0, "lon": 0,
                                   "kind": "bar"}, {"lat": 0, "lon": 0, "radius_m": -1}])
def test_places_query_validation(client, query):
    r = client.get("/api/v1/help/places", query_string=query)
    assert r.status_code == 422 and r.content_type == "application/problem+json"


def test_place_admin_crud(admin, client, places):
    pid = places["Shelter"]
    r = admin.patch(f"/api/v1/help/places/{pid}", json={"active": False, "hours": "9-18"})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get(f"/api/v1/help/places/{pid}").status_code == 404  # hidden when inactive
    names = [p["name"] for p in client.get("/api/v1/help/places", query_string={
        "lat": ALMATY[0], "lon": ALMATY[1]}).get_json()["items"]]
    assert "Shelter" not in names
    assert admin.delete(f"/api/v1/help/places/{pid}").status_code == 204
    assert admin.delete(f"/api/v1/help/places/{pid}").status_code == 404
    assert len(admin.get("/api/v1/help/places/all").get_json()["items"]) == 3


@pytest.mark.parametrize("method, path", [
    ("post", "/places"), ("patch", "/places/{id}"), ("delete", "/places/{id}"),
    ("get", "/places/all"), ("post", "/hotlines"),
])
def test_directory_changes_are_admin_only(places, make_person, method, path):
    pid = places["Crisis"]
    for person in (make_person(), make_person("responder"), make_person("org_admin")):
        url = "/api/v1/help" + path.replace("{id}", pid)
        call = getattr(person, method)
        r = call(url, json=place()) if method in ("post", "patch") else call(url)
        assert r.status_code == 403


def test_national_hotlines_are_seeded(client):
    items = client.get("/api/v1/help/hotlines").get_json()["items"]
    assert [h["number"] for h in items] == ["111", "102", "112", "103", "150"]


def test_regional_hotlines(admin, client):
    r = admin.post("/api/v1/help/hotlines", json={"name": "Almaty crisis line",
                                                   "number": "+7 727 000 00 00",
                                                   "region": "almaty", "sort": 60})
    assert r.status_code == 201
    almaty = client.get("/api/v1/help/hotlines", query_string={"region": "almaty"})
    assert "Almaty crisis line" in [h["name"] for h in almaty.get_json()["items"]]
    national = client.get("/api/v1/help/hotlines").get_json()["items"]
    assert "Almaty crisis line" not in [h["name"] for h in national]
    bad = admin.post("/api/v1/help/hotlines", json={"name": "X", "number": "call me"})
    assert bad.status_code == 422


def _upload(admin, raw, name, all_or_nothing=False):
    return admin.post("/api/v1/help/places/import",
                      query_string={"all_or_nothing": str(all_or_nothing).lower()},
                      data={"file": (io.BytesIO(raw), name)},
                      content_type="multipart/form-data")


def test_import_csv_and_geojson(admin, client):
    csv_text = ("name,kind,address,lat,lon,phones,hours\n"
                "Shelter A,shelter,Street 1,43.26,76.93,8 701 111 22 33;8 727 222 33 44,24/7\n"
                "Bad,pub,Street 2,43.26,76.93,,\n")
    rep = _upload(admin, b"\xef\xbb\xbf" + csv_text.encode(), "places.csv").get_json()
    assert (rep["accepted"], rep["rejected"]) == (1, 1)
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.95, 43.25]},
         "properties": {"name": "Police 5", "kind": "police", "address": "Street 5"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.93, 43.26]},
         "properties": {"name": "Shelter A", "kind": "shelter", "address": "Street 1"}},
        {"type": "Feature", "geometry": None, "properties": {"name": "No point"}},
    ]}
    rep = _upload(admin, json.dumps(gj).encode(), "places.geojson").get_json()
    assert [r["status"] for r in rep["rows"]] == ["accepted", "duplicate", "rejected"]
    names = [p["name"] for p in client.get("/api/v1/help/places", query_string={
        "lat": 43.26, "lon": 76.93}).get_json()["items"]]
    assert sorted(names) == ["Police 5", "Shelter A"]


def test_import_all_or_nothing(admin):
    csv_text = ("name,kind,address,lat,lon\nGood,police,Street 1,43.2,76.9\n"
                "Bad,police,Street 2,999,76.9\n")
    r = _upload(admin, csv_text.encode(), "p.csv", all_or_nothing=True)
    assert r.status_code == 422
    assert admin.get("/api/v1/help/places/all").get_json()["items"] == []


def test_unknown_place_is_404(client):
    assert client.get(f"/api/v1/help/places/{uuid.uuid4()}").status_code == 404


def test_hotline_changes_are_admin_only(admin, make_person, client):
    r = admin.post("/api/v1/help/hotlines", json={"name": "Almaty crisis line",
                                                   "number": "+7 727 000 00 00",
                                                   "region": "almaty"})
    hid = r.get_json()["id"]
    for person in (make_person(), make_person("responder"), make_person("org_admin")):
        assert person.patch(f"/api/v1/help/hotlines/{hid}", json={"number": "1"}).status_code \
            == 403
        assert person.delete(f"/api/v1/help/hotlines/{hid}").status_code == 403
    items = client.get("/api/v1/help/hotlines", query_string={"region": "almaty"}).get_json()
    assert "+7 727 000 00 00" in [h["number"] for h in items["items"]]
    assert admin.patch(f"/api/v1/help/hotlines/{hid}", json={"hours": "9-18"}).status_code \
        == 200
    assert admin.delete(f"/api/v1/help/hotlines/{hid}").status_code == 204
    assert admin.delete(f"/api/v1/help/hotlines/{hid}").status_code == 404


def test_directory_changes_through_the_api_are_audited(app, admin):
    from sqlalchemy import select

    from safety.audit import AuditEvent
    from safety.extensions import db

    pid = admin.post("/api/v1/help/places", json=place()).get_json()["id"]
    admin.patch(f"/api/v1/help/places/{pid}", json={"hours": "9-18"})
    admin.patch(f"/api/v1/help/places/{pid}", json={"hours": "9-18"})  # no change: no row
    admin.delete(f"/api/v1/help/places/{pid}")
    hid = admin.post("/api/v1/help/hotlines", json={"name": "Line", "number": "1414"}
                     ).get_json()["id"]
    admin.patch(f"/api/v1/help/hotlines/{hid}", json={"number": "1415"})
    admin.delete(f"/api/v1/help/hotlines/{hid}")
    with app.app_context():
        rows = {r.action: r for r in db.session.scalars(select(AuditEvent))}
        assert sorted((r.action, r.object_id) for r in rows.values()) == sorted([
            ("help_place.created", pid), ("help_place.updated", pid),
            ("help_place.deleted", pid), ("help_hotline.created", hid),
            ("help_hotline.updated", hid), ("help_hotline.deleted", hid)])
        assert all(r.actor_id == admin.id for r in rows.values())
        assert rows["help_place.updated"].changes["fields"] == {
            "hours": {"before": "24/7", "after": "9-18"}}
        assert rows["help_hotline.updated"].changes["fields"] == {
            "number": {"before": "1414", "after": "1415"}}
