"""Phone numbers are proven by a one-time SMS code: at registration, at a change of number,
and for accounts made before verification existed (issue 9, item 1)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

import pytest
from sqlalchemy import select

from safety.extensions import db

CODES = "/api/v1/auth/phone-codes"
MY_CODES = "/api/v1/me/phone-codes"
PASSWORD = "s3cret-password"


def ask(client, phone, addr="127.0.0.1"):
    return client.post(CODES, json={"phone": phone, "purpose": "register"},
                       environ_base={"REMOTE_ADDR": addr})


def register(client, phone, code, password=PASSWORD, addr="127.0.0.1"):
    return client.post("/api/v1/auth/register", json={
        "phone": phone, "code": code, "password": password, "full_name": "Dana"},
        environ_base={"REMOTE_ADDR": addr})


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def code_row(app, phone):
    from safety.accounts.models import PhoneCode

    with app.app_context():
        row = db.session.scalars(select(PhoneCode).where(PhoneCode.phone == phone)
                                 .order_by(PhoneCode.created_at.desc())).first()
        db.session.expunge_all()
        return row


# -- the attack in the issue ---------------------------------------------------------------------


def test_registering_with_her_contacts_number_needs_the_code_sent_to_it(client, app, user,
                                                                        next_phone):
    mom = next_phone()
    user.post("/api/v1/me/contacts", json={"name": "Mom", "phone": mom})
    r = client.post("/api/v1/auth/register",
                    json={"phone": mom, "password": PASSWORD, "full_name": "Not Mom"})
    assert r.status_code == 422 and "code" in r.get_json()["errors"]
    assert ask(client, mom).status_code == 202  # the code goes to Mom's phone, not to him
    for guess in ("000000", "123456", "999999"):
        assert register(client, mom, guess).status_code == 422
    assert client.post("/api/v1/auth/login",
                       json={"phone": mom, "password": PASSWORD}).status_code == 401
    assert user.get("/api/v1/me/contacts").get_json()["items"][0]["status"] == "pending"


def test_the_holder_of_the_number_registers_and_sees_the_invitation(client, app, user, next_phone,
                                                                    register_with_code, login):
    mom = next_phone()
    user.post("/api/v1/me/contacts", json={"name": "Mom", "phone": mom})
    r = register_with_code(client, app, mom)
    assert r.status_code == 201 and r.get_json()["phone_verified"] is True
    mother = login(client, mom)
    items = mother.get("/api/v1/me/guardian-invitations").get_json()["items"]
    assert [i["inviter"]["full_name"] for i in items] == ["Aigerim"]


def test_the_dev_log_shows_the_code_and_the_outbox_forgets_it(client, app, caplog, next_phone, jobs,
                                                              drain):
    phone = next_phone()
    assert ask(client, phone).status_code == 202
    with caplog.at_level(logging.INFO, logger="safety.notify.channels.sms"):
        drain(app)
    logged = [r.getMessage() for r in caplog.records if phone in r.getMessage()]
    code = re.search(r"code: (\d{6})", logged[-1]).group(1)
    [job] = jobs(app, kind="phone_code")
    assert job.status == "sent" and code not in str(job.payload) and "******" in str(job.payload)
    assert register(client, phone, code).status_code == 201


# -- codes ---------------------------------------------------------------------------------------


def test_code_is_stored_only_as_an_hmac(client, app, next_phone, sent_code):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    row = code_row(app, phone)
    expected = hmac.new(app.config["SECRET_KEY"].encode(), f"register|{phone}||{code}".encode(),
                        hashlib.sha256).hexdigest()
    assert row.code_hash == expected
    assert code not in " ".join(str(v) for v in vars(row).values())


def test_code_expires(client, app, clock, next_phone, sent_code):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    clock.advance(app.config["PHONE_CODE_TTL_S"] + 1)
    assert register(client, phone, code).status_code == 422


def test_code_not_sent_once_expired_and_its_text_is_scrubbed(client, app, clock, next_phone,
                                                             sent_code, drain, jobs):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    clock.advance(app.config["PHONE_CODE_TTL_S"] + 1)
    drain(app)
    [job] = jobs(app, kind="phone_code")
    assert job.status == "failed" and "expired" in job.last_error
    assert code not in str(job.payload)


def test_wrong_codes_count_and_kill_the_code(client, app, next_phone, sent_code):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    for _ in range(app.config["PHONE_CODE_MAX_TRIES"]):
        r = register(client, phone, wrong(code))
        assert r.status_code == 422 and "code" in r.get_json()["errors"]
    assert code_row(app, phone).attempts == app.config["PHONE_CODE_MAX_TRIES"]
    # dead now, even the right one (and from another address)
    assert register(client, phone, code, addr="10.9.0.1").status_code == 422


def test_right_code_after_a_few_wrong_ones_works(client, app, next_phone, sent_code):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    for _ in range(app.config["PHONE_CODE_MAX_TRIES"] - 1):
        assert register(client, phone, wrong(code)).status_code == 422
    assert register(client, phone, code).status_code == 201


def test_code_is_used_once(client, app, next_phone, sent_code):
    phone = next_phone()
    ask(client, phone)
    code = sent_code(app, phone)
    assert register(client, phone, code).status_code == 201
    r = register(client, phone, code)
    assert r.status_code == 422 and "code" in r.get_json()["errors"]


def test_a_new_code_ends_the_previous_one(client, app, next_phone, sent_code, jobs):
    phone = next_phone()
    ask(client, phone)
    first = sent_code(app, phone)
    ask(client, phone)
    second = sent_code(app, phone)
    first_job = jobs(app, kind="phone_code")[0]
    assert first_job.status == "canceled" and first not in str(first_job.payload)
    if first != second:
        assert register(client, phone, first).status_code == 422
    assert register(client, phone, second).status_code == 201


def test_code_of_one_number_does_not_register_another(client, app, next_phone, sent_code):
    a, b = next_phone(), next_phone()
    ask(client, a)
    assert register(client, b, sent_code(app, a)).status_code == 422


def test_register_purpose_only_on_the_open_endpoint(client, next_phone):
    r = client.post(CODES, json={"phone": next_phone(), "purpose": "change_phone"})
    assert r.status_code == 422 and "purpose" in r.get_json()["errors"]


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "", 123456])
def test_malformed_codes_are_422_and_not_counted(client, app, code, next_phone):
    phone = next_phone()
    ask(client, phone)
    r = client.post("/api/v1/auth/register", json={
        "phone": phone, "code": code, "password": PASSWORD, "full_name": "Dana"})
    assert r.status_code == 422 and "code" in r.get_json()["errors"]
    assert code_row(app, phone).attempts == 0


# -- same answer whether the number has an account -----------------------------------------------


def test_answers_are_identical_for_registered_and_unregistered_numbers(client, app, make_person,
                                                                       next_phone, jobs):
    taken = make_person().phone
    free = next_phone()
    a, b = ask(client, taken), ask(client, free)
    assert a.status_code == b.status_code == 202
    assert a.headers["Content-Type"] == b.headers["Content-Type"]
    body_a, body_b = a.get_json(), b.get_json()
    assert body_a.pop("phone") == taken and body_b.pop("phone") == free
    assert body_a == body_b
    texts = [re.sub(r"\d{6}", "<code>", jobs(app, kind="phone_code", recipient=p)[0]
                    .payload["text"]) for p in (taken, free)]
    assert texts[0] == texts[1]  # the same SMS: a reader of her phone learns nothing either


def test_an_account_is_revealed_only_to_whoever_proves_the_number(client, app, make_person,
                                                                  sent_code):
    taken = make_person().phone
    ask(client, taken)
    assert register(client, taken, wrong(sent_code(app, taken))).status_code == 422
    r = register(client, taken, sent_code(app, taken))
    assert r.status_code == 409
    assert register(client, taken, sent_code(app, taken)).status_code == 422  # used up


# -- limits --------------------------------------------------------------------------------------


def test_codes_per_number_are_limited_across_addresses(client, app, clock, next_phone, jobs):
    phone = next_phone()
    per_15 = app.config["PHONE_CODES_PER_NUMBER_15MIN"]
    for i in range(per_15):
        assert ask(client, phone, addr=f"10.0.0.{i + 1}").status_code == 202
    r = ask(client, phone, addr="10.0.1.1")
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert r.headers["Content-Type"] == "application/problem+json"
    assert len(jobs(app, kind="phone_code")) == per_15
    assert ask(client, next_phone(), addr="10.0.1.1").status_code == 202  # other numbers go on
    clock.advance(15 * 60 + 1)
    assert ask(client, phone, addr="10.0.1.2").status_code == 202


def test_codes_per_number_per_day(client, app, clock, next_phone):
    phone = next_phone()
    per_15 = app.config["PHONE_CODES_PER_NUMBER_15MIN"]
    per_day = app.config["PHONE_CODES_PER_NUMBER_DAY"]
    for i in range(per_day):
        if i and i % per_15 == 0:
            clock.advance(15 * 60 + 1)
        assert ask(client, phone, addr=f"10.1.0.{i + 1}").status_code == 202
    clock.advance(15 * 60 + 1)
    r = ask(client, phone, addr="10.1.1.1")
    assert r.status_code == 429
    assert 20 * 3600 < int(r.headers["Retry-After"]) <= 24 * 3600


def test_codes_per_address_are_limited(client, app, user, next_phone):
    limit = int(app.config["PHONE_CODE_RATE_LIMIT"].split()[0])
    for _ in range(limit - 1):
        assert ask(client, next_phone(), addr="10.2.0.1").status_code == 202
    # the account endpoint draws on the same budget
    r = user.post(MY_CODES, json={"purpose": "change_phone", "phone": next_phone()},
                  environ_base={"REMOTE_ADDR": "10.2.0.1"})
    assert r.status_code == 202
    r = ask(client, next_phone(), addr="10.2.0.1")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert ask(client, next_phone(), addr="10.2.0.2").status_code == 202


def test_codes_per_account_are_limited(client, app, user, next_phone):
    for i in range(app.config["PHONE_CODES_PER_ACCOUNT_DAY"]):
        r = user.post(MY_CODES, json={"purpose": "change_phone", "phone": next_phone()},
                      environ_base={"REMOTE_ADDR": f"10.3.0.{i + 1}"})
        assert r.status_code == 202
    r = user.post(MY_CODES, json={"purpose": "change_phone", "phone": next_phone()},
                  environ_base={"REMOTE_ADDR": "10.3.1.1"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


# -- changing the number -------------------------------------------------------------------------


def change(person, phone, code, password="correct horse battery"):
    return person.post("/api/v1/me/phone",
                       json={"phone": phone, "code": code, "current_password": password})


def test_changing_the_number_needs_a_code_sent_to_the_new_number(client, app, user, next_phone,
                                                                 sent_code, jobs):
    new = next_phone()
    assert user.post(MY_CODES, json={"purpose": "change_phone", "phone": new}).status_code == 202
    code = sent_code(app, new)
    assert change(user, new, wrong(code)).status_code == 422
    assert user.get("/api/v1/me").get_json()["phone"] == user.phone
    r = change(user, new, code)
    assert r.status_code == 200
    assert r.get_json()["phone"] == new and r.get_json()["phone_verified"] is True
    assert client.post("/api/v1/auth/login",
                       json={"phone": new, "password": user.password}).status_code == 200
    [notice] = jobs(app, kind="phone_changed")
    assert notice.recipient == user.phone  # the old number is told


def test_changing_the_number_without_any_code_is_refused(app, user, next_phone):
    r = user.post("/api/v1/me/phone", json={"phone": next_phone(),
                                            "current_password": user.password})
    assert r.status_code == 422 and "code" in r.get_json()["errors"]


def test_changing_the_number_needs_the_current_password(app, user, next_phone, sent_code):
    new = next_phone()
    user.post(MY_CODES, json={"purpose": "change_phone", "phone": new})
    r = change(user, new, sent_code(app, new), password="not-my-password")
    assert r.status_code == 422 and "current_password" in r.get_json()["errors"]
    assert user.get("/api/v1/me").get_json()["phone"] == user.phone


def test_a_code_asked_by_another_account_does_not_change_mine(app, user, stranger, next_phone,
                                                              sent_code):
    new = next_phone()
    stranger.post(MY_CODES, json={"purpose": "change_phone", "phone": new})
    assert change(user, new, sent_code(app, new)).status_code == 422


def test_a_register_code_does_not_change_a_number(client, app, user, next_phone, sent_code):
    new = next_phone()
    ask(client, new)
    assert change(user, new, sent_code(app, new)).status_code == 422


def test_changing_to_a_taken_number_answers_alike_until_the_code_is_proven(app, user, stranger,
                                                                           next_phone, sent_code):
    free = next_phone()
    a = user.post(MY_CODES, json={"purpose": "change_phone", "phone": stranger.phone})
    b = user.post(MY_CODES, json={"purpose": "change_phone", "phone": free},
                  environ_base={"REMOTE_ADDR": "10.4.0.1"})
    assert a.status_code == b.status_code == 202
    assert {k: v for k, v in a.get_json().items() if k != "phone"} == \
        {k: v for k, v in b.get_json().items() if k != "phone"}
    assert change(user, stranger.phone, sent_code(app, stranger.phone)).status_code == 409


def test_guardianship_of_the_old_number_stops_counting(app, user, make_person, make_guardian,
                                                       next_phone, panic, sent_code):
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    new = next_phone()
    mom.post(MY_CODES, json={"purpose": "change_phone", "phone": new})
    assert change(mom, new, sent_code(app, new)).status_code == 200
    alert = panic(user).get_json()
    assert mom.get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    assert user.get("/api/v1/me/contacts").get_json()["items"][0]["is_guardian"] is False


# -- accounts from before verification -----------------------------------------------------------


def test_a_legacy_account_logs_in_and_raises_alerts(make_person, panic):
    legacy = make_person(verified=False, pin="1234")
    me = legacy.get("/api/v1/me").get_json()
    assert me["phone_verified"] is False
    assert panic(legacy).status_code == 201


def test_unverified_account_sees_no_invitation_until_it_verifies(app, user, make_person, sent_code):
    legacy = make_person(verified=False, name="Mom")
    r = user.post("/api/v1/me/contacts", json={"name": "Mom", "phone": legacy.phone})
    cid = r.get_json()["id"]
    assert legacy.get("/api/v1/me/guardian-invitations").get_json()["items"] == []
    assert legacy.post(f"/api/v1/me/guardian-invitations/{cid}/accept").status_code == 404
    assert legacy.post(MY_CODES, json={"purpose": "verify"}).status_code == 202
    code = sent_code(app, legacy.phone)
    assert legacy.post("/api/v1/me/phone/verify", json={"code": wrong(code)}).status_code == 422
    r = legacy.post("/api/v1/me/phone/verify", json={"code": code})
    assert r.status_code == 200 and r.get_json()["phone_verified"] is True
    items = legacy.get("/api/v1/me/guardian-invitations").get_json()["items"]
    assert [i["id"] for i in items] == [cid]
    assert legacy.post(f"/api/v1/me/guardian-invitations/{cid}/accept").status_code == 200


def test_verify_code_is_refused_once_verified(user):
    assert user.post(MY_CODES, json={"purpose": "verify"}).status_code == 409


def test_verify_takes_no_phone(user, next_phone):
    r = user.post(MY_CODES, json={"purpose": "verify", "phone": next_phone()})
    assert r.status_code == 422 and "phone" in r.get_json()["errors"]


def _accepted_before_migration(app, owner, guardian):
    """A guardianship accepted before verification existed (data the migration keeps)."""
    from safety.contacts.models import Contact
    from safety.util import utcnow

    r = owner.post("/api/v1/me/contacts", json={"name": "Mom", "phone": guardian.phone})
    with app.app_context():
        contact = db.session.get(Contact, __import__("uuid").UUID(r.get_json()["id"]))
        contact.status, contact.guardian_id = "accepted", guardian.id
        contact.responded_at = utcnow()
        db.session.commit()


def test_guardianship_accepted_by_an_unverified_account_does_not_count(app, user, make_person,
                                                                       register_device, jobs,
                                                                       panic):
    legacy = make_person(verified=False, name="Mom")
    register_device(legacy, "legacy-phone")
    _accepted_before_migration(app, user, legacy)
    assert user.get("/api/v1/me/contacts").get_json()["items"][0]["is_guardian"] is False
    alert = panic(user).get_json()
    assert legacy.get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    assert legacy.get("/api/v1/alerts?role=guardian").get_json()["items"] == []
    assert jobs(app, kind="alert", recipient_user_id=legacy.id) == []
    # her contact is still reached, by SMS to the number she gave
    assert [j.recipient for j in jobs(app, kind="alert_sms")] == [legacy.phone]


def test_that_guardianship_counts_again_once_the_number_is_verified(app, user, make_person, jobs,
                                                                    panic, sent_code):
    legacy = make_person(verified=False, name="Mom")
    _accepted_before_migration(app, user, legacy)
    legacy.post(MY_CODES, json={"purpose": "verify"})
    legacy.post("/api/v1/me/phone/verify", json={"code": sent_code(app, legacy.phone)})
    alert = panic(user).get_json()
    assert legacy.get(f"/api/v1/alerts/{alert['id']}").status_code == 200
    assert [a["id"] for a in legacy.get("/api/v1/alerts?role=guardian").get_json()["items"]] \
        == [alert["id"]]
    assert jobs(app, kind="alert_sms") == []


def test_an_account_made_before_the_migration_keeps_working(app, client, next_phone, login):
    """Downgrade to 0005, store an account the old way, upgrade: it logs in, unverified."""
    import uuid as uuid_mod

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from safety.passwords import hash_secret
    from safety.util import utcnow

    phone = next_phone()
    with app.app_context():
        db.session.remove()
        downgrade(revision="0005")
        uid = uuid_mod.uuid4()
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, locale, created_at) "
                "VALUES (:id, :phone, :hash, 'Old Account', 'ru', :now)"),
                {"id": uid if db.engine.dialect.name == "postgresql" else uid.hex,
                 "phone": phone, "hash": hash_secret(PASSWORD),
                 "now": utcnow() if db.engine.dialect.name == "postgresql"
                 else utcnow().replace(tzinfo=None)})
            conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'user')"),
                         {"id": uid if db.engine.dialect.name == "postgresql" else uid.hex})
        upgrade()
    old = login(client, phone)
    me = old.get("/api/v1/me").get_json()
    assert me["full_name"] == "Old Account" and me["phone_verified"] is False
