import pytest

from safety.extensions import db

PROBLEM = "application/problem+json"


@pytest.fixture
def register(app, register_with_code):
    def _register(client, phone="+7 701 555 1234", password="s3cret-password", name="Dana"):
        return register_with_code(client, app, phone, password=password, full_name=name)

    return _register


def test_register_normalises_phone_to_e164(client, register):
    r = register(client, phone="8 (701) 555-12-34")
    assert r.status_code == 201
    body = r.get_json()
    assert body["phone"] == "+77015551234"
    assert body["roles"] == ["user"]
    assert "password" not in body and "password_hash" not in body


def test_register_same_phone_twice_is_409_and_first_account_kept(client, register):
    assert register(client, password="first-password").status_code == 201
    r = register(client, phone="+77015551234", password="second-password")
    assert r.status_code == 409
    assert r.content_type == PROBLEM
    ok = client.post("/api/v1/auth/login",
                     json={"phone": "+77015551234", "password": "first-password"})
    assert ok.status_code == 200


@pytest.mark.parametrize("payload, field", [
    ({"phone": "+77015551234", "password": "long-enough", "full_name": "x"}, "code"),
    ({"phone": "123", "password": "long-enough", "full_name": "x"}, "phone"),
    ({"phone": "+77015551234", "password": "short", "full_name": "x"}, "password"),
    ({"phone": "+77015551234", "password": "long-enough"}, "full_name"),
    ({"phone": "+77015551234", "password": "long-enough", "full_name": "x", "locale": "fr"},
     "locale"),
])
def test_register_validation_is_422_with_field_errors(client, payload, field):
    r = client.post("/api/v1/auth/register", json=payload)
    assert r.status_code == 422
    assert r.content_type == PROBLEM
    assert field in r.get_json()["errors"]


def test_login_refresh_logout_revokes_access_and_refresh(client, register):
    register(client)
    r = client.post("/api/v1/auth/login", json={"phone": "87015551234",
                                                 "password": "s3cret-password"})
    assert r.status_code == 200
    tokens = r.get_json()
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/me", headers=access).get_json()["full_name"] == "Dana"
    new = client.post("/api/v1/auth/refresh", headers=refresh)
    assert new.status_code == 200
    new_access = {"Authorization": f"Bearer {new.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=new_access).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=access).status_code == 204
    for headers in (access, new_access):
        gone = client.get("/api/v1/me", headers=headers)
        assert gone.status_code == 401 and gone.content_type == PROBLEM
    assert client.post("/api/v1/auth/refresh", headers=refresh).status_code == 401


def test_logout_of_one_session_leaves_the_other(client, register):
    register(client)
    creds = {"phone": "+77015551234", "password": "s3cret-password"}
    a = client.post("/api/v1/auth/login", json=creds).get_json()
    b = client.post("/api/v1/auth/login", json=creds).get_json()
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {a['access_token']}"})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {b['access_token']}"})
    assert me.status_code == 200


def test_wrong_password_and_unknown_phone_look_the_same(client, register):
    register(client)
    a = client.post("/api/v1/auth/login", json={"phone": "+77015551234", "password": "nope-nope"})
    b = client.post("/api/v1/auth/login", json={"phone": "+77019999999", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.get_json()["detail"] == b.get_json()["detail"]


def test_refresh_token_is_not_an_access_token(client, user):
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {user.refresh}"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/refresh", headers=user.headers)
    assert r.status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.jwt", "Basic abc"])
def test_missing_or_bad_token_is_401_problem(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.content_type == PROBLEM
    assert r.get_json()["status"] == 401


def test_expired_access_token_is_401(app, client, user):
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-5),
                                    additional_claims={"sid": "x"})
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_patch_me_changes_name_and_password_needs_current(client, user):
    r = user.patch("/api/v1/me", json={"full_name": "Aigerim S."})
    assert r.status_code == 200 and r.get_json()["full_name"] == "Aigerim S."
    r = user.patch("/api/v1/me", json={"password": "brand-new-pass"})
    assert r.status_code == 422 and "current_password" in r.get_json()["errors"]
    r = user.patch("/api/v1/me", json={"password": "brand-new-pass",
                                       "current_password": "wrong-one"})
    assert r.status_code == 422
    r = user.patch("/api/v1/me", json={"password": "brand-new-pass",
                                       "current_password": user.password})
    assert r.status_code == 200
    ok = client.post("/api/v1/auth/login", json={"phone": user.phone,
                                                  "password": "brand-new-pass"})
    assert ok.status_code == 200


