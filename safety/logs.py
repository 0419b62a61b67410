"""Request ids and, optionally (LOG_FORMAT=json), logs as JSON lines.

Every request has an id: the `X-Request-Id` it came with when that is a plain token (letters,
digits, `.`, `_`, `:`, `-`; at most 128 characters: what a proxy's or a load balancer's id looks
like), else a new random one. It is answered in `X-Request-Id` and carried by every log line
written while the request is served, so one request's lines can be found together. Anything
else in the header is ignored: a client cannot write a line break or a quote into the logs.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def register_request_id(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if _ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _answer_id(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[HEADER] = request_id
        return response


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id (in
    a request), exc (a traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


JSON_LOGGERS = ("", "gunicorn.error", "gunicorn.access")


def use_json_logs(names: tuple[str, ...] = JSON_LOGGERS) -> None:
    """Give these loggers' handlers (the root's, and gunicorn's own) the JSON formatter."""
    formatter = JsonFormatter()
    for name in names:
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
