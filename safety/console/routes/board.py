"""Page 1, the live board (org admins: their area; platform admins: everything)."""

from __future__ import annotations

from flask import g

from safety.console import board as service
from safety.console.routes import bp, console_view, nav_item, render
from safety.i18n import _l

nav_item("board_page", _l("Live board"), order=10)


@bp.get("/")
@console_view()
def board_page():
    return render("console/board.html", board=service.board(g.desk, with_areas=True))


@bp.get("/board/live")
@console_view()
def board_live():
    """The live part, polled by htmx every CONSOLE_POLL_MS."""
    return render("console/_board_live.html", board=service.board(g.desk))
