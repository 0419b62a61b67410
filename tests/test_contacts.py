import pytest


def test_contact_crud(user):
    r = user.post("/api/v1/me/contacts", json={"name": "Sister", "phone": "8 701 111 22 33",
                                                "relation": "sister"})
    assert r.status_code == 201
    c = r.get_json()
    assert c["phone"] == "+77011112233" and c["status"] == "pending"
    assert c["is_guardian"] is False
    r = user.patch(f"/api/v1/me/contacts/{c['id']}", json={"name": "Big sister"})
    assert r.status_code == 200 and r.get_json()["name"] == "Big sister"
    assert [x["id"] for x in user.get("/api/v1/me/contacts").get_json()["items"]] == [c["id"]]
    assert user.delete(f"/api/v1/me/contacts/{c['id']}").status_code == 204
    assert user.get("/api/v1/me/contacts").get_json()["items"] == []


def test_at_most_ten_contacts(user):
    for i in range(10):
        r = user.post("/api/v1/me/contacts", json={"name": f"C{i}", "phone": f"+7701200{i:04d}"})
        assert r.status_code == 201
    r = user.post("/api/v1/me/contacts", json={"name": "C11", "phone": "+77012009999"})
    assert r.status_code == 409
    assert len(user.get("/api/v1/me/contacts").get_json()["items"]) == 10


@pytest.mark.parametrize("payload, field", [
    ({"name": "", "phone": "+77011112233"}, "name"),
    ({"name": "X", "phone": "not a phone"}, "phone"),
    ({"name": "X"}, "phone"),
])
def test_contact_validation(user, payload, field):
    r = user.post("/api/v1/me/contacts", json=payload)
    assert r.status_code == 422 and field in r.get_json()["errors"]


def test_cannot_add_self_or_duplicate(user):
    assert user.post("/api/v1/me/contacts",
                     json={"name": "Me", "phone": user.phone}).status_code == 422
    user.post("/api/v1/me/contacts", json={"name": "A", "phone": "+77011112233"})
    r = user.post("/api/v1/me/contacts", json={"name": "B", "phone": "87011112233"})
    assert r.status_code == 409


def test_guardian_invitation_accept_and_decline(user, make_person):
    mom = make_person(name="Mom")
    dad = make_person(name="Dad")
    user.post("/api/v1/me/contacts", json={"name": "Mom", "phone": mom.phone})
    user.post("/api/v1/me/contacts", json={"name": "Dad", "phone": dad.phone})
    inv = mom.get("/api/v1/me/guardian-invitations").get_json()["items"]
    assert len(inv) == 1 and inv[0]["inviter"]["full_name"] == "Aigerim"
    assert mom.post(f"/api/v1/me/guardian-invitations/{inv[0]['id']}/accept").status_code == 200
    dinv = dad.get("/api/v1/me/guardian-invitations").get_json()["items"][0]
    r = dad.post(f"/api/v1/me/guardian-invitations/{dinv['id']}/decline")
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    states = {c["name"]: (c["status"], c["is_guardian"])
              for c in user.get("/api/v1/me/contacts").get_json()["items"]}
    assert states == {"Mom": ("accepted", True), "Dad": ("declined", False)}


def test_invitation_for_someone_else_is_404(user, make_person, stranger):
    mom = make_person()
    r = user.post("/api/v1/me/contacts", json={"name": "Mom", "phone": mom.phone})
    cid = r.get_json()["id"]
    for action in ("accept", "decline"):
        path = f"/api/v1/me/guardian-invitations/{cid}/{action}"
        assert stranger.post(path).status_code == 404
        assert user.post(path).status_code == 404  # she cannot answer her own invitation
    assert user.get("/api/v1/me/contacts").get_json()["items"][0]["status"] == "pending"
    assert stranger.get("/api/v1/me/guardian-invitations").get_json()["items"] == []


def test_person_registering_later_sees_the_invitation(user, make_person):
    phone = "+77015550000"
    user.post("/api/v1/me/contacts", json={"name": "Friend", "phone": phone})
    friend = make_person(phone=phone)
    assert len(friend.get("/api/v1/me/guardian-invitations").get_json()["items"]) == 1


def test_changing_a_guardians_phone_restarts_invitation(user, make_person, make_guardian):
    mom = make_person()
    cid = make_guardian(user, mom)
    r = user.patch(f"/api/v1/me/contacts/{cid}", json={"phone": "+77015550001"})
    assert r.get_json()["status"] == "pending" and r.get_json()["is_guardian"] is False


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_others_contacts_are_404(user, stranger, method):
    cid = user.post("/api/v1/me/contacts",
                    json={"name": "A", "phone": "+77011112233"}).get_json()["id"]
    path = f"/api/v1/me/contacts/{cid}"
    if method == "patch":
        r = stranger.patch(path, json={"name": "hacked"})
    else:
        r = stranger.delete(path)
    assert r.status_code == 404
    assert user.get("/api/v1/me/contacts").get_json()["items"][0]["name"] == "A"
