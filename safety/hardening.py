"""Request guards every endpoint shares (what no schema can say).

- JSON bodies nested deeper than JSON_MAX_DEPTH are refused (400) before anyone parses them:
  Python's json module would otherwise run out of stack (RecursionError, a 500) at ~1,000.
"""

from __future__ import annotations

import re

from flask import Flask, request

from safety.errors import DomainError

JSON_MAX_DEPTH = 32  # our deepest body (an org's MultiPolygon coverage) is 6 levels

# A JSON string (skipped whole, brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


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


def register_hardening(app: Flask) -> None:
    @app.before_request
    def _refuse_deep_json():
        if request.is_json and json_too_deep(request.get_data(cache=True)):
            raise DomainError(
                f"The request body is nested more than {JSON_MAX_DEPTH} levels deep.",
                status=400)
