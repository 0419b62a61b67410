"""Guards every response and request shares (what no schema or view can say).

- JSON bodies nested deeper than JSON_MAX_DEPTH are refused (400) before anyone parses them:
  Python's json module would otherwise run out of stack (RecursionError, a 500) at ~1,000.
- A NUL character in a query parameter or a JSON string is a 422 naming the field (in the
  path, a 404): no field takes one, and PostgreSQL cannot store one in text (a DataError, a
  500, after validation had passed). So is half of a UTF-16 surrogate pair (`"\ud800"` with
  no partner): JSON's grammar lets it through, but it is not a character — UTF-8 cannot
  encode it, and neither database driver can store it.
- The panic is the exception (REPAIRED): a panic must never fail, so in its body those
  characters are replaced by U+FFFD (the replacement character) and the alert is raised.
- Every response: `X-Content-Type-Options: nosniff`.
- Every response that may carry personal data: `Cache-Control: no-store` — everything under
  /api/v1 except the OpenAPI document and Swagger UI, and the SMS tracking page /t/<token>.
- The tracking token never reaches a log: a filter on the access loggers (werkzeug's dev
  server, gunicorn's access and error logs) rewrites /t/<token> to /t/[redacted].
"""

from __future__ import annotations

import json
import logging
import re

from flask import Flask, request

from safety.errors import VALIDATION_FAILED, DomainError, NotFound
from safety.i18n import _, _l, _n
from safety.json_bodies import register_json_bodies

JSON_MAX_DEPTH = 32  # our deepest body (an org's MultiPolygon coverage) is 6 levels

# A JSON string (skipped whole, brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')

# `\u0000` or `\ud800`-`\udfff` in a JSON text: a backslash escape, i.e. preceded by an even
# number of backslashes. (Raw UTF-8 cannot carry either a surrogate or, in JSON, a raw NUL.)
_JSON_UNSTORABLE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# (method, URL rule) whose JSON body is repaired instead of refused: the panic.
REPAIRED = {("POST", "/api/v1/alerts")}

# The loggers that write request lines (and so paths) of this process.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
_TRACKING_PATH = re.compile(r"/t/[^\s/?#\"'&]+")
REDACTED = "/t/[redacted]"


def json_too_deep(body: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the usual body: nothing to scan
    depth = 0
    for token in _JSON_TOKEN.finditer(body):
        c = token.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif c in (b"]", b"}"):
            depth -= 1
    return False


def _nul_message() -> str:
    return _("Contains a NUL character.")


def _surrogate_message() -> str:
    return _("Contains half of a UTF-16 surrogate pair, which is not a character.")


def _safe(key) -> str:
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(key))


def _text_errors(text: str) -> list[str]:
    found = []
    if "\x00" in text:
        found.append(_nul_message())
    if _SURROGATE.search(text):
        found.append(_surrogate_message())
    return found


def nul_errors(value) -> dict | list | None:
    """Where characters no database stores (NUL, lone surrogates) are in a parsed JSON value,
    as marshmallow-style error messages."""
    if isinstance(value, str):
        return _text_errors(value) or None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    errors = {}
    for key, item in items:
        found = nul_errors(item)
        if isinstance(key, str) and _UNSTORABLE.search(key):
            found = [_("A field name contains a NUL character or half of a surrogate pair.")]
        if found:
            errors[_safe(key)] = found
    return errors or None


def repaired(value):
    """`value` with every NUL and lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {repaired(k): repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repaired(v) for v in value]
    return value


def _query_nul_errors() -> dict | None:
    if b"%00" not in request.query_string and b"\x00" not in request.query_string:
        return None
    errors = {_safe(key): [_nul_message()] for key, values in request.args.lists()
              if "\x00" in key or any("\x00" in v for v in values)}
    return errors or {"_query": [_nul_message()]}


def _body_nul_errors() -> dict | None:
    if not request.is_json or not _JSON_UNSTORABLE.search(request.get_data(cache=True)):
        return None
    try:
        body = json.loads(request.get_data(cache=True))
    except ValueError:
        return None  # not JSON after all: the usual 400 follows
    found = nul_errors(body)
    if not found:
        return None
    rule = request.url_rule.rule if request.url_rule else None
    if (request.method, rule) in REPAIRED:
        # webargs parses the cached bytes: hand it the repaired body (ASCII, so escaped)
        request._cached_data = json.dumps(repaired(body)).encode()
        return None
    return found if isinstance(found, dict) else {"_schema": found}


def private(path: str, endpoint: str | None) -> bool:
    """Whether a response may carry personal data (and so must not be stored by any cache)."""
    if path.startswith("/t/"):
        return True
    if not path.startswith("/api/v1/"):
        return False
    return not (endpoint or "").startswith("api-docs.")  # the OpenAPI document and its UI


class RedactTrackingTokens(logging.Filter):
    """Rewrites `/t/<token>` in a log record to `/t/[redacted]` (the token is a bearer secret:
    whoever reads the access log could follow her live location)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TRACKING_PATH.sub(REDACTED, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTrackingTokens) for f in logger.filters):
            logger.addFilter(RedactTrackingTokens())


def register_hardening(app: Flask) -> None:
    install_log_redaction()
    register_json_bodies(app)  # a body that is not JSON where JSON is expected: 415

    @app.before_request
    def _refuse_deep_json():
        if request.is_json and json_too_deep(request.get_data(cache=True)):
            raise DomainError(_n("The request body is nested more than %(num)d level deep.",
                                 "The request body is nested more than %(num)d levels deep.",
                                 JSON_MAX_DEPTH), status=400)

    @app.before_request
    def _refuse_nul():
        if "\x00" in request.path:
            raise NotFound(_l("No such path."))
        errors = {**(_query_nul_errors() or {}), **(_body_nul_errors() or {})}
        if errors:
            raise DomainError(VALIDATION_FAILED, status=422, errors=errors)

    @app.after_request
    def _headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        if private(request.path, request.endpoint):
            response.headers["Cache-Control"] = "no-store"
        return response
