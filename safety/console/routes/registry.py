"""Page 6, the offender registry (platform admins): entries searched and paged, created, edited
and removed (kept, marked deleted); the CSV import with its report per row; the audit log of
checks and changes, paged, filtered, and as CSV (safety.console.registry, through
registry.service)."""

from __future__ import annotations

import uuid

from flask import current_app, g, make_response, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from safety.console import registry as service
from safety.console.routes import bp, console_view, error_page, nav_item, render
from safety.db import end_read_transaction
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l

nav_item("registry_page", _l("Registry"), roles=("admin",), order=60)

DONE = {"created": _l("Entry added."), "saved": _l("Saved."),
        "unchanged": _l("Nothing was changed."),
        "removed": _l("Entry removed: it no longer matches any check. It is kept, marked "
                      "removed, with its history.")}


def _labels() -> dict:
    return {"categories": service.CATEGORY, "bases": service.LEGAL_BASIS,
            "purposes": service.PURPOSE, "results": service.RESULT, "actions": service.ACTION,
            "outcomes": service.OUTCOME}


@bp.get("/registry")
@console_view("admin")
def registry_page():
    a = service.args(service.ListArgs, request.args)
    return render("console/registry.html", page=service.entries(a), args=a, **_labels())


@bp.get("/registry/entries/new")
@console_view("admin")
def registry_new():
    return render("console/registry_entry.html", detail=None, form=None, **_labels())


@bp.post("/registry/entries")
@console_view("admin")
def registry_create():
    try:
        entry = service.create(g.console_user, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return render("console/registry_entry.html", status=error.status, detail=None,
                      form=request.form, error=error, **_labels())
    return redirect(url_for("console.registry_entry", entry_id=entry.id, done="created"), 303)


def _entry_page(entry_id: uuid.UUID, status: int = 200, error: DomainError | None = None,
                form=None):
    return render("console/registry_entry.html", status=status,
                  detail=service.detail(entry_id), form=form, error=error,
                  message=DONE.get(request.args.get("done", "")), **_labels())


@bp.get("/registry/entries/<uuid:entry_id>")
@console_view("admin")
def registry_entry(entry_id: uuid.UUID):
    return _entry_page(entry_id)


@bp.post("/registry/entries/<uuid:entry_id>")
@console_view("admin")
def registry_save(entry_id: uuid.UUID):
    try:
        changed = service.edit(g.console_user, entry_id, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _entry_page(entry_id, error.status, error, request.form)
    done = "saved" if changed else "unchanged"
    return redirect(url_for("console.registry_entry", entry_id=entry_id, done=done), 303)


@bp.post("/registry/entries/<uuid:entry_id>/delete")
@console_view("admin")
def registry_delete(entry_id: uuid.UUID):
    try:
        service.remove(g.console_user, entry_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _entry_page(entry_id, error.status, error)
    return redirect(url_for("console.registry_entry", entry_id=entry_id, done="removed"), 303)


@bp.get("/registry/import")
@console_view("admin")
def registry_import_page():
    return render("console/registry_import.html", report=None, columns=service.FIELDS,
                  required=service.REQUIRED, **_labels())


@bp.post("/registry/import")
@console_view("admin")
def registry_import():
    try:
        report = service.import_file(g.console_user, request.files, request.form)
        db.session.commit()
        status, error = 200, None
    except DomainError as refusal:
        db.session.rollback()
        status, error = refusal.status, refusal
        report = refusal.extra.get("report")
    return render("console/registry_import.html", status=status, report=report, error=error,
                  columns=service.FIELDS, required=service.REQUIRED, **_labels())


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return error_page(413, _l("The file is too large: at most %(size)s kB.",
                              size=limit // 1024))


@bp.get("/registry/checks")
@console_view("admin")
def registry_checks():
    a = service.args(service.ChecksArgs, request.args)
    return render("console/registry_log.html", log="checks", page=service.checks(a), args=a,
                  **_labels())


@bp.get("/registry/changes")
@console_view("admin")
def registry_changes():
    a = service.args(service.ChangesArgs, request.args)
    return render("console/registry_log.html", log="changes", page=service.changes(a), args=a,
                  **_labels())


def _csv(body: str, name: str):
    end_read_transaction()
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/registry/checks.csv")
@console_view("admin")
def registry_checks_csv():
    a = service.args(service.ChecksArgs, request.args)
    return _csv(service.checks_csv(a), "registry-checks.csv")


@bp.get("/registry/changes.csv")
@console_view("admin")
def registry_changes_csv():
    a = service.args(service.ChangesArgs, request.args)
    return _csv(service.changes_csv(a), "registry-changes.csv")
