"""The tracking link sent by SMS to contacts without the app: /t/<token>."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
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

# "Go to her": plain links that open her latest position in the map apps people in Kazakhstan
# use ({lat} and {lon} are filled in, 6 decimals; the page fills them again as points arrive).
# Nothing is loaded from these hosts; the page's no-referrer keeps the link's token from them.
# 2GIS: its web and app links show a point at /geo/<lon>,<lat>. Yandex Maps: a route from
# where the reader is to her (rtext=~<lat>,<lon>, rtt=auto; yandex.com/dev/yandex-apps-launch-
# maps, "yandexmaps web"). Google Maps URLs: directions to her (api=1, destination=<lat>,<lon>;
# developers.google.com/maps/documentation/urls). geo: RFC 5870, with Android's q= for a pin.
GO_THERE = (
    ("2gis", _l("2GIS"), "https://2gis.kz/geo/{lon},{lat}"),
    ("yandex", _l("Yandex Maps"), "https://yandex.ru/maps/?rtext=~{lat},{lon}&rtt=auto"),
    ("google", _l("Google Maps"),
     "https://www.google.com/maps/dir/?api=1&destination={lat},{lon}"),
    ("geo", _l("Other map app"), "geo:{lat},{lon}?q={lat},{lon}"),
)


def go_there(lat: float, lon: float) -> list[tuple[str, Text, str, str]]:
    """(code, label, URL template, URL for lat/lon) of each "Go to her" link."""
    where = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
    return [(code, label, url, url.format(**where)) for code, label, url in GO_THERE]


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


def canceled_at(alert: Alert) -> datetime | None:
    """When her contacts' page stops: a real cancel (it then says "she says she is safe").
    After a duress cancel it goes on — her SMS contacts are her helpers, and telling her sister
    she is safe in the most dangerous case would make her stand down; whoever holds a
    contact's phone sees the truth (docs/security.md). What her phone sends as words after a
    duress cancel is never shown (`snapshot`): it may be him typing."""
    return None if alert.live else alert.shown_canceled_at


def alert_for(token: str) -> Alert:
    link = _link(token)
    now = utcnow()
    if link is None or link.revoked_at is not None or (
            link.expires_at is not None and link.expires_at <= now):
        raise NotFound(_l("This tracking link does not exist or has expired."))
    alert = db.session.get(Alert, link.alert_id)
    cut = canceled_at(alert)
    if cut is not None and cut + timedelta(seconds=current_app.config["TRACKING_GRACE_S"]) <= now:
        raise NotFound(_l("This tracking link does not exist or has expired."))  # as ended
    return alert


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
class Ended:
    """What "ended" means, for her contacts: she canceled it (she says she is safe), or the
    security company resolved it (a responder, or its dispatcher at the console). A duress
    cancel never ends an alert: her contacts go on seeing it live."""

    reason: str  # canceled | resolved
    at: datetime
    text: Text


@dataclass
class Battery:
    """Her phone's battery: the last heartbeat's (POST /me/heartbeat), else what the panic said."""

    pct: int
    at: datetime


@dataclass
class Snapshot:
    """The alert as her SMS contacts see it: up to her cancel (real or duress), if any."""

    alert: Alert
    live: bool
    updated_at: datetime
    points: list[AlertLocation]  # the newest TRAIL_POINTS, oldest first
    reply: AlertMessage | None  # her latest quick reply (not free text, not her helpers')
    responder: Coming | None = None
    ended: Ended | None = None
    battery: Battery | None = None


def snapshot(token: str) -> Snapshot:
    """The alert behind the link, its trail, her latest quick reply and who is coming
    (SnapshotSchema shows her name, whether the alert is live, the trail, that reply and
    the responder: nothing else)."""
    alert = alert_for(token)
    cut = canceled_at(alert)
    trail = select(AlertLocation).where(AlertLocation.alert_id == alert.id)
    if cut is not None:
        trail = trail.where(AlertLocation.received_at <= cut)
    points = list(db.session.scalars(
        trail.order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_POINTS)))
    points.reverse()
    reply = her_latest_reply(alert)
    shown = alert.shown_canceled_at  # a duress cancel too: words after it may be his
    if shown is not None and reply is not None and reply.created_at > shown:
        reply = None
    live = alert.live
    return Snapshot(alert, live, cut or alert.updated_at, points, reply,
                    _coming(alert) if live else None, _ended(alert, cut),
                    None if cut is not None else _battery(alert))


def her_phone(token: str) -> str | None:
    """Her number for "Call her", only if she chose to show it to her contacts
    (`share_phone_with_contacts`, PATCH /me) and proved it is hers; None otherwise."""
    owner = alert_for(token).owner
    if owner.share_phone_with_contacts and owner.phone_verified_at is not None:
        return owner.phone
    return None


def _ended(alert: Alert, cut: datetime | None) -> Ended | None:
    if cut is not None:
        return Ended("canceled", cut, _l("She canceled the alert herself: she says she is safe."))
    if alert.live:
        return None
    return Ended(alert.status, alert.ended_at or alert.updated_at,
                 _l("The security company resolved the alert: a responder or its dispatcher "
                    "closed it."))


def _battery(alert: Alert) -> Battery | None:
    """Not after a real cancel (her phone stops reporting: 409). After a duress cancel the page
    is live and her phone's battery is still hers to know about."""
    if alert.phone_seen_at is not None and alert.phone_battery_pct is not None:
        return Battery(alert.phone_battery_pct, alert.phone_seen_at)
    if alert.battery_pct is not None:
        return Battery(alert.battery_pct, alert.created_at)
    return None


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
