"""The console's blueprint and what every page shares: the session check (`console_view`), the
navigation (`NAV`, `nav_item`), rendering in the operator's language and time zone, error pages,
session renewal and the security headers.

Adding a page (docs/console.md, "Adding a page"): a module in this package with its views under
`@bp.route(...)` and `@console_view(<roles>)`, a `nav_item(...)` line if it belongs in the menu,
its import at the bottom of this file, a template under templates/console/, and what it shows
built by a module of `safety.console` (or a feature's service) from plain values: views stay
thin and never decide who may see what on their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from babel.dates import format_timedelta
from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_jwt_extended import (
    current_user,
    get_jwt,
    set_access_cookies,
    unset_access_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt.exceptions import PyJWTError

from safety import i18n
from safety.console import sessions
from safety.db import end_read_transaction, read_only_transaction
from safety.dispatch.desk import Desk, desk_for
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l

bp = Blueprint("console", __name__, url_prefix="/console")

ROLES = ("admin", "org_admin")  # the API's roles; an org admin is the console's dispatcher


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[str, ...]
    order: int


NAV: list[NavItem] = []


def nav_item(endpoint: str, label: object, roles: tuple[str, ...] = ROLES,
             order: int = 100) -> None:
    """Put a page in the menu (shown to the desks that may open it)."""
    NAV.append(NavItem(f"console.{endpoint}", label, roles, order))
    NAV.sort(key=lambda item: item.order)


def may(desk: Desk, roles: tuple[str, ...]) -> bool:
    """Whether the desk holds one of `roles`: `admin` (a platform admin) or `org_admin` (the
    admin of at least one organisation)."""
    return ("admin" in roles and desk.admin) or ("org_admin" in roles and bool(desk.org_ids))


def htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None) -> str | None:
    """A place to go back to after login or a language change: a console path of this site,
    never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or \
            "\\" in target:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def to_login():
    """Not (or no longer) logged in: to the login page; htmx follows HX-Redirect."""
    target = url_for("console.login_page")
    if request.method == "GET" and not htmx():
        target = url_for("console.login_page", next=request.full_path.rstrip("?"))
    if htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
    else:
        response = redirect(target, 303)
    unset_access_cookies(response)
    return response


def error_page(status: int, detail: object, *, errors: dict | None = None,
               headers: dict | None = None):
    template = "console/_error.html" if htmx() else "console/error.html"
    response = make_response(render_template(template, status=status, detail=detail,
                                             errors=errors or {}), status)
    response.headers.update(headers or {})
    return response


def render(template: str, status: int = 200, **context):
    """Render a page once its data is read: the transaction ends first (after an action, on
    SQLite, it holds the write lock, and a panic must not wait for a template)."""
    end_read_transaction()
    if request.method == "GET":
        read_only_transaction()  # anything the template still loads
    return make_response(render_template(template, **context), status)


def _verify():
    """The console cookie's token, its CSRF value on every POST, and its login session."""
    try:
        verify_jwt_in_request(locations=["cookies"])
    except CSRFError:
        return error_page(403, _l("This form has expired or did not come from the console. "
                                  "Reload the page and try again."))
    except (JWTExtendedException, PyJWTError):
        return to_login()
    claims = get_jwt()
    user = current_user
    if not claims.get("console") or user is None or \
            not sessions.session_alive(uuid.UUID(claims["sid"])):
        return to_login()
    g.console_user, g.console_claims, g.csrf_token = user, claims, claims["csrf"]
    return None


def console_view(*roles: str):
    """Every console view: a live console session, the desk (`g.desk`) holding one of `roles`
    (403 otherwise), the page in the operator's language and time zone, service refusals
    shown as pages, and the session renewed while it is used."""
    roles = roles or ROLES

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if request.method == "GET":
                read_only_transaction()  # SQLite: the page never holds the write lock
            refusal = _verify()
            if refusal is not None:
                return refusal
            user = g.console_user
            with i18n.recipient(user.locale, user.time_zone):
                g.desk = desk_for(user)
                if not g.desk.operator:
                    return to_login()
                if not may(g.desk, roles):
                    return error_page(403, _l("Your account cannot open this page."))
                try:
                    response = make_response(fn(*args, **kwargs))
                except DomainError as error:
                    db.session.rollback()
                    response = error_page(error.status, error.detail, errors=error.errors,
                                          headers=error.headers)
            _renew(response)
            return response

        return wrapper

    return decorator


def _renew(response) -> None:
    """Sliding expiry: a token past half its life is replaced (same session, same CSRF)."""
    if getattr(g, "console_logged_out", False):
        return
    claims = g.console_claims
    left = claims["exp"] - datetime.now(UTC).timestamp()
    if left < sessions.idle().total_seconds() / 2:
        token = sessions.issue_token(g.console_user, uuid.UUID(claims["sid"]), claims["csrf"])
        set_access_cookies(response, token)


@bp.app_template_filter("age")
def _age(seconds: float | None) -> str:
    """A duration as the operator's language says it briefly ("3 min", "45 sec")."""
    if seconds is None:
        return "–"
    return format_timedelta(timedelta(seconds=seconds), threshold=1, format="short",
                            locale=get_locale())


@bp.app_template_filter("secs")
def _secs(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f}"


@bp.app_template_global()
def console_nav():
    desk = getattr(g, "desk", None)
    if desk is None:
        return []
    return [item for item in NAV if may(desk, item.roles)]


@bp.context_processor
def _context():
    return {"locales": [(code, i18n.locale_name(code)) for code in i18n.LOCALES],
            "locale": i18n.current_locale(), "console_user": getattr(g, "console_user", None),
            "csrf_token": getattr(g, "csrf_token", ""),
            "poll_ms": current_app.config["CONSOLE_POLL_MS"],
            "tile_url": current_app.config["CONSOLE_TILE_URL"]}


@bp.after_request
def _headers(response):
    """No cache keeps what a console page shows; no other site frames it or is sent its
    address; scripts, styles, sounds and requests only from this server."""
    tile = current_app.config["CONSOLE_TILE_URL"]
    tile_host = "/".join(tile.split("/")[:3]).replace("{s}.", "*.") if tile else ""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: " + tile_host + "; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; media-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'")
    return response


# The pages: each module registers its views on `bp`.
from safety.console.routes import (  # noqa: E402, F401
    alert,
    auth,
    board,
    delivery,
    help,
    orgs,
    registry,
    responders,
    stats,
)
