"""Who was told, as each role may see it: her SMS contacts' numbers are hers alone."""

import pytest

NEIGHBOUR = "+77015550123"


@pytest.fixture
def told(app, admin, user, make_person, make_guardian, register_device, create_org, add_member,
         on_duty, drain, panic, offers_of):
    """Her alert, told to a guardian (push) and an SMS contact, held by a responder."""
    mom = make_person(name="Mom")
    make_guardian(user, mom, name="Mother")
    register_device(mom, "mom-phone")
    user.post("/api/v1/me/contacts", json={"name": "Neighbour Dana", "phone": NEIGHBOUR})
    org = create_org(admin)
    org_admin = make_person(name="Org Admin")
    add_member(admin, org["id"], org_admin, "org_admin")
    responder = make_person(name="Responder")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 300)
    alert = panic(user).get_json()
    did = offers_of(responder)[0]["dispatch_id"]
    assert responder.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    drain(app)
    return {"owner": user, "guardian": mom, "responder": responder, "org_admin": org_admin,
            "admin": admin, "alert": alert}


def rows(told, role):
    r = told[role].get(f"/api/v1/alerts/{told['alert']['id']}")
    assert r.status_code == 200
    got = {n["channel"]: n for n in r.get_json()["notifications"]}
    assert set(got) == {"push", "sms"}
    return got, r.get_data(as_text=True)


# role -> (sms recipient, sms name, push name)
EXPECTED = {
    "owner": (NEIGHBOUR, "Neighbour Dana", "Mom"),
    "guardian": ("SMS contact", "Neighbour Dana", "Mom"),
    "responder": ("SMS contact", None, None),
    "org_admin": ("SMS contact", None, None),
    "admin": ("***0123", "Neighbour Dana", "Mom"),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_what_each_role_sees_of_who_was_told(told, role):
    got, raw = rows(told, role)
    recipient, name, push_name = EXPECTED[role]
    sms, push = got["sms"], got["push"]
    assert (sms["recipient"], sms["recipient_name"]) == (recipient, name)
    assert (sms["recipient_kind"], push["recipient_kind"]) == ("sms_contact", "guardian")
    assert push["recipient_name"] == push_name
    assert push["recipient"] == "android device"
    assert sms["status"] == push["status"] == "sent"  # the delivery state, for everyone
    assert sms["sent_at"] and push["sent_at"]
    if role != "owner":
        assert NEIGHBOUR not in raw and NEIGHBOUR[1:] not in raw


def test_a_removed_contact_leaves_a_nameless_row(told):
    owner = told["owner"]
    (contact,) = [c for c in owner.get("/api/v1/me/contacts").get_json()["items"]
                  if c["phone"] == NEIGHBOUR]
    owner.delete(f"/api/v1/me/contacts/{contact['id']}")
    got, _ = rows(told, "guardian")
    assert (got["sms"]["recipient"], got["sms"]["recipient_name"]) == ("SMS contact", None)
