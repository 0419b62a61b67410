"""The console in Debian's Chromium (Playwright), against the app served on a real socket: a
dispatcher's journey from login to an accepted dispatch, the live board within 2 s, the sound
of an alert nobody could take, the language switch — and not one request leaving the server."""

from __future__ import annotations

import json
import time

import pytest

from safety.extensions import limiter


@pytest.fixture
def page(browser, served):
    """A page in a fresh browser context whose every request is checked: anything not for the
    served app is refused and remembered (`page.foreign`); script errors and CSP refusals are
    collected (`page.problems`)."""
    context = browser.new_context(locale="en-US")
    tab = context.new_page()
    tab.foreign, tab.problems = [], []

    def route(r):
        if r.request.url.startswith(served + "/") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            tab.foreign.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))
    tab.on("console", lambda m: tab.problems.append(m.text) if m.type == "error" else None)
    yield tab
    context.close()


def _log_in(page, served, person):
    page.goto(served + "/console/")
    assert "/console/login" in page.url
    page.fill('input[name="phone"]', person.phone)
    page.fill('input[name="password"]', person.password)
    page.click('button[type="submit"]')
    page.wait_for_url(served + "/console/")


def _shown_within(locator, seconds: float) -> float:
    from playwright.sync_api import expect

    start = time.monotonic()
    expect(locator).to_be_visible(timeout=seconds * 1000)
    return time.monotonic() - start


def test_a_dispatcher_sees_a_panic_assigns_it_and_sees_it_accepted(
        app, world, page, served, panic, make_person):
    from playwright.sync_api import expect

    limiter.reset()  # the fixtures' API logins used up this address's login budget
    _log_in(page, served, world.org_admin)
    expect(page.locator("#no-alerts")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    assert page.locator(".marker.responder").count() == 4  # his four on duty, on the map

    alert = panic(world.user).get_json()["id"]
    row = page.locator(f"#alert-{alert}")
    took = _shown_within(row, 2.0)
    assert took < 2.0
    expect(row).to_have_attribute("data-dispatch", "offering")
    expect(page.locator(".marker.alert")).to_have_count(1)

    row.locator("a").click()
    page.wait_for_url(f"{served}/console/alerts/{alert}")
    r9000 = world.responders["r9000"]
    page.select_option("#assign-responder", str(r9000.id))
    page.click("#assign")
    expect(page.locator("#action-message")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("offered it to r9000", timeout=5000)

    page.click("nav >> text=Live board")
    page.wait_for_url(served + "/console/")
    offer = next(o for o in r9000.get("/api/v1/responder/offers").get_json()["items"]
                 if o["alert_id"] == alert)
    assert r9000.post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept").status_code == 200
    row = page.locator(f'#alert-{alert}[data-dispatch="accepted"]')
    assert _shown_within(row, 2.0) < 2.0
    expect(row).to_contain_text("r9000")
    expect(row).to_contain_text("Aigerim")  # his organisation holds it now

    # nobody left to take the next one: it stands out and sounds (until muted)
    for p in world.responders.values():
        p.put("/api/v1/responder/duty", json={"on_duty": False})
    second = panic(make_person(name="Dana")).get_json()["id"]
    loud = page.locator(f"#alert-{second}.attention")
    _shown_within(loud, 2.0)
    expect(page.locator("body")).to_have_attribute("data-attention", "1")
    expect(page.locator("body")).to_have_attribute("data-alarms", "1")
    page.click("#sound-toggle")
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")
    third = panic(make_person(name="Zhanar")).get_json()["id"]
    _shown_within(page.locator(f"#alert-{third}.attention"), 2.0)
    expect(page.locator("body")).to_have_attribute("data-attention", "2")
    assert page.locator("body").get_attribute("data-alarms") == "1"

    page.click('button[name="locale"][value="ru"]')
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert page.foreign == [], page.foreign
    assert page.problems == [], page.problems


def test_every_page_loads_in_the_browser_without_a_request_elsewhere(
        app, world, page, served, panic):
    from playwright.sync_api import expect

    limiter.reset()  # the fixtures' API logins used up this address's login budget
    alert = panic(world.user).get_json()["id"]
    _log_in(page, served, world.admin)
    for path, marker in ((f"/console/alerts/{alert}", "#timeline"),
                         ("/console/responders", "#responders"),
                         (f"/console/responders/{world.responders['r500'].id}", "#history"),
                         ("/console/stats", "#kpis")):
        page.goto(served + path)
        expect(page.locator(marker)).to_be_visible()
    expect(page.locator(".leaflet-container")).to_have_count(0)  # the stats page has no map
    page.goto(f"{served}/console/alerts/{alert}")
    expect(page.locator(".leaflet-container")).to_have_count(1)
    page.click("#logout")
    page.wait_for_url(served + "/console/login")
    page.goto(served + "/console/")
    assert "/console/login" in page.url
    assert page.foreign == [], page.foreign
    assert page.problems == [], page.problems


def test_an_admin_draws_a_coverage_polygon_and_it_saves(app, world, page, served):
    """Page 3: a rectangle drawn with Leaflet.draw beside the organisation's area is saved as a
    MultiPolygon of both (validated by the API's schema on the server)."""
    limiter.reset()
    org_id = world.org["id"]
    _log_in(page, served, world.admin)
    page.goto(f"{served}/console/orgs/{org_id}")
    page.wait_for_selector(".leaflet-draw-draw-rectangle")
    box = page.locator("#coverage-map").bounding_box()
    page.click(".leaflet-draw-draw-rectangle")
    x, y = box["x"] + box["width"] - 80, box["y"] + 20  # top right: outside the Almaty box
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    value = json.loads(page.input_value("#coverage-input"))
    assert value["type"] == "MultiPolygon" and len(value["coordinates"]) == 2
    page.click("#save-org")
    page.wait_for_selector("#action-message")
    coverage = world.admin.get(f"/api/v1/orgs/{org_id}").get_json()["coverage"]
    assert coverage["type"] == "MultiPolygon" and len(coverage["coordinates"]) == 2
    assert not page.foreign and not page.problems, (page.foreign, page.problems)


def test_an_admin_imports_places_sees_them_on_the_map_and_adds_a_hotline(
        app, admin, client, page, served, tmp_path):
    """Page 7: a GeoJSON of places imported (its report row by row), the places on the map (a
    marker opens its place, whose position a click on the map moves), and a regional hotline
    added — each read back through the API."""
    from playwright.sync_api import expect

    limiter.reset()
    geojson = tmp_path / "places.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.95, 43.25]},
         "properties": {"name": "Police 5", "kind": "police", "address": "Tole bi 5"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.93, 43.26]},
         "properties": {"name": "Кризисный центр", "kind": "crisis_center",
                        "address": "Abay 1", "phones": "150"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.93, 143.26]},
         "properties": {"name": "Nowhere", "kind": "shelter", "address": "Street 9"}},
    ]}), encoding="utf-8")
    _log_in(page, served, admin)
    page.click("nav >> text=Help directory")
    page.wait_for_url(served + "/console/help")
    page.set_input_files("#import-file", str(geojson))
    page.click("#import")
    expect(page.locator("#import-report")).to_be_visible()
    statuses = page.locator("#report-rows tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)")
    assert statuses == ["accepted", "accepted", "rejected"]
    expect(page.locator('#report-rows tr[data-status="rejected"]')).to_contain_text("lat")
    markers = page.locator("#places-map .marker.place")
    expect(markers).to_have_count(2)
    expect(page.locator("#places-map .marker.place-police")).to_have_count(1)
    names = [p["name"] for p in client.get("/api/v1/help/places", query_string={
        "lat": 43.25, "lon": 76.94}).get_json()["items"]]
    assert sorted(names) == ["Police 5", "Кризисный центр"]

    page.locator("#places-map .marker.place-police").click()
    page.wait_for_url(f"{served}/console/help/places/*")
    expect(page.locator("#pick-map .marker.picked")).to_have_count(1)
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2)
    assert float(page.input_value("#place-lon")) > 76.95  # the click moved it east
    assert abs(float(page.input_value("#place-lat")) - 43.25) < 0.001

    page.click("#hotlines-tab")
    page.fill('#hotline-form input[name="name"]', "Almaty crisis line")
    page.fill('#hotline-form input[name="number"]', "+7 727 000 00 00")
    page.fill('#hotline-form input[name="region"]', "almaty")
    page.click("#add-hotline")
    expect(page.locator("#action-message")).to_be_visible()
    expect(page.locator('#hotlines tr[data-region="almaty"]')).to_contain_text("Almaty crisis")
    hotlines = client.get("/api/v1/help/hotlines", query_string={"region": "almaty"})
    assert "Almaty crisis line" in [h["name"] for h in hotlines.get_json()["items"]]
    assert not page.foreign and not page.problems, (page.foreign, page.problems)


