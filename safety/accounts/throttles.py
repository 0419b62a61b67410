"""Per-account throttles of password checks: login (per phone number) and the current password
on `PATCH /me` (per user), across client addresses and processes.

An attempt is admitted, and counted, before argon2 runs; the count is committed on its own, so
however many requests arrive at once, from however many addresses, no more than the limit are
checked before the gate locks. The attempt that reaches the limit locks the gate at once; a
right password takes the count (and the lock) away. While locked, nothing is checked: a right
password is refused too, otherwise the lock would be an oracle (429 for wrong, 200 for right).
Each lock in a row lasts twice as long as the one before, up to ACCOUNT_LOCK_MAX_S.

A lock blocks new logins only: tokens already issued keep working, so he cannot stop her from
raising a panic by locking her account.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from safety.accounts.models import AuthThrottle
from safety.db import committed_alone
from safety.errors import TooMany
from safety.extensions import db, limiter
from safety.i18n import _l
from safety.util import utcnow

# gate -> the setting that says how many failures it allows per window
GATES = {
    "login": "ACCOUNT_LOGIN_MAX_FAILURES",
    "current_password": "ACCOUNT_PASSWORD_MAX_FAILURES",
}


@dataclass(frozen=True)
class Ticket:
    """An admitted attempt; give it to `passed` when the password was right."""

    key: str


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# One per-address budget for every password login, the API's (POST /auth/login) and the
# console's (POST /console/login): a second door must not double the guesses.
login_attempts = limiter.shared_limit(_login_limit, scope="login")


def _key(gate: str, subject: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{gate}:{subject}".encode(), hashlib.sha256).hexdigest()


def _locked_row(gate: str, key: str) -> AuthThrottle:
    """The gate's row, created if new, locked for this transaction (FOR UPDATE; on SQLite the
    transaction already holds the write lock)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(AuthThrottle.__table__)
        .values(key=key, gate=gate, failures=0, locks=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return db.session.scalars(
        select(AuthThrottle).where(AuthThrottle.key == key).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def locked_answer(seconds: float) -> TooMany:
    wait = max(1, math.ceil(seconds))
    return TooMany(_l("Too many wrong passwords for this account. Try again later."),
                   headers={"Retry-After": str(wait)})


def admit(gate: str, subject: str) -> Ticket:
    """Count one password check at `gate` for `subject` (a phone number, a user id), or raise
    TooMany (429 with Retry-After) while the gate is locked. Commits the count on its own when
    the caller has written nothing (see `committed_alone`): the caller then holds no lock."""
    cfg = current_app.config
    key = _key(gate, subject)
    with committed_alone():
        row = _locked_row(gate, key)
        now = utcnow()
        if row.locked_until is not None and row.locked_until > now:
            raise locked_answer((row.locked_until - now).total_seconds())
        lock_max = timedelta(seconds=cfg["ACCOUNT_LOCK_MAX_S"])
        if row.locked_until is not None and row.locked_until + lock_max <= now:
            row.locks = 0  # quiet for long enough: the backoff starts over
        window = timedelta(seconds=cfg["ACCOUNT_FAILURE_WINDOW_S"])
        if row.window_started_at is None or row.window_started_at + window <= now:
            row.failures, row.window_started_at = 0, now
        row.failures += 1  # counted now; a right password takes it back
        if row.failures >= cfg[GATES[gate]]:
            # The last check allowed: lock at once, so that no other runs beside it.
            row.locks += 1
            seconds = cfg["ACCOUNT_LOCK_S"] * 2 ** min(row.locks - 1, 20)
            row.locked_until = now + min(timedelta(seconds=seconds), lock_max)
            row.failures, row.window_started_at = 0, None
        row.updated_at = now
    return Ticket(key)


def passed(ticket: Ticket) -> None:
    """The password was right: forget the failures, the lock and the backoff."""
    db.session.execute(delete(AuthThrottle).where(AuthThrottle.key == ticket.key))


def purge() -> int:
    """Forget rows nobody has touched for longer than a window and the longest lock."""
    cfg = current_app.config
    idle = timedelta(seconds=cfg["ACCOUNT_FAILURE_WINDOW_S"] + cfg["ACCOUNT_LOCK_MAX_S"])
    result = db.session.execute(
        delete(AuthThrottle).where(AuthThrottle.updated_at < utcnow() - idle)
    )
    return result.rowcount or 0
