"""Silent replies, the rules: who reads and writes an alert's messages, the limits, what a
duress cancel hides from her phone, and the pushes each message causes.

Who: she, her guardians and the responder holding the dispatch write (and read); everyone else
who may read the alert (`alerts.views.viewer_role`: the org admins of the organisation holding
it, platform admins, the responder after resolving it for the access window) reads only.

After a duress cancel her phone must show nothing: messages to her are kept but `held` (never
pushed to her, never in her view), and a message posted from her phone gets the answer a real
cancel gives (409) while it is kept, held and flagged, for her guardians and responder.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, delete, func, select

from safety.accounts.models import User
from safety.alerts import views
from safety.alerts.models import LIVE, Alert
from safety.contacts import service as contacts
from safety.dispatch.models import HELD
from safety.dispatch.queries import for_alert
from safety.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooMany
from safety.extensions import db
from safety.i18n import _, _l
from safety.messages.models import AlertMessage
from safety.messages.replies import QUICK_REPLIES
from safety.notify import outbox
from safety.notify import service as notify
from safety.util import utcnow

WINDOW_S = 60  # MESSAGES_PER_MINUTE counts the sender's messages in the last minute
PUSH_KIND = "alert_message"


@dataclass(frozen=True)
class Access:
    """What someone is in an alert's messages: `role` decides how the messages are shown to
    them (owner, guardian, responder, org_admin, admin); `writer` whether they may post."""

    role: str
    writer: bool


def holder_id(alert: Alert) -> uuid.UUID | None:
    """The responder holding the alert's dispatch now (accepted, en route, on scene)."""
    dispatch = for_alert(alert)
    return dispatch.responder_id if dispatch is not None and dispatch.status in HELD else None


def access(user: User, alert: Alert) -> Access | None:
    """Her (never for a silent alert, which her phone never shows), the responder holding the
    dispatch and her guardians write, whatever else they are; whoever else may read the alert
    reads; None for everyone else."""
    if alert.user_id == user.id:
        return None if alert.silent else Access("owner", True)
    if user.id == holder_id(alert):
        return Access("responder", True)
    if contacts.is_guardian(user, alert.user_id):
        return Access("guardian", True)
    role = views.viewer_role(user, alert)
    return Access(role, False) if role else None


def _visible(user: User, alert_id: uuid.UUID) -> tuple[Alert, Access]:
    alert = db.session.get(Alert, alert_id)
    who = access(user, alert) if alert is not None else None
    if who is None:
        raise NotFound(_("No such alert."))
    return alert, who


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Seen:
    """A message as `role` may see it (MessageSchema dumps it). `mine`: the viewer sent it."""

    message: AlertMessage
    role: str
    mine: bool


def thread(user: User, alert_id: uuid.UUID) -> tuple[Select, Access]:
    """The alert's messages `user` may see (a statement the caller pages), and how they see
    them. Her own view never holds a held message, nor anything after a cancel on her screen:
    exactly what a real cancel would leave."""
    alert, who = _visible(user, alert_id)
    stmt = select(AlertMessage).where(AlertMessage.alert_id == alert.id)
    if who.role == "owner":
        stmt = stmt.where(AlertMessage.held.is_(False))
        cutoff = views.frozen_at(alert, "owner")
        if cutoff is not None:
            stmt = stmt.where(AlertMessage.created_at <= cutoff)
    return stmt, who


def her_latest_reply(alert: Alert) -> AlertMessage | None:
    """Her newest quick reply that is not held: her status for the SMS contacts' tracking page
    (free text and her helpers' messages never show there; docs/api-notes.md says why)."""
    return db.session.scalar(
        select(AlertMessage).where(
            AlertMessage.alert_id == alert.id, AlertMessage.sender_id == alert.user_id,
            AlertMessage.code.is_not(None), AlertMessage.held.is_(False))
        .order_by(AlertMessage.created_at.desc(), AlertMessage.id.desc()).limit(1))


# -- writing -----------------------------------------------------------------------------------


@dataclass
class Posted:
    """What `post` did. `closed`: her phone shows the alert canceled (a duress cancel): the
    caller commits (the message is kept for her helpers) and answers `closed()`, exactly as
    after a real cancel."""

    message: AlertMessage | None
    created: bool
    closed: bool = False

    @property
    def seen(self) -> Seen:
        return Seen(self.message, self.message.sender_role, True)


def closed() -> Conflict:
    """The one answer to a message once the alert has ended on the sender's screen."""
    return Conflict(_("This alert has ended; no new messages."))


def post(user: User, alert_id: uuid.UUID, data: dict) -> Posted:
    """A message (`code` or `text`, optional `client_id`) from `user` in the alert's thread."""
    alert, who = _visible(user, alert_id)
    if not alert.live:
        raise closed()  # read-only for everyone who may still read it
    if not who.writer:
        raise Forbidden(_("Only she, her guardians and the responder holding the dispatch "
                          "send messages in an alert."))
    # One alert's messages one at a time: the limits count what is stored.
    db.session.execute(select(Alert.id).where(Alert.id == alert.id).with_for_update())
    db.session.refresh(alert)
    if not alert.live:
        raise closed()
    hidden = alert.shown_canceled_at is not None  # her phone shows it canceled (duress)
    if who.role == "owner" and hidden:
        # Her phone gets what a real cancel gives; behind it the message is kept (held,
        # flagged for her helpers) if it is within the rules, and dropped otherwise: no 422 or
        # 429 may tell the holder of her phone that the alert lives on.
        try:
            _store(user, alert, who.role, data, held=True)
        except DomainError:
            pass
        return Posted(None, False, closed=True)
    message, created = _store(user, alert, who.role, data, held=hidden)
    return Posted(message, created)


