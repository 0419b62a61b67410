"""argon2 never runs while a database transaction is open (issue 9, item 11).

On SQLite every transaction takes the database's write lock at BEGIN (IMMEDIATE), so a hash
inside one would hold every panic behind it. A spy on argon2's PasswordHasher looks, at each
hash and verify, whether the calling request's session has a transaction open and (SQLite)
whether anyone holds the write lock; a parked hash shows that a panic goes through meanwhile.
"""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher

from safety.extensions import db
from tests.helpers import sqlite_write_locked

PASSWORD = "correct horse battery"


class HashSpy:
    """Replaces PasswordHasher.hash/verify with wrappers that record the database state and,
    when `park` is set, wait on `release` before hashing."""

    def __init__(self, app, monkeypatch) -> None:
        self.app = app
        self.seen: list[dict] = []
        self.park = False
        self.parked = threading.Event()
        self.release = threading.Event()
        for name in ("hash", "verify"):
            original = getattr(PasswordHasher, name)

            def wrapper(hasher, *args, _original=original, _name=name, **kwargs):
                self._record(_name)
                return _original(hasher, *args, **kwargs)

            monkeypatch.setattr(PasswordHasher, name, wrapper)

    def _record(self, name: str) -> None:
        state = {"op": name, "in_transaction": db.session().in_transaction(), "locked": False}
        if self.app.config["BACKEND"] == "sqlite":
            state["locked"] = sqlite_write_locked(self.app)
        self.seen.append(state)
        if self.park:
            self.parked.set()
            assert self.release.wait(60)


@pytest.fixture
def spy(app, monkeypatch):
    return HashSpy(app, monkeypatch)


def _register(client, make_person, fx):
    phone = fx.next_phone()
    assert client.post("/api/v1/auth/phone-codes", json={"phone": phone}).status_code == 202
    code = fx.sent_code(client.application, phone)
    return lambda: client.post("/api/v1/auth/register", json={
        "phone": phone, "code": code, "password": PASSWORD, "full_name": "New Person"})


def _phone_change(current):
    def setup(client, make_person, fx):
        p = make_person()
        new = fx.next_phone()
        assert p.post("/api/v1/me/phone-codes",
                      json={"purpose": "change_phone", "phone": new}).status_code == 202
        code = fx.sent_code(client.application, new)
        return lambda: p.post("/api/v1/me/phone", json={
            "phone": new, "code": code, "current_password": current})

    return setup


def _login(password, known=True):
    def setup(client, make_person, fx):
        phone = make_person().phone if known else fx.next_phone()
        return lambda: client.post("/api/v1/auth/login",
                                   json={"phone": phone, "password": password})

    return setup


def _password_change(current):
    def setup(client, make_person, fx):
        p = make_person()
        return lambda: p.patch("/api/v1/me", json={"current_password": current,
                                                   "password": "a brand new one"})

    return setup


def _first_pin(client, make_person, fx):
    p = make_person()
    return lambda: p.put("/api/v1/me/pin", json={"pin": "2580", "duress_pin": "0852",
                                                 "current_password": PASSWORD})


def _change_pin(current):
    def setup(client, make_person, fx):
        p = make_person(pin="1234", duress_pin="9999")
        return lambda: p.put("/api/v1/me/pin", json={"pin": "2580", "duress_pin": "0852",
                                                     "current_pin": current})

    return setup


def _cancel(pin):
    def setup(client, make_person, fx):
        p = make_person(pin="1234", duress_pin="9999")
        alert = fx.panic(p).get_json()
        return lambda: p.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": pin})

    return setup


def _check_in(pin):
    def setup(client, make_person, fx):
        p = make_person(pin="1234", duress_pin="9999")
        timer = p.post("/api/v1/timers", json={
            "duration_s": 600, "location": {"lat": 43.25, "lon": 76.92}}).get_json()
        return lambda: p.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": pin})

    return setup


