"""The tracking link sent by SMS to contacts without the app: /t/<token>."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safety.alerts.access import staff
from safety.alerts.links import hash_token
from safety.alerts.models import Alert, AlertLocation, TrackingLink
from safety.contacts import service as contacts
from safety.contacts.models import Contact
from safety.errors import NotFound
from safety.extensions import db
from safety.i18n import Distance, Minutes, Text, _l
from safety.messages.models import AlertMessage
from safety.messages.service import her_latest_reply
from safety.util import utcnow

TRAIL_POINTS = 500
COMING = ("accepted", "en_route", "on_scene")


def _link(token: str) -> TrackingLink | None:
    return db.session.scalar(select(TrackingLink).where(
        TrackingLink.token_hash == hash_token(token)))


def reader(token: str) -> tuple[str | None, str | None]:
    """The language and time zone of whoever the link was sent to (as their SMS was written:
    contacts.service.readers), live or not; (None, None) for a token we never gave out."""
    link = _link(token)
    contact = db.session.get(Contact, link.contact_id) if link and link.contact_id else None
    if contact is None:
        return None, None
    return contacts.reader(contact)


def alert_for(token: str) -> Alert:
    link = _link(token)
    if link is None or link.revoked_at is not None or (
            link.expires_at is not None and link.expires_at <= utcnow()):
        raise NotFound(_l("This tracking link does not exist or has expired."))
    return db.session.get(Alert, link.alert_id)


@dataclass
class Coming:
    """The responder on the way to her, as her SMS contacts see it (TrackResponderSchema dumps
    it): a first name, the company, the dispatch's status, the latest position with the
    estimate (or None), and one line saying it, `text`."""

    first_name: str | None
    organization: str | None
    status: str
    position: object | None  # safety.dispatch.coming.Approach, through AlertAccess
    text: Text


@dataclass
class Snapshot:
    alert: Alert
    points: list[AlertLocation]  # the newest TRAIL_POINTS, oldest first
    reply: AlertMessage | None  # her latest quick reply (not free text, not her helpers')
    responder: Coming | None = None


def snapshot(token: str) -> Snapshot:
    """The alert behind the link, its trail, her latest quick reply and who is coming
    (SnapshotSchema shows her name, whether the alert is live, the trail, that reply and
    the responder: nothing else)."""
    alert = alert_for(token)
    points = list(db.session.scalars(
        select(AlertLocation).where(AlertLocation.alert_id == alert.id)
        .order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_POINTS)))
    points.reverse()
    return Snapshot(alert, points, her_latest_reply(alert), _coming(alert))


def _coming(alert: Alert) -> Coming | None:
    brief = staff().dispatch_view(alert, "contact") if alert.live else None
    if brief is None or brief.responder is None or brief.dispatch.status not in COMING:
        return None
    org = brief.organization.name if brief.organization is not None else None
    who = {"name": brief.responder.first_name or _l("A responder"),
           "org": org or _l("the security company")}
    near = brief.position
    if brief.dispatch.status == "on_scene":
        text = _l("%(name)s from %(org)s has arrived.", **who)
    elif near is not None and near.eta_s is not None:
        text = _l("%(name)s from %(org)s is on the way: %(distance)s away, about %(minutes)s.",
                  distance=Distance(near.distance_m), minutes=Minutes(near.eta_minutes), **who)
    else:
        text = _l("%(name)s from %(org)s is on the way.", **who)
    return Coming(brief.responder.first_name, org, brief.dispatch.status, near, text)
