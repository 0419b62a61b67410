"""Location ingest and the reads that follow it, against the bare insert in the same run.

    SAFETY_BENCH_POSTGRES_URL=postgresql://... python -m bench.ingest_bench [--requests 2000]

The world of bench/panic_bench.py (an Almaty partner organisation with 50 on-duty responders,
one guardian shared by every woman), with ALERTS live alerts raised beforehand and each of
the first 50 held by one responder (accepted). Then, one after another, each driven by the
same client (8 threads) against gunicorn (2 sync workers), the outbox worker running:

- the bare insert (bench/bare_app.py), the floor;
- her phone's trail points during an alert: `POST /api/v1/alerts/<id>/locations`, one point;
- a responder's position on duty: `POST /api/v1/responder/location`;
- a responder's position on the way to her: `POST /api/v1/responder/dispatches/<id>/location`
  (RESPONDER_POSITION_MIN_INTERVAL_S set to 0 for the bench: the floor between two positions
  of one dispatch would refuse most of them);
- a guardian polling her trail: `GET /api/v1/alerts/<id>/locations?since=...`;
- a dispatcher's board: the console's live fragment (`GET /console/board/live`) and the API's
  list of the organisation's dispatches (`GET /api/v1/orgs/<id>/dispatches`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import uuid
from datetime import timedelta

import requests
from sqlalchemy import select, text, update

from bench.bare_app import create_table
from bench.common import bare_calls, bulk_users, drive, make_app, serve, stop
from bench.panic_bench import SECRET, _Admin, setup

PASSWORD = "bench-password-123"


def world(app, alerts: int):
    """Live alerts, the first 50 held by a responder each; tokens for her, the responders, the
    guardian; an org admin who signs in to the console."""
    from flask_jwt_extended import create_access_token

    from safety.accounts.models import AuthSession, User
    from safety.alerts import commands
    from safety.alerts.models import Alert
    from safety.dispatch.models import Dispatch
    from safety.extensions import db
    from safety.orgs import service as orgs
    from safety.orgs.models import Organization
    from safety.passwords import hash_secret
    from safety.util import utcnow

    women = setup(app, alerts)  # tokens, and the world they live in

    def token(user_id) -> str:
        sid = uuid.uuid4()
        db.session.add(AuthSession(id=sid, user_id=user_id, created_at=utcnow(),
                                   expires_at=utcnow() + timedelta(days=1)))
        return create_access_token(identity=str(user_id), additional_claims={"sid": str(sid)},
                                   expires_delta=timedelta(hours=2))

    with app.test_request_context():
        org = db.session.scalar(select(Organization))
        ids = []
        for k, user in enumerate(db.session.scalars(
                select(User).where(User.phone.like("+7705%")).order_by(User.phone))):
            alert, _ = commands.raise_alert(user, {
                "client_id": uuid.uuid4(), "trigger": "button",
                "location": {"lat": 43.25 + (k % 100) / 10_000, "lon": 76.92}})
            db.session.commit()
            ids.append(alert.id)
        responders = list(db.session.scalars(
            select(User.id).where(User.phone.like("+7708%")).order_by(User.phone)))
        guardian = db.session.scalar(select(User.id).where(User.phone.like("+7707%")))
        held = []
        for rid, alert_id in zip(responders, ids, strict=False):
            dispatch_id = db.session.scalar(select(Dispatch.id).where(
                Dispatch.alert_id == alert_id))
            db.session.execute(update(Dispatch).where(Dispatch.id == dispatch_id).values(
                status="accepted", responder_id=rid, org_id=org.id, accepted_at=utcnow()))
            db.session.execute(update(Alert).where(Alert.id == alert_id).values(
                status="dispatched"))
            held.append(dispatch_id)
        admin_id = bulk_users(db.session.connection(), 1, hash_secret(PASSWORD),
                              prefix="+7702")[0]
        admin = db.session.get(User, admin_id)
        invitation = orgs.invite_member(_Admin(), org.id, admin.phone, "org_admin")
        orgs.respond_invitation(admin, invitation.id, accept=True)
        out = {"alerts": ids, "women": women, "org": org.id, "held": held,
               "responders": [token(r) for r in responders], "guardian": token(guardian),
               "org_admin": token(admin_id), "admin_phone": admin.phone}
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return out


def console_cookies(base: str, phone: str) -> dict:
    """The console's cookies after a login. They are Secure (production settings) and this is
    plain http on loopback: they are handed over explicitly."""
    page = requests.get(base + "/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = requests.post(base + "/console/login", data={"csrf_token": csrf, "phone": phone,
                                                     "password": PASSWORD},
                      cookies=page.cookies.get_dict(), allow_redirects=False)
    assert r.status_code == 303, (r.status_code, re.findall(r'class="error[^<]*<[^<]*', r.text),
                                  page.cookies.get_dict().keys())
    return r.cookies.get_dict()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    args = parser.parse_args()
    n = args.requests
    url = os.environ["SAFETY_BENCH_POSTGRES_URL"]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "SAFETY_ENV": "production",
           "RATELIMIT_ENABLED": "false", "SMS_LOG_PROVIDER": "false", "OFFER_TIMEOUT_S": "600",
           "PUBLIC_BASE_URL": "https://bench.example", "RESPONDER_POSITION_MIN_INTERVAL_S": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("postgresql", tmp)
        app.config["JWT_SECRET_KEY"] = SECRET
        w = world(app, args.alerts)
        create_table(url)
        alerts, held = w["alerts"], w["held"]
        point = {"lat": 43.2501, "lon": 76.9201, "accuracy_m": 8.0}
        trail = [("POST", f"/api/v1/alerts/{alerts[i % len(alerts)]}/locations",
                  {"points": [point]}, w["women"][i % len(alerts)], None) for i in range(n)]
        duty = [("POST", "/api/v1/responder/location", {"location": point},
                 w["responders"][i % len(w["responders"])], None) for i in range(n)]
        coming = [("POST", f"/api/v1/responder/dispatches/{held[i % len(held)]}/location",
                   {"location": point}, w["responders"][i % len(held)], None) for i in range(n)]
        since = "2000-01-01T00:00:00Z"
        polls = [("GET", f"/api/v1/alerts/{alerts[i % len(alerts)]}/locations?since={since}",
                  None, w["guardian"], None) for i in range(n)]
        org_list = [("GET", f"/api/v1/orgs/{w['org']}/dispatches?limit=50", None,
                     w["org_admin"], None) for _ in range(n // 4)]
        venv_bin = os.path.dirname(sys.executable)
        worker = subprocess.Popen(
            [os.path.join(venv_bin, "flask"), "--app", "wsgi", "safety", "worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs = {}
        try:
            server, base = serve("bench.bare_app:create_bare_app()", env, args.gunicorn_workers)
            try:
                runs["bare"] = drive(base, bare_calls(n), args.concurrency)
            finally:
                stop(server)
            server, base = serve("wsgi:app", env, args.gunicorn_workers)
            try:
                runs["trail"] = drive(base, trail, args.concurrency)
                runs["duty"] = drive(base, duty, args.concurrency)
                runs["coming"] = drive(base, coming, args.concurrency)
                runs["polls"] = drive(base, polls, args.concurrency)
                cookies = console_cookies(base, w["admin_phone"])
                board = [("GET", "/console/board/live", None, None, cookies)
                         for _ in range(n // 4)]
                runs["board"] = drive(base, board, args.concurrency)
                runs["org_list"] = drive(base, org_list, args.concurrency)
            finally:
                stop(server)
        finally:
            stop(worker)
        with app.app_context():
            from safety.extensions import db

            points = db.session.scalar(text("SELECT count(*) FROM alert_locations"))
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
    floor = runs["bare"]
    print(f"gunicorn ({args.gunicorn_workers} sync workers) + PostGIS, {args.concurrency} "
          f"client threads, one outbox worker running; {len(alerts)} live alerts, "
          f"{len(held)} held by a responder")
    print(floor.line("bare insert (bench/bare_app.py)") + f"  (non-201: {floor.bad((201,))})")
    writes = (("trail", "trail point POST alerts/<id>/locations", (202,)),
              ("duty", "on-duty position POST responder/location", (200,)),
              ("coming", "position on the way POST .../location", (200,)))
    for key, name, ok in writes:
        print(runs[key].line(name, "req/s", floor) + f"  (other answers: {runs[key].bad(ok)})")
    reads = (("polls", "guardian polls her trail GET", (200,)),
             ("board", "console board fragment GET", (200,)),
             ("org_list", "API org dispatches GET ?limit=50", (200,)))
    for key, name, ok in reads:
        print(runs[key].line(name, "req/s", floor) + f"  (other answers: {runs[key].bad(ok)})")
    print(f"  trail points stored: {points}")


if __name__ == "__main__":
    main()
