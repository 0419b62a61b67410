import uuid

import pytest

BAD_AREAS = [
    ({"type": "Point", "coordinates": [76.9, 43.2]}, "Polygon"),
    ({"type": "Polygon", "coordinates": [[[76.7, 43.1], [77.2, 43.1], [77.2, 43.4]]]},
     "4 positions"),
    ({"type": "Polygon", "coordinates": [[[76.7, 43.1], [77.2, 43.1], [77.2, 43.4],
                                          [76.7, 43.4], [76.8, 43.2]]]}, "closed"),
    ({"type": "Polygon", "coordinates": [[[76.7, 43.1], [277.2, 43.1], [77.2, 43.4],
                                          [76.7, 43.1]]]}, "lon"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
     "valid"),  # a bow tie
    ({"type": "Polygon", "coordinates": "nope"}, "array"),
    ("not an object", "Not a valid mapping"),
]


@pytest.mark.parametrize("coverage, words", BAD_AREAS)
def test_bad_coverage_is_422_and_nothing_changes(admin, coverage, words, create_org, almaty_box):
    org = create_org(admin)
    r = admin.post("/api/v1/orgs", json={"name": "X", "kind": "security",
                                          "phone": "+77272000000", "coverage": coverage})
    assert r.status_code == 422
    assert words.lower() in " ".join(r.get_json()["errors"]["coverage"]).lower()
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"coverage": coverage})
    assert r.status_code == 422
    same = admin.get(f"/api/v1/orgs/{org['id']}").get_json()
    assert same["coverage"]["coordinates"] == [almaty_box["coordinates"]]
    assert len(admin.get("/api/v1/orgs").get_json()["items"]) == 1


def test_org_crud_and_multipolygon(admin, create_org, almaty_box, astana_box):
    multi = {"type": "MultiPolygon", "coordinates": [almaty_box["coordinates"],
                                                     astana_box["coordinates"]]}
    org = create_org(admin, coverage=multi)
    assert org["coverage"]["type"] == "MultiPolygon" and org["status"] == "active"
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"name": "Renamed", "kind": "ngo"})
    assert r.status_code == 200 and r.get_json()["name"] == "Renamed"
    assert "webhook_secret" not in r.get_json()


@pytest.mark.parametrize("field, value", [("kind", "army"), ("status", "gone"),
                                          ("phone", "12"), ("name", "")])
def test_org_field_validation(admin, field, value, almaty_box):
    body = {"name": "X", "kind": "security", "phone": "+77272000000", "coverage": almaty_box,
            field: value}
    r = admin.post("/api/v1/orgs", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]


def test_org_admin_manages_only_their_own(admin, make_person, create_org, add_member, astana_box,
                                          almaty_box):
    mine = create_org(admin, name="Mine")
    theirs = create_org(admin, name="Theirs", coverage=astana_box)
    boss = make_person()
    add_member(admin, mine["id"], boss, "org_admin")
    assert [o["name"] for o in boss.get("/api/v1/orgs").get_json()["items"]] == ["Mine"]
    assert boss.patch(f"/api/v1/orgs/{mine['id']}", json={"phone": "+77272111111"}
                      ).status_code == 200
    assert boss.patch(f"/api/v1/orgs/{mine['id']}", json={"status": "suspended"}
                      ).status_code == 403
    for suffix in ("", "/members", "/dispatches", "/stats"):
        assert boss.get(f"/api/v1/orgs/{theirs['id']}{suffix}").status_code == 404
    assert boss.patch(f"/api/v1/orgs/{theirs['id']}", json={"name": "hacked"}).status_code == 404
    assert boss.post(f"/api/v1/orgs/{theirs['id']}/members",
                     json={"phone": boss.phone, "role": "org_admin"}).status_code == 404
    assert admin.get(f"/api/v1/orgs/{theirs['id']}").get_json()["name"] == "Theirs"
    assert boss.post("/api/v1/orgs", json={"name": "New", "kind": "ngo",
                                           "phone": "+77272000000",
                                           "coverage": almaty_box}).status_code == 403


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("get", "/members"), ("post", "/members"),
    ("get", "/dispatches"), ("get", "/stats"), ("delete", "/members/{uid}"),
])
def test_org_endpoints_for_people_without_a_relation(admin, make_person, user, method, suffix,
                                                     create_org, add_member):
    org = create_org(admin)
    responder = make_person()
    add_member(admin, org["id"], responder, "responder")
    path = f"/api/v1/orgs/{org['id']}{suffix}".replace("{uid}", str(responder.id))
    body = {"phone": user.phone, "role": "org_admin"} if method == "post" else {"name": "x"}
    for person in (user, responder):  # a plain user, and a responder (not an org admin)
        call = getattr(person, method)
        r = call(path, json=body) if method in ("post", "patch") else call(path)
        assert r.status_code == 404, (person.phone, path, r.get_json())
    members = admin.get(f"/api/v1/orgs/{org['id']}/members").get_json()["items"]
    assert [m["user_id"] for m in members] == [str(responder.id)]


