"""Page 3, organisations (both backends): list, create, edit, suspend, the coverage validated
as the API validates it (the same bodies give the same verdicts), members invited by phone and
removed; every page and action refused without a session, to an org admin, to her and a
responder, and without CSRF, with nothing stored or audited."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from safety.audit import AuditEvent
from safety.extensions import db
from safety.orgs.models import Organization, OrgInvitation, OrgMember
from tests.helpers import count_rows

BOX = {"type": "Polygon", "coordinates": [[
    [76.8, 43.2], [77.0, 43.2], [77.0, 43.3], [76.8, 43.3], [76.8, 43.2]]]}
TWO = {"type": "MultiPolygon", "coordinates": [BOX["coordinates"], [[
    [71.2, 51.0], [71.7, 51.0], [71.7, 51.3], [71.2, 51.3], [71.2, 51.0]]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[
    [76.8, 43.2], [77.0, 43.3], [77.0, 43.2], [76.8, 43.3], [76.8, 43.2]]]}


def _polygons(geometry: dict) -> list:
    """A stored area is answered as a MultiPolygon: its polygons."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def _form(**over) -> dict:
    form = {"name": "Sapa Kuzet", "kind": "security", "phone": "8 (727) 300-00-00",
            "status": "active", "coverage": json.dumps(BOX), "webhook_url": "",
            "webhook_secret": ""}
    form.update(over)
    return form


def _org(app, org_id) -> Organization:
    with app.app_context():
        org = db.session.get(Organization, uuid.UUID(str(org_id)))
        db.session.expunge(org)
        return org


def _audits(app, action=None) -> list[AuditEvent]:
    with app.app_context():
        stmt = select(AuditEvent).where(AuditEvent.object_type == "organization")
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        rows = list(db.session.scalars(stmt))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_the_list_shows_every_organisation(app, world, console, far_astana):
    s = console(world.admin)
    page = s.get("/console/orgs").get_data(as_text=True)
    assert world.org["name"] in page and "Astana Kuzet" in page
    assert "/console/orgs" in s.get("/console/").get_data(as_text=True)  # in the menu


def test_create_with_a_drawn_multipolygon_and_it_is_audited(app, world, console):
    s = console(world.admin)
    s.get("/console/orgs/new")
    r = s.post("/console/orgs", _form(coverage=json.dumps(TWO)), htmx=False)
    assert r.status_code == 303
    org_id = r.headers["Location"].split("/console/orgs/")[1].split("?")[0]
    org = _org(app, org_id)
    assert (org.name, org.phone, org.status) == ("Sapa Kuzet", "+77273000000", "active")
    api = world.admin.get(f"/api/v1/orgs/{org_id}").get_json()
    assert api["coverage"]["type"] == "MultiPolygon"
    [event] = [e for e in _audits(app, "org.created") if e.object_id == org_id]
    assert event.actor_id == world.admin.id
    page = s.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="action-message"' in page and "Sapa Kuzet" in page
    assert 'name="csrf_token" value=""' not in page  # every plain form carries the value


@pytest.mark.parametrize("over,field", [
    ({"coverage": json.dumps(BOWTIE)}, "coverage"),
    ({"coverage": json.dumps({"type": "Point", "coordinates": [77, 43]})}, "coverage"),
    ({"coverage": "not json"}, "coverage"),
    ({"coverage": ""}, "coverage"),
    ({"phone": "call me"}, "phone"),
    ({"kind": "militia"}, "kind"),
    ({"name": ""}, "name"),
    ({"webhook_url": "http://10.0.0.1/hook"}, "webhook_url"),
    ({"webhook_secret": "short"}, "webhook_secret"),
])
def test_create_refuses_what_the_api_refuses(app, world, console, over, field):
    s = console(world.admin)
    s.get("/console/orgs/new")
    before = count_rows(app, Organization)
    r = s.post("/console/orgs", _form(**over), htmx=False)
    assert r.status_code == 422
    assert f'data-field="{field}"' in r.get_data(as_text=True)
    assert count_rows(app, Organization) == before
    assert len(_audits(app, "org.created")) == before
    body = {k: v for k, v in _form(**over).items() if k not in ("webhook_url", "webhook_secret")
            or v}
    try:
        body["coverage"] = json.loads(body["coverage"])
    except ValueError:
        pass
    assert world.admin.post("/api/v1/orgs", json=body).status_code == 422  # the same verdict


