"""JWT wiring: who is calling, whether their token is revoked, and role checks."""

from __future__ import annotations

import uuid
from copy import deepcopy
from functools import wraps

from flask import Flask
from flask_jwt_extended import current_user, get_current_user, get_jwt, verify_jwt_in_request
from flask_smorest.utils import deepupdate

from safety.errors import Forbidden, problem
from safety.extensions import db, jwt


def register_jwt(app: Flask) -> None:
    from safety.accounts.models import AuthSession, User  # noqa: PLC0415

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
        return problem(401, f"Authentication required: {reason}.")

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return problem(401, f"The token is not valid: {reason}.")

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return problem(401, "The token has expired; refresh it or log in again.")

    @jwt.revoked_token_loader
    def _revoked_answer(_header, _payload):
        return problem(401, "The token has been revoked; log in again.")

    @jwt.user_lookup_error_loader
    def _no_user(_header, _payload):
        return problem(401, "The account behind this token no longer exists.")

    @jwt.needs_fresh_token_loader
    def _needs_fresh(_header, _payload):
        return problem(401, "A fresh login is required for this action.")


def me():
    """The calling user (a view must be behind `login_required`): the User itself, not a proxy,
    so that services may use its type and identity."""
    return get_current_user()


def session_id() -> uuid.UUID:
    """The login session (`sid`) of the token presented (a view behind `login_required`; the
    token blocklist has already checked that it names a live session)."""
    return uuid.UUID(get_jwt()["sid"])


def login_required(*roles: str, refresh: bool = False):
    """Require a valid access token (or refresh token) and, if given, one of `roles`.

    The OpenAPI document says so too: operations behind this decorator need `bearerAuth`;
    every other operation is documented as needing no token (`security` is empty by default).
    """

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(refresh=refresh)
            if roles and not current_user.has_role(*roles):
                raise Forbidden("Your account does not have the role this action needs.")
            return fn(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
        wrapper._apidoc["manual_doc"] = deepupdate(
            wrapper._apidoc.get("manual_doc", {}), {"security": [{"bearerAuth": []}]})
        return wrapper

    return decorator