def test_members_add_list_remove_and_roles(admin, make_person, create_org, add_member):
    org = create_org(admin)
    p = make_person()
    add_member(admin, org["id"], p, "responder")
    assert "responder" in p.get("/api/v1/me").get_json()["roles"]
    assert admin.delete(f"/api/v1/orgs/{org['id']}/members/{p.id}").status_code == 204
    assert "responder" not in p.get("/api/v1/me").get_json()["roles"]
    assert admin.delete(f"/api/v1/orgs/{org['id']}/members/{p.id}").status_code == 404
    r = admin.post(f"/api/v1/orgs/{org['id']}/members", json={"phone": p.phone, "role": "boss"})
    assert r.status_code == 422


def test_unknown_org_is_404(admin):
    assert admin.get(f"/api/v1/orgs/{uuid.uuid4()}").status_code == 404


def test_only_admins_list_orgs(user):
    assert user.get("/api/v1/orgs").status_code == 403


# -- what an org admin may change, and the audit trail ------------------------------------------

WORLD = {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90],
                                              [-180, -90]]]}


@pytest.fixture
def own_org(admin, make_person, create_org, add_member):
    org = create_org(admin, webhook_url="https://hooks.kuzet.example/safety",
                     webhook_secret="original-secret-0123456789")
    boss = make_person(name="Org Boss")
    add_member(admin, org["id"], boss, "org_admin")
    return org, boss


@pytest.mark.parametrize("body", [
    {"coverage": WORLD},
    {"webhook_url": "https://evil.example/steal"},
    {"webhook_secret": "attacker-chosen-secret-000"},
    {"status": "suspended"},
    {"kind": "police"},
    {"name": "Police of Almaty"},
    {"phone": "+77272111111", "coverage": WORLD},  # one refused field refuses the whole change
])
def test_org_admin_cannot_change_what_the_org_receives(app, admin, own_org, body):
    org, boss = own_org
    before = admin.get(f"/api/v1/orgs/{org['id']}").get_json()
    r = boss.patch(f"/api/v1/orgs/{org['id']}", json=body)
    assert r.status_code == 403, r.get_json()
    refused = set(body) - {"phone"}
    assert set(r.get_json()["errors"]) == refused
    assert admin.get(f"/api/v1/orgs/{org['id']}").get_json() == before
    from safety.orgs.models import Organization
    with app.app_context():
        from safety.extensions import db
        assert db.session.get(Organization, uuid.UUID(org["id"])).webhook_secret == \
            "original-secret-0123456789"
    assert [e["action"] for e in
            admin.get(f"/api/v1/orgs/{org['id']}/audit").get_json()["items"]] == [
        "org.member_added", "org.member_invited", "org.created"]