# what the request does -> (set-up returning the request, its status); a set-up gets the client,
# make_person and `fx`, the shared helpers it may use (next_phone, sent_code, panic)
ACTIONS = {
    "register": (_register, 201),
    "login": (_login(PASSWORD), 200),
    "login with a wrong password": (_login("wrong one!"), 401),
    "login with an unknown phone": (_login(PASSWORD, known=False), 401),
    "PATCH /me password": (_password_change(PASSWORD), 200),
    "PATCH /me wrong current password": (_password_change("not it at all"), 422),
    "POST /me/phone": (_phone_change(PASSWORD), 200),
    "POST /me/phone wrong current password": (_phone_change("not it at all"), 422),
    "PUT /me/pin, the first": (_first_pin, 204),
    "PUT /me/pin": (_change_pin("1234"), 204),
    "PUT /me/pin with the duress PIN": (_change_pin("9999"), 204),
    "PUT /me/pin with a wrong PIN": (_change_pin("0000"), 403),
    "cancel": (_cancel("1234"), 200),
    "cancel with the duress PIN": (_cancel("9999"), 200),
    "cancel with a wrong PIN": (_cancel("0000"), 403),
    "timer check-in": (_check_in("1234"), 200),
    "timer check-in with the duress PIN": (_check_in("9999"), 200),
    "timer check-in with a wrong PIN": (_check_in("0000"), 403),
}


@pytest.mark.parametrize("name", ACTIONS)
def test_no_transaction_is_open_while_argon2_runs(client, make_person, spy, name, next_phone,
                                                  sent_code, panic):
    setup, status = ACTIONS[name]
    fx = SimpleNamespace(next_phone=next_phone, sent_code=sent_code, panic=panic)
    request = setup(client, make_person, fx)
    spy.seen.clear()  # set-up (make_person) hashes too: record only the request
    r = request()
    assert r.status_code == status, r.get_json()
    assert spy.seen, "the request hashed nothing"
    assert [s for s in spy.seen if s["in_transaction"] or s["locked"]] == []


def test_create_admin_hashes_outside_a_transaction(app, spy, next_phone):
    result = app.test_cli_runner().invoke(args=[
        "safety", "create-admin", "--phone", next_phone(), "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert spy.seen and [s for s in spy.seen if s["in_transaction"] or s["locked"]] == []


def _in_thread(fn) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


@pytest.mark.parametrize("slow", ["login", "cancel"])
def test_a_panic_goes_through_while_a_hash_is_running(app, make_person, spy, slow, panic):
    """A login (or her own cancel) stops inside argon2 until we let it go; meanwhile a panic
    (another woman's, or hers pressed again) must complete. Before the fix the hash held the
    SQLite write lock (at cancel also the alert row's lock), so the panic waited for it."""
    her = make_person(pin="1234", duress_pin="9999")
    other = make_person()
    alert = panic(her).get_json()
    if slow == "login":
        path, body, headers = "/api/v1/auth/login", {"phone": other.phone,
                                                      "password": PASSWORD}, {}
        presser = other
    else:
        path, body, headers = f"/api/v1/alerts/{alert['id']}/cancel", {"pin": "1234"}, \
            her.headers
        presser = her
    spy.park = True
    slow_thread, slow_out = _in_thread(
        lambda: app.test_client().post(path, json=body, headers=headers))
    try:
        assert spy.parked.wait(30), "the request never reached argon2"
        spy.park = False
        panic_thread, panic_out = _in_thread(lambda: app.test_client().post(
            "/api/v1/alerts", headers=presser.headers, json={
                "client_id": str(uuid.uuid4()), "trigger": "button",
                "location": {"lat": 43.25, "lon": 76.92}}))
        panic_thread.join(20)
        assert not panic_thread.is_alive(), "the panic waited for a password hash"
        assert panic_out[0].status_code in (200, 201)
    finally:
        spy.release.set()
        slow_thread.join(60)
    assert slow_out and slow_out[0].status_code == 200


def test_spy_sees_a_transaction_when_one_is_open(app, spy):
    """The spy itself works: a hash inside a transaction is seen as one."""
    from safety.passwords import hash_secret

    with app.app_context():
        db.session.execute(db.select(db.literal(1)))
        hash_secret(str(uuid.uuid4()))
        db.session.rollback()
    assert spy.seen[-1]["in_transaction"]
    if app.config["BACKEND"] == "sqlite":
        assert spy.seen[-1]["locked"]
