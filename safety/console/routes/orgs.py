"""Page 3, organisations (platform admins): list, create, edit, suspend; the coverage drawn on
the map; members invited by phone and removed (safety.console.orgs, through orgs.service)."""

from __future__ import annotations

import uuid

from flask import g, redirect, request, url_for

from safety.console import orgs as service
from safety.console.routes import bp, console_view, nav_item, render
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l
from safety.orgs import service as orgs_service

nav_item("orgs_page", _l("Organisations"), roles=("admin",), order=30)


@bp.get("/orgs")
@console_view("admin")
def orgs_page():
    return render("console/orgs.html", rows=service.listing())


@bp.get("/orgs/new")
@console_view("admin")
def org_new():
    return render("console/org.html", detail=None, form={"kind": "security",
                                                         "status": "active"},
                  kinds=service.KINDS)


@bp.post("/orgs")
@console_view("admin")
def org_create():
    try:
        org = service.create(g.console_user, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return render("console/org.html", status=error.status, detail=None, form=request.form,
                      kinds=service.KINDS, error=error)
    return redirect(url_for("console.org_page", org_id=org.id, done="created"), 303)


DONE = {"created": _l("Organisation created."), "saved": _l("Saved."),
        "suspended": _l("Suspended: its responders get no offers and its area no alerts."),
        "active": _l("Active again."), "invited": _l("Invited. The role is theirs once they "
                                                     "accept in the app."),
        "removed": _l("Member removed.")}


def _page(org_id: uuid.UUID, status: int = 200, error: DomainError | None = None, form=None):
    detail = service.detail(g.console_user, org_id)
    return render("console/org.html", status=status, detail=detail, kinds=service.KINDS,
                  form=form, error=error, message=DONE.get(request.args.get("done", "")))


@bp.get("/orgs/<uuid:org_id>")
@console_view("admin")
def org_page(org_id: uuid.UUID):
    return _page(org_id)


def _acted(org_id: uuid.UUID, act, done: str, form=None):
    try:
        act()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(org_id, error.status, error, form)
    return redirect(url_for("console.org_page", org_id=org_id, done=done), 303)


@bp.post("/orgs/<uuid:org_id>")
@console_view("admin")
def org_save(org_id: uuid.UUID):
    return _acted(org_id, lambda: service.edit(g.console_user, org_id, request.form), "saved",
                  form=request.form)


@bp.post("/orgs/<uuid:org_id>/status")
@console_view("admin")
def org_status(org_id: uuid.UUID):
    status = request.form.get("status", "")
    return _acted(org_id, lambda: service.set_status(g.console_user, org_id, status),
                  status if status in ("active", "suspended") else "saved")


@bp.post("/orgs/<uuid:org_id>/members")
@console_view("admin")
def org_invite(org_id: uuid.UUID):
    return _acted(org_id, lambda: service.invite(g.console_user, org_id, request.form),
                  "invited")


@bp.post("/orgs/<uuid:org_id>/members/<uuid:user_id>/remove")
@console_view("admin")
def org_remove_member(org_id: uuid.UUID, user_id: uuid.UUID):
    return _acted(org_id, lambda: orgs_service.remove_member(g.console_user, org_id, user_id),
                  "removed")
