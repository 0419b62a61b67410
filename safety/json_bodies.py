"""A body sent to an operation that takes JSON must say it is JSON.

`curl -d '{...}'` sends `application/x-www-form-urlencoded`; webargs then finds no JSON body
and every required field is "Missing data" (422), which sends people looking in the wrong
place. Instead, a non-empty body without a JSON content type (`application/json`, or any
`application/*+json`) on an operation whose arguments are a JSON body is answered 415 with a
problem that says so. Operations that take files (multipart: the CSV and GeoJSON imports) or
no body are not touched; an empty body goes on to the schema as before.
"""

from __future__ import annotations

from flask import Flask, request

from safety.errors import DomainError
from safety.i18n import _l

DETAIL = _l("This operation takes a JSON body: send it with the header "
            "'Content-Type: application/json'.")


def takes_json(app: Flask, endpoint: str | None, method: str) -> bool:
    """Whether the view behind `endpoint` reads a JSON body for `method` (a flask-smorest
    `@blp.arguments(Schema)` with the default location, json)."""
    view = app.view_functions.get(endpoint or "")
    if view is None:
        return False
    view_class = getattr(view, "view_class", None)
    func = getattr(view_class, method.lower(), None) if view_class else view
    params = getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" for p in params)


def register_json_bodies(app: Flask) -> None:
    known: dict[tuple[str | None, str], bool] = {}

    @app.before_request
    def _json_or_415():
        if request.is_json:
            return
        key = (request.endpoint, request.method)
        if key not in known:
            known[key] = takes_json(app, *key)
        if known[key] and request.get_data(cache=True):
            headers = {f"Accept-{request.method.title()}": "application/json"} \
                if request.method in ("POST", "PATCH") else None
            raise DomainError(DETAIL, status=415, headers=headers)
