"""The SMS tracking link: JSON and the page itself, in headless Chromium."""

import re
from datetime import UTC, datetime, timedelta


def test_tracking_data_reveals_only_name_status_trail(client, user, tracked):
    alert, path = tracked
    r = client.get(path + "/data")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"name", "status", "started_at", "updated_at", "points", "her_reply",
                         "responder"}
    assert body["her_reply"] is None
    assert body["name"] == "Aigerim" and body["status"] == "live"
    assert body["responder"] is None  # nobody is dispatched (see test_coming.py)
    assert len(body["points"]) == 1
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store"
    raw = r.get_data(as_text=True)
    assert user.phone not in raw and alert["id"] not in raw


def test_tracking_link_expires_after_the_alert_ends_plus_grace(app, clock, client, user, tracked):
    alert, path = tracked
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    body = client.get(path + "/data").get_json()
    assert body["status"] == "ended"
    clock.advance(app.config["TRACKING_GRACE_S"] + 1)
    assert client.get(path + "/data").status_code == 404
    page = client.get(path)
    assert page.status_code == 404 and b"expired" in page.data


def test_unknown_token_is_404(client):
    assert client.get("/t/not-a-real-token/data").status_code == 404
    assert client.get("/t/not-a-real-token").status_code == 404


def test_page_is_served_with_local_leaflet_and_a_strict_policy(client, tracked):
    _, path = tracked
    r = client.get(path)
    assert r.status_code == 200 and b"vendor/leaflet/leaflet.js" in r.data
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    static = client.get("/static/vendor/leaflet/leaflet.js")
    assert static.status_code == 200
    static.close()


def test_purge_deletes_old_trails_and_keeps_alerts(app, clock, user, panic):
    alert = panic(user).get_json()
    user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    live = panic(user).get_json()
    runner = app.test_cli_runner()
    days = app.config["LOCATION_RETENTION_DAYS"]
    out = runner.invoke(args=["safety", "purge"])
    assert out.exit_code == 0 and "deleted 0" in out.output
    clock.advance(days * 86400 + 60)
    out = runner.invoke(args=["safety", "purge"])
    assert out.exit_code == 0 and "deleted 1" in out.output, out.output
    assert user.get(f"/api/v1/alerts/{alert['id']}").get_json()["status"] == "canceled"
    assert user.get(f"/api/v1/alerts/{alert['id']}/locations").get_json()["items"] == []
    assert len(user.get(f"/api/v1/alerts/{live['id']}/locations").get_json()["items"]) == 1
    assert runner.invoke(args=["safety", "purge", "--days", "-1"]).exit_code != 0


def test_worker_schedules_the_purge_once_per_window(app, drain, jobs):
    drain(app, worker_id="a")
    drain(app, worker_id="b")
    purges = jobs(app, kind="retention_purge")
    assert len(purges) == 1 and purges[0].status == "sent"


# -- in a real browser ---------------------------------------------------------------------------


def test_tracking_page_in_chromium(app, user, admin, make_person, served, browser, tmp_path,
                                   create_org, add_member, on_duty, tracking_path, panic):
    app.config["TRACKING_POLL_MS"] = 300
    org = create_org(admin)
    responder = make_person(name="Responder")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 500)
    user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    alert = panic(user, lat=43.2567, lon=76.9286).get_json()
    path = tracking_path()
    from playwright.sync_api import expect

    page = browser.new_page()
    requests_seen = []
    page.on("request", lambda req: requests_seen.append(req.url))
    page.goto(served + path)
    # expect() polls from Playwright's own isolated world: the page's CSP (no eval) holds
    expect(page.locator("#name")).to_have_text("Aigerim")
    expect(page.locator("#status")).to_have_text("ALERT ACTIVE")
    expect(page.locator("#latest")).to_have_attribute("data-lat", "43.2567")
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    user.post(f"/api/v1/alerts/{alert['id']}/locations",
              json={"points": [{"lat": 43.2600, "lon": 76.9300, "recorded_at": later}]})
    expect(page.locator("#latest")).to_have_attribute("data-lat", "43.26", timeout=10_000)
    user.post(f"/api/v1/alerts/{alert['id']}/messages", json={"code": "cant_talk"})
    expect(page.locator("#reply")).to_contain_text("She says: I can't talk", timeout=10_000)
    assert page.locator("path.leaflet-interactive").count() >= 1  # the trail is drawn
    did = responder.get("/api/v1/responder/offers").get_json()["items"][0]["dispatch_id"]
    drawn = page.locator("path.leaflet-interactive").count()
    responder.post(f"/api/v1/dispatches/{did}/accept")
    responder.post(f"/api/v1/responder/dispatches/{did}/location",
                   json={"location": {"lat": 43.2657, "lon": 76.9286}})
    coming = page.locator("#coming")
    expect(coming).to_have_text("Responder from Kuzet Security is on the way: 640 m away, "
                                "about 2 min.", timeout=10_000)  # to her latest point
    expect(coming).to_have_attribute("data-lat", "43.2657")
    assert page.locator("path.leaflet-interactive").count() == drawn + 1  # his marker
    responder.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
    expect(page.locator("#status")).to_have_text("ended", timeout=10_000)
    expect(coming).to_be_hidden()
    page.screenshot(path=str(tmp_path / "tracking.png"))
    assert all(u.startswith(served) for u in requests_seen), requests_seen  # nothing external
    page.close()


def test_tracking_page_in_the_contacts_language_in_chromium(app, user, served, browser,
                                                            tracking_path, panic, client):
    """Her sister reads Russian: the page's words, and times in the reader's zone, as her SMS."""
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect

    app.config["TRACKING_POLL_MS"] = 300
    user.post("/api/v1/me/contacts", json={"name": "Sister", "phone": "+77015550123",
                                           "locale": "ru"})
    panic(user, lat=43.2567, lon=76.9286)
    path = tracking_path()
    fix = client.get(path + "/data").get_json()["points"][-1]
    at = datetime.fromisoformat(fix["recorded_at"]).astimezone(ZoneInfo("Asia/Almaty"))
    page = browser.new_page()
    page.goto(served + path)
    expect(page.locator("#status")).to_have_text("ТРЕВОГА АКТИВНА")
    expect(page.locator("#latest")).to_have_text(
        f"Последнее известное местоположение: 43.25670, 76.92860 ({at:%H:%M:%S})")
    expect(page.locator("#updated")).to_have_text(re.compile(r"^обновлено: \d\d:\d\d:\d\d$"))
    page.goto(served + path + "?lang=kk")
    expect(page.locator("#status")).to_have_text("ДАБЫЛ БЕЛСЕНДІ")
    page.close()
