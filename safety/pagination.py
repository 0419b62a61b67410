"""Paged lists: one decorator, `@paginated`, for every list that can grow without bound.

A paged view returns the statement to page through; the decorator reads `?limit=&cursor=`,
runs keyset pagination on it (newest first on `(created_at, id)`) and answers
`{"items": [...], "next_cursor": ...}`. The page arguments appear in the OpenAPI document as
the operation's query parameters; the view's response schema (a `PageSchema`) documents the
answer. Lists that are bounded by nature (her contacts, open offers, hotlines, ...) are not
paged and have no `next_cursor` (docs/api-notes.md says which and why).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_

from safety.errors import Invalid
from safety.extensions import db
from safety.i18n import _l

CURSOR_PATTERN = r"^[A-Za-z0-9_.-]{1,300}$"


NOT_A_CURSOR = _l("Not a cursor this server gave out.")


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(
        CURSOR_PATTERN, error=NOT_A_CURSOR), metadata={
        "description": "`next_cursor` of the previous page, as given (opaque and signed)."})


class PageSchema(Schema):
    """The answer of a paged list; subclasses add `items`."""

    next_cursor = fields.String(allow_none=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page."})


def _cursor_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="page-cursor")


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque, signed cursor: a client can hand back only what this server gave out."""
    return _cursor_signer().dumps(
        [v.isoformat() if isinstance(v, datetime) else str(v) for v in values])


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """(created_at in UTC, id) from a cursor; anything else (garbled, forged, from another
    server) is a 422, never a 500."""
    try:
        values = _cursor_signer().loads(cursor)
        if not isinstance(values, list) or len(values) != 2 or \
                not all(isinstance(v, str) for v in values):
            raise ValueError
        at = datetime.fromisoformat(values[0])
        if at.tzinfo is None:
            raise ValueError
        return at.astimezone(UTC), uuid.UUID(values[1])
    except (BadData, ValueError, TypeError, OverflowError) as exc:
        raise Invalid("cursor", NOT_A_CURSOR) from exc


def keyset_page(stmt: Select, created_col, id_col, limit: int, cursor: str | None,
                present: Callable[[Any], Any] | None = None) -> dict:
    """One page of `stmt`, newest first on (created_at, id), each row through `present`."""
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(or_(created_col < at, and_(created_col == at, id_col < ident)))
    rows = list(db.session.scalars(
        stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, created_col.key), getattr(last, id_col.key)])
    items = [present(row) for row in rows] if present is not None else rows
    return {"items": items, "next_cursor": next_cursor}


def paginated(blp, model) -> Callable:
    """Page the rows of `model` (which has `created_at` and `id`) that the view selects.

    Put it under `@blp.response(200, <a PageSchema>)`. The view gets its own arguments as
    usual (not the page's) and returns a `select(model)...` statement, or `(statement,
    present)` when each row is shown through `present(row)`.
    """

    def decorator(view):
        @blp.arguments(PageArgsSchema, location="query", arg_name="page")
        @wraps(view)
        def wrapper(*args, page: dict, **kwargs):
            selected = view(*args, **kwargs)
            stmt, present = selected if isinstance(selected, tuple) else (selected, None)
            return keyset_page(stmt, model.created_at, model.id, page["limit"],
                               page["cursor"], present)

        return wrapper

    return decorator
