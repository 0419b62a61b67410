"""The operations console, server side (both backends): login with the API's rules, the cookie
session and its CSRF, every page and action as the wrong role and the wrong organisation, what
each desk sees of an alert, the actions and their audit, statistics and their CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from safety.extensions import db, limiter

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

@pytest.fixture
def other_org(admin, make_person, add_member, create_org, on_duty, almaty_box):
    """A second security company covering Almaty too, with its admin and one responder on
    duty 700 m north of Almaty."""
    org = create_org(admin, name="Other Security", coverage=almaty_box)
    boss = make_person(name="Other Boss")
    add_member(admin, org["id"], boss, "org_admin")
    responder = make_person(name="Other Responder")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 700)
    return type("Other", (), {"org": org, "admin": boss, "responder": responder})


@pytest.fixture
def far_org(admin, make_person, add_member, create_org, astana_box):
    """A company in Astana: Almaty is outside its area."""
    org = create_org(admin, name="Astana Kuzet", coverage=astana_box)
    boss = make_person(name="Astana Boss")
    add_member(admin, org["id"], boss, "org_admin")
    return type("Far", (), {"org": org, "admin": boss})


def _alert_id(response) -> str:
    return response.get_json()["id"]


def _offers(person) -> list[dict]:
    return person.get("/api/v1/responder/offers").get_json()["items"]


# -- logging in -------------------------------------------------------------------------------


def test_login_opens_a_session_for_operators_only(app, world, make_person, add_member,
                                                  console_session):
    limiter.reset()  # the fixtures logged everyone in through the API
    for person in (world.org_admin, world.admin):
        s = console_session()
        r = s.login(person.phone, person.password)
        assert r.status_code == 303 and r.headers["Location"] == "/console/"
        assert s.cookie() and "HttpOnly" in r.headers["Set-Cookie"]
        assert "Path=/console/" in r.headers["Set-Cookie"]
    for person in (world.user, world.responders["r500"]):
        s = console_session()
        r = s.login(person.phone, person.password)
        assert r.status_code == 403 and s.cookie() is None
        assert "platform administrators" in r.get_data(as_text=True)


def test_login_refuses_a_wrong_password_and_shares_the_api_lock(app, world, client,
                                                                console_session):
    limiter.reset()
    phone = world.org_admin.phone
    for _ in range(app.config["ACCOUNT_LOGIN_MAX_FAILURES"]):
        s = console_session()
        assert s.login(phone, "wrong password").status_code == 401
    limiter.reset()  # the per-address limit aside: the per-account lock holds
    s = console_session()
    r = s.login(phone, world.org_admin.password)
    assert r.status_code == 429 and "Retry-After" in r.headers and s.cookie() is None
    api = client.post("/api/v1/auth/login", json={"phone": phone,
                                                   "password": world.org_admin.password})
    assert api.status_code == 429


def test_login_shares_the_per_address_limit_with_the_api(app, client, world, console_session):
    limiter.reset()
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit - 1):
        client.post("/api/v1/auth/login", json={"phone": "+77019999999", "password": "x" * 8})
    s = console_session()
    assert s.login("+77019999999", "x" * 8).status_code == 401  # the last one allowed
    r = s.login(world.admin.phone, world.admin.password)
    assert r.status_code == 429 and s.cookie() is None
    assert "Too many login attempts" in r.get_data(as_text=True)


def test_login_form_needs_its_csrf_value(app, world, console_session):
    s = console_session()
    s.client.get("/console/login")
    r = s.client.post("/console/login", data={"csrf_token": "forged", "phone": world.admin.phone,
                                              "password": world.admin.password})
    assert r.status_code == 400 and s.cookie() is None
    fresh = app.test_client()  # no form cookie at all
    r = fresh.post("/console/login", data={"phone": world.admin.phone,
                                           "password": world.admin.password})
    assert r.status_code == 400


def test_login_with_a_malformed_phone_is_a_clear_422(app, console_session):
    s = console_session()
    r = s.login("not a phone", "whatever")
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)


def test_login_goes_back_to_the_page_asked_for_and_never_elsewhere(app, world, console_session):
    limiter.reset()
    s = console_session()
    r = s.client.get("/console/stats")
    assert r.status_code == 303 and r.headers["Location"].endswith("next=/console/stats")
    page = s.client.get("/console/login?next=/console/stats").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    r = s.client.post("/console/login", data={"csrf_token": token, "phone": world.admin.phone,
                                              "password": world.admin.password,
                                              "next": "/console/stats"})
    assert r.headers["Location"] == "/console/stats"
    for evil in ("https://evil.example/console/", "//evil.example/console/", "/api/v1/me",
                 "/console\\..\\x"):
        s2 = console_session()
        page = s2.client.get("/console/login").get_data(as_text=True)
        r = s2.client.post("/console/login", data={
            "csrf_token": CSRF.search(page).group(1), "phone": world.admin.phone,
            "password": world.admin.password, "next": evil})
        assert r.headers["Location"] == "/console/", evil


# -- the session -------------------------------------------------------------------------------

PAGES = ["/console/", "/console/board/live", "/console/responders", "/console/stats",
         "/console/stats.csv"]


def test_pages_need_a_session(app, client):
    for path in PAGES + [f"/console/alerts/{uuid.uuid4()}"]:
        r = client.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"], path
        r = client.get(path, headers={"HX-Request": "true"})
        assert r.status_code == 401 and r.headers["HX-Redirect"] == "/console/login", path


def test_a_token_from_the_api_does_not_open_the_console(app, world, console_session):
    s = console_session()
    s.client.set_cookie("safety_console", world.admin.access, path="/console/")
    assert s.client.get("/console/").status_code == 303
    r = s.client.get("/console/", headers=world.admin.headers)
    assert r.status_code == 303


def _forged_session(app, person, console_session):
    """A console cookie made on the server for `person`, whatever their roles: what the page
    checks do when someone without the role holds a session."""
    from safety.accounts import service as accounts
    from safety.accounts.models import User
    from safety.console import sessions

    with app.app_context():
        user = db.session.get(User, person.id)
        session = accounts.start_session(user, timedelta(hours=1))
        token = sessions.issue_token(user, session.id)
        db.session.commit()
    s = console_session()
    s.client.set_cookie("safety_console", token, path="/console/")
    from flask_jwt_extended import decode_token

    with app.app_context():
        s.csrf = decode_token(token)["csrf"]
    return s


ACTIONS = ["assign", "reoffer", "false-alarm", "notes"]


def test_every_page_and_action_refuses_a_session_without_the_role(app, world, panic,
                                                                 console_session):
    alert = _alert_id(panic(world.user))
    r500 = world.responders["r500"]
    for person in (world.user, r500):
        s = _forged_session(app, person, console_session)
        for path in PAGES + [f"/console/alerts/{alert}", f"/console/alerts/{alert}/live",
                             f"/console/responders/{r500.id}"]:
            r = s.get(path)
            assert r.status_code == 303 and "/console/login" in r.headers["Location"], path
        for action in ACTIONS:
            r = s.post(f"/console/alerts/{alert}/{action}",
                       {"responder_id": str(r500.id), "reason": "x", "text": "x"})
            assert r.status_code == 401, action
        assert s.post("/console/language", {"locale": "kk"}).status_code == 401
    with app.app_context():
        from safety.audit import AuditEvent

        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "alert")).all() == []


def test_an_org_admin_removed_from_his_org_loses_the_console_at_once(app, world, console):
    s = console(world.org_admin)
    assert s.get("/console/").status_code == 200
    r = world.admin.delete(f"/api/v1/orgs/{world.org['id']}/members/{world.org_admin.id}")
    assert r.status_code == 204
    r = s.get("/console/")
    assert r.status_code == 303 and "/console/login" in r.headers["Location"]


def test_logout_ends_the_session_and_needs_csrf(app, world, console, console_session):
    s = console(world.org_admin)
    cookie = s.cookie()
    assert s.post("/console/logout", csrf=False, htmx=False).status_code == 403
    assert s.get("/console/").status_code == 200
    r = s.post("/console/logout", htmx=False)
    assert r.status_code == 303 and r.headers["Location"] == "/console/login"
    assert s.cookie() is None
    replay = console_session()
    replay.client.set_cookie("safety_console", cookie, path="/console/")
    assert replay.client.get("/console/").status_code == 303


def test_the_session_ends_after_its_hours_whatever_the_use(app, world, console, clock):
    s = console(world.org_admin)
    clock.advance(app.config["CONSOLE_SESSION_HOURS"] * 3600 - 60)
    assert s.get("/console/").status_code == 200
    clock.advance(120)
    assert s.get("/console/").status_code == 303


def test_an_idle_session_expires_and_a_used_one_is_renewed_with_the_same_csrf(app, world,
                                                                              console_session):
    from flask_jwt_extended import create_access_token, decode_token

    from safety.accounts import service as accounts
    from safety.accounts.models import User

    with app.app_context():
        user = db.session.get(User, world.org_admin.id)
        session = accounts.start_session(user, timedelta(hours=1))
        claims = {"sid": str(session.id), "console": True, "csrf": "fixed-csrf"}
        expired = create_access_token(identity=user, additional_claims=claims,
                                      expires_delta=timedelta(seconds=-5))
        old = create_access_token(identity=user, additional_claims=claims,
                                  expires_delta=timedelta(minutes=2))
        db.session.commit()
    s = console_session()
    s.client.set_cookie("safety_console", expired, path="/console/")
    assert s.client.get("/console/").status_code == 303
    s.client.set_cookie("safety_console", old, path="/console/")
    r = s.client.get("/console/")
    assert r.status_code == 200 and "safety_console=" in r.headers.get("Set-Cookie", "")
    renewed = s.cookie()
    assert renewed != old
    with app.app_context():
        decoded = decode_token(renewed)
        assert decoded["csrf"] == "fixed-csrf" and decoded["sid"] == str(session.id)
        assert decoded["exp"] - decoded["iat"] == app.config["CONSOLE_IDLE_MINUTES"] * 60


def test_a_new_password_ends_console_sessions(app, world, console):
    s = console(world.org_admin)
    r = world.org_admin.patch("/api/v1/me", json={
        "current_password": world.org_admin.password, "password": "another good password"})
    assert r.status_code == 200
    assert s.get("/console/").status_code == 303


def test_pages_carry_a_strict_policy_and_load_nothing_from_elsewhere(app, world, console,
                                                                     panic):
    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    for path in PAGES[:4] + [f"/console/alerts/{alert}", "/console/login"]:
        r = s.get(path) if path != "/console/login" else app.test_client().get(path)
        assert r.headers["Cache-Control"] == "no-store", path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        html = r.get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), path
        assert "<script>" not in html and " style=" not in html, path
    for asset in ("vendor/htmx/htmx.min.js", "vendor/leaflet-draw/leaflet.draw.js",
                  "vendor/leaflet/leaflet.js", "console/console.js", "console/alarm.wav"):
        r = s.client.get("/static/" + asset)
        assert r.status_code == 200, asset
        r.close()
    js = s.client.get("/static/vendor/htmx/htmx.min.js")
    assert b'version:"2.0.11"' in js.data
    js.close()


# -- CSRF on every action ----------------------------------------------------------------------


def test_every_action_refuses_a_missing_or_wrong_csrf_value(app, world, console, panic, jobs):
    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    page = s.get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert 'name="csrf_token" value=""' not in page  # its plain forms work without htmx
    r1500 = world.responders["r1500"]
    before = len(jobs(app))
    for action in ACTIONS:
        data = {"responder_id": str(r1500.id), "reason": "test", "text": "note"}
        assert s.post(f"/console/alerts/{alert}/{action}", data, csrf=False).status_code == 403
        data["csrf_token"] = "0" * 36
        r = s.client.post(f"/console/alerts/{alert}/{action}", data=data)
        assert r.status_code == 403, action
        r = s.client.post(f"/console/alerts/{alert}/{action}", data=data,
                          headers={"X-CSRF-TOKEN": "forged"})
        assert r.status_code == 403, action
    assert s.post("/console/language", {"locale": "kk"}, csrf=False).status_code == 403
    assert len(jobs(app)) == before
    with app.app_context():
        from safety.accounts.models import User
        from safety.audit import AuditEvent

        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "alert")).all() == []
        assert db.session.get(User, world.org_admin.id).locale == "en"  # unchanged
    # the header form (htmx) works with the right value
    r = s.client.post(f"/console/alerts/{alert}/notes", data={"text": "hello"},
                      headers={"X-CSRF-TOKEN": s.csrf, "HX-Request": "true"})
    assert r.status_code == 200


# -- who sees what -----------------------------------------------------------------------------


def test_the_board_shows_an_org_its_area_and_a_platform_admin_everything(
        app, world, console, panic, far_org, make_person):
    her = _alert_id(panic(world.user))
    astana_woman = make_person(name="Astana Woman")
    elsewhere = _alert_id(panic(astana_woman, lat=10.0, lon=10.0))
    mine = console(world.org_admin).get("/console/board/live").get_data(as_text=True)
    assert f"alert-{her}" in mine and f"alert-{elsewhere}" not in mine
    assert "Aigerim" not in mine  # nobody holds it yet: not who she is
    far = console(far_org.admin).get("/console/board/live").get_data(as_text=True)
    assert f"alert-{her}" not in far and f"alert-{elsewhere}" not in far
    everything = console(world.admin).get("/console/board/live").get_data(as_text=True)
    assert f"alert-{her}" in everything and f"alert-{elsewhere}" in everything
    assert "Aigerim" not in everything
    assert "r500" in mine and "r500" not in far  # responders on duty, of one's own org


def test_another_orgs_dispatch_is_invisible_to_every_page_and_action(
        app, world, console, panic, other_org):
    alert = _alert_id(panic(world.user))
    r500 = world.responders["r500"]
    did = _offers(r500)[0]["dispatch_id"]
    assert r500.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    s = console(other_org.admin)
    assert f"alert-{alert}" not in s.get("/console/board/live").get_data(as_text=True)
    for path in (f"/console/alerts/{alert}", f"/console/alerts/{alert}/live",
                 f"/console/responders/{r500.id}"):
        assert s.get(path).status_code == 404, path
    for action in ACTIONS:
        r = s.post(f"/console/alerts/{alert}/{action}",
                   {"responder_id": str(other_org.responder.id), "reason": "x", "text": "x"})
        assert r.status_code == 404, action
    r = s.get(f"/console/stats?org={world.org['id']}")
    assert r.status_code == 404
    assert "r500" not in s.get("/console/responders").get_data(as_text=True)


def test_an_alert_outside_the_area_is_invisible(app, world, console, panic, far_org):
    alert = _alert_id(panic(world.user))
    s = console(far_org.admin)
    for path in (f"/console/alerts/{alert}", f"/console/alerts/{alert}/live"):
        assert s.get(path).status_code == 404
    for action in ACTIONS:
        r = s.post(f"/console/alerts/{alert}/{action}",
                   {"responder_id": str(world.responders["r500"].id), "reason": "x",
                    "text": "x"})
        assert r.status_code == 404, action
    assert s.get(f"/console/alerts/{uuid.uuid4()}").status_code == 404
    assert s.get("/console/alerts/not-a-uuid").status_code == 404


def test_her_name_and_phone_only_for_the_org_holding_the_dispatch(
        app, world, console, panic, other_org):
    alert = _alert_id(panic(world.user))
    area = console(other_org.admin).get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert "Aigerim" not in area and world.user.phone not in area
    r500 = world.responders["r500"]
    did = _offers(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    holder = console(world.org_admin).get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert "Aigerim" in holder and world.user.phone in holder
    admin = console(world.admin).get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert "Aigerim" not in admin and world.user.phone not in admin
    board = console(world.org_admin).get("/console/board/live").get_data(as_text=True)
    assert "Aigerim" in board and "r500" in board


def test_a_duress_alert_shows_unmistakably_hides_her_phone_and_cannot_be_closed(
        app, world, console, panic, jobs):
    alert = _alert_id(panic(world.user))
    r500 = world.responders["r500"]
    did = _offers(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    r = world.user.post(f"/api/v1/alerts/{alert}/cancel", json={"pin": "9999"})
    assert r.status_code == 200
    s = console(world.org_admin)
    board = s.get("/console/board/live").get_data(as_text=True)
    assert 'data-duress="1"' in board and "DURESS" in board
    page = s.get(f"/console/alerts/{alert}")
    html = page.get_data(as_text=True)
    assert 'id="duress-banner"' in html and "Do not call or text her phone" in html
    assert "Aigerim" in html and world.user.phone not in html
    assert 'id="false-alarm"' not in html
    r = s.post(f"/console/alerts/{alert}/false-alarm", {"reason": "she says it is fine"})
    assert r.status_code == 409 and "duress" in r.get_data(as_text=True)
    admin = console(world.admin)
    admin.get(f"/console/alerts/{alert}")
    r = admin.post(f"/console/alerts/{alert}/false-alarm", {"reason": "she says it is fine"})
    assert r.status_code == 409
    assert world.user.get(f"/api/v1/alerts/{alert}").get_json()["status"] == "canceled"
    with app.app_context():
        from safety.alerts.models import Alert

        assert db.session.get(Alert, uuid.UUID(alert)).live


# -- actions -----------------------------------------------------------------------------------


def test_assign_makes_an_offer_the_responder_accepts_through_the_api(
        app, world, console, panic, jobs):
    alert = _alert_id(panic(world.user))
    r9000 = world.responders["r9000"]  # not in the first round (the 3 nearest are)
    assert _offers(r9000) == []
    s = console(world.org_admin)
    page = s.get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert f'value="{r9000.id}"' in page
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": str(r9000.id)})
    assert r.status_code == 200 and 'id="action-message"' in r.get_data(as_text=True)
    (offer,) = _offers(r9000)
    assert offer["alert_id"] == alert
    assert len(jobs(app, kind="dispatch_offer", recipient_user_id=r9000.id)) == 1
    r = r9000.post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept")
    assert r.status_code == 200
    live = s.get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    assert 'data-dispatch="accepted"' in live and "Accepted by r9000" in live
    assert "Org Admin offered it to r9000" in live
    with app.app_context():
        from safety.audit import AuditEvent

        (event,) = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "dispatch.assigned")).all()
        assert event.actor_id == world.org_admin.id and event.object_id == alert


def test_a_responder_of_two_partners_is_listed_once(world, console, panic, create_org,
                                                   add_member):
    """The platform desk offers from every active partner: a responder of two is one choice
    (SQLite yielded him once per partner when membership was an EXISTS)."""
    second = create_org(world.admin, name="Second Shield")
    r9000 = world.responders["r9000"]
    add_member(world.admin, second["id"], r9000, "responder")
    alert = _alert_id(panic(world.user))
    page = console(world.admin).get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert page.count(f'value="{r9000.id}"') == 1


def test_assign_refuses_another_orgs_responder_and_a_busy_one(
        app, world, console, panic, other_org, jobs):
    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    page = s.get(f"/console/alerts/{alert}").get_data(as_text=True)
    assert str(other_org.responder.id) not in page
    before = len(jobs(app))
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": str(other_org.responder.id)})
    assert r.status_code == 422 and 'id="action-error"' in r.get_data(as_text=True)
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": "not-a-uuid"})
    assert r.status_code == 422
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": str(world.user.id)})
    assert r.status_code == 422
    assert len(jobs(app)) == before
    r500 = world.responders["r500"]
    r500.post(f"/api/v1/dispatches/{_offers(r500)[0]['dispatch_id']}/accept")
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": str(r500.id)})
    assert r.status_code == 409  # accepted: nothing waits for a responder any more


def test_an_org_in_the_area_assigns_its_own_responder_but_cannot_close_the_alert(
        app, world, console, panic, other_org):
    alert = _alert_id(panic(world.user))
    s = console(other_org.admin)
    s.get(f"/console/alerts/{alert}")
    mine = other_org.responder
    opened = [o for o in _offers(mine) if o["alert_id"] == alert]
    if opened:  # already offered in the first round: decline it, then ask again by hand
        mine.post(f"/api/v1/dispatches/{opened[0]['dispatch_id']}/decline", json={})
    r = s.post(f"/console/alerts/{alert}/assign", {"responder_id": str(mine.id)})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert [o for o in _offers(mine) if o["alert_id"] == alert]
    r = s.post(f"/console/alerts/{alert}/false-alarm", {"reason": "not ours"})
    assert r.status_code == 403
    assert world.user.get(f"/api/v1/alerts/{alert}").get_json()["status"] == "active"


def test_reoffer_asks_a_responder_who_came_on_duty_after_nobody_could(
        app, world, console, panic, make_person, add_member, on_duty):
    for p in world.responders.values():
        p.put("/api/v1/responder/duty", json={"on_duty": False})
    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    board = s.get("/console/board/live").get_data(as_text=True)
    assert 'data-dispatch="unassigned"' in board and "UNASSIGNED" in board
    assert 'class="alert-row attention' in board or "attention" in board
    late = make_person(name="Late Responder")
    add_member(world.admin, world.org["id"], late, "responder")
    on_duty(late, 300)
    s.get(f"/console/alerts/{alert}")
    r = s.post(f"/console/alerts/{alert}/reoffer")
    assert r.status_code == 200
    assert [o for o in _offers(late) if o["alert_id"] == alert]
    r = s.post(f"/console/alerts/{alert}/reoffer")
    assert r.status_code == 200  # nobody new: stays offering/unassigned, no error
    with app.app_context():
        from safety.audit import AuditEvent

        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "dispatch.reoffered")).all()) == 2


def test_false_alarm_by_the_holder_ends_the_alert_and_stands_the_responder_down(
        app, world, console, panic, jobs, make_guardian, make_person, register_device):
    mother = make_person(name="Mother")
    make_guardian(world.user, mother)
    register_device(mother, "tok-mother")
    alert = _alert_id(panic(world.user))
    r500 = world.responders["r500"]
    r500.post(f"/api/v1/dispatches/{_offers(r500)[0]['dispatch_id']}/accept")
    s = console(world.org_admin)
    s.get(f"/console/alerts/{alert}")
    assert s.post(f"/console/alerts/{alert}/false-alarm", {"reason": "  "}).status_code == 422
    assert s.post(f"/console/alerts/{alert}/false-alarm",
                  {"reason": "x" * 501}).status_code == 422
    r = s.post(f"/console/alerts/{alert}/false-alarm",
               {"reason": "She called back: pocket press"})
    assert r.status_code == 200
    assert world.user.get(f"/api/v1/alerts/{alert}").get_json()["status"] == "resolved"
    assert jobs(app, kind="dispatch_false_alarm", recipient_user_id=r500.id)
    assert jobs(app, kind="alert_resolved", recipient_user_id=mother.id)
    live = s.get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    assert "closed it as a false alarm" in live and "pocket press" in live
    r = s.post(f"/console/alerts/{alert}/false-alarm", {"reason": "again"})
    assert r.status_code == 409


def test_notes_are_seen_by_their_org_and_platform_admins_only(
        app, world, console, panic, other_org):
    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    s.get(f"/console/alerts/{alert}")
    assert s.post(f"/console/alerts/{alert}/notes", {"text": ""}).status_code == 422
    assert s.post(f"/console/alerts/{alert}/notes", {"text": "x" * 1001}).status_code == 422
    assert s.post(f"/console/alerts/{alert}/notes",
                  {"text": "Police called, patrol 12"}).status_code == 200
    assert "Police called" in s.get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    other = console(other_org.admin).get(f"/console/alerts/{alert}/live")
    assert other.status_code == 200 and "Police called" not in other.get_data(as_text=True)
    admin = console(world.admin).get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    assert "Police called" in admin and "Note by Org Admin" in admin


def test_the_timeline_tells_the_story_with_delivery_states(
        app, world, console, panic, drain, make_guardian, make_person, register_device):
    mother = make_person(name="Mother")
    make_guardian(world.user, mother)
    register_device(mother, "tok-mother")
    world.user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    alert = _alert_id(panic(world.user))
    drain(app)
    holder_view = console(world.org_admin)
    r500 = world.responders["r500"]
    r500.post(f"/api/v1/dispatches/{_offers(r500)[0]['dispatch_id']}/accept")
    html = holder_view.get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    assert "Alert raised" in html and "Offered to r500" in html and "Accepted by r500" in html
    assert "Push (alarm) to a guardian" in html and "Mother" not in html
    assert "SMS with her tracking link to an SMS contact" in html and "+77015550123" not in html
    assert 'state-sent' in html
    admin = console(world.admin).get(f"/console/alerts/{alert}/live").get_data(as_text=True)
    assert "Push (alarm) to Mother" in admin and "***0123" in admin


def test_escalated_alerts_stand_out_on_the_board(app, world, console, panic, drain, clock):
    for p in world.responders.values():
        p.put("/api/v1/responder/duty", json={"on_duty": False})
    alert = _alert_id(panic(world.user))
    clock.advance(app.config["ESCALATE_AFTER_S"] + 1)
    drain(app)
    board = console(world.org_admin).get("/console/board/live").get_data(as_text=True)
    assert "ESCALATED" in board and f'id="alert-{alert}"' in board
    assert 'id="attention-count"' in board


# -- language ----------------------------------------------------------------------------------


def test_the_language_is_the_operators_and_is_remembered(app, world, console):
    s = console(world.org_admin)
    assert '<html lang="en">' in s.get("/console/").get_data(as_text=True)  # make_person: en
    r = s.post("/console/language", {"locale": "ru", "next": "/console/stats"}, htmx=False)
    assert r.status_code == 303 and r.headers["Location"] == "/console/stats"
    assert '<html lang="ru">' in s.get("/console/").get_data(as_text=True)
    assert world.org_admin.get("/api/v1/me").get_json()["locale"] == "ru"
    again = console(world.org_admin)
    assert '<html lang="ru">' in again.get("/console/").get_data(as_text=True)
    r = s.post("/console/language", {"locale": "xx"}, htmx=False)
    assert r.status_code == 422
    r = s.post("/console/language", {"locale": "en", "next": "https://evil.example/"},
               htmx=False)
    assert r.headers["Location"] == "/console/"


def test_the_login_page_speaks_the_language_asked_for(app):
    client = app.test_client()
    assert '<html lang="ru">' in client.get("/console/login?lang=ru").get_data(as_text=True)
    assert '<html lang="ru">' in client.get("/console/login").get_data(as_text=True)  # kept
    other = app.test_client()
    r = other.get("/console/login", headers={"Accept-Language": "kk-KZ,kk;q=0.9"})
    assert '<html lang="kk">' in r.get_data(as_text=True)


# -- responders and statistics -----------------------------------------------------------------


def test_responders_page_lists_the_orgs_responders_with_duty_and_history(
        app, world, console, panic, other_org):
    alert = _alert_id(panic(world.user))
    r500 = world.responders["r500"]
    r500.post(f"/api/v1/dispatches/{_offers(r500)[0]['dispatch_id']}/accept")
    s = console(world.org_admin)
    html = s.get("/console/responders").get_data(as_text=True)
    for name in ("r500", "r1500", "r3000", "r9000"):
        assert name in html
    assert "Other Responder" not in html
    assert f"/console/alerts/{alert}" in html  # r500's current dispatch, which his org holds
    detail = s.get(f"/console/responders/{r500.id}").get_data(as_text=True)
    assert "Kuzet Security" in detail and f"/console/alerts/{alert}" in detail
    assert s.get(f"/console/responders/{other_org.responder.id}").status_code == 404
    assert s.get(f"/console/responders/{uuid.uuid4()}").status_code == 404
    everyone = console(world.admin).get("/console/responders").get_data(as_text=True)
    assert "Other Responder" in everyone and "r500" in everyone


def _accept_after(app, clock, responder, person, panic, seconds: float) -> str:
    alert = _alert_id(panic(person))
    clock.advance(seconds)
    (offer,) = [o for o in _offers(responder) if o["alert_id"] == alert]
    assert responder.post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept").status_code == 200
    responder.post(f"/api/v1/dispatches/{offer['dispatch_id']}/status",
                   json={"status": "resolved"})
    return alert


def test_statistics_give_the_yardsticks_per_day_and_per_responder_and_a_csv(
        app, world, console, panic, clock, make_person):
    r500 = world.responders["r500"]
    women = [make_person(name=f"W{i}") for i in range(3)]
    for woman, seconds in zip(women, (4, 20, 60), strict=True):
        _accept_after(app, clock, r500, woman, panic, seconds)
    s = console(world.org_admin)
    html = s.get("/console/stats?days=7").get_data(as_text=True)
    assert 'id="kpi-dispatches">3<' in html
    assert re.search(r'id="kpi-median">20\.\d s<', html)  # 20 s, and the test's own time
    assert 'id="kpi-10">33%<' in html and 'id="kpi-40">67%<' in html
    assert "<svg" in html and 'class="ref"' in html
    r = s.get("/console/stats.csv?days=7")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][0] == "day" and rows[-1][0] == "total" and rows[-1][1] == "3"
    assert rows[-1][4].startswith("20.") and rows[-1][6] == "0.333"
    r = s.get("/console/stats.csv?days=7&what=responders")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["r500"][1:3] == ["3", "3"] and by_name["r1500"][1:3] == ["3", "0"]
    assert s.get("/console/stats?org=not-a-uuid").status_code == 404
    assert s.get("/console/stats?days=abc").status_code == 200


def test_the_csv_does_not_let_a_name_run_as_a_formula(app, admin, make_person, add_member,
                                                      create_org, on_duty, console, panic,
                                                      clock, user):
    org = create_org(admin)
    boss = make_person(name="Boss")
    add_member(admin, org["id"], boss, "org_admin")
    evil = make_person(name="=HYPERLINK(\"http://evil.example\")")
    add_member(admin, org["id"], evil, "responder")
    on_duty(evil, 100)
    _accept_after(app, clock, evil, user, panic, 3)
    body = console(boss).get("/console/stats.csv?what=responders").get_data(as_text=True)
    assert "\n'=HYPERLINK" in body.replace('"', "") or "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body


# -- the demo ----------------------------------------------------------------------------------


def test_the_console_demo_is_interesting_at_once_and_leaves_the_readme_story_alone(
        app, client, console_session):
    from safety.seed import CONSOLE_WOMEN, DEMO_PASSWORD, RESPONDERS

    runner = app.test_cli_runner()
    out = runner.invoke(args=["safety", "seed-demo", "--console"])
    assert out.exit_code == 0 and "/console/" in out.output, out.output
    again = runner.invoke(args=["safety", "seed-demo", "--console"])
    assert again.exit_code == 0 and "already seeded" in again.output
    desk = console_session("+77010000005", DEMO_PASSWORD)
    board = desk.get("/console/board/live").get_data(as_text=True)
    assert board.count('class="alert-row') == len(CONSOLE_WOMEN)
    # the demo's dispatcher reads Russian (seed.py gives each demo account its own language)
    assert board.count('data-duress="1"') == 1 and "НЕ НАЗНАЧЕНА" in board
    assert "Madina Demo" in board and "Aliya Demo" not in board  # nobody holds hers
    stats = desk.get("/console/stats").get_data(as_text=True)
    assert int(re.search(r'id="kpi-dispatches">(\d+)<', stats).group(1)) > 20
    admin = console_session("+77010000001", DEMO_PASSWORD)
    assert admin.get("/console/board/live").get_data(as_text=True).count('class="alert-row') == 3
    tokens = client.post("/api/v1/auth/login", json={"phone": "+77010000002",
                                                      "password": DEMO_PASSWORD}).get_json()
    r = client.post("/api/v1/alerts", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                    json={"client_id": str(uuid.uuid4()), "trigger": "button",
                          "location": {"lat": 43.25, "lon": 76.92}})
    assert r.status_code == 201 and r.get_json()["dispatch"]["status"] == "offering"
    with app.app_context():
        from safety.accounts.models import User
        from safety.dispatch.models import Dispatch, DispatchOffer

        offered = db.session.scalars(
            select(User.phone).join(DispatchOffer, DispatchOffer.responder_id == User.id)
            .join(Dispatch, Dispatch.id == DispatchOffer.dispatch_id)
            .where(Dispatch.alert_id == uuid.UUID(r.get_json()["id"]))).all()
        assert offered and set(offered) <= {phone for phone, _n, _s in RESPONDERS}


def test_pages_are_read_while_a_panic_holds_the_write_lock(app, world, console, panic):
    """A console page never waits for a writer, and so never makes one wait: on SQLite its
    transaction is a deferred WAL reader (every other transaction takes the write lock at
    BEGIN); on PostgreSQL reads never wait for row locks."""
    import threading
    import time

    from sqlalchemy import text

    alert = _alert_id(panic(world.user))
    s = console(world.org_admin)
    holding, release = threading.Event(), threading.Event()

    def writer():
        with app.app_context():
            with db.engine.connect() as conn:
                # SQLite: the app's transactions begin IMMEDIATE (the write lock), as a
                # panic's request does; PostgreSQL: her alert's row locked, as a cancel does
                conn.execute(text("SELECT id FROM alerts FOR UPDATE")
                             if db.engine.dialect.name == "postgresql" else text("SELECT 1"))
                holding.set()
                release.wait(10)
                conn.rollback()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        for path in ("/console/", "/console/board/live", f"/console/alerts/{alert}",
                     "/console/responders", "/console/stats"):
            started = time.monotonic()
            assert s.get(path).status_code == 200, path
            assert time.monotonic() - started < 3, path  # not busy_timeout's 30 s
    finally:
        release.set()
        thread.join()


def test_an_operators_own_alert_never_shows_at_her_desk(app, world, console, panic, make_person,
                                                        add_member):
    """A dispatcher in danger herself: after her duress cancel, her own console must not tell
    whoever reads her screen that the alert goes on."""
    she = make_person(name="Dispatcher Dina", pin="1234", duress_pin="9999")
    add_member(world.admin, world.org["id"], she, "org_admin")
    alert = _alert_id(panic(she))
    assert she.post(f"/api/v1/alerts/{alert}/cancel", json={"pin": "9999"}).status_code == 200
    s = console(she)
    board = s.get("/console/board/live").get_data(as_text=True)
    assert f"alert-{alert}" not in board and "DURESS" not in board
    assert s.get(f"/console/alerts/{alert}").status_code == 404
    assert s.get(f"/console/alerts/{alert}/live").status_code == 404
    assert f"alert-{alert}" in console(world.org_admin).get("/console/board/live").get_data(
        as_text=True)
