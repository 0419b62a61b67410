"""The SMS tracking page her sister acts on: go there (map apps), call (her, only if she chose so;
102; 112), trust what she sees (times, accuracy, battery, the state and what "ended" means),
a small page for an old phone, and what a forwarded link must never show. The browser journey
is at the end (one page load through active -> responder on the way -> ended)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

NEIGHBOUR = "+77015550123"
BUDGET = 40 * 1024  # page + script + css, uncompressed, without tiles


def links(html: str) -> dict[str, str]:
    """id -> href of the page's <a> elements that have an id."""
    return {m.group(1): m.group(2).replace("&amp;", "&") for m in re.finditer(
        r'<a class="button[^"]*" id="([\w-]+)"(?: data-href="[^"]*")? href="([^"]*)"', html)}


@pytest.fixture
def responder_scene(admin, make_person, create_org, add_member, on_duty):
    """An org with one on-duty responder with a surname, a vehicle and a badge."""
    org = create_org(admin)
    responder = make_person(name="Yerlan Responderov")
    add_member(admin, org["id"], responder, "responder")
    r = admin.patch(f"/api/v1/orgs/{org['id']}/members/{responder.id}",
                    json={"vehicle": "White Lada 777ABC02", "badge": "K-17"})
    assert r.status_code == 200, r.get_json()
    on_duty(responder, 500)
    return responder


# -- the data answer ------------------------------------------------------------------------------


def test_data_says_what_ended_means_and_the_battery(client, user, tracked):
    alert, path = tracked
    body = client.get(path + "/data").get_json()
    assert body["ended"] is None and body["battery"] is None
    assert user.post("/api/v1/me/heartbeat", json={"battery_pct": 23, "charging": False}
                     ).status_code == 202
    body = client.get(path + "/data").get_json()
    assert body["battery"]["pct"] == 23 and body["battery"]["at"]
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    body = client.get(path + "/data").get_json()
    assert body["status"] == "ended" and body["battery"] is None
    assert body["ended"]["reason"] == "canceled"
    assert body["ended"]["text"] == "She canceled the alert herself: she says she is safe."


def test_resolved_by_the_responder_says_so(client, user, panic, responder_scene, offers_of,
                                           tracking_path):
    user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": NEIGHBOUR})
    panic(user)
    did = offers_of(responder_scene)[0]["dispatch_id"]
    responder_scene.post(f"/api/v1/dispatches/{did}/accept")
    responder_scene.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
    body = client.get(tracking_path() + "/data?lang=ru").get_json()
    assert body["ended"]["reason"] == "resolved" and body["responder"] is None
    page = client.get(tracking_path()).get_data(as_text=True)
    assert "The security company resolved the alert" in page
    assert 'data-state="ended"' in page


# -- go there ------------------------------------------------------------------------------------


def test_go_there_links_carry_her_latest_coordinates(client, user, tracked):
    alert, path = tracked
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [
        {"lat": 43.2381, "lon": 76.9452, "accuracy_m": 35, "recorded_at": later}]})
    r = client.get(path)
    html = r.get_data(as_text=True)
    assert links(html) | {} == {
        "go-2gis": "https://2gis.kz/geo/76.945200,43.238100",
        "go-yandex": "https://yandex.ru/maps/?rtext=~43.238100,76.945200&rtt=auto",
        "go-google": "https://www.google.com/maps/dir/?api=1&destination=43.238100,76.945200",
        "go-geo": "geo:43.238100,76.945200?q=43.238100,76.945200",
        "call-102": "tel:102", "call-112": "tel:112"}
    # plain links: nothing of those hosts is loaded; the token goes to none of them
    assert html.count('rel="noreferrer noopener"') == 4
    assert not re.search(r'<(script|link|img|iframe)[^>]+(2gis|yandex|google)', html)
    assert "± 35 m" in html and "43.23810, 76.94520" in html
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_without_a_position_the_page_says_so(client, make_person, tracking_path):
    her = make_person(name="Dana", pin="1234")
    her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": NEIGHBOUR})
    from safety.alerts import commands
    from safety.extensions import db

    with client.application.app_context():
        from safety.accounts.models import User

        commands.raise_alert(db.session.get(User, her.id), {
            "client_id": uuid.uuid4(), "trigger": "sms", "location": None})
        db.session.commit()
    html = client.get(tracking_path()).get_data(as_text=True)
    assert re.search(r'<p class="buttons" id="go" hidden>', html)
    assert "No position yet." in html and 'id="nowhere" class="note">' in html
    assert client.get(tracking_path() + "/data").get_json()["points"] == []


