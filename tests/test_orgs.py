import uuid

import pytest

from tests.test_dispatch import ALMATY_BOX, ASTANA_BOX, add_member, create_org

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
def test_bad_coverage_is_422_and_nothing_changes(admin, coverage, words):
    org = create_org(admin)
    r = admin.post("/api/v1/orgs", json={"name": "X", "kind": "security",
                                          "phone": "+77272000000", "coverage": coverage})
    assert r.status_code == 422
    assert words.lower() in " ".join(r.get_json()["errors"]["coverage"]).lower()
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"coverage": coverage})
    assert r.status_code == 422
    same = admin.get(f"/api/v1/orgs/{org['id']}").get_json()
    assert same["coverage"]["coordinates"] == [ALMATY_BOX["coordinates"]]
    assert len(admin.get("/api/v1/orgs").get_json()["items"]) == 1


def test_org_crud_and_multipolygon(admin):
    multi = {"type": "MultiPolygon", "coordinates": [ALMATY_BOX["coordinates"],
                                                     ASTANA_BOX["coordinates"]]}
    org = create_org(admin, coverage=multi)
    assert org["coverage"]["type"] == "MultiPolygon" and org["status"] == "active"
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"name": "Renamed", "kind": "ngo"})
    assert r.status_code == 200 and r.get_json()["name"] == "Renamed"
    assert "webhook_secret" not in r.get_json()


@pytest.mark.parametrize("field, value", [("kind", "army"), ("status", "gone"),
                                          ("phone", "12"), ("name", "")])
def test_org_field_validation(admin, field, value):
    body = {"name": "X", "kind": "security", "phone": "+77272000000", "coverage": ALMATY_BOX,
            field: value}
    r = admin.post("/api/v1/orgs", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]


def test_org_admin_manages_only_their_own(admin, make_person):
    mine = create_org(admin, name="Mine")
    theirs = create_org(admin, name="Theirs", coverage=ASTANA_BOX)
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
                                           "coverage": ALMATY_BOX}).status_code == 403


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("get", "/members"), ("post", "/members"),
    ("get", "/dispatches"), ("get", "/stats"), ("delete", "/members/{uid}"),
])
def test_org_endpoints_for_people_without_a_relation(admin, make_person, user, method, suffix):
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


def test_members_add_list_remove_and_roles(admin, make_person):
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
