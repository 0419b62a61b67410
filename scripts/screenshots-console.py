#!/usr/bin/env python3
"""Screenshots of the operations console for docs/console/ (shown in README.md).

    .venv/bin/python scripts/screenshots-console.py [--out docs/console] [--lang en]

Builds a throwaway app on a temporary SQLite database, seeds the demo with the console's live
and past alerts (`seed-demo --console`), serves it on 127.0.0.1 and drives Debian's Chromium
through every console page as the demo dispatcher and the platform admin. Nothing leaves the
machine: every request that is not for the local server is refused (and the script fails).
Run it after changing a page, and commit the pictures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES_AS_DISPATCHER = [
    ("board", "/console/", "#board-live"),
    ("alert-duress", "{duress}", "#timeline"),
    ("alert-en-route", "{en_route}", "#timeline"),
    ("responders", "/console/responders", "#responders"),
    ("stats", "/console/stats", "#kpis"),
]
PAGES_AS_ADMIN = [
    ("board-admin", "/console/", "#board-live"),
    ("alert-unassigned", "{unassigned}", "#timeline"),
    ("delivery", "/console/delivery", "#backlog"),
    ("orgs", "/console/orgs", "#orgs"),
    ("org", "{org}", ".leaflet-draw"),  # the coverage editor is up
    ("receiver", "{receiver}", "#receiver-form"),
    ("help", "/console/help", "#places-map .marker.place"),
    ("hotlines", "/console/help/hotlines", "#hotlines"),
    ("registry", "/console/registry", "#entries"),
    ("registry-entry", "{registry_entry}", "#entry-form"),
    ("registry-import", "/console/registry/import", "#import-form"),  # then a file with a bad row
    ("registry-checks", "/console/registry/checks", "#checks"),
]
# Page 7's import: this file is uploaded and its report shown (one row is refused).
IMPORT = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.9455, 43.2389]},
     "properties": {"name": "Family support centre (demo data)", "kind": "family_support",
                    "address": "Almaty (demo)", "phones": "8 727 300 00 00", "hours": "9-18"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.8897, 43.2551]},
     "properties": {"name": "Shelter (demo data)", "kind": "shelter",
                    "address": "Almaty (demo)", "hours": "24/7"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.9120, 43.2450]},
     "properties": {"name": "Crisis centre (demo data)", "kind": "crisis_center",
                    "address": "Almaty (demo)"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.93, 143.26]},
     "properties": {"name": "A typo", "kind": "hostel", "address": "Almaty (demo)"}},
]}


def registry_csv() -> str:
    """A registry CSV for the import's report, fictitious people: a new row, a bad row (not a
    date), and one the demo holds already."""
    from safety.seed import REGISTRY_DEMO

    known = REGISTRY_DEMO[0]
    return (
        "full_name,birth_date,iin,phone,category,decided_on,authority,case_reference,"
        "legal_basis,consent_reference,expires_on\n"
        "Омаров Бауыржан Демо,1988-09-21,,,protective_order,2025-03-03,Shymkent court (demo),"
        "3-0001/2025,court_decision,,2027-03-03\n"
        "Broken Row Demo,21.09.1988,,,protective_order,2025-03-03,Shymkent court (demo),,"
        "court_decision,,2027-03-03\n"
        f"{known['full_name']},,{known['iin']},,{known['category']},{known['decided_on']},"
        f"{known['authority']},{known['case_reference']},court_decision,,"
        f"{known['expires_on']}\n")


def before_shot(page, name: str) -> None:
    """What an operator does on a page before its picture is taken."""
    if name == "registry-import":
        page.set_input_files("#import-file", files=[{
            "name": "registry.csv", "mimeType": "text/csv",
            "buffer": registry_csv().encode()}])
        page.click("#import")
        page.wait_for_selector("#report-rows")


def build_app(workdir: Path, lang: str):
    from flask_migrate import upgrade

    from safety import create_app
    from safety.config import sqlite_url
    from safety.extensions import db
    from safety.seed import seed_console_demo, seed_demo

    app = create_app(env={"SAFETY_ENV": "testing", "SAFETY_INSTANCE_PATH": str(workdir),
                          "DATABASE_URL": sqlite_url(workdir / "console.db")},
                     config={"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024})
    with app.app_context():
        upgrade()
        seed_demo()
        seed_console_demo()
        from safety.accounts.service import user_by_phone

        for phone in ("+77010000005", "+77010000001"):  # the operators read the pages in `lang`
            user_by_phone(phone).locale = lang
        from sqlalchemy import select

        from safety.monitoring.service import add_receiver
        from safety.orgs.models import Organization

        org_id = db.session.scalar(select(Organization.id).order_by(Organization.name).limit(1))
        add_receiver(user_by_phone("+77010000001"), org_id, {  # nothing listens: never sent
            "priority": 1, "label": "Kuzet monitoring (demo)", "host": "192.0.2.10",
            "port": 3061, "transport": "tcp", "account": "1234", "enabled": False})
        from safety.orgs.service import invite_member

        invite_member(user_by_phone("+77010000001"), org_id, "+77010000099", "responder")
        db.session.commit()
    return app


def alert_paths(app) -> dict[str, str]:
    from sqlalchemy import select

    from safety.accounts.models import User
    from safety.alerts.models import LIVE, Alert
    from safety.extensions import db
    from safety.seed import CONSOLE_WOMEN

    names = {"duress": CONSOLE_WOMEN[1][1], "en_route": CONSOLE_WOMEN[0][1],
             "unassigned": CONSOLE_WOMEN[2][1]}
    out = {}
    with app.app_context():
        for key, name in names.items():
            alert_id = db.session.scalar(
                select(Alert.id).join(User, User.id == Alert.user_id)
                .where(User.full_name == name, Alert.status.in_(LIVE)))
            out[key] = f"/console/alerts/{alert_id}"
        from safety.notify.models import MonitoringReceiver
        from safety.orgs.models import Organization

        org_id = db.session.scalar(select(Organization.id).order_by(Organization.name).limit(1))
        out["org"] = f"/console/orgs/{org_id}"
        receiver_id = db.session.scalar(select(MonitoringReceiver.id).where(
            MonitoringReceiver.org_id == org_id))
        out["receiver"] = f"/console/orgs/{org_id}/receivers/{receiver_id}"
        from safety.registry.models import RegistryEntry
        from safety.seed import REGISTRY_DEMO

        entry_id = db.session.scalar(select(RegistryEntry.id).where(
            RegistryEntry.iin == REGISTRY_DEMO[0]["iin"]))
        out["registry_entry"] = f"/console/registry/entries/{entry_id}"
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "console"))
    parser.add_argument("--lang", default="en", choices=("en", "ru", "kk"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("needs Debian's chromium (scripts/install-system.sh test installs it)")
        return 2
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from safety.seed import DEMO_PASSWORD

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="safety-shots-"))
    app = build_app(workdir, args.lang)
    paths = alert_paths(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    foreign: list[str] = []
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            for phone, pages in (("+77010000005", PAGES_AS_DISPATCHER),
                                 ("+77010000001", PAGES_AS_ADMIN)):
                context = browser.new_context(viewport={"width": 1400, "height": 900},
                                              locale=args.lang)
                page = context.new_page()

                def route(r):
                    if r.request.url.startswith(base + "/") or \
                            r.request.url.startswith("data:"):
                        r.continue_()
                    else:
                        foreign.append(r.request.url)
                        r.abort()

                page.route("**/*", route)
                page.goto(f"{base}/console/login?lang={args.lang}")
                if phone == "+77010000005":
                    page.screenshot(path=str(out / "login.png"))
                    written.append("login.png")
                page.fill('input[name="phone"]', phone)
                page.fill('input[name="password"]', DEMO_PASSWORD)
                page.click('button[type="submit"]')
                page.wait_for_url(base + "/console/")
                for name, path, marker in pages:
                    page.goto(base + path.format(**paths))
                    page.wait_for_selector(marker)
                    before_shot(page, name)
                    page.wait_for_timeout(600)  # the map settles
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    written.append(f"{name}.png")
                if phone == "+77010000001":  # page 7: an import and its report
                    upload = workdir / "places.geojson"
                    upload.write_text(json.dumps(IMPORT), encoding="utf-8")
                    page.goto(base + "/console/help")
                    page.set_input_files("#import-file", str(upload))
                    page.click("#import")
                    page.wait_for_selector("#import-report")
                    page.wait_for_timeout(600)
                    page.screenshot(path=str(out / "help-import.png"), full_page=True)
                    written.append("help-import.png")
                context.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    if foreign:
        print("requests that tried to leave the server:", *foreign, sep="\n  ")
        return 1
    print(f"wrote {len(written)} screenshots to {out}: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
