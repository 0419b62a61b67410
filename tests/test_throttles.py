"""Per-account throttles of password checks, across client addresses (issue 9, item 10)."""

from __future__ import annotations

import itertools
import threading

import pytest

PASSWORD = "correct horse battery"
_addresses = itertools.count(1)


def login(client, phone, password):
    """Each attempt from a new client address: the per-address limit never applies."""
    n = next(_addresses)
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": password},
                       environ_base={"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}."
                                                    f"{n % 256}"})


def fail_logins(app, client, phone, n=None):
    for _ in range(n or app.config["ACCOUNT_LOGIN_MAX_FAILURES"]):
        assert login(client, phone, "not the password").status_code == 401


def assert_locked(r):
    assert r.status_code == 429, r.get_json()
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["status"] == 429
    assert int(r.headers["Retry-After"]) > 0


def test_wrong_passwords_from_many_addresses_lock_the_account(app, client, user):
    fail_logins(app, client, user.phone)
    r = login(client, user.phone, PASSWORD)  # the right one, from yet another address
    assert_locked(r)
    assert int(r.headers["Retry-After"]) <= app.config["ACCOUNT_LOCK_S"]


def test_the_lock_ends_and_the_right_password_works_again(app, clock, client, user):
    fail_logins(app, client, user.phone)
    clock.advance(app.config["ACCOUNT_LOCK_S"] + 1)
    assert login(client, user.phone, PASSWORD).status_code == 200


def test_each_lock_in_a_row_lasts_twice_as_long(app, clock, client, user):
    lock_s = app.config["ACCOUNT_LOCK_S"]
    fail_logins(app, client, user.phone)
    clock.advance(lock_s + 1)
    fail_logins(app, client, user.phone)
    r = login(client, user.phone, PASSWORD)
    assert_locked(r)
    assert lock_s < int(r.headers["Retry-After"]) <= 2 * lock_s
    clock.advance(lock_s + 1)
    assert_locked(login(client, user.phone, PASSWORD))
    clock.advance(lock_s)
    assert login(client, user.phone, PASSWORD).status_code == 200


def test_a_lock_does_not_touch_her_tokens_or_her_panic(app, client, user, panic):
    fail_logins(app, client, user.phone)
    assert_locked(login(client, user.phone, PASSWORD))
    assert panic(user).status_code == 201
    r = client.post("/api/v1/auth/refresh",
                    headers={"Authorization": f"Bearer {user.refresh}"})
    assert r.status_code == 200


def test_a_right_password_forgets_the_failures(app, client, user):
    max_failures = app.config["ACCOUNT_LOGIN_MAX_FAILURES"]
    fail_logins(app, client, user.phone, max_failures - 1)
    assert login(client, user.phone, PASSWORD).status_code == 200
    fail_logins(app, client, user.phone, max_failures - 1)
    assert login(client, user.phone, PASSWORD).status_code == 200


def test_failures_older_than_the_window_are_forgotten(app, clock, client, user):
    fail_logins(app, client, user.phone, app.config["ACCOUNT_LOGIN_MAX_FAILURES"] - 1)
    clock.advance(app.config["ACCOUNT_FAILURE_WINDOW_S"] + 1)
    fail_logins(app, client, user.phone, app.config["ACCOUNT_LOGIN_MAX_FAILURES"] - 1)
    assert login(client, user.phone, PASSWORD).status_code == 200


def test_a_number_without_an_account_locks_the_same_way(app, client, user, next_phone):
    """The lock says nothing about whether a number has an account."""
    nobody = next_phone()
    fail_logins(app, client, user.phone)
    fail_logins(app, client, nobody)
    known, unknown = login(client, user.phone, "x"), login(client, nobody, "x")
    assert known.status_code == unknown.status_code == 429
    assert known.get_json() == unknown.get_json()
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_one_account_locked_leaves_the_others_alone(app, client, user, stranger):
    fail_logins(app, client, user.phone)
    assert login(client, stranger.phone, PASSWORD).status_code == 200


def test_concurrent_guesses_get_no_more_checks_than_the_limit(app, user):
    """Attempts are counted before argon2 runs: twenty at once still get ten checks."""
    max_failures = app.config["ACCOUNT_LOGIN_MAX_FAILURES"]
    n = 2 * max_failures
    barrier = threading.Barrier(n)
    answers: list[int] = []

    def guess(k):
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/auth/login",
                        json={"phone": user.phone, "password": f"guess number {k}"},
                        environ_base={"REMOTE_ADDR": f"10.9.0.{k + 1}"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(answers) == [401] * max_failures + [429] * (n - max_failures)


# -- the current password on PATCH /me -------------------------------------------------------


def change_password(person, current):
    return person.patch("/api/v1/me", json={"current_password": current,
                                            "password": "a brand new password"})


def test_wrong_current_passwords_lock_the_password_change(app, clock, user):
    for _ in range(app.config["ACCOUNT_PASSWORD_MAX_FAILURES"]):
        r = change_password(user, "not the password")
        assert r.status_code == 422 and "current_password" in r.get_json()["errors"]
    assert_locked(change_password(user, PASSWORD))
    clock.advance(app.config["ACCOUNT_LOCK_S"] + 1)
    assert change_password(user, PASSWORD).status_code == 200


def test_the_password_change_lock_is_its_own(app, client, user):
    """Guessing on her unlocked phone locks the change, not her logins (nor the reverse)."""
    for _ in range(app.config["ACCOUNT_PASSWORD_MAX_FAILURES"]):
        change_password(user, "not the password")
    assert login(client, user.phone, PASSWORD).status_code == 200
    assert user.patch("/api/v1/me", json={"full_name": "Aigerim N"}).status_code == 200


@pytest.mark.parametrize("what", ["cancel", "check-in"])
def test_concurrent_wrong_pins_get_no_more_checks_than_the_limit(app, user, what, panic):
    """PIN gates count before argon2 too (and let go of the row while it runs)."""
    if what == "cancel":
        alert = panic(user).get_json()
        path = f"/api/v1/alerts/{alert['id']}/cancel"
    else:
        timer = user.post("/api/v1/timers", json={
            "duration_s": 600, "location": {"lat": 43.25, "lon": 76.92}}).get_json()
        path = f"/api/v1/timers/{timer['id']}/check-in"
    max_attempts = app.config["CANCEL_MAX_ATTEMPTS"]
    n = 2 * max_attempts
    barrier = threading.Barrier(n)
    answers: list[dict] = []

    def guess(k):
        client = app.test_client()
        barrier.wait()
        r = client.post(path, json={"pin": f"{k:04d}"}, headers=user.headers)
        answers.append(r.get_json())

    threads = [threading.Thread(target=guess, args=(k + 1,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(a["status"] == 403 for a in answers)
    counted = sorted(a["attempts_left"] for a in answers if "locked_until" not in a)
    assert counted == list(range(1, max_attempts))


def test_idle_throttle_rows_are_purged(app, clock, client, user, drain, next_phone):
    from sqlalchemy import func, select

    from safety.accounts.models import AuthThrottle
    from safety.extensions import db
    def rows():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(AuthThrottle))

    fail_logins(app, client, next_phone(), 1)
    assert rows() == 1
    clock.advance(app.config["ACCOUNT_FAILURE_WINDOW_S"] + app.config["ACCOUNT_LOCK_MAX_S"] + 1)
    drain(app)  # a worker's heartbeat enqueues this (new) window's periodic purge, and runs it
    assert rows() == 0