def test_edit_changes_the_coverage_and_name_and_is_audited(app, world, console):
    s = console(world.admin)
    org_id = world.org["id"]
    s.get(f"/console/orgs/{org_id}")
    r = s.post(f"/console/orgs/{org_id}", _form(name="Kuzet Renamed", coverage=json.dumps(BOX)),
               htmx=False)
    assert r.status_code == 303
    api = world.admin.get(f"/api/v1/orgs/{org_id}").get_json()
    assert api["name"] == "Kuzet Renamed" and _polygons(api["coverage"]) == [BOX["coordinates"]]
    [event] = _audits(app, "org.updated")
    assert set(event.changes) >= {"name", "coverage"} and event.actor_id == world.admin.id
    # an invalid area changes nothing
    r = s.post(f"/console/orgs/{org_id}", _form(coverage=json.dumps(BOWTIE)), htmx=False)
    assert r.status_code == 422 and 'data-field="coverage"' in r.get_data(as_text=True)
    api = world.admin.get(f"/api/v1/orgs/{org_id}").get_json()
    assert _polygons(api["coverage"]) == [BOX["coordinates"]]
    assert len(_audits(app, "org.updated")) == 1


def test_the_webhook_secret_is_never_shown(app, world, console):
    s = console(world.admin)
    org_id = world.org["id"]
    s.get(f"/console/orgs/{org_id}")
    secret = "a-very-long-webhook-secret-1"
    r = s.post(f"/console/orgs/{org_id}", _form(webhook_url="https://hooks.example.com/x",
                                                 webhook_secret=secret), htmx=False)
    assert r.status_code == 303
    assert _org(app, org_id).webhook_secret == secret
    assert secret not in s.get(f"/console/orgs/{org_id}").get_data(as_text=True)
    # saved again with the secret field empty: unchanged
    s.post(f"/console/orgs/{org_id}", _form(webhook_url="https://hooks.example.com/x"),
           htmx=False)
    assert _org(app, org_id).webhook_secret == secret


def test_suspend_and_activate(app, world, console):
    s = console(world.admin)
    org_id = world.org["id"]
    s.get(f"/console/orgs/{org_id}")
    assert s.post(f"/console/orgs/{org_id}/status", {"status": "suspended"},
                  htmx=False).status_code == 303
    assert _org(app, org_id).status == "suspended"
    assert s.post(f"/console/orgs/{org_id}/status", {"status": "gone"},
                  htmx=False).status_code == 422
    assert _org(app, org_id).status == "suspended"
    assert s.post(f"/console/orgs/{org_id}/status", {"status": "active"},
                  htmx=False).status_code == 303
    assert _org(app, org_id).status == "active"
    changes = [e.changes["status"] for e in _audits(app, "org.updated")]
    assert changes == [{"before": "active", "after": "suspended"},
                       {"before": "suspended", "after": "active"}]