# -- call her: only if she chose so ---------------------------------------------------------------


def test_her_number_is_on_the_page_only_when_she_chose_so(client, user, tracked):
    _, path = tracked
    assert user.get("/api/v1/me").get_json()["share_phone_with_contacts"] is False
    html = client.get(path).get_data(as_text=True)
    assert user.phone not in html and "call-her" not in html
    assert "tel:102" in html and "tel:112" in html
    for bad in ("yes", 1, None, "true "):
        r = user.patch("/api/v1/me", json={"share_phone_with_contacts": bad})
        assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert user.get("/api/v1/me").get_json()["share_phone_with_contacts"] is False
    assert user.patch("/api/v1/me", json={"share_phone_with_contacts": True}).status_code == 200
    html = client.get(path).get_data(as_text=True)
    assert links(html)["call-her"] == "tel:" + user.phone
    assert user.phone not in client.get(path + "/data").get_data(as_text=True)  # page only
    user.patch("/api/v1/me", json={"share_phone_with_contacts": False})
    assert user.phone not in client.get(path).get_data(as_text=True)


def test_an_unproven_number_is_never_offered(client, make_person, tracking_path, panic):
    her = make_person(name="Dana", pin="1234", verified=False)
    her.patch("/api/v1/me", json={"share_phone_with_contacts": True})
    her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": NEIGHBOUR})
    panic(her)
    assert her.phone not in client.get(tracking_path()).get_data(as_text=True)


# -- what a forwarded link never shows ------------------------------------------------------------


def test_a_forwarded_link_shows_no_ids_nor_the_responders_details(client, user, responder_scene,
                                                                   tracked, offers_of):
    alert, path = tracked
    offer = offers_of(responder_scene)[0]
    did = offer["dispatch_id"]
    responder_scene.post(f"/api/v1/dispatches/{did}/accept")
    responder_scene.post(f"/api/v1/responder/dispatches/{did}/location",
                         json={"location": {"lat": 43.2657, "lon": 76.9286}})
    data = client.get(path + "/data")
    assert data.get_json()["responder"]["first_name"] == "Yerlan"
    page = client.get(path)
    assert 'data-state="coming"' in page.get_data(as_text=True)
    for raw in (data.get_data(as_text=True), page.get_data(as_text=True)):
        for secret in (alert["id"], did, str(user.id), str(responder_scene.id), user.phone,
                       responder_scene.phone, "Responderov", "Lada", "777ABC02", "K-17"):
            assert secret not in raw, secret
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", raw)  # no id at all


def test_after_a_duress_cancel_her_contacts_page_goes_on(app, clock, client, make_person,
                                                         panic, tracking_path, jobs):
    """Her SMS contacts are her helpers: after a duress cancel their page stays live (the trail
    goes on, her battery, no "she says she is safe" — that would make her sister stand down in
    the most dangerous case); only a real cancel ends it. What her phone says in words after a
    duress cancel (his hand, maybe: "I'm safe now") is never shown."""

    def story(pin: str) -> tuple[dict, str, int]:
        clock.reset()
        her = make_person(name="Aigerim", pin="1234", duress_pin="9999")
        her.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": NEIGHBOUR})
        alert = panic(her).get_json()
        (sms,) = [j for j in jobs(app, kind="alert_sms") if str(j.alert_id) == alert["id"]]
        path = re.search(r"(/t/[A-Za-z0-9_\-]+)", sms.payload["text"]).group(1)
        her.post(f"/api/v1/alerts/{alert['id']}/messages", json={"code": "hiding"})
        clock.advance(5)
        assert her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": pin}
                        ).status_code == 200
        clock.advance(5)
        later = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
        her.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [
            {"lat": 43.30, "lon": 76.99, "recorded_at": later}]})
        her.post("/api/v1/me/heartbeat", json={"battery_pct": 12, "charging": False})
        her.post(f"/api/v1/alerts/{alert['id']}/messages", json={"code": "safe_now"})
        data = client.get(path + "/data").get_json()
        page = client.get(path).get_data(as_text=True)
        clock.advance(app.config["TRACKING_GRACE_S"] + 60)
        return data, page, client.get(path + "/data").status_code

    real_data, real_page, real_later = story("1234")
    assert real_data["status"] == "ended" and real_data["ended"] is not None
    assert "she says she is safe" in real_page and real_later == 404
    assert [p["lat"] for p in real_data["points"]] == [43.2567]  # nothing after the cancel

    data, page, later = story("9999")
    assert data["status"] == "live" and data["ended"] is None and later == 200
    assert "she says she is safe" not in page and 'data-state="ended"' not in page
    assert [p["lat"] for p in data["points"]] == [43.2567, 43.30]  # the trail goes on
    assert data["battery"]["pct"] == 12
    assert data["her_reply"]["code"] == "hiding"  # "I'm safe now" typed after it: not shown


