"""Bulk imports with a report per row: accepted, duplicate, rejected (with reasons), and the
all-or-nothing option. Used by the registry (CSV) and the help directory (CSV, GeoJSON)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields

from safety.errors import DomainError, Invalid
from safety.extensions import db
from safety.i18n import _, _l
from safety.schema_messages import translate_tree


def decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")  # a BOM from Excel is fine
    except UnicodeDecodeError as exc:
        raise Invalid("file", _l("The file is not UTF-8 text.")) from exc
    if "\x00" in text:
        raise Invalid("file", _l("The file contains NUL characters: it is not a text file."))
    return text


class Unreadable:
    """A row that could not be read at all (a CSV field over the csv module's limit, a GeoJSON
    feature that is not an object): `run` reports it rejected with these errors."""

    def __init__(self, errors: dict) -> None:
        self.errors = errors


def csv_rows(text: str, required: set[str]) -> Iterable[tuple[int, dict | Unreadable]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        raise Invalid("file", _l("The header row cannot be read: %(error)s.",
                                 error=str(exc))) from exc
    missing = required - set(fieldnames)
    if missing:
        raise Invalid("file", _l("Missing columns: %(columns)s.",
                                 columns=", ".join(sorted(missing))))
    n = 1  # row 1 is the header
    while True:
        n += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit(): 131072 characters
            yield n, Unreadable({"_row": [_("This row cannot be read: %(error)s.",
                                            error=str(exc))]})
            continue
        yield n, {k: v.strip() for k, v in row.items()
                  if k is not None and isinstance(v, str) and v.strip() != ""}


def only(row: dict | Unreadable, names) -> dict | Unreadable:
    """The row's columns among `names` (an unreadable row stays as it is)."""
    if isinstance(row, Unreadable):
        return row
    return {k: v for k, v in row.items() if k in names}


def run(rows: Iterable[tuple[int, dict]], schema: Schema, key: Callable[[dict], str],
        exists: Callable[[dict], bool], create: Callable[[dict], object],
        all_or_nothing: bool) -> dict:
    report = []
    seen: set[str] = set()
    with db.session.begin_nested() as savepoint:
        for n, raw in rows:
            if isinstance(raw, Unreadable):
                report.append({"row": n, "status": "rejected",
                               "errors": translate_tree(raw.errors)})
                continue
            try:
                data = schema.load(raw)
            except ValidationError as exc:
                report.append({"row": n, "status": "rejected",
                               "errors": translate_tree(exc.messages)})
                continue
            k = key(data)
            if k in seen or exists(data):
                report.append({"row": n, "status": "duplicate"})
                continue
            seen.add(k)
            obj = create(data)
            report.append({"row": n, "status": "accepted", "id": str(obj.id)})
        rejected = sum(1 for r in report if r["status"] == "rejected")
        committed = not (all_or_nothing and rejected)
        if not committed:
            savepoint.rollback()
            for r in report:
                if r["status"] == "accepted":
                    r["status"] = "not_stored"
                    r.pop("id", None)
    return {
        "committed": committed,
        "accepted": sum(1 for r in report if r["status"] == "accepted"),
        "duplicates": sum(1 for r in report if r["status"] == "duplicate"),
        "rejected": rejected,
        "rows": report,
    }


# -- the HTTP side, shared by every import endpoint ---------------------------------------------


class FileSchema(Schema):
    file = Upload(required=True, metadata={"description": "UTF-8 text (a BOM is fine)"})


def upload_doc(*media_types: str) -> dict:
    """OpenAPI for an import's multipart body: the file part is UTF-8 text of these types."""
    types = ", ".join(f"{t}; charset=utf-8" for t in media_types)
    return {"requestBody": {"content": {"multipart/form-data": {
        "encoding": {"file": {"contentType": types}}}}}}


class ImportArgs(Schema):
    all_or_nothing = fields.Boolean(load_default=False, metadata={
        "description": "Store nothing if any row is rejected."})


class ImportRowSchema(Schema):
    row = fields.Integer()
    status = fields.String(metadata={
        "description": "accepted, duplicate (already stored), rejected, or not_stored "
                       "(valid, but all_or_nothing and another row was rejected)"})
    id = fields.String()
    errors = fields.Dict()


class ImportReportSchema(Schema):
    committed = fields.Boolean()
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowSchema))


def read_upload(files: dict) -> tuple[bytes, str]:
    upload = files["file"]
    raw = upload.read()
    if not raw:
        raise Invalid("file", _l("The file is empty."))
    return raw, upload.filename or ""


def refuse_uncommitted(report: dict) -> None:
    """all_or_nothing with a rejected row: 422 with the report; the caller stores nothing."""
    if not report["committed"]:
        raise DomainError(_l("Some rows were rejected, so nothing was stored."), status=422,
                          extra={"report": report})
