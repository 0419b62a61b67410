"""Page 3's monitoring receivers (SIA DC-09) and withdrawn invitations (both backends): a
receiver added, edited, disabled, removed and sent a link test from the console, validated as
the API validates it (the same bodies, the same verdicts), every change audited; its key
write-only (never in a page, an answer or the audit); every action refused without a session,
to an org admin (his own organisation's receivers included), with an API token, without CSRF,
and with another organisation in the path — nothing stored, audited or sent."""

from __future__ import annotations

import uuid

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from safety.audit import AuditEvent
from safety.extensions import db
from safety.notify import sealed
from safety.notify.models import MonitoringReceiver
from safety.orgs.models import OrgInvitation
from tests.helpers import error_messages

KEY = "0123456789ABCDEF"  # as text: AES-128, as pysiaalarm takes a key
HEX_KEY = "00112233445566778899AABBCCDDEEFF"


@pytest.fixture(autouse=True)
def _short_waits(app, monkeypatch):
    """A receiver that does not answer is waited for 1 s here, not DC09_TIMEOUT_S's 10."""
    monkeypatch.setitem(app.config, "DC09_TIMEOUT_S", 1.0)


@pytest.fixture
def desk(admin, make_person, create_org, add_member, astana_box):
    """Kuzet (Almaty) with its admin; Astana Kuzet with its admin."""
    org = create_org(admin)
    boss = make_person(name="Kuzet Boss")
    add_member(admin, org["id"], boss, "org_admin")
    other = create_org(admin, name="Astana Kuzet", coverage=astana_box)
    other_boss = make_person(name="Astana Boss")
    add_member(admin, other["id"], other_boss, "org_admin")
    return type("Desk", (), {"admin": admin, "org": org, "boss": boss, "other": other,
                             "other_boss": other_boss})


def _form(**over) -> dict:
    form = {"priority": "1", "label": "Kuzet ПЦН", "host": "127.0.0.1", "port": "3061",
            "transport": "tcp", "account": "12ab", "receiver_number": "0", "line_prefix": "0",
            "extended_data": "single", "enabled": "true", "key": "", "key_format": "hex"}
    form.update(over)
    return form


def _body(form: dict) -> dict:
    """The API's body for the same form."""
    body = {k: v for k, v in form.items() if k not in ("key", "key_format", "label") or v}
    if not form.get("key"):
        body.pop("key_format", None)
    for k in ("priority", "port"):
        try:
            body[k] = int(body[k])
        except (KeyError, ValueError):
            pass
    body["enabled"] = {"true": True, "false": False}.get(body.get("enabled"), body.get("enabled"))
    return body


