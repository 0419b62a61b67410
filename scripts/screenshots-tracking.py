#!/usr/bin/env python3
"""Screenshots of the SMS tracking page for docs/ (shown in README.md), at a phone's size.

    .venv/bin/python scripts/screenshots-tracking.py [--out docs] [--lang en] [--tiles URL]

Builds a throwaway app on a temporary SQLite database with the demo data (`seed-demo`), has the
demo woman Aigerim raise an alert through the API (a sister as SMS contact, her number shown to
her contacts, a short trail, a battery report, "I'm hiding"), serves it on 127.0.0.1 and drives
Debian's Chromium at 360x640 through the page's three states: active (tracking-active.png), a
responder on the way (tracking-coming.png), ended (tracking-ended.png). Without --tiles nothing
leaves the machine: every request that is not for the local server is refused (and the script
fails); with --tiles (a TRACKING_TILE_URL) only that tile server is allowed as well.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HER, SISTER = "+77010000002", "+77015550199"
TRAIL = [(43.2531, 76.9242, 30.0), (43.2544, 76.9259, 25.0), (43.2556, 76.9271, 20.0),
         (43.2567, 76.9286, 18.0)]


def build_app(workdir: Path, tiles: str):
    from flask_migrate import upgrade

    from safety import create_app
    from safety.config import sqlite_url
    from safety.extensions import db
    from safety.seed import seed_demo

    app = create_app(env={"SAFETY_ENV": "testing", "SAFETY_INSTANCE_PATH": str(workdir),
                          "DATABASE_URL": sqlite_url(workdir / "tracking.db"),
                          "TRACKING_TILE_URL": tiles},
                     config={"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024,
                             "TRACKING_POLL_MS": 500, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    return app


class Api:
    """The demo accounts' phones, through the API (an in-process client)."""

    def __init__(self, app) -> None:
        from safety.seed import DEMO_PASSWORD

        self.client = app.test_client()
        self.password = DEMO_PASSWORD

    def login(self, phone: str) -> dict:
        r = self.client.post("/api/v1/auth/login", json={"phone": phone,
                                                         "password": self.password})
        assert r.status_code == 200, r.get_json()
        return {"Authorization": "Bearer " + r.get_json()["access_token"]}

    def call(self, method: str, who: dict, path: str, body=None) -> dict:
        r = self.client.open("/api/v1" + path, method=method, headers=who, json=body)
        assert r.status_code < 300, (path, r.status_code, r.get_json())
        return r.get_json() if r.data else {}


def raise_her_alert(app, api: Api, lang: str) -> tuple[str, str]:
    """Her alert with a trail; (its id, the sister's /t/<token> path)."""
    from sqlalchemy import select

    from safety.extensions import db
    from safety.notify.models import OutboxJob

    her = api.login(HER)
    api.call("PATCH", her, "/me", {"share_phone_with_contacts": True})
    api.call("POST", her, "/me/contacts", {"name": "Sister", "phone": SISTER, "locale": lang})
    start = datetime.now(UTC) - timedelta(minutes=3)
    lat, lon, acc = TRAIL[0]
    alert = api.call("POST", her, "/alerts", {
        "client_id": str(uuid.uuid4()), "trigger": "button", "battery_pct": 64,
        "location": {"lat": lat, "lon": lon, "accuracy_m": acc, "recorded_at": start.isoformat()}})
    points = [{"lat": la, "lon": lo, "accuracy_m": a,
               "recorded_at": (start + timedelta(seconds=40 * (i + 1))).isoformat()}
              for i, (la, lo, a) in enumerate(TRAIL[1:])]
    api.call("POST", her, f"/alerts/{alert['id']}/locations", {"points": points})
    api.call("POST", her, "/me/heartbeat", {"battery_pct": 31, "charging": False})
    api.call("POST", her, f"/alerts/{alert['id']}/messages", {"code": "hiding"})
    with app.app_context():
        text = db.session.scalar(select(OutboxJob.payload).where(
            OutboxJob.kind == "alert_sms"))["text"]
    return alert["id"], re.search(r"(/t/[A-Za-z0-9_\-]+)", text).group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--lang", default="en", choices=("en", "ru", "kk"))
    parser.add_argument("--tiles", default="", help="a TRACKING_TILE_URL; none: no streets")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("needs Debian's chromium (scripts/install-system.sh test installs it)")
        return 2
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="safety-shots-"))
    app = build_app(workdir, args.tiles)
    api = Api(app)
    alert_id, path = raise_her_alert(app, api, args.lang)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    allowed = [base + "/", "data:"] + (["/".join(args.tiles.split("/")[:3])] if args.tiles
                                       else [])
    foreign: list[str] = []
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            context = browser.new_context(viewport={"width": 360, "height": 640},
                                          device_scale_factor=1, is_mobile=True,
                                          has_touch=True, locale=args.lang)
            page = context.new_page()

            def route(r):
                if any(r.request.url.startswith(a) for a in allowed):
                    r.continue_()
                else:
                    foreign.append(r.request.url)
                    r.abort()

            page.route("**/*", route)

            def shot(name: str, state: str) -> None:
                page.wait_for_selector(f'#state[data-state="{state}"]')
                page.wait_for_timeout(700)  # the map settles, tiles arrive
                page.screenshot(path=str(out / name), full_page=True)
                written.append(name)

            page.goto(base + path)
            shot("tracking-active.png", "active")
            responder = api.login("+77010000007")
            offers = api.call("GET", responder, "/responder/offers")["items"]
            if not offers:  # the nearest demo responder is another one
                for phone in ("+77010000006", "+77010000008"):
                    responder = api.login(phone)
                    offers = api.call("GET", responder, "/responder/offers")["items"]
                    if offers:
                        break
            did = offers[0]["dispatch_id"]
            api.call("POST", responder, f"/dispatches/{did}/accept")
            api.call("POST", responder, f"/dispatches/{did}/status", {"status": "en_route"})
            api.call("POST", responder, f"/responder/dispatches/{did}/location",
                     {"location": {"lat": 43.2619, "lon": 76.9335, "accuracy_m": 10}})
            shot("tracking-coming.png", "coming")
            api.call("POST", responder, f"/dispatches/{did}/status", {"status": "on_scene"})
            api.call("POST", responder, f"/dispatches/{did}/status", {"status": "resolved"})
            shot("tracking-ended.png", "ended")
            context.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    if foreign:
        print("requests that tried to leave the server:", *foreign, sep="\n  ")
        return 1
    print(f"wrote {len(written)} screenshots to {out}: {', '.join(written)} "
          f"(alert {alert_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
