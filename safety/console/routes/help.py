"""Page 7, the help directory (platform admins): places on a map and in a list (search, create,
edit, hide, delete; the position picked on the map or typed), CSV and GeoJSON import with its
per-row report, and the hotlines (safety.console.help, through help.service)."""

from __future__ import annotations

import uuid

from flask import g, redirect, request, url_for

from safety.console import help as service
from safety.console.forms import flat_errors
from safety.console.routes import bp, console_view, nav_item, render
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l

nav_item("help_page", _l("Help directory"), roles=("admin",), order=70)

DONE = {"created": _l("Place added."), "saved": _l("Saved."),
        "hidden": _l("Hidden: the app no longer shows it."),
        "shown": _l("Shown in the app again."), "deleted": _l("Place deleted."),
        "hotline_added": _l("Hotline added."), "hotline_saved": _l("Saved."),
        "hotline_removed": _l("Hotline removed.")}


def _message():
    return DONE.get(request.args.get("done", ""))


def _directory(status: int = 200, *, report: dict | None = None,
               error: DomainError | None = None, all_or_nothing: bool = False):
    found = service.listing(request.args.get("q", ""), request.args.get("kind", ""),
                            request.args.get("show", "all"))
    return render("console/help.html", status=status, listing=found, kinds=service.KINDS,
                  places=service.markers(found.rows), report=report, error=error,
                  errors=flat_errors(error.errors if error else None),
                  all_or_nothing=all_or_nothing, message=_message())


@bp.get("/help")
@console_view("admin")
def help_page():
    return _directory()


@bp.post("/help/import")
@console_view("admin")
def help_import():
    all_or_nothing = request.form.get("all_or_nothing") == "true"
    try:
        report = service.import_file(g.console_user, request.files.get("file"), all_or_nothing)
    except DomainError as error:
        db.session.rollback()
        return _directory(error.status, error=error, all_or_nothing=all_or_nothing)
    if report["committed"]:
        db.session.commit()
        return _directory(report=report, all_or_nothing=all_or_nothing)
    db.session.rollback()  # all or nothing, and a row was rejected: nothing stored
    return _directory(422, report=report, all_or_nothing=all_or_nothing)


def _place_page(place, status: int = 200, error: DomainError | None = None, form=None):
    return render("console/help_place.html", status=status, place=place, form=form,
                  kinds=service.KINDS, error=error,
                  errors=flat_errors(error.errors if error else None),
                  message=_message())


@bp.get("/help/places/new")
@console_view("admin")
def help_place_new():
    lat, lon = request.args.get("lat", ""), request.args.get("lon", "")
    return _place_page(None, form={"kind": "crisis_center", "active": "true", "lat": lat,
                                   "lon": lon})


@bp.post("/help/places")
@console_view("admin")
def help_place_create():
    try:
        place = service.create_place(g.console_user, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _place_page(None, error.status, error, request.form)
    return redirect(url_for("console.help_place_page", place_id=place.id, done="created"), 303)


@bp.get("/help/places/<uuid:place_id>")
@console_view("admin")
def help_place_page(place_id: uuid.UUID):
    return _place_page(service.get_place(place_id))


def _acted(place_id: uuid.UUID, act, done, form=None, to=None):
    """Run an action and commit; then back to the place's page (or `to`) with what was done
    (`done`: a key of DONE, or a function of what the action returned)."""
    try:
        result = act()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _place_page(service.get_place(place_id), error.status, error, form)
    done = done(result) if callable(done) else done
    return redirect(to or url_for("console.help_place_page", place_id=place_id, done=done), 303)


@bp.post("/help/places/<uuid:place_id>")
@console_view("admin")
def help_place_save(place_id: uuid.UUID):
    return _acted(place_id, lambda: service.edit_place(g.console_user, place_id, request.form),
                  "saved", form=request.form)


@bp.post("/help/places/<uuid:place_id>/visibility")
@console_view("admin")
def help_place_visibility(place_id: uuid.UUID):
    active = request.form.get("active", "")
    return _acted(place_id, lambda: service.set_shown(g.console_user, place_id, active),
                  lambda place: "shown" if place.active else "hidden")


@bp.post("/help/places/<uuid:place_id>/delete")
@console_view("admin")
def help_place_delete(place_id: uuid.UUID):
    return _acted(place_id, lambda: service.delete_place(g.console_user, place_id), "deleted",
                  to=url_for("console.help_page", done="deleted"))


# -- hotlines ----------------------------------------------------------------------------------


def _hotlines_page(status: int = 200, error: DomainError | None = None, form=None):
    return render("console/hotlines.html", status=status, hotlines=service.hotlines(),
                  form=form, error=error,
                  errors=flat_errors(error.errors if error else None),
                  message=_message())


@bp.get("/help/hotlines")
@console_view("admin")
def hotlines_page():
    return _hotlines_page()


@bp.post("/help/hotlines")
@console_view("admin")
def hotline_create():
    try:
        service.create_hotline(g.console_user, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _hotlines_page(error.status, error, request.form)
    return redirect(url_for("console.hotlines_page", done="hotline_added"), 303)


def _hotline_page(hotline, status: int = 200, error: DomainError | None = None, form=None):
    return render("console/hotline.html", status=status, hotline=hotline, form=form,
                  error=error, errors=flat_errors(error.errors if error else None),
                  message=_message())


@bp.get("/help/hotlines/<uuid:hotline_id>")
@console_view("admin")
def hotline_page(hotline_id: uuid.UUID):
    return _hotline_page(service.get_hotline(hotline_id))


@bp.post("/help/hotlines/<uuid:hotline_id>")
@console_view("admin")
def hotline_save(hotline_id: uuid.UUID):
    try:
        service.edit_hotline(g.console_user, hotline_id, request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _hotline_page(service.get_hotline(hotline_id), error.status, error,
                             request.form)
    return redirect(url_for("console.hotline_page", hotline_id=hotline_id,
                            done="hotline_saved"), 303)


@bp.post("/help/hotlines/<uuid:hotline_id>/remove")
@console_view("admin")
def hotline_remove(hotline_id: uuid.UUID):
    service.remove_hotline(g.console_user, hotline_id)
    db.session.commit()
    return redirect(url_for("console.hotlines_page", done="hotline_removed"), 303)