# -- small and private ----------------------------------------------------------------------------


def test_the_page_fits_an_old_phone(client, tracked, app):
    """No build step, no library: the page, its script and its style, measured uncompressed
    (tiles excluded), stay under BUDGET. Printed so that a change shows its cost."""
    _, path = tracked
    page = client.get(path)
    sizes = {"page": len(page.data)}
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', page.get_data(as_text=True)):
        r = client.get("/static/" + name)
        sizes[name] = len(r.data)
        r.close()
    assert set(sizes) == {"page", "tracking.js", "tracking.css"}  # nothing else is loaded
    total = sum(sizes.values())
    print(f"tracking page bytes: {sizes} total {total} (budget {BUDGET})")
    assert total < BUDGET, sizes


def test_the_policy_names_the_tile_host_only_when_tiles_are_configured(app, client, tracked,
                                                                       monkeypatch):
    _, path = tracked
    csp = client.get(path).headers["Content-Security-Policy"]
    assert "img-src 'self' data: ;" in csp and "http" not in csp
    assert "Map background not configured" in client.get(path).get_data(as_text=True)
    monkeypatch.setitem(app.config, "TRACKING_TILE_URL",
                        "https://{s}.tiles.example/{z}/{x}/{y}.png")
    r = client.get(path)
    assert "img-src 'self' data: https://*.tiles.example;" in r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "Map background not configured" not in r.get_data(as_text=True)
    assert "© OpenStreetMap contributors" in r.get_data(as_text=True)


# -- in a real browser, at a phone's size ---------------------------------------------------------

PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "timezone_id": "Europe/London", "locale": "en-GB"}
# 1x1 transparent PNG: the fake tile server's every tile
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_the_page_through_active_coming_and_ended_in_chromium(
        app, user, responder_scene, served, browser, tracking_path, panic, offers_of, tmp_path,
        monkeypatch):
    """One page load, at 360x640 in London: the state moves active -> responder on the way ->
    ended as it happens; links, times (her zone, not the browser's), accuracy, battery, the
    no-tiles notice, 200 % text; nothing is loaded from anywhere else."""
    from playwright.sync_api import expect

    monkeypatch.setitem(app.config, "TRACKING_POLL_MS", 300)
    monkeypatch.setitem(app.config, "TRACKING_TILE_URL", "")
    user.post("/api/v1/me/contacts", json={"name": "Sister", "phone": NEIGHBOUR})
    alert = panic(user, lat=43.2567, lon=76.9286).get_json()
    path = tracking_path()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    seen = []
    page.on("request", lambda req: seen.append(req.url))
    page.goto(served + path)
    state = page.locator("#state")
    # expect() polls from Playwright's own isolated world: the page's CSP (no eval) holds
    expect(state).to_have_attribute("data-state", "active")
    expect(page.locator("#status")).to_have_text("ALERT ACTIVE")
    expect(page.locator("#no-tiles")).to_be_visible()
    expect(page.locator("#no-tiles")).to_contain_text("Map background not configured")
    expect(page.locator("#go-2gis")).to_have_attribute("href",
                                                       "https://2gis.kz/geo/76.928600,43.256700")
    expect(page.locator("#seen")).to_have_text(
        re.compile(r"^(now|\d+ seconds? ago) \(\d\d:\d\d GMT\+5\)$"))  # her zone, not London
    expect(page.locator("#accuracy")).to_have_text("± 12 m")
    expect(page.locator("#updated")).to_have_text(re.compile(r"ago|now"))
    assert page.locator("svg circle.her").count() == 1
    assert page.locator("svg circle.accuracy").count() == 1
    # she moves; her phone reports its battery
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    user.post(f"/api/v1/alerts/{alert['id']}/locations", json={"points": [
        {"lat": 43.2600, "lon": 76.9300, "accuracy_m": 40, "recorded_at": later}]})
    user.post("/api/v1/me/heartbeat", json={"battery_pct": 23, "charging": False})
    expect(page.locator("#go-google")).to_have_attribute(
        "href", "https://www.google.com/maps/dir/?api=1&destination=43.260000,76.930000",
        timeout=10_000)
    expect(page.locator("#go-geo")).to_have_attribute("href",
                                                      "geo:43.260000,76.930000?q=43.260000,76.930000")
    expect(page.locator("#coords")).to_have_text("43.26000, 76.93000")
    expect(page.locator("#accuracy")).to_have_text("± 40 m")
    expect(page.locator("#battery")).to_contain_text("23 %")
    assert page.locator("svg polyline.trail").get_attribute("marker-end") == "url(#arrow)"
    # a responder accepts and drives
    did = offers_of(responder_scene)[0]["dispatch_id"]
    responder_scene.post(f"/api/v1/dispatches/{did}/accept")
    responder_scene.post(f"/api/v1/responder/dispatches/{did}/location",
                         json={"location": {"lat": 43.2657, "lon": 76.9286}})
    expect(state).to_have_attribute("data-state", "coming", timeout=10_000)
    expect(page.locator("#status")).to_have_text("RESPONDER ON THE WAY")
    expect(page.locator("#meaning")).to_contain_text("Yerlan from Kuzet Security is on the way: ")
    expect(page.locator("svg circle.responder")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "coming.png"))
    responder_scene.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
    expect(state).to_have_attribute("data-state", "ended", timeout=10_000)
    expect(page.locator("#status")).to_have_text("ALERT ENDED")
    expect(page.locator("#meaning")).to_have_text(
        "The security company resolved the alert: a responder or its dispatcher closed it.")
    expect(page.locator("svg circle.responder")).to_have_count(0)
    # 200 % text: everything reflows, nothing runs off the side
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    for button in ("#go-yandex", "#call-112"):
        box = page.locator(button).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (button, box)
    page.screenshot(path=str(tmp_path / "large-text.png"), full_page=True)
    assert all(u.startswith(served) for u in seen), seen  # nothing from other hosts
    context.close()


def test_tiles_and_language_in_chromium(app, user, served, browser, tracking_path, panic,
                                        fake_http, monkeypatch):
    """Her sister reads Russian; tiles come from the configured server, and that server learns
    our origin at most, never the link."""
    from playwright.sync_api import expect

    tiles = fake_http(body=PNG, headers={"Content-Type": "image/png"})
    monkeypatch.setitem(app.config, "TRACKING_TILE_URL", tiles.url("/{z}/{x}/{y}.png"))
    user.post("/api/v1/me/contacts", json={"name": "Sister", "phone": NEIGHBOUR,
                                           "locale": "ru"})
    panic(user, lat=43.2567, lon=76.9286)
    path = tracking_path()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(served + path)
    expect(page.locator("#status")).to_have_text("ТРЕВОГА АКТИВНА")
    expect(page.locator("#seen")).to_have_text(re.compile(r"\(\d\d:\d\d GMT\+5\)$"))
    expect(page.locator("#no-tiles")).to_have_count(0)
    expect(page.locator("#map img").first).to_be_visible()
    context.close()
    assert tiles.requests, "no tile was asked for"
    z, x, y = (int(v) for v in tiles.requests[0].path.strip("/").removesuffix(".png").split("/"))
    n = 2 ** z
    assert 13 <= z <= 18 and abs(x - (76.9286 + 180) / 360 * n) < 3  # around her
    token = path.rsplit("/", 1)[1]
    for req in tiles.requests:
        assert token not in (req.headers.get("Referer") or ""), req.headers
        assert req.headers.get("Referer") in (None, served + "/")
