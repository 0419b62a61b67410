"""Page 7, the help directory (both backends): places listed, searched, created (the position
typed), edited, hidden and deleted; CSV and GeoJSON imports with their per-row report; the
hotlines; every form validated as the API validates it (the same bodies, the same verdicts);
every change audited; every page and action refused without a session, to an org admin, to her
and a responder, with an API token and without CSRF, with nothing stored or audited."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from safety.audit import AuditEvent
from safety.extensions import db
from safety.help.models import Hotline, Place
from tests.helpers import count_rows, error_messages

ALMATY = (43.2567, 76.9286)


def _form(**over) -> dict:
    form = {"name": "Кризисный центр «Жанарту»", "kind": "crisis_center",
            "address": "Abay Ave 1, Almaty", "lat": "43.2667", "lon": "76.9286",
            "phones": "8 727 300 00 00\n150", "hours": "24/7", "website": "",
            "region": "almaty", "active": "true"}
    form.update(over)
    return form


def _body(form: dict) -> dict:
    """What the API is sent for the same form (an empty optional field is left out)."""
    body = {k: v for k, v in form.items() if v != "" or k in ("name", "address", "lat", "lon")}
    body["phones"] = [p for p in form.get("phones", "").split("\n") if p.strip()]
    active = form.get("active", "true")
    body["active"] = {"true": True, "false": False}.get(active, active)
    for k in ("lat", "lon"):
        try:
            body[k] = float(body[k])
        except (TypeError, ValueError):
            pass
    return body


def _audits(app, prefix: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith(prefix)).order_by(AuditEvent.created_at)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _place(app, place_id) -> Place | None:
    with app.app_context():
        place = db.session.get(Place, uuid.UUID(str(place_id)))
        if place is not None:
            db.session.expunge(place)
        return place


def _add(admin, **over) -> dict:
    body = {"name": "Shelter Umit", "kind": "shelter", "address": "Street 1",
            "lat": ALMATY[0], "lon": ALMATY[1], **over}
    r = admin.post("/api/v1/help/places", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _upload(raw: bytes, name: str, all_or_nothing: bool = False) -> dict:
    data: dict = {"file": (io.BytesIO(raw), name)}
    if all_or_nothing:
        data["all_or_nothing"] = "true"
    return data


def _nearby(client) -> list[str]:
    return [p["name"] for p in client.get("/api/v1/help/places", query_string={
        "lat": ALMATY[0], "lon": ALMATY[1], "radius_m": 50_000}).get_json()["items"]]


# -- the directory -----------------------------------------------------------------------------


def test_the_directory_lists_searches_and_maps_the_places(app, admin, console):
    _add(admin, name="Кризисный центр Алматы", kind="crisis_center", address="Abay 10")
    _add(admin, name="Police station 5", kind="police", address="Tole bi 5", active=False)
    _add(admin, name="Shelter Umit", region="almaty")
    s = console(admin)
    page = s.get("/console/help").get_data(as_text=True)
    assert "/console/help" in s.get("/console/").get_data(as_text=True)  # in the menu
    markers = json.loads(page.split('id="places-data">')[1].split("</script>")[0])
    assert sorted(m["name"] for m in markers) == ["Police station 5", "Shelter Umit",
                                                   "Кризисный центр Алматы"]
    assert [m["active"] for m in markers if m["kind"] == "police"] == [False]
    # every word, any case, any script; a kind; hidden or shown
    for query, names in ((dict(q="КРИЗИСНЫЙ алматы"), ["Кризисный центр Алматы"]),
                         (dict(q="almaty"), ["Shelter Umit"]),
                         (dict(kind="police"), ["Police station 5"]),
                         (dict(show="hidden"), ["Police station 5"]),
                         (dict(show="active", q="street"), ["Shelter Umit"]),
                         (dict(q="nowhere"), [])):
        page = s.get("/console/help", query_string=query).get_data(as_text=True)
        rows = page.split('id="places"')[1]
        assert sorted(n for n in ("Police station 5", "Shelter Umit", "Кризисный центр Алматы")
                      if n in rows) == names, query


def test_a_place_is_added_with_its_position_typed_and_audited(app, admin, console, client):
    s = console(admin)
    s.get("/console/help/places/new?lat=43.25&lon=76.93")
    r = s.post("/console/help/places", _form(), htmx=False)
    assert r.status_code == 303
    place_id = r.headers["Location"].split("/places/")[1].split("?")[0]
    api = client.get(f"/api/v1/help/places/{place_id}").get_json()
    assert api["phones"] == ["+77273000000", "150"] and api["website"] is None
    assert (api["lat"], api["lon"], api["region"]) == (43.2667, 76.9286, "almaty")
    assert "Кризисный центр «Жанарту»" in _nearby(client)
    [event] = _audits(app, "help_place.created")
    assert event.actor_id == admin.id and event.object_id == place_id
    assert event.changes["fields"]["name"]["after"] == "Кризисный центр «Жанарту»"
    page = s.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="action-message"' in page and 'name="csrf_token" value=""' not in page


BAD_PLACES = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"kind": "pub"}, "kind"),
    ({"address": "x"}, "address"),
    ({"lat": "91"}, "lat"),
    ({"lat": ""}, "lat"),
    ({"lon": "76,93"}, "lon"),
    ({"lon": "nan"}, "lon"),
    ({"phones": "call me"}, "phones"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"hours": "h" * 201}, "hours"),
    ({"active": "maybe"}, "active"),
]


def test_places_are_refused_as_the_api_refuses_them(app, admin, console):
    s = console(admin)
    s.get("/console/help/places/new")
    kept = _add(admin)
    for over, field in BAD_PLACES:
        r = s.post("/console/help/places", _form(**over), htmx=False)
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and f'data-field="{field}"' in page, over
        api = admin.post("/api/v1/help/places", json=_body(_form(**over)))
        assert api.status_code == 422 and field in api.get_json()["errors"], over
        for message in error_messages(api.get_json()["errors"][field]):  # the API's very words
            assert escape(message) in page, (over, message)
        # the same body as an edit of a stored place: refused too, nothing changed
        r = s.post(f"/console/help/places/{kept['id']}", _form(**over), htmx=False)
        assert r.status_code == 422 and f'data-field="{field}"' in r.get_data(as_text=True)
    assert count_rows(app, Place) == 1 and _place(app, kept["id"]).name == "Shelter Umit"
    assert [e.action for e in _audits(app, "help_place")] == ["help_place.created"]


def test_a_place_is_edited_hidden_shown_and_deleted(app, admin, console, client):
    place = _add(admin)
    s = console(admin)
    path = f"/console/help/places/{place['id']}"
    page = s.get(path).get_data(as_text=True)
    assert 'id="pick-map"' in page and 'value="43.2567"' in page
    r = s.post(path, _form(name="Shelter Umit (new address)", lat="43.3", lon="76.95",
                           kind="shelter", phones=""), htmx=False)
    assert r.status_code == 303
    stored = _place(app, place["id"])
    assert (stored.name, stored.lat, stored.lon, stored.phones) == (
        "Shelter Umit (new address)", 43.3, 76.95, [])
    [event] = _audits(app, "help_place.updated")
    assert {"name", "lat", "lon", "region"} <= set(event.changes["fields"])
    assert event.actor_id == admin.id

    assert s.post(f"{path}/visibility", {"active": "false"}, htmx=False).status_code == 303
    assert _place(app, place["id"]).active is False
    assert "Shelter Umit (new address)" not in _nearby(client)
    assert s.post(f"{path}/visibility", {"active": "maybe"}, htmx=False).status_code == 422
    assert _place(app, place["id"]).active is False
    assert s.post(f"{path}/visibility", {"active": "true"}, htmx=False).status_code == 303
    assert "Shelter Umit (new address)" in _nearby(client)

    r = s.post(f"{path}/delete", htmx=False)
    assert r.status_code == 303 and "done=deleted" in r.headers["Location"]
    assert _place(app, place["id"]) is None
    assert [e.action for e in _audits(app, "help_place")] == [
        "help_place.created", "help_place.updated", "help_place.updated",
        "help_place.updated", "help_place.deleted"]
    assert s.post(f"{path}/delete", htmx=False).status_code == 404
    assert s.get(path).status_code == 404
    assert s.post(path, _form(), htmx=False).status_code == 404


# -- imports -----------------------------------------------------------------------------------

CSV = ("name,kind,address,lat,lon,phones,hours\n"
       "Shelter A,shelter,Street 1,43.26,76.93,8 701 111 22 33;8 727 222 33 44,24/7\n"
       "Bad pub,pub,Street 2,43.26,76.93,,\n"
       "Shelter A,shelter,Street 1,43.26,76.93,,\n"
       "Nowhere,police,Street 3,99,76.93,,\n")
GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.95, 43.25]},
     "properties": {"name": "Police 5", "kind": "police", "address": "Street 5"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.93, 43.26]},
     "properties": {"name": "Shelter A", "kind": "shelter", "address": "Street 1"}},
    {"type": "Feature", "geometry": None, "properties": {"name": "No point"}},
]}


def _report(page: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'data-row="(\d+)" data-status="(\w+)"', page)


def test_a_csv_import_shows_its_report_row_by_row_as_the_api_does(app, admin, console):
    s = console(admin)
    s.get("/console/help")
    r = s.post("/console/help/import", _upload(CSV.encode(), "places.csv"), htmx=False)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-committed="true"' in page
    assert _report(page) == [("2", "accepted"), ("3", "rejected"), ("4", "duplicate"),
                             ("5", "rejected")]
    assert 'data-field="kind"' in page and 'data-field="lat"' in page
    assert count_rows(app, Place) == 1
    [event] = _audits(app, "help_place.created")
    assert event.actor_id == admin.id and event.changes["import"] is True
    # the API reads the same file the same way (the row stored is a duplicate now)
    api = admin.post("/api/v1/help/places/import", data={"file": (io.BytesIO(CSV.encode()),
                                                                  "places.csv")},
                     content_type="multipart/form-data").get_json()
    assert [(str(x["row"]), x["status"]) for x in api["rows"]] == [
        ("2", "duplicate"), ("3", "rejected"), ("4", "duplicate"), ("5", "rejected")]
    # GeoJSON; the markers of what was stored are on the map
    r = s.post("/console/help/import", _upload(json.dumps(GEOJSON).encode(), "p.geojson"),
               htmx=False)
    page = r.get_data(as_text=True)
    assert _report(page) == [("1", "accepted"), ("2", "duplicate"), ("3", "rejected")]
    markers = json.loads(page.split('id="places-data">')[1].split("</script>")[0])
    assert sorted(m["name"] for m in markers) == ["Police 5", "Shelter A"]


def test_all_or_nothing_stores_and_audits_nothing(app, admin, console):
    s = console(admin)
    s.get("/console/help")
    r = s.post("/console/help/import", _upload(CSV.encode(), "places.csv", True), htmx=False)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-committed="false"' in page
    assert ("2", "not_stored") in _report(page)
    assert count_rows(app, Place) == 0 and _audits(app, "help_place") == []


@pytest.mark.parametrize("raw,name", [
    (b"", "empty.csv"),
    (b"\xff\xfe\x00bad", "latin.csv"),
    (b"name,kind\nA,police\n", "columns.csv"),
    (b'{"type": "Feature"}', "one.geojson"),
    (b"[" * 100_000, "deep.json"),
])
def test_a_file_that_cannot_be_read_is_refused_as_the_api_refuses_it(app, admin, console, raw,
                                                                     name):
    s = console(admin)
    s.get("/console/help")
    r = s.post("/console/help/import", _upload(raw, name), htmx=False)
    assert r.status_code == 422 and 'data-field="file"' in r.get_data(as_text=True)
    api = admin.post("/api/v1/help/places/import", data={"file": (io.BytesIO(raw), name)},
                     content_type="multipart/form-data")
    assert api.status_code == 422 and "file" in api.get_json()["errors"]
    assert count_rows(app, Place) == 0 and _audits(app, "help_place") == []


def test_an_import_without_a_file(app, admin, console):
    s = console(admin)
    s.get("/console/help")
    r = s.post("/console/help/import", {}, htmx=False)
    assert r.status_code == 422 and 'data-field="file"' in r.get_data(as_text=True)


# -- hotlines ----------------------------------------------------------------------------------


def _hotline_form(**over) -> dict:
    form = {"name": "Almaty crisis line", "number": "+7 727 000 00 00", "region": "almaty",
            "hours": "9-18", "sort": "60", "description": ""}
    form.update(over)
    return form


def test_hotlines_are_listed_added_edited_and_removed(app, admin, console, client):
    s = console(admin)
    page = s.get("/console/help/hotlines").get_data(as_text=True)
    for number in ("111", "102", "112", "103", "150"):  # the national ones, seeded
        assert f"<td>{number}</td>" in page
    r = s.post("/console/help/hotlines", _hotline_form(), htmx=False)
    assert r.status_code == 303 and "done=hotline_added" in r.headers["Location"]
    items = client.get("/api/v1/help/hotlines", query_string={"region": "almaty"}).get_json()
    [mine] = [h for h in items["items"] if h["name"] == "Almaty crisis line"]
    assert (mine["number"], mine["sort"], mine["description"]) == ("+7 727 000 00 00", 60, None)
    path = f"/console/help/hotlines/{mine['id']}"
    assert "Almaty crisis line" in s.get(path).get_data(as_text=True)
    r = s.post(path, _hotline_form(region="", name="Crisis line", sort=""), htmx=False)
    assert r.status_code == 303
    national = client.get("/api/v1/help/hotlines").get_json()["items"]
    assert "Crisis line" in [h["name"] for h in national]  # no region: national now
    r = s.post(f"{path}/remove", htmx=False)
    assert r.status_code == 303
    assert count_rows(app, Hotline, Hotline.id == uuid.UUID(mine["id"])) == 0
    assert [e.action for e in _audits(app, "help_hotline")] == [
        "help_hotline.created", "help_hotline.updated", "help_hotline.deleted"]
    assert all(e.actor_id == admin.id for e in _audits(app, "help_hotline"))
    assert s.post(f"{path}/remove", htmx=False).status_code == 404
    assert s.get(path).status_code == 404


BAD_HOTLINES = [({"name": ""}, "name"), ({"name": "X"}, "name"), ({"number": "call me"}, "number"),
                ({"number": ""}, "number"), ({"sort": "-1"}, "sort"), ({"sort": "first"}, "sort"),
                ({"region": "r" * 101}, "region")]


def test_hotlines_are_refused_as_the_api_refuses_them(app, admin, console):
    s = console(admin)
    s.get("/console/help/hotlines")
    before = count_rows(app, Hotline)
    national = admin.get("/api/v1/help/hotlines").get_json()["items"][0]
    for over, field in BAD_HOTLINES:
        form = _hotline_form(**over)
        r = s.post("/console/help/hotlines", form, htmx=False)
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and f'data-field="{field}"' in page, over
        body = {k: v for k, v in form.items() if v != "" or k in ("name", "number")}
        api = admin.post("/api/v1/help/hotlines", json=body)
        assert api.status_code == 422 and field in api.get_json()["errors"], over
        for message in error_messages(api.get_json()["errors"][field]):
            assert escape(message) in page, (over, message)
        r = s.post(f"/console/help/hotlines/{national['id']}", form, htmx=False)
        assert r.status_code == 422, over
    assert count_rows(app, Hotline) == before and _audits(app, "help_hotline") == []
    assert admin.get("/api/v1/help/hotlines").get_json()["items"][0] == national


# -- who may ---------------------------------------------------------------------------------


@pytest.fixture
def directory(admin):
    place = _add(admin)
    hotline = admin.post("/api/v1/help/hotlines", json={
        "name": "Almaty crisis line", "number": "+7 727 000 00 00", "region": "almaty"})
    return place["id"], hotline.get_json()["id"]


def _pages(place_id, hotline_id) -> list[str]:
    return ["/console/help", "/console/help/places/new", f"/console/help/places/{place_id}",
            "/console/help/hotlines", f"/console/help/hotlines/{hotline_id}"]


def _actions(place_id, hotline_id) -> list[tuple[str, dict]]:
    return [("/console/help/places", _form()),
            (f"/console/help/places/{place_id}", _form(name="Taken over")),
            (f"/console/help/places/{place_id}/visibility", {"active": "false"}),
            (f"/console/help/places/{place_id}/delete", {}),
            ("/console/help/import", _upload(CSV.encode(), "p.csv")),
            ("/console/help/hotlines", _hotline_form(name="Fake line")),
            (f"/console/help/hotlines/{hotline_id}", _hotline_form(number="+7 700 666 66 66")),
            (f"/console/help/hotlines/{hotline_id}/remove", {})]


def _unchanged(app, place_id, hotline_id, places: int, hotlines: int, audits: int):
    assert count_rows(app, Place) == places and count_rows(app, Hotline) == hotlines
    place = _place(app, place_id)
    assert place.name == "Shelter Umit" and place.active is True
    with app.app_context():
        assert db.session.get(Hotline, uuid.UUID(hotline_id)).number == "+7 727 000 00 00"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits


def test_every_other_role_is_refused(app, admin, user, make_person, create_org, add_member,
                                     console, console_session, directory):
    place_id, hotline_id = directory
    org = create_org(admin)
    boss, responder = make_person(name="Org Boss"), make_person(name="Responder")
    add_member(admin, org["id"], boss, "org_admin")
    add_member(admin, org["id"], responder, "responder")
    counts = (count_rows(app, Place), count_rows(app, Hotline), count_rows(app, AuditEvent))
    # a partner company's admin (the console's dispatcher): 403 everywhere, not in his menu
    s = console(boss)
    assert "/console/help" not in s.get("/console/").get_data(as_text=True)
    for path in _pages(place_id, hotline_id):
        assert s.get(path).status_code == 403, path
    for path, data in _actions(place_id, hotline_id):
        for htmx in (False, True):
            body = _upload(CSV.encode(), "p.csv") if "import" in path else data
            assert s.post(path, body, htmx=htmx).status_code == 403, path
    # no session
    anon = console_session()
    for path in _pages(place_id, hotline_id):
        r = anon.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"], path
    for path, data in _actions(place_id, hotline_id):
        assert anon.post(path, data).status_code == 401, path
    # her and a responder: no console at all
    for person in (user, responder):
        assert console_session().login(person.phone, person.password).status_code == 403
    # a platform admin's API token opens no console page and does no console action
    for path in _pages(place_id, hotline_id):
        assert anon.client.get(path, headers=admin.headers).status_code == 303, path
    for path, data in _actions(place_id, hotline_id):
        body = _upload(CSV.encode(), "p.csv") if "import" in path else data
        r = anon.client.post(path, data=body, headers=admin.headers)
        assert r.status_code in (302, 303, 401), path
    _unchanged(app, place_id, hotline_id, *counts)


def test_actions_need_csrf(app, admin, console, directory):
    place_id, hotline_id = directory
    counts = (count_rows(app, Place), count_rows(app, Hotline), count_rows(app, AuditEvent))
    s = console(admin)
    s.get("/console/help")
    for path, data in _actions(place_id, hotline_id):
        for forged in (None, "0" * 36):
            body = _upload(CSV.encode(), "p.csv") if "import" in path else dict(data)
            if forged:
                body["csrf_token"] = forged
            assert s.post(path, body, csrf=False, htmx=False).status_code == 403, path
    _unchanged(app, place_id, hotline_id, *counts)


def test_unknown_places_and_hotlines(app, admin, console):
    s = console(admin)
    s.get("/console/help")
    nobody = uuid.uuid4()
    assert s.get(f"/console/help/places/{nobody}").status_code == 404
    assert s.post(f"/console/help/places/{nobody}", _form(), htmx=False).status_code == 404
    assert s.post(f"/console/help/places/{nobody}/visibility", {"active": "false"},
                  htmx=False).status_code == 404
    assert s.get(f"/console/help/hotlines/{nobody}").status_code == 404
    assert s.post(f"/console/help/hotlines/{nobody}", _hotline_form(),
                  htmx=False).status_code == 404
    assert count_rows(app, Place) == 0 and _audits(app, "help_") == []
