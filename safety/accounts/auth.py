"""JWT wiring: who a token names, whether its session is revoked, and the problem+json answers
for a missing, bad, expired or revoked token. Registered by the app factory (`register_jwt`).

The route decorators (`login_required`, `me`) stay in `safety.auth`: every feature's routes use
them, and they need no model, so `safety.auth` imports no feature (accounts included).
"""

from __future__ import annotations

import uuid
from functools import cache

from flask import Flask, g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from safety.accounts.models import AuthSession, User
from safety.errors import problem
from safety.extensions import db, jwt
from safety.i18n import _l


@cache
def _session_and_user():
    """The token's login session (`sid`) with its user (`sub`) and their roles: built once, run
    by every authenticated request."""
    return (select(AuthSession.revoked_at, User)
            .outerjoin(User, User.id == bindparam("sub"))
            .where(AuthSession.id == bindparam("sid"))
            .options(joinedload(User.role_rows)))


def register_jwt(app: Flask) -> None:
    @jwt.user_identity_loader
    def _identity(user):
        return str(user.id) if isinstance(user, User) else str(user)

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        known = g.pop("_token_user", None)  # read with its session by `_revoked`, just now
        if known is not None and known[0] == payload.get("sub"):
            return known[1]
        try:
            return db.session.get(User, uuid.UUID(payload["sub"]))
        except (ValueError, KeyError):
            return None

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload) -> bool:
        """Whether the token's login session is gone or revoked. Its user (and roles) come in
        the same query, for `_lookup` next: one round trip per request for both, not three."""
        sid = payload.get("sid")
        if not sid:
            return True
        try:
            sid_id = uuid.UUID(sid)
        except ValueError:
            return True
        try:
            sub_id = uuid.UUID(str(payload.get("sub")))
        except ValueError:
            sub_id = None  # no such user: `_lookup` answers for it
        row = db.session.execute(_session_and_user(), {"sid": sid_id, "sub": sub_id}
                                 ).unique().first()
        if row is None or row.revoked_at is not None:
            return True
        g._token_user = (payload.get("sub"), row.User)
        return False

    @jwt.unauthorized_loader
    def _missing(reason: str):
        return problem(401, _l("Authentication required (%(reason)s).", reason=reason))

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return problem(401, _l("The token is not valid (%(reason)s).", reason=reason))

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return problem(401, _l("The token has expired; refresh it or log in again."))

    @jwt.revoked_token_loader
    def _revoked_answer(_header, _payload):
        return problem(401, _l("The token has been revoked; log in again."))

    @jwt.user_lookup_error_loader
    def _no_user(_header, _payload):
        return problem(401, _l("The account behind this token no longer exists."))

    @jwt.needs_fresh_token_loader
    def _needs_fresh(_header, _payload):
        return problem(401, _l("A fresh login is required for this action."))
