"""Who besides her and her guardians works on an alert: the question alerts asks without
knowing who answers it.

Dispatch puts staff on an alert (a responder holding it, the admins of the organisation that
holds it). Alerts needs to know them to show the alert to them, to list the alerts a responder
holds, to tell them of a duress cancel, and to show the dispatch in the alert; it does not
import dispatch (dispatch imports alerts). The app factory registers the answer
(`register_access(app, DispatchAccess())`, see safety/dispatch/queries.py).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import Select

from safety.accounts.models import User
from safety.alerts.models import Alert

EXTENSION = "safety.alert_access"


class AlertAccess(Protocol):
    def viewer_role(self, user: User, alert: Alert) -> str | None:
        """`responder` or `org_admin` when `user` may see `alert` as staff; None otherwise."""

    def alert_ids_held_by(self, user: User) -> Select:
        """The ids of the alerts `user` may read as their responder (a subquery)."""

    def responder_ids(self, alert: Alert) -> list[uuid.UUID]:
        """Responders holding or offered `alert` (they hear of a duress cancel)."""

    def dispatch_view(self, alert: Alert, role: str) -> object | None:
        """The `dispatch` part of the alert as `role` sees it, an object that
        `safety.alerts.schemas.DispatchBriefSchema` dumps (`dispatch` with its id, status,
        responder and times; `organization`); None when there is none."""

    def new_dispatch_view(self, alert: Alert, role: str, added: list) -> object | None:
        """`dispatch_view` of an alert raised in this transaction, from the objects the
        transaction added (`safety.db.recording_added`): its dispatch, if one was started,
        without reading it back."""


def register_access(app: Flask, access: AlertAccess) -> None:
    app.extensions[EXTENSION] = access


def staff() -> AlertAccess:
    """The app's AlertAccess. An app built without one cannot tell who may see an alert:
    that is an error, never a silent 'nobody'."""
    try:
        return current_app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("no AlertAccess registered: build the app with "
                           "safety.create_app") from None
