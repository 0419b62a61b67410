"""JWT wiring: who a token names, whether its session is revoked, and the problem+json answers
for a missing, bad, expired or revoked token. Registered by the app factory (`register_jwt`).

The route decorators (`login_required`, `me`) stay in `safety.auth`: every feature's routes use
them, and they need no model, so `safety.auth` imports no feature (accounts included).
"""

from __future__ import annotations

import uuid

from flask import Flask

from safety.accounts.models import AuthSession, User
from safety.errors import problem
from safety.extensions import db, jwt
from safety.i18n import _l


def register_jwt(app: Flask) -> None:
    @jwt.user_identity_loader
    def _identity(user):
        return str(user.id) if isinstance(user, User) else str(user)

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        try:
            return db.session.get(User, uuid.UUID(payload["sub"]))
        except (ValueError, KeyError):
            return None

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload) -> bool:
        sid = payload.get("sid")
        if not sid:
            return True
        try:
            session = db.session.get(AuthSession, uuid.UUID(sid))
        except ValueError:
            return True
        return session is None or session.revoked_at is not None

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
