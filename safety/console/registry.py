"""Page 6, the offender registry (platform admins): entries found and paged, the forms loaded
through the API's own `EntrySchema` and written by `registry.service` (so a form is refused
exactly as `POST/PATCH /api/v1/registry/entries` refuses the same body, and audited the same
way), the CSV import's report, and the audit log of checks and changes with a CSV download.
Plain values out; the views (safety/console/routes/registry.py) only show them."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from safety import imports
from safety.accounts.models import User
from safety.console.csv_cells import cell
from safety.errors import VALIDATION_FAILED, DomainError
from safety.extensions import db
from safety.i18n import _l
from safety.pagination import CURSOR_PATTERN, NOT_A_CURSOR, keyset_page
from safety.registry import service as registry
from safety.registry.models import (
    CATEGORIES,
    LEGAL_BASES,
    PURPOSES,
    RegistryAudit,
    RegistryCheck,
    RegistryEntry,
)
from safety.registry.schemas import EntrySchema
from safety.schema_messages import translate_tree
from safety.util import utcnow

PAGE = 50
EXPORT_MAX = 10_000  # rows in one CSV download (newest first); a filter narrows it

FIELDS = registry.FIELDS
REQUIRED = ("full_name", "category", "decided_on", "authority", "legal_basis", "expires_on")

CATEGORY = {
    "domestic_violence_administrative": _l("Domestic violence (administrative offence)"),
    "protective_order": _l("Protective order"),
    "domestic_violence_criminal": _l("Domestic violence (criminal conviction)"),
    "sexual_offense": _l("Sexual offence"),
}
LEGAL_BASIS = {"court_decision": _l("Court decision"),
               "subject_consent": _l("Consent of the person listed")}
PURPOSE = {"new_partner": _l("new partner"), "dating": _l("dating"), "family": _l("family"),
           "roommate": _l("roommate"), "caregiver": _l("caregiver"), "other": _l("other")}
RESULT = {"no_match": _l("no match"), "possible_match": _l("possible match"),
          "match": _l("match")}
ACTION = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed"),
          "import": _l("imported")}
OUTCOME = {"accepted": _l("stored"), "duplicate": _l("already stored"),
           "rejected": _l("rejected"), "not_stored": _l("not stored (another row was rejected)")}
assert set(CATEGORY) == set(CATEGORIES) and set(LEGAL_BASIS) == set(LEGAL_BASES) and \
    set(PURPOSE) == set(PURPOSES)


def _invalid(messages) -> DomainError:
    return DomainError(VALIDATION_FAILED, status=422, errors=translate_tree(messages))


# -- entries -------------------------------------------------------------------------------------


def form_body(form) -> dict:
    """The form as the API's JSON body: required fields as typed (an empty one is refused as
    the API refuses ""), optional ones empty → null. Only the entry's fields."""
    body: dict = {}
    for field in FIELDS:
        if field not in form:
            continue
        value = form.get(field, "")
        if field in REQUIRED:
            body[field] = value
        else:
            body[field] = value.strip() or None
    return body


def create(actor: User, form) -> RegistryEntry:
    try:
        data = EntrySchema().load(form_body(form))
    except ValidationError as error:
        raise _invalid(error.messages) from None
    return registry.create_entry(actor, data)


def edit(actor: User, entry_id: uuid.UUID, form) -> bool:
    """The form as a PATCH of every field; whether anything changed."""
    entry = registry.get_entry(entry_id)  # an unknown entry is 404 before its form is judged
    before = {k: getattr(entry, k) for k in FIELDS}
    try:
        data = EntrySchema(partial=True).load(form_body(form))
    except ValidationError as error:
        raise _invalid(error.messages) from None
    entry = registry.update_entry(actor, entry_id, data)
    return any(getattr(entry, k) != v for k, v in before.items())


def remove(actor: User, entry_id: uuid.UUID) -> None:
    registry.delete_entry(actor, entry_id)


class ListArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=300))
    include_deleted = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(
        CURSOR_PATTERN, error=NOT_A_CURSOR))


def args(schema: type[Schema], raw) -> dict:
    """A page's query through its schema: what it cannot read is 422 with the field's message
    (as at the API), never a 500 and never silently something else."""
    try:
        return schema().load({k: v for k, v in raw.items() if k in schema._declared_fields
                              and v != ""})
    except ValidationError as error:
        raise _invalid(error.messages) from None


@dataclass
class EntryRow:
    entry: RegistryEntry
    state: str  # live | expired | deleted


def _state(entry: RegistryEntry) -> str:
    if entry.deleted_at is not None:
        return "deleted"
    return "expired" if entry.expires_on < utcnow().date() else "live"


def entries(a: dict) -> dict:
    page = keyset_page(registry.list_entries(a["include_deleted"], a["q"]),
                       RegistryEntry.created_at, RegistryEntry.id, a["limit"], a["cursor"])
    page["items"] = [EntryRow(e, _state(e)) for e in page["items"]]
    return page


@dataclass
class EntryDetail:
    entry: RegistryEntry
    state: str
    history: list


def detail(entry_id: uuid.UUID) -> EntryDetail:
    entry = registry.get_entry(entry_id)
    page = keyset_page(registry.audit_log().where(RegistryAudit.entry_id == entry_id),
                       RegistryAudit.created_at, RegistryAudit.id, PAGE, None)
    return EntryDetail(entry, _state(entry), _changes(page["items"]))


# -- import --------------------------------------------------------------------------------------


