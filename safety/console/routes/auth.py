"""Log in, log out, and the language switch."""

from __future__ import annotations

import hmac
import secrets
import uuid

from flask import current_app, g, make_response, redirect, render_template, request, url_for
from flask_jwt_extended import (
    get_jwt,
    set_access_cookies,
    unset_access_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError
from marshmallow import ValidationError

from safety import i18n
from safety.accounts.schemas import LoginSchema
from safety.accounts.throttles import login_attempts
from safety.console import sessions
from safety.console.routes import bp, console_view, safe_next
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l

LOGIN_CSRF_COOKIE = "console_login"  # the login form's own CSRF value (there is no session yet)
LANG_COOKIE = "console_lang"  # the login page's language, before anyone is known


def _login_locale() -> str:
    return (i18n.supported(request.args.get("lang"))
            or i18n.supported(request.cookies.get(LANG_COOKIE))
            or request.accept_languages.best_match(i18n.LOCALES)
            or i18n.DEFAULT_LOCALE)


def _login_form(status: int = 200, error: object = None, errors: dict | None = None,
                phone: str = "", headers: dict | None = None):
    locale = _login_locale()
    token = secrets.token_urlsafe(32)
    with i18n.recipient(locale):
        html = render_template(
            "console/login.html", login_csrf=token, error=error, errors=errors or {},
            phone=phone, next=safe_next(request.values.get("next")), login_locale=locale)
    response = make_response(html, status)
    secure = current_app.config["CONSOLE_COOKIE_SECURE"]
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, secure=secure,
                        samesite="Strict", path="/console/login")
    if i18n.supported(request.args.get("lang")):
        response.set_cookie(LANG_COOKIE, locale, secure=secure, samesite="Lax",
                            path="/console/", max_age=365 * 86400)
    response.headers.update(headers or {})
    return response


def _logged_in() -> bool:
    try:
        verify_jwt_in_request(locations=["cookies"], optional=True)
        claims = get_jwt()
    except (JWTExtendedException, PyJWTError):
        return False
    return bool(claims.get("console")) and sessions.session_alive(uuid.UUID(claims["sid"]))


@bp.get("/login")
def login_page():
    if _logged_in():
        return redirect(url_for("console.board_page"), 303)
    return _login_form()


@bp.post("/login")
@login_attempts
def login():
    sent = request.form.get("csrf_token", "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    phone = request.form.get("phone", "")[:40]
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_form(400, _l("The login form expired. Try again."), phone=phone)
    try:
        data = LoginSchema().load({"phone": request.form.get("phone", ""),
                                   "password": request.form.get("password", "")})
    except ValidationError as error:
        return _login_form(422, _l("Check the phone number and the password."),
                           errors=error.messages, phone=phone)
    try:
        started = sessions.open_session(data["phone"], data["password"])
    except DomainError as error:
        db.session.rollback()
        return _login_form(error.status, error.detail, phone=phone, headers=error.headers)
    db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("console.board_page"),
                        303)
    set_access_cookies(response, started.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


@bp.errorhandler(429)
def _too_many(error):
    """The per-address login limit (Flask-Limiter): the login page again, saying so."""
    retry = error.response.headers.get("Retry-After") if error.response is not None else None
    return _login_form(429, _l("Too many login attempts from this address. Try again in a "
                               "minute."), headers={"Retry-After": retry or "60"})


@bp.post("/logout")
@console_view()
def logout():
    sessions.end_session(uuid.UUID(g.console_claims["sid"]))
    db.session.commit()
    g.console_logged_out = True
    response = redirect(url_for("console.login_page"), 303)
    unset_access_cookies(response)
    return response


@bp.post("/language")
@console_view()
def language():
    sessions.set_locale(g.console_user, request.form.get("locale", ""),
                        uuid.UUID(g.console_claims["sid"]))
    db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("console.board_page"), 303)
