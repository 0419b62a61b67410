"""Page 3, organisations (platform admins): list, create, edit, suspend; the coverage drawn on
the map; members invited by phone and removed, invitations withdrawn; the monitoring receivers
(SIA DC-09) added, edited, disabled, removed and sent a link test (safety.console.orgs, through
orgs.service and monitoring.service)."""

from __future__ import annotations

import uuid

from flask import g, redirect, request, url_for

from safety.console import orgs as service
from safety.console.forms import flat_errors
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
        "removed": _l("Member removed."), "withdrawn": _l("Invitation withdrawn."),
        "receiver_added": _l("Receiver added. Send it a test."),
        "receiver_saved": _l("Receiver saved."),
        "receiver_enabled": _l("Receiver enabled: her alerts are sent to it."),
        "receiver_disabled": _l("Receiver disabled: nothing is sent to it."),
        "receiver_removed": _l("Receiver removed.")}


def _page(org_id: uuid.UUID, status: int = 200, error: DomainError | None = None, form=None,
          link_test=None):
    detail = service.detail(g.console_user, org_id)
    return render("console/org.html", status=status, detail=detail, kinds=service.KINDS,
                  form=form, error=error, message=DONE.get(request.args.get("done", "")),
                  link_test=link_test)


@bp.get("/orgs/<uuid:org_id>")
@console_view("admin")
def org_page(org_id: uuid.UUID):
    return _page(org_id)


def _acted(org_id: uuid.UUID, act, done, form=None):
    """Run an action and commit; then back to the organisation's page with what was done
    (`done`: a key of DONE, or a function of what the action returned)."""
    try:
        result = act()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(org_id, error.status, error, form)
    done = done(result) if callable(done) else done
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


@bp.post("/orgs/<uuid:org_id>/invitations/<uuid:invitation_id>/withdraw")
@console_view("admin")
def org_withdraw_invitation(org_id: uuid.UUID, invitation_id: uuid.UUID):
    return _acted(org_id, lambda: service.withdraw(g.console_user, org_id, invitation_id),
                  "withdrawn")


# -- monitoring receivers ----------------------------------------------------------------------


def _receiver_page(org_id: uuid.UUID, receiver=None, status: int = 200,
                   error: DomainError | None = None, form=None):
    org = service.detail(g.console_user, org_id).org
    return render("console/receiver.html", status=status, org=org, receiver=receiver,
                  form=form, error=error,
                  errors=flat_errors(error.errors if error else None))


@bp.get("/orgs/<uuid:org_id>/receivers/new")
@console_view("admin")
def receiver_new(org_id: uuid.UUID):
    taken = {r.priority for r in service.detail(g.console_user, org_id).receivers}
    free = next((n for n in range(1, 6) if n not in taken), 1)
    return _receiver_page(org_id, form={"priority": str(free), "transport": "tcp",
                                        "receiver_number": "0", "line_prefix": "0",
                                        "extended_data": "single", "enabled": "true"})


@bp.post("/orgs/<uuid:org_id>/receivers")
@console_view("admin")
def receiver_create(org_id: uuid.UUID):
    try:
        service.add_receiver(g.console_user, org_id, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _receiver_page(org_id, None, error.status, error, request.form)
    return redirect(url_for("console.org_page", org_id=org_id, done="receiver_added",
                            _anchor="receivers"), 303)


@bp.get("/orgs/<uuid:org_id>/receivers/<uuid:receiver_id>")
@console_view("admin")
def receiver_page(org_id: uuid.UUID, receiver_id: uuid.UUID):
    return _receiver_page(org_id, service.get_receiver(g.console_user, org_id, receiver_id))


@bp.post("/orgs/<uuid:org_id>/receivers/<uuid:receiver_id>")
@console_view("admin")
def receiver_save(org_id: uuid.UUID, receiver_id: uuid.UUID):
    try:
        service.edit_receiver(g.console_user, org_id, receiver_id, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        receiver = service.get_receiver(g.console_user, org_id, receiver_id)
        return _receiver_page(org_id, receiver, error.status, error, request.form)
    return redirect(url_for("console.org_page", org_id=org_id, done="receiver_saved",
                            _anchor="receivers"), 303)


@bp.post("/orgs/<uuid:org_id>/receivers/<uuid:receiver_id>/enabled")
@console_view("admin")
def receiver_enabled(org_id: uuid.UUID, receiver_id: uuid.UUID):
    enabled = request.form.get("enabled", "")
    return _acted(org_id, lambda: service.set_receiver_enabled(g.console_user, org_id,
                                                               receiver_id, enabled),
                  lambda row: "receiver_enabled" if row.enabled else "receiver_disabled")


@bp.post("/orgs/<uuid:org_id>/receivers/<uuid:receiver_id>/remove")
@console_view("admin")
def receiver_remove(org_id: uuid.UUID, receiver_id: uuid.UUID):
    return _acted(org_id, lambda: service.remove_receiver(g.console_user, org_id, receiver_id),
                  "receiver_removed")


@bp.post("/orgs/<uuid:org_id>/receivers/<uuid:receiver_id>/test")
@console_view("admin")
def receiver_test(org_id: uuid.UUID, receiver_id: uuid.UUID):
    """A link test now (what `flask safety dc09-test` sends), and the page with its answer.
    The sequence number is committed before sending whatever the answer."""
    result = service.test_receiver(g.console_user, org_id, receiver_id)
    db.session.commit()
    return _page(org_id, link_test=result)