def test_org_admin_may_change_the_phone_and_it_is_audited(admin, own_org):
    org, boss = own_org
    r = boss.patch(f"/api/v1/orgs/{org['id']}", json={"phone": "+77272111111"})
    assert r.status_code == 200 and r.get_json()["phone"] == "+77272111111"
    last = admin.get(f"/api/v1/orgs/{org['id']}/audit").get_json()["items"][0]
    assert last["action"] == "org.updated" and last["actor_id"] == str(boss.id)
    assert last["changes"] == {"phone": {"before": "+77272000000", "after": "+77272111111"}}


def test_admin_change_of_coverage_and_webhook_is_audited_without_the_secret(admin, own_org,
                                                                            astana_box, almaty_box):
    org, _ = own_org
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={
        "coverage": astana_box, "webhook_url": "https://hooks.kuzet.example/v2",
        "webhook_secret": "rotated-secret-0123456789", "name": "Kuzet Security"})
    assert r.status_code == 200
    page = admin.get(f"/api/v1/orgs/{org['id']}/audit").get_json()
    last = page["items"][0]
    assert last["action"] == "org.updated" and last["actor_id"] == str(admin.id)
    changes = last["changes"]
    assert set(changes) == {"coverage", "webhook_url", "webhook_secret"}  # name unchanged
    assert changes["coverage"]["before"]["coordinates"] == [almaty_box["coordinates"]]
    assert changes["coverage"]["after"]["coordinates"] == [astana_box["coordinates"]]
    assert changes["webhook_url"] == {"before": "https://hooks.kuzet.example/safety",
                                      "after": "https://hooks.kuzet.example/v2"}
    assert changes["webhook_secret"] == {"before": "<redacted>", "after": "<redacted>"}
    assert "secret-0123456789" not in str(page)
    created = page["items"][-1]
    assert created["action"] == "org.created"
    assert created["changes"]["webhook_secret"] == {"before": None, "after": "<redacted>"}


def test_member_add_and_remove_are_audited(admin, make_person, create_org, add_member):
    org = create_org(admin)
    p = make_person()
    add_member(admin, org["id"], p, "responder")
    admin.delete(f"/api/v1/orgs/{org['id']}/members/{p.id}")
    items = admin.get(f"/api/v1/orgs/{org['id']}/audit").get_json()["items"]
    assert [(e["action"], e["changes"]) for e in items[:2]] == [
        ("org.member_removed", {"user_id": str(p.id), "role": "responder"}),
        ("org.member_added", {"user_id": str(p.id), "role": "responder"}),
    ]


def test_org_audit_is_paginated(admin, create_org):
    org = create_org(admin)
    for i in range(4):
        admin.patch(f"/api/v1/orgs/{org['id']}", json={"phone": f"+7727200000{i + 1}"})
    first = admin.get(f"/api/v1/orgs/{org['id']}/audit?limit=3").get_json()
    rest = admin.get(f"/api/v1/orgs/{org['id']}/audit?limit=3&cursor="
                     f"{first['next_cursor']}").get_json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert rest["items"][-1]["action"] == "org.created"


def test_org_audit_is_for_platform_admins_only(admin, own_org, user):
    org, boss = own_org
    assert boss.get(f"/api/v1/orgs/{org['id']}/audit").status_code == 403
    assert user.get(f"/api/v1/orgs/{org['id']}/audit").status_code == 403
    assert admin.get(f"/api/v1/orgs/{uuid.uuid4()}/audit").status_code == 404


@pytest.mark.parametrize("body", [{"coverage": WORLD}, {"webhook_url": "https://e.example/x"},
                                  {"phone": "+77272111111"}])
def test_another_orgs_admin_gets_404(admin, own_org, make_person, body, create_org, add_member,
                                     astana_box):
    org, _ = own_org
    other = create_org(admin, name="Other", coverage=astana_box)
    their_boss = make_person()
    add_member(admin, other["id"], their_boss, "org_admin")
    before = admin.get(f"/api/v1/orgs/{org['id']}").get_json()
    assert their_boss.patch(f"/api/v1/orgs/{org['id']}", json=body).status_code == 404
    assert admin.get(f"/api/v1/orgs/{org['id']}").get_json() == before