def test_an_admin_imports_a_registry_csv_with_a_bad_row_then_edits_and_removes_an_entry(
        app, admin, page, served, registry_csv):
    """Page 6: the import's report shows the bad row with its reason in a table; an imported
    entry is edited and removed from its page (plain forms, checked through the API)."""
    from playwright.sync_api import expect

    limiter.reset()
    csv_ = registry_csv
    _log_in(page, served, admin)
    page.click("nav >> text=Registry")
    page.wait_for_url(served + "/console/registry")
    page.click("nav.tabs >> text=Import CSV")
    page.set_input_files("#import-file", files=[{
        "name": "registry.csv", "mimeType": "text/csv",
        "buffer": (csv_.HEADER + csv_.GOOD1 + csv_.BAD + csv_.GOOD2).encode()}])
    page.click("#import")
    rows = page.locator("#report-rows tbody tr")
    expect(rows).to_have_count(3)
    bad = page.locator('#report-rows tr[data-row="3"]')
    expect(bad).to_have_attribute("data-status", "rejected")
    expect(bad).to_contain_text("birth_date")
    expect(bad).to_contain_text("Not a valid date.")
    expect(page.locator("#action-message")).to_contain_text("Rejected: 1")

    page.click('#report-rows tr[data-row="2"] a')
    page.wait_for_url("**/console/registry/entries/*")
    entry_id = page.url.rsplit("/", 1)[1]
    page.fill('input[name="authority"]', "Almaty city court No. 2")
    page.click("#save-entry")
    expect(page.locator("#action-message")).to_be_visible()
    expect(page.locator('#changes tr[data-action="update"]')).to_contain_text(
        "Almaty city court No. 2")
    page.click("#remove-entry summary")
    page.click("#delete-entry")
    expect(page.locator("#removed")).to_be_visible()
    got = admin.get(f"/api/v1/registry/entries/{entry_id}").get_json()
    assert got["authority"] == "Almaty city court No. 2" and got["deleted_at"] is not None
    assert not page.foreign and not page.problems, (page.foreign, page.problems)
