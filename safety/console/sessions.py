"""Console logins: the API's account rules and throttles (`accounts.service.authenticate`),
a login session of its own (`AuthSession`, ended by logout, a password change or its age),
and a short-lived access token in an HttpOnly cookie that carries the session id and the
CSRF value (flask-jwt-extended's cookie mode; docs/console.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token

from safety.accounts import service as accounts
from safety.accounts.models import AuthSession, User
from safety.dispatch.desk import desk_for
from safety.errors import Forbidden, Invalid
from safety.extensions import db
from safety.i18n import _l, supported
from safety.util import utcnow


@dataclass
class ConsoleLogin:
    user: User
    session_id: uuid.UUID
    token: str


def idle() -> timedelta:
    return timedelta(minutes=current_app.config["CONSOLE_IDLE_MINUTES"])


def open_session(phone: str, password: str) -> ConsoleLogin:
    """Log in at the console: the API's password check and throttles, then the console's own
    rule: a platform admin, or the admin of an organisation."""
    user = accounts.authenticate(phone, password)
    if not desk_for(user).operator:
        raise Forbidden(_l("This console is for platform administrators and the "
                           "administrators of partner organisations."))
    session = accounts.start_session(
        user, timedelta(hours=current_app.config["CONSOLE_SESSION_HOURS"]))
    return ConsoleLogin(user, session.id, issue_token(user, session.id))


def issue_token(user: User, session_id: uuid.UUID, csrf: str | None = None) -> str:
    """An access token for the console cookie, valid CONSOLE_IDLE_MINUTES. A renewed token
    keeps the session's CSRF value, so pages already open keep working."""
    claims: dict = {"sid": str(session_id), "console": True}
    if csrf:
        claims["csrf"] = csrf
    return create_access_token(identity=user, additional_claims=claims, expires_delta=idle())


def session_alive(session_id: uuid.UUID) -> bool:
    """Not logged out, not ended by a password change, not older than CONSOLE_SESSION_HOURS."""
    session = db.session.get(AuthSession, session_id)
    return (session is not None and session.revoked_at is None
            and session.expires_at > utcnow())


def end_session(session_id: uuid.UUID) -> None:
    accounts.logout(session_id)


def set_locale(user: User, locale: str, session_id: uuid.UUID) -> User:
    """The operator's language, kept on the account (`users.locale`): pushes to him use it
    too."""
    chosen = supported(locale)
    if chosen is None:
        raise Invalid("locale", _l("Choose kk, ru or en."))
    return accounts.update_me(user, {"locale": chosen}, session_id)
