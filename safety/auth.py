"""Route decorators: who is calling (`me`) and role checks (`login_required`).

The JWT loaders behind them (identity, revocation, error answers) need the account models and
live in `safety.accounts.auth`, registered by the app factory.
"""

from __future__ import annotations

import uuid
from copy import deepcopy
from functools import wraps

from flask_jwt_extended import current_user, get_current_user, get_jwt, verify_jwt_in_request
from flask_smorest.utils import deepupdate

from safety.errors import Forbidden
from safety.i18n import _l, forget_locale
from safety.openapi import document_errors


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

    The OpenAPI document says so too: operations behind this decorator need `bearerAuth` and
    answer 401 (and 403 with `roles`); every other operation is documented as needing no
    token (`security` is empty by default).
    """

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(refresh=refresh)
            forget_locale()  # the signed-in user's locale counts from here on
            if roles and not current_user.has_role(*roles):
                raise Forbidden(_l("Your account does not have the role this action needs."))
            return fn(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
        wrapper._apidoc["manual_doc"] = deepupdate(
            wrapper._apidoc.get("manual_doc", {}), {"security": [{"bearerAuth": []}]})
        document_errors(wrapper, (401, 403) if roles else (401,))
        return wrapper

    return decorator