@pytest.mark.parametrize("payload, field", [
    ({"pin": "12"}, "pin"),
    ({"pin": "123456789"}, "pin"),
    ({"pin": "12a4"}, "pin"),
    ({"pin": "1234", "duress_pin": "1234"}, "duress_pin"),
    ({"pin": "1234", "duress_pin": "99"}, "duress_pin"),
])
def test_pin_rules(make_person, payload, field):
    p = make_person()
    r = p.put("/api/v1/me/pin", json={**payload, "current_password": p.password})
    assert r.status_code == 422
    assert field in r.get_json()["errors"]
    assert p.get("/api/v1/me").get_json()["has_pin"] is False


def test_pin_set(make_person):
    p = make_person()
    assert p.put("/api/v1/me/pin", json={"pin": "2468", "duress_pin": "1357",
                                         "current_password": p.password}).status_code == 204
    assert p.get("/api/v1/me").get_json()["has_pin"] is True


def test_pin_is_stored_as_argon2id(app, user):
    from safety.accounts.models import User

    with app.app_context():
        u = db.session.get(User, user.id)
        assert u.pin_hash.startswith("$argon2id$")
        assert u.password_hash.startswith("$argon2id$")


def test_devices_put_update_delete(user):
    body = {"push_token": "tok-1", "platform": "android", "app_version": "1.2.0"}
    r = user.put("/api/v1/me/devices/inst-1", json=body)
    assert r.status_code == 200 and r.get_json()["active"] is True
    r = user.put("/api/v1/me/devices/inst-1", json={**body, "push_token": "tok-2"})
    assert r.status_code == 200 and r.get_json()["push_token"] == "tok-2"
    assert user.delete("/api/v1/me/devices/inst-1").status_code == 204
    assert user.delete("/api/v1/me/devices/inst-1").status_code == 404


def test_device_of_another_person_cannot_be_deleted(user, stranger):
    user.put("/api/v1/me/devices/inst-1", json={"push_token": "t", "platform": "ios"})
    assert stranger.delete("/api/v1/me/devices/inst-1").status_code == 404
    assert user.delete("/api/v1/me/devices/inst-1").status_code == 204


def test_device_bad_platform_is_422(user):
    r = user.put("/api/v1/me/devices/inst-1", json={"push_token": "t", "platform": "symbian"})
    assert r.status_code == 422 and "platform" in r.get_json()["errors"]


def test_token_moved_to_another_account_retires_old_device(app, user, stranger):
    from safety.notify.models import Device

    user.put("/api/v1/me/devices/a", json={"push_token": "shared", "platform": "android"})
    stranger.put("/api/v1/me/devices/b", json={"push_token": "shared", "platform": "android"})
    with app.app_context():
        devices = {d.installation_id: d for d in db.session.query(Device)}
        assert devices["a"].retired_at is not None
        assert devices["b"].retired_at is None


def test_login_rate_limited_with_retry_after(client, register):
    register(client)
    statuses = [
        client.post("/api/v1/auth/login",
                    json={"phone": "+77015551234", "password": "wrong-password"}).status_code
        for _ in range(10)
    ]
    assert set(statuses) == {401}
    r = client.post("/api/v1/auth/login", json={"phone": "+77015551234",
                                                 "password": "s3cret-password"})
    assert r.status_code == 429
    assert r.content_type == PROBLEM
    assert int(r.headers["Retry-After"]) > 0


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["safety", "create-admin", "--phone", "87017770000",
                                 "--password", "admin-password"])
    assert result.exit_code == 0, result.output
    from safety.accounts.service import user_by_phone

    with app.app_context():
        admin = user_by_phone("+77017770000")
        assert admin.has_role("admin")
        assert admin.phone_verified_at is not None  # the operator vouches for the number
    bad = runner.invoke(args=["safety", "create-admin", "--phone", "12", "--password", "x" * 9])
    assert bad.exit_code != 0
