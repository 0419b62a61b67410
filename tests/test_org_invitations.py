"""Adding a member to an organisation is an invitation the verified holder of the number
accepts; the answer never tells whether the number has an account (issue 9, item 7)."""

from __future__ import annotations

import uuid

import pytest

MINE = "/api/v1/me/org-invitations"


def invite(admin, org, phone, role="responder"):
    return admin.post(f"/api/v1/orgs/{org['id']}/members", json={"phone": phone, "role": role})


def test_the_answer_is_the_same_whether_the_number_has_an_account(admin, make_person, create_org,
                                                                  next_phone):
    org = create_org(admin)
    taken, free = make_person().phone, next_phone()
    a, b = invite(admin, org, taken), invite(admin, org, free)
    assert a.status_code == b.status_code == 202
    body_a, body_b = a.get_json(), b.get_json()
    assert set(body_a) == set(body_b)
    for key in ("id", "phone", "created_at"):
        body_a.pop(key), body_b.pop(key)
    assert body_a == body_b == {"org_id": org["id"], "role": "responder", "status": "pending",
                                "responded_at": None}


def test_the_role_is_granted_only_on_acceptance(admin, make_person, create_org):
    org = create_org(admin)
    p = make_person()
    inv = invite(admin, org, p.phone).get_json()
    assert "responder" not in p.get("/api/v1/me").get_json()["roles"]
    listing = admin.get(f"/api/v1/orgs/{org['id']}/members").get_json()
    assert listing["items"] == []
    assert [(i["id"], i["phone"], i["status"]) for i in listing["invitations"]] == \
        [(inv["id"], p.phone, "pending")]
    assert [i["id"] for i in p.get(MINE).get_json()["items"]] == [inv["id"]]
    r = p.post(f"{MINE}/{inv['id']}/accept")
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    assert r.get_json()["org"]["name"] == org["name"]
    assert "responder" in p.get("/api/v1/me").get_json()["roles"]
    listing = admin.get(f"/api/v1/orgs/{org['id']}/members").get_json()
    assert [m["user_id"] for m in listing["items"]] == [str(p.id)]
    assert listing["invitations"] == []
    assert p.get(MINE).get_json()["items"] == []


def test_declining_grants_nothing(admin, make_person, create_org):
    org = create_org(admin)
    p = make_person()
    inv = invite(admin, org, p.phone, role="org_admin").get_json()
    r = p.post(f"{MINE}/{inv['id']}/decline")
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    assert "org_admin" not in p.get("/api/v1/me").get_json()["roles"]
    assert p.get(f"/api/v1/orgs/{org['id']}").status_code == 404
    assert admin.get(f"/api/v1/orgs/{org['id']}/members").get_json()["invitations"] == []


def test_an_answered_invitation_cannot_be_answered_again(admin, make_person, create_org):
    org = create_org(admin)
    p = make_person()
    inv = invite(admin, org, p.phone).get_json()
    p.post(f"{MINE}/{inv['id']}/decline")
    assert p.post(f"{MINE}/{inv['id']}/accept").status_code == 409
    assert "responder" not in p.get("/api/v1/me").get_json()["roles"]


def test_inviting_again_after_a_decline_asks_again(admin, make_person, create_org):
    org = create_org(admin)
    p = make_person()
    inv = invite(admin, org, p.phone).get_json()
    p.post(f"{MINE}/{inv['id']}/decline")
    again = invite(admin, org, p.phone).get_json()
    assert again["status"] == "pending"
    assert p.post(f"{MINE}/{again['id']}/accept").status_code == 200


def test_an_unverified_holder_of_the_number_sees_nothing_until_verified(app, admin, make_person,
                                                                        create_org, sent_code):
    org = create_org(admin)
    legacy = make_person(verified=False)
    inv = invite(admin, org, legacy.phone).get_json()
    assert legacy.get(MINE).get_json()["items"] == []
    assert legacy.post(f"{MINE}/{inv['id']}/accept").status_code == 404
    assert "responder" not in legacy.get("/api/v1/me").get_json()["roles"]
    legacy.post("/api/v1/me/phone-codes", json={"purpose": "verify"})
    legacy.post("/api/v1/me/phone/verify", json={"code": sent_code(app, legacy.phone)})
    assert legacy.post(f"{MINE}/{inv['id']}/accept").status_code == 200
    assert "responder" in legacy.get("/api/v1/me").get_json()["roles"]