def import_file(actor: User, files, form) -> dict:
    """The API's import (`registry.service.import_csv`, the same schema and report); with "all or
    nothing" and a rejected row, 422 with the report and nothing stored."""
    try:
        upload = imports.FileSchema().load({"file": files["file"]} if "file" in files else {})
    except ValidationError as error:
        raise _invalid(error.messages) from None
    raw, _name = imports.read_upload(upload)
    all_or_nothing = form.get("all_or_nothing") in ("1", "true", "on")
    report = registry.import_csv(actor, raw, EntrySchema(), all_or_nothing)
    imports.refuse_uncommitted(report)
    return report


# -- the audit log -------------------------------------------------------------------------------


class ChecksArgs(Schema):
    result = fields.String(load_default=None, validate=validate.OneOf(tuple(RESULT)))
    purpose = fields.String(load_default=None, validate=validate.OneOf(PURPOSES))
    user = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(
        CURSOR_PATTERN, error=NOT_A_CURSOR))


class ChangesArgs(Schema):
    action = fields.String(load_default=None, validate=validate.OneOf(tuple(ACTION)))
    entry = fields.UUID(load_default=None)
    actor = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(
        CURSOR_PATTERN, error=NOT_A_CURSOR))


def _users(ids) -> dict[uuid.UUID, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def phone_tail(phone: str | None) -> str:
    """A checker's number as the log shows it: the last four digits (who she is, not how to
    reach her)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return f"…{digits[-4:]}" if digits else ""


@dataclass
class CheckRow:
    check: RegistryCheck
    who: str
    who_phone: str


def _checks_stmt(a: dict):
    stmt = registry.all_checks()
    if a["result"]:
        stmt = stmt.where(RegistryCheck.result == a["result"])
    if a["purpose"]:
        stmt = stmt.where(RegistryCheck.purpose == a["purpose"])
    if a["user"]:
        stmt = stmt.where(RegistryCheck.user_id == a["user"])
    return stmt


def _check_rows(rows) -> list[CheckRow]:
    users = _users(r.user_id for r in rows)
    out = []
    for r in rows:
        user = users.get(r.user_id)
        out.append(CheckRow(r, user.full_name if user else "", phone_tail(user and user.phone)))
    return out


def checks(a: dict) -> dict:
    page = keyset_page(_checks_stmt(a), RegistryCheck.created_at, RegistryCheck.id,
                       a["limit"], a["cursor"])
    page["items"] = _check_rows(page["items"])
    return page


@dataclass
class ChangeRow:
    change: RegistryAudit
    operator: str
    entry_name: str
    lines: list[tuple[str, str]]  # (field, what happened to it)


def _text(value) -> str:
    return "–" if value is None or value == "" else str(value)


def _lines(change: RegistryAudit) -> list[tuple[str, str]]:
    data = change.changes or {}
    if change.action == "update":
        return [(k, f"{_text(v.get('from'))} → {_text(v.get('to'))}")
                for k, v in sorted(data.items()) if isinstance(v, dict)]
    return [(k, _text(data[k])) for k in FIELDS if k in data and data[k] not in (None, "")]


def _changes(rows) -> list[ChangeRow]:
    users = _users(r.actor_id for r in rows)
    entry_ids = {r.entry_id for r in rows if r.entry_id is not None}
    names = dict(db.session.execute(select(RegistryEntry.id, RegistryEntry.full_name)
                                    .where(RegistryEntry.id.in_(entry_ids))).all()) \
        if entry_ids else {}
    return [ChangeRow(r, users[r.actor_id].full_name if r.actor_id in users else "",
                      names.get(r.entry_id, ""), _lines(r)) for r in rows]


def _changes_stmt(a: dict):
    stmt = registry.audit_log()
    if a["action"]:
        stmt = stmt.where(RegistryAudit.action == a["action"])
    if a["entry"]:
        stmt = stmt.where(RegistryAudit.entry_id == a["entry"])
    if a["actor"]:
        stmt = stmt.where(RegistryAudit.actor_id == a["actor"])
    return stmt


def changes(a: dict) -> dict:
    page = keyset_page(_changes_stmt(a), RegistryAudit.created_at, RegistryAudit.id,
                       a["limit"], a["cursor"])
    page["items"] = _changes(page["items"])
    return page


# -- CSV downloads of the log --------------------------------------------------------------------


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else _text(value)


def _newest(stmt, model) -> list:
    return list(db.session.scalars(stmt.order_by(model.created_at.desc(), model.id.desc())
                                   .limit(EXPORT_MAX)))


def checks_csv(a: dict) -> str:
    """The checks the filter finds, newest first (at most EXPORT_MAX), English column names;
    every text cell guarded against a spreadsheet running it (`csv_cells.cell`): the name a
    person typed into a check is hers to choose."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["checked_at_utc", "user_id", "user_name", "purpose", "full_name",
                     "birth_date", "iin", "phone", "result", "match_count"])
    for row in _check_rows(_newest(_checks_stmt(a), RegistryCheck)):
        c = row.check
        writer.writerow([_iso(c.created_at), c.user_id, cell(row.who), c.purpose,
                         cell(c.full_name), _iso(c.birth_date) if c.birth_date else "",
                         cell(c.iin), cell(c.phone), c.result, c.match_count])
    return out.getvalue()


def changes_csv(a: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["changed_at_utc", "operator_id", "operator_name", "action", "entry_id",
                     "entry_name", "changes"])
    for row in _changes(_newest(_changes_stmt(a), RegistryAudit)):
        c = row.change
        writer.writerow([_iso(c.created_at), c.actor_id or "", cell(row.operator), c.action,
                         c.entry_id or "", cell(row.entry_name),
                         cell(json.dumps(c.changes, ensure_ascii=False, sort_keys=True))])
    return out.getvalue()