def _receivers(app) -> list[MonitoringReceiver]:
    with app.app_context():
        rows = list(db.session.scalars(select(MonitoringReceiver)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _audits(app, prefix: str = "org.") -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith(prefix)).order_by(AuditEvent.created_at)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _count_audits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _add(s, org_id, **over):
    s.get(f"/console/orgs/{org_id}/receivers/new")
    r = s.post(f"/console/orgs/{org_id}/receivers", _form(**over), htmx=False)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    return r


def test_a_receiver_is_added_and_its_key_is_never_shown(app, desk, console):
    s = console(desk.admin)
    org_id = desk.org["id"]
    r = _add(s, org_id, key=HEX_KEY)
    assert r.headers["Location"].endswith("#receivers")
    [row] = _receivers(app)
    assert (row.priority, row.host, row.port, row.account, row.key_bits) == (
        1, "127.0.0.1", 3061, "12AB", 128)
    assert sealed.unseal(app.config, row.key_sealed) == bytes.fromhex(HEX_KEY)
    org_page = s.get(r.headers["Location"]).get_data(as_text=True)
    receiver_page = s.get(f"/console/orgs/{org_id}/receivers/{row.id}").get_data(as_text=True)
    assert "Kuzet ПЦН" in org_page and "AES-128" in org_page
    assert 'id="key-state"' in receiver_page and "128" in receiver_page
    for page in (org_page, receiver_page):
        assert HEX_KEY not in page.upper() and row.key_sealed not in page
    [event] = _audits(app, "org.receiver_added")
    assert event.actor_id == desk.admin.id and event.changes["fields"]["key"] == {
        "before": None, "after": "<redacted>"}
    assert HEX_KEY not in str(event.changes).upper()
    # the API shows the same receiver, without its key
    api = desk.admin.get(f"/api/v1/orgs/{org_id}/receivers").get_json()["items"]
    assert [(x["id"], x["encrypted"], x["key_bits"]) for x in api] == [(str(row.id), True, 128)]


BAD = [
    ({"host": "http://monitoring.example"}, "host"),
    ({"host": ""}, "host"),
    ({"port": "70000"}, "port"),
    ({"port": ""}, "port"),
    ({"account": "xyz"}, "account"),
    ({"receiver_number": "GGG"}, "receiver_number"),
    ({"priority": "9"}, "priority"),
    ({"transport": "sctp"}, "transport"),
    ({"extended_data": "all"}, "extended_data"),
    ({"key": "abc"}, "key"),
    ({"key": "short text key", "key_format": "text"}, "key"),
    ({"key": HEX_KEY, "key_format": "base64"}, "key_format"),
    ({"label": "l" * 101}, "label"),
    ({"enabled": "maybe"}, "enabled"),
]


def test_receivers_are_refused_as_the_api_refuses_them(app, desk, console):
    s = console(desk.admin)
    org_id = desk.org["id"]
    _add(s, org_id, key=KEY, key_format="text")
    [kept] = _receivers(app)
    audits = _count_audits(app)
    for over, field in BAD:
        form = _form(**{"priority": "2", **over})
        if "key" not in over:
            form["key"] = "F" * 64  # a good key beside the bad field: never echoed back
        r = s.post(f"/console/orgs/{org_id}/receivers", form, htmx=False)
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and f'data-field="{field}"' in page, over
        assert f'value="{form["key"]}"' not in page
        assert len(form["key"]) < 16 or form["key"] not in page
        api = desk.admin.post(f"/api/v1/orgs/{org_id}/receivers", json=_body(form))
        assert api.status_code == 422 and field in api.get_json()["errors"], over
        for message in error_messages(api.get_json()["errors"][field]):
            assert escape(message) in page, (over, message)
        # the same body as an edit of the stored receiver: refused, nothing changed
        r = s.post(f"/console/orgs/{org_id}/receivers/{kept.id}", form, htmx=False)
        assert r.status_code == 422 and f'data-field="{field}"' in r.get_data(as_text=True)
    # a priority already taken: 409, as at the API
    r = s.post(f"/console/orgs/{org_id}/receivers", _form(priority="1", port="3062"), htmx=False)
    assert r.status_code == 409
    [row] = _receivers(app)
    assert (row.port, row.key_sealed, row.updated_at) == (kept.port, kept.key_sealed,
                                                         kept.updated_at)
    assert _count_audits(app) == audits


def test_a_receiver_is_edited_its_key_kept_replaced_and_removed(app, desk, console):
    s = console(desk.admin)
    org_id = desk.org["id"]
    _add(s, org_id, key=HEX_KEY)
    [row] = _receivers(app)
    path = f"/console/orgs/{org_id}/receivers/{row.id}"
    s.get(path)
    # the key field left empty: unchanged
    assert s.post(path, _form(port="3070", transport="udp"), htmx=False).status_code == 303
    [after] = _receivers(app)
    assert (after.port, after.transport, after.key_sealed) == (3070, "udp", row.key_sealed)
    # a new key, as text
    assert s.post(path, _form(key=KEY, key_format="text"), htmx=False).status_code == 303
    [after] = _receivers(app)
    assert sealed.unseal(app.config, after.key_sealed) == KEY.encode()
    assert KEY not in s.get(path).get_data(as_text=True)
    # removed
    assert s.post(path, _form(remove_key="true"), htmx=False).status_code == 303
    [after] = _receivers(app)
    assert after.key_sealed is None and after.key_bits is None
    changes = [e.changes["fields"] for e in _audits(app, "org.receiver_updated")]
    assert changes[1]["key"] == {"before": "<redacted>", "after": "<redacted>"}
    assert changes[2]["key"] == {"before": "<redacted>", "after": None}
    assert KEY not in str(changes) and HEX_KEY not in str(changes).upper()


def test_a_receiver_is_disabled_enabled_and_removed(app, desk, console):
    s = console(desk.admin)
    org_id = desk.org["id"]
    _add(s, org_id)
    [row] = _receivers(app)
    base = f"/console/orgs/{org_id}/receivers/{row.id}"
    r = s.post(f"{base}/enabled", {"enabled": "false"}, htmx=False)
    assert r.status_code == 303 and "receiver_disabled" in r.headers["Location"]
    assert _receivers(app)[0].enabled is False
    assert 'data-enabled="false"' in s.get(f"/console/orgs/{org_id}").get_data(as_text=True)
    assert s.post(f"{base}/enabled", {"enabled": "maybe"}, htmx=False).status_code == 422
    assert s.post(f"{base}/enabled", {"enabled": "true"}, htmx=False).status_code == 303
    assert _receivers(app)[0].enabled is True
    assert s.post(f"{base}/remove", htmx=False).status_code == 303
    assert _receivers(app) == []
    assert [e.action for e in _audits(app, "org.receiver")] == [
        "org.receiver_added", "org.receiver_updated", "org.receiver_updated",
        "org.receiver_removed"]
    assert s.post(f"{base}/remove", htmx=False).status_code == 404
    assert s.get(base).status_code == 404


def test_send_test_is_a_link_test_and_shows_the_answer(app, desk, console, sia_receiver):
    station = sia_receiver(key=KEY)
    s = console(desk.admin)
    org_id = desk.org["id"]
    _add(s, org_id, port=str(station.port), account="1234", key=KEY, key_format="text",
         enabled="false")  # onboarding: tried before it is enabled
    _add(s, org_id, priority="2", port=str(sia_receiver.free_port()), account="1234")
    primary, secondary = sorted(_receivers(app), key=lambda r: r.priority)
    r = s.post(f"/console/orgs/{org_id}/receivers/{primary.id}/test", htmx=False)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-answer="ACK"' in page
    (event,) = station.wait_for(1, tests=True)
    assert (event.event_qualifier, event.event_type, event.ri) in (("1", "602", "000"),
                                                                   ("1", "602", "0"))
    assert KEY not in page
    r = s.post(f"/console/orgs/{org_id}/receivers/{secondary.id}/test", htmx=False)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-answer="error"' in page and "Connection" in page
    stored = {row.priority: row for row in _receivers(app)}
    assert stored[1].last_ack_at is not None and stored[2].last_error
    tested = _audits(app, "org.receiver_tested")
    assert [(e.changes["receiver_id"], e.changes["answer"]) for e in tested] == [
        (str(primary.id), "ACK"), (str(secondary.id), "error")]
    assert all(e.actor_id == desk.admin.id for e in tested)


# -- invitations -------------------------------------------------------------------------------


def test_a_pending_invitation_is_withdrawn_and_audited(app, desk, console, make_person):
    s = console(desk.admin)
    org_id = desk.org["id"]
    newcomer = make_person(name="Newcomer")
    r = desk.admin.post(f"/api/v1/orgs/{org_id}/members", json={"phone": newcomer.phone,
                                                                "role": "responder"})
    invitation = r.get_json()["id"]
    page = s.get(f"/console/orgs/{org_id}").get_data(as_text=True)
    assert f'data-invitation-id="{invitation}"' in page
    path = f"/console/orgs/{org_id}/invitations/{invitation}/withdraw"
    # another organisation in the path: 404, nothing withdrawn
    other = f"/console/orgs/{desk.other['id']}/invitations/{invitation}/withdraw"
    assert s.post(other, htmx=False).status_code == 404
    r = s.post(path, htmx=False)
    assert r.status_code == 303 and "done=withdrawn" in r.headers["Location"]
    assert newcomer.get("/api/v1/me/org-invitations").get_json()["items"] == []
    [event] = _audits(app, "org.invitation_withdrawn")
    assert event.actor_id == desk.admin.id and event.changes["phone"] == newcomer.phone
    assert s.post(path, htmx=False).status_code == 404


def test_an_accepted_invitation_is_not_withdrawn(app, desk, console):
    """The invitation the org admin accepted (the fixture) is a membership: 409, at the API and
    in the console; the member stays."""
    with app.app_context():
        accepted = db.session.scalar(select(OrgInvitation.id).where(
            OrgInvitation.org_id == uuid.UUID(desk.org["id"]),
            OrgInvitation.status == "accepted"))
    s = console(desk.admin)
    s.get(f"/console/orgs/{desk.org['id']}")
    r = s.post(f"/console/orgs/{desk.org['id']}/invitations/{accepted}/withdraw", htmx=False)
    assert r.status_code == 409
    api = desk.admin.delete(f"/api/v1/orgs/{desk.org['id']}/invitations/{accepted}")
    assert api.status_code == 409
    members = desk.admin.get(f"/api/v1/orgs/{desk.org['id']}/members").get_json()["items"]
    assert str(desk.boss.id) in [m["user_id"] for m in members]
    assert _audits(app, "org.invitation_withdrawn") == []


# -- who may -----------------------------------------------------------------------------------


def _actions(org_id, receiver_id, invitation_id) -> list[tuple[str, dict]]:
    base = f"/console/orgs/{org_id}/receivers"
    return [(base, _form(priority="2", host="203.0.113.9", key=HEX_KEY)),
            (f"{base}/{receiver_id}", _form(host="203.0.113.9", key=KEY, key_format="text")),
            (f"{base}/{receiver_id}/enabled", {"enabled": "false"}),
            (f"{base}/{receiver_id}/test", {}),
            (f"{base}/{receiver_id}/remove", {}),
            (f"/console/orgs/{org_id}/invitations/{invitation_id}/withdraw", {})]


@pytest.fixture
def configured(app, desk, sia_receiver, next_phone):
    """A receiver of Kuzet's (listening: a link test sent to it would be seen) and a pending
    invitation."""
    station = sia_receiver()
    r = desk.admin.post(f"/api/v1/orgs/{desk.org['id']}/receivers", json={
        "priority": 1, "host": "127.0.0.1", "port": station.port, "account": "1234"})
    receiver = r.get_json()["id"]
    r = desk.admin.post(f"/api/v1/orgs/{desk.org['id']}/members",
                        json={"phone": next_phone(), "role": "responder"})
    return station, receiver, r.get_json()["id"]


def _unchanged(app, station, receiver_id, invitation_id, audits: int):
    [row] = _receivers(app)
    assert (str(row.id), row.host, row.enabled, row.key_sealed, row.last_seq) == (
        receiver_id, "127.0.0.1", True, None, 0)
    with app.app_context():
        assert db.session.get(OrgInvitation, uuid.UUID(invitation_id)).status == "pending"
    assert _count_audits(app) == audits
    assert station.events == []  # no link test reached the station


def test_every_other_role_is_refused(app, desk, console, console_session, configured, user):
    station, receiver, invitation = configured
    org_id = desk.org["id"]
    audits = _count_audits(app)
    pages = [f"/console/orgs/{org_id}/receivers/new",
             f"/console/orgs/{org_id}/receivers/{receiver}"]
    # the organisation's own admin, and another organisation's: 403 (platform admins only)
    for boss in (desk.boss, desk.other_boss):
        s = console(boss)
        for path in pages:
            assert s.get(path).status_code == 403, path
        for path, data in _actions(org_id, receiver, invitation):
            assert s.post(path, data, htmx=False).status_code == 403, path
            assert s.post(path, data).status_code == 403, path
    # no session
    anon = console_session()
    for path in pages:
        r = anon.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"]
    for path, data in _actions(org_id, receiver, invitation):
        assert anon.post(path, data).status_code == 401, path
    # her: no console
    assert console_session().login(user.phone, user.password).status_code == 403
    # a platform admin's API token opens nothing
    for path in pages:
        assert anon.client.get(path, headers=desk.admin.headers).status_code == 303
    for path, data in _actions(org_id, receiver, invitation):
        r = anon.client.post(path, data=data, headers=desk.admin.headers)
        assert r.status_code == 303, path
    _unchanged(app, station, receiver, invitation, audits)


def test_actions_need_csrf(app, desk, console, configured):
    station, receiver, invitation = configured
    audits = _count_audits(app)
    s = console(desk.admin)
    s.get(f"/console/orgs/{desk.org['id']}")
    for path, data in _actions(desk.org["id"], receiver, invitation):
        assert s.post(path, data, csrf=False, htmx=False).status_code == 403, path
        assert s.post(path, {**data, "csrf_token": "0" * 36}, csrf=False,
                      htmx=False).status_code == 403, path
    _unchanged(app, station, receiver, invitation, audits)


def test_another_organisations_receiver_is_not_found(app, desk, console, configured):
    """A receiver or an invitation of Kuzet's named under Astana Kuzet's path: 404, as if it did
    not exist, even for a platform admin; nothing changed, nothing sent."""
    station, receiver, invitation = configured
    audits = _count_audits(app)
    s = console(desk.admin)
    s.get(f"/console/orgs/{desk.other['id']}")
    assert s.get(f"/console/orgs/{desk.other['id']}/receivers/{receiver}").status_code == 404
    for path, data in _actions(desk.other["id"], receiver, invitation)[1:]:
        assert s.post(path, data, htmx=False).status_code == 404, path
    _unchanged(app, station, receiver, invitation, audits)