def test_a_verified_invitee_is_told_by_push_and_nobody_else(app, admin, make_person, create_org,
                                                            register_device, next_phone, jobs):
    org = create_org(admin)
    p = make_person()
    register_device(p, "p-phone")
    legacy = make_person(verified=False)
    register_device(legacy, "legacy-phone")
    invite(admin, org, p.phone)
    invite(admin, org, legacy.phone)
    invite(admin, org, next_phone())
    assert [j.recipient_user_id for j in jobs(app, kind="org_invitation")] == [p.id]


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_someone_elses_invitation_is_404(admin, make_person, user, action, create_org, add_member,
                                         astana_box):
    org = create_org(admin)
    invitee = make_person()
    inv = invite(admin, org, invitee.phone).get_json()
    other_admin = make_person()
    add_member(admin, create_org(admin, name="Other", coverage=astana_box)["id"], other_admin,
               "org_admin")
    for person in (user, admin, other_admin):  # a stranger, the inviter, another org's admin
        assert person.post(f"{MINE}/{inv['id']}/{action}").status_code == 404
        assert person.get(MINE).get_json()["items"] == []
    assert invitee.post(f"{MINE}/{uuid.uuid4()}/{action}").status_code == 404
    assert admin.get(f"/api/v1/orgs/{org['id']}/members").get_json()["invitations"][0][
        "status"] == "pending"


def test_invitations_need_a_token(client):
    assert client.get(MINE).status_code == 401
    assert client.post(f"{MINE}/{uuid.uuid4()}/accept").status_code == 401


def test_an_org_admin_invites_and_withdraws_for_their_own_org_only(admin, make_person, user,
                                                                   create_org, add_member,
                                                                   astana_box, next_phone):
    mine = create_org(admin)
    theirs = create_org(admin, name="Theirs", coverage=astana_box)
    boss = make_person()
    add_member(admin, mine["id"], boss, "org_admin")
    responder = make_person()
    add_member(admin, mine["id"], responder, "responder")
    inv = invite(boss, mine, next_phone())
    assert inv.status_code == 202
    theirs_inv = invite(admin, theirs, next_phone()).get_json()
    assert invite(boss, theirs, next_phone()).status_code == 404
    # withdrawing: the wrong org in the path, someone else, then the org admin
    assert boss.delete(f"/api/v1/orgs/{mine['id']}/invitations/{theirs_inv['id']}"
                       ).status_code == 404
    assert boss.delete(f"/api/v1/orgs/{theirs['id']}/invitations/{theirs_inv['id']}"
                       ).status_code == 404
    path = f"/api/v1/orgs/{mine['id']}/invitations/{inv.get_json()['id']}"
    for person in (user, responder):
        assert person.delete(path).status_code == 404
    assert boss.delete(path).status_code == 204
    assert boss.delete(path).status_code == 404
    assert admin.get(f"/api/v1/orgs/{mine['id']}/members").get_json()["invitations"] == []


def test_a_withdrawn_invitation_cannot_be_accepted(admin, make_person, create_org):
    org = create_org(admin)
    p = make_person()
    inv = invite(admin, org, p.phone).get_json()
    admin.delete(f"/api/v1/orgs/{org['id']}/invitations/{inv['id']}")
    assert p.post(f"{MINE}/{inv['id']}/accept").status_code == 404
    assert "responder" not in p.get("/api/v1/me").get_json()["roles"]


def test_pending_invitations_are_shown_only_to_that_orgs_admins(admin, make_person, user,
                                                                create_org, add_member, next_phone):
    org = create_org(admin)
    invite(admin, org, next_phone())
    responder = make_person()
    add_member(admin, org["id"], responder, "responder")
    for person in (user, responder):
        assert person.get(f"/api/v1/orgs/{org['id']}/members").status_code == 404