def test_invite_by_phone_and_remove_a_member(app, world, console, make_person):
    s = console(world.admin)
    org_id = world.org["id"]
    s.get(f"/console/orgs/{org_id}")
    newcomer = make_person(name="Newcomer")
    r = s.post(f"/console/orgs/{org_id}/members", {"phone": newcomer.phone,
                                                   "role": "responder"}, htmx=False)
    assert r.status_code == 303
    invitation = newcomer.get("/api/v1/me/org-invitations").get_json()["items"][0]
    assert invitation["role"] == "responder"
    assert newcomer.phone in s.get(f"/console/orgs/{org_id}").get_data(as_text=True)
    for bad in ({"phone": "nope", "role": "responder"}, {"phone": newcomer.phone,
                                                          "role": "admin"}):
        assert s.post(f"/console/orgs/{org_id}/members", bad, htmx=False).status_code == 422
    assert count_rows(app, OrgInvitation) == 1 + 5  # the world's five accepted ones and this
    r500 = world.responders["r500"]
    r = s.post(f"/console/orgs/{org_id}/members/{r500.id}/remove", htmx=False)
    assert r.status_code == 303
    assert count_rows(app, OrgMember, OrgMember.user_id == r500.id) == 0
    [event] = _audits(app, "org.member_removed")
    assert event.actor_id == world.admin.id
    assert s.post(f"/console/orgs/{org_id}/members/{uuid.uuid4()}/remove",
                  htmx=False).status_code == 404


@pytest.fixture
def far_astana(admin, create_org, astana_box):
    return create_org(admin, name="Astana Kuzet", coverage=astana_box)


def _actions(org_id, user_id) -> list[tuple[str, dict]]:
    return [("/console/orgs", _form()),
            (f"/console/orgs/{org_id}", _form(name="Taken over")),
            (f"/console/orgs/{org_id}/status", {"status": "suspended"}),
            (f"/console/orgs/{org_id}/members", {"phone": "+77019998877", "role": "org_admin"}),
            (f"/console/orgs/{org_id}/members/{user_id}/remove", {})]


def _unchanged(app, world, orgs_before):
    assert count_rows(app, Organization) == orgs_before
    org = _org(app, world.org["id"])
    assert org.name == world.org["name"] and org.status == "active"
    assert count_rows(app, OrgMember, OrgMember.user_id == world.responders["r500"].id) == 1
    assert count_rows(app, OrgInvitation, OrgInvitation.phone == "+77019998877") == 0
    assert _audits(app, "org.updated") == [] and _audits(app, "org.member_removed") == []


def test_every_other_role_is_refused(app, world, console, console_session):
    org_id, r500 = world.org["id"], world.responders["r500"]
    before = count_rows(app, Organization)
    pages = ["/console/orgs", "/console/orgs/new", f"/console/orgs/{org_id}"]
    # the organisation's own admin (the console's dispatcher): 403 everywhere
    s = console(world.org_admin)
    assert "/console/orgs" not in s.get("/console/").get_data(as_text=True)
    for path in pages:
        assert s.get(path).status_code == 403, path
    for path, data in _actions(org_id, r500.id):
        assert s.post(path, data, htmx=False).status_code == 403, path
        assert s.post(path, data).status_code == 403, path
    # no session
    anon = console_session()
    for path in pages:
        r = anon.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"]
    for path, data in _actions(org_id, r500.id):
        assert anon.post(path, data).status_code == 401
    # her and a responder: no console
    for person in (world.user, r500):
        other = console_session()
        assert other.login(person.phone, person.password).status_code == 403
    # an API token opens nothing
    assert anon.client.get("/console/orgs", headers=world.admin.headers).status_code == 303
    _unchanged(app, world, before)


def test_actions_need_csrf(app, world, console):
    org_id, r500 = world.org["id"], world.responders["r500"]
    before = count_rows(app, Organization)
    s = console(world.admin)
    s.get(f"/console/orgs/{org_id}")
    for path, data in _actions(org_id, r500.id):
        assert s.post(path, data, csrf=False, htmx=False).status_code == 403, path
        assert s.post(path, {**data, "csrf_token": "0" * 36}, csrf=False,
                      htmx=False).status_code == 403, path
    _unchanged(app, world, before)


def test_an_unknown_organisation(app, world, console):
    s = console(world.admin)
    s.get("/console/orgs")
    assert s.get(f"/console/orgs/{uuid.uuid4()}").status_code == 404
    assert s.post(f"/console/orgs/{uuid.uuid4()}", _form(), htmx=False).status_code == 404
