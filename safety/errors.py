"""problem+json (RFC 9457) for every error the API can answer with, its `title` (the status
phrase), `detail` and `errors` in the request's language (safety.i18n.select_locale)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, json
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session
from werkzeug.exceptions import HTTPException

from safety.i18n import Text, _l
from safety.schema_messages import translate_tree

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


class ProblemSchema(ma.Schema):
    """The body of every error (RFC 9457), as `problem()` writes it. Documentation only.
    Open to more members (RFC 9457 extensions), as a problem may carry them."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"description": "The HTTP status phrase."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(required=True, metadata={
        "description": "What went wrong, for a person to read."})
    errors = ma.fields.Dict(keys=ma.fields.String(), metadata={
        "description": "422: field name -> list of messages (nested for nested fields)."})
    attempts_left = ma.fields.Integer(metadata={
        "description": "403 after a wrong PIN: wrong PINs left before the lock."})
    locked_until = ma.fields.AwareDateTime(metadata={
        "description": "403 while PIN entry is locked: when it opens again."})
    report = ma.fields.Dict(metadata={
        "description": "422 of an all-or-nothing import: the per-row report; nothing was stored."})


class DomainError(Exception):
    """A rule of the service said no. Services raise these; the app turns them into problems."""

    status = 400

    def __init__(
        self,
        detail: Text,
        *,
        status: int | None = None,
        errors: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}


class NotFound(DomainError):
    status = 404

    def __init__(self, detail: Text | None = None, **kw: Any) -> None:
        super().__init__(detail if detail is not None else _l("Not found."), **kw)


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422

    def __init__(self, field: str, message: Text, **kw: Any) -> None:
        super().__init__(message, errors={field: [message]}, **kw)


class TooMany(DomainError):
    status = 429


# The status phrases (Python's http.HTTPStatus, in English) that a problem's title may be.
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    408: _l("Request Timeout"),
    409: _l("Conflict"),
    410: _l("Gone"),
    411: _l("Length Required"),
    412: _l("Precondition Failed"),
    413: _l("Request Entity Too Large"),
    414: _l("Request-URI Too Long"),
    415: _l("Unsupported Media Type"),
    416: _l("Requested Range Not Satisfiable"),
    417: _l("Expectation Failed"),
    421: _l("Misdirected Request"),
    422: _l("Unprocessable Entity"),
    423: _l("Locked"),
    424: _l("Failed Dependency"),
    428: _l("Precondition Required"),
    429: _l("Too Many Requests"),
    431: _l("Request Header Fields Too Large"),
    451: _l("Unavailable For Legal Reasons"),
    500: _l("Internal Server Error"),
    501: _l("Not Implemented"),
    502: _l("Bad Gateway"),
    503: _l("Service Unavailable"),
    504: _l("Gateway Timeout"),
    505: _l("HTTP Version Not Supported"),
}

# Our detail for an HTTP error raised with werkzeug's own (English, long) description.
DETAILS = {
    400: _l("The request is not valid."),
    401: _l("Authentication required."),
    403: _l("You may not do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    413: _l("The request body is too large."),
    500: _l("Something went wrong on our side. The request was not completed."),
}


def title_for(status: int) -> str:
    if status in TITLES:
        return str(TITLES[status])
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"


def problem(
    status: int,
    detail: Text | None = None,
    *,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
):
    """A problem+json response; lazy texts (title, detail, the messages in `errors`) are
    rendered here, in the request's language."""
    title = title_for(status)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": str(detail) if detail else title,
    }
    if errors:
        body["errors"] = translate_tree(errors)
    if extra:
        body.update(extra)
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs gives {"json": {"field": [...]}} or {"query": {...}}: keep field -> messages."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    out: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out


VALIDATION_FAILED = _l("The request did not validate; see errors.")


def problem_from_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    headers = dict(data.get("headers") or {})
    if error.response is not None:  # e.g. Flask-Limiter builds its own response
        headers.update({k: v for k, v in error.response.headers.items() if k == "Retry-After"})
    detail: Text | None = error.description
    if detail == type(error).description:  # werkzeug's own words: ours, in her language
        detail = DETAILS.get(status)
    errors = None
    if status == 422 and messages:
        errors = _flatten_messages(messages)
        detail = VALIDATION_FAILED
    elif status == 400 and messages:
        detail = _l("The request body is not valid JSON.")
    elif status == 429:
        detail = _l("Too many requests (%(limit)s). Try again later.",
                    limit=error.description)
    if status == 429 and "Retry-After" not in headers:
        limit = getattr(error, "limit", None)
        seconds = getattr(getattr(limit, "limit", None), "get_expiry", lambda: 60)()
        headers["Retry-After"] = str(int(seconds))
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem(status, detail, errors=errors, headers=headers)


def register_errors(app: Flask, session: scoped_session) -> None:
    """Every error answers problem+json; one that ends the request rolls `session` back (the
    app's database session, given by the factory: this module imports no extension)."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        session.rollback()
        return problem(
            error.status, error.detail, errors=error.errors, extra=error.extra,
            headers=error.headers,
        )

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        session.rollback()
        log.info("integrity error: %s", error.orig)
        return problem(409, _l("The request conflicts with data already stored."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return problem_from_http_exception(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return problem_from_http_exception(error)
        session.rollback()
        log.exception("unhandled error")
        return problem(500, DETAILS[500])