def _store(user: User, alert: Alert, role: str, data: dict, *,
           held: bool) -> tuple[AlertMessage, bool]:
    code, text, client_id = data.get("code"), data.get("text"), data.get("client_id")
    if code is not None and role not in QUICK_REPLIES[code].senders:
        raise Invalid("code", _("Not a quick reply you can send (see GET /api/v1/quick-replies)."))
    if client_id is not None:
        same = db.session.scalar(select(AlertMessage).where(
            AlertMessage.alert_id == alert.id, AlertMessage.sender_id == user.id,
            AlertMessage.client_id == client_id))
        if same is not None:
            return same, False  # a retry: the same message, nothing new pushed
    _within_limits(alert, user)
    message = AlertMessage(alert_id=alert.id, sender_id=user.id, sender_role=role, code=code,
                           text=text, client_id=client_id, held=held, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    _push(alert, message, user)
    return message, True


def _within_limits(alert: Alert, user: User) -> None:
    """MESSAGES_PER_ALERT_MAX in all, MESSAGES_PER_SENDER_PER_ALERT from one sender (one
    person's messages never use up the others'), MESSAGES_PER_MINUTE from one sender."""
    cfg = current_app.config
    of_alert = AlertMessage.alert_id == alert.id
    total = db.session.scalar(select(func.count()).where(of_alert))
    if total >= cfg["MESSAGES_PER_ALERT_MAX"]:
        raise Conflict(_("This alert has reached its limit of %(n)s messages.",
                         n=cfg["MESSAGES_PER_ALERT_MAX"]))
    mine = (of_alert, AlertMessage.sender_id == user.id)
    if db.session.scalar(select(func.count()).where(*mine)) >= \
            cfg["MESSAGES_PER_SENDER_PER_ALERT"]:
        raise Conflict(_("You have sent the most messages one person may send in one alert "
                         "(%(n)s).", n=cfg["MESSAGES_PER_SENDER_PER_ALERT"]))
    now = utcnow()
    window = now - timedelta(seconds=WINDOW_S)
    recent, oldest = db.session.execute(
        select(func.count(), func.min(AlertMessage.created_at))
        .where(*mine, AlertMessage.created_at > window)).one()
    if recent >= cfg["MESSAGES_PER_MINUTE"]:
        wait = max(1, math.ceil((oldest + timedelta(seconds=WINDOW_S) - now).total_seconds()))
        raise TooMany(_("Too many messages: at most %(n)s a minute. Try again in a moment.",
                        n=cfg["MESSAGES_PER_MINUTE"]), headers={"Retry-After": str(wait)})


def _push(alert: Alert, message: AlertMessage, sender: User) -> None:
    """One push to each of the others in the thread (never the sender; never her, for a held
    message), rendered in each reader's language. Responders never learn a guardian's name."""
    owner = alert.owner
    readers = {gid: "guardian" for gid in contacts.guardian_ids(owner.id)}
    holder = holder_id(alert)
    if holder is not None:
        readers[holder] = "responder"
    readers[owner.id] = "owner"
    if message.held:
        readers.pop(owner.id)
    readers.pop(sender.id, None)
    said = QUICK_REPLIES[message.code].text if message.code else message.text
    data = {"alert_id": alert.id, "message_id": message.id, "from_role": message.sender_role,
            "code": message.code or "", "held": "1" if message.held else "0"}
    if message.sender_role == "owner" and message.held:
        title = _l("From %(name)s's phone, after the duress cancel", name=owner.full_name)
        body = _l("It may not be her: %(text)s", text=said)
    else:
        title, body = _l("Message from %(name)s", name=sender.full_name), said
    anonymous = _l("Message from her guardian")
    notify.push_each([
        (uid, anonymous if message.sender_role == "guardian" and role == "responder" else title,
         body, data) for uid, role in readers.items()], PUSH_KIND, alert_id=alert.id)


def hide_from_her(sender, alert: Alert, **kwargs) -> None:
    """Her phone shows the alert canceled (a duress cancel, or a real one): message pushes to
    her not sent yet are never sent (receiver of `alerts.events.duress` and `ended`)."""
    if alert.shown_canceled_at is not None:
        outbox.cancel_pending(alert.id, (PUSH_KIND,), recipient_user_id=alert.user_id)


# -- retention ---------------------------------------------------------------------------------


def purge(older_than_days: int) -> int:
    """Delete the messages of alerts that ended more than `older_than_days` ago, and the
    finished pushes that carried them; the alerts stay. Returns how many messages."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    ended = select(Alert.id).where(
        Alert.status.not_in(LIVE), Alert.ended_at.is_not(None), Alert.ended_at < cutoff)
    deleted = db.session.execute(
        delete(AlertMessage).where(AlertMessage.alert_id.in_(ended))).rowcount or 0
    outbox.delete_finished(ended, (PUSH_KIND,))
    return deleted


def purge_job(job) -> dict:
    return {"deleted_messages": purge(current_app.config["MESSAGE_RETENTION_DAYS"])}
