"""Page 4, responders (org admins: their organisations'; platform admins: everyone's)."""

from __future__ import annotations

import uuid

from flask import g

from safety.console import roster
from safety.console.routes import bp, console_view, nav_item, render
from safety.i18n import _l

nav_item("responders_page", _l("Responders"), order=40)


@bp.get("/responders")
@console_view()
def responders_page():
    return render("console/responders.html", rows=roster.roster(g.desk))


@bp.get("/responders/<uuid:user_id>")
@console_view()
def responder_page(user_id: uuid.UUID):
    return render("console/responder.html", detail=roster.detail(g.desk, user_id))
