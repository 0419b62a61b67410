"""The SMS tracking link: its JSON, its expiry, the retention of trails (the page itself, in
headless Chromium too: test_tracking_page.py)."""


def test_tracking_data_reveals_only_name_status_trail(client, user, tracked):
    alert, path = tracked
    r = client.get(path + "/data")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"name", "status", "started_at", "updated_at", "points", "her_reply",
                         "responder", "ended", "battery"}
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


def test_page_is_served_with_its_own_script_and_a_strict_policy(client, tracked):
    _, path = tracked
    r = client.get(path)
    assert r.status_code == 200 and b"/static/tracking.js" in r.data and b"leaflet" not in r.data
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    static = client.get("/static/tracking.js")
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
