"""What features call to promise a message: each call only adds outbox jobs to the
caller's transaction; the worker sends them after commit."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from safety.extensions import db
from safety.i18n import Text, _l, render, render_all
from safety.notify import outbox
from safety.notify.channels import channel
from safety.notify.channels.sms import SmsChannel
from safety.notify.models import Device, OutboxJob
from safety.util import utcnow

log = logging.getLogger(__name__)


def push_to_users(
    user_ids: list[uuid.UUID] | Select,
    kind: str,
    title: Text,
    body: Text,
    data: dict,
    *,
    alert_id: uuid.UUID | None = None,
) -> int:
    """One push job per active device of each user, its title and body rendered in that
    user's language and time zone. Returns the number of jobs. `user_ids` may be a query of
    them (`contacts.guardians(owner_id)`): then the users and their devices come in one
    query."""
    if isinstance(user_ids, Select):
        readers = _readers(user_ids)
        return push_each([(uid, title, body, data) for uid in readers], kind,
                         alert_id=alert_id, readers=readers)
    return push_each([(uid, title, body, data) for uid in dict.fromkeys(user_ids)], kind,
                     alert_id=alert_id)


def active_devices(user_ids: list[uuid.UUID]) -> list[Device]:
    if not user_ids:
        return []
    return list(db.session.scalars(
        select(Device).where(Device.user_id.in_(user_ids), Device.retired_at.is_(None))))


# What the lock screen of someone who chose discreet notifications shows, whatever the push
# is about: nothing that reads as an alarm to whoever holds her phone. The real title and body
# travel in the push's data (`title`, `body`, with `discreet` = "1") for the app to show.
DISCREET_TITLE = _l("Reminder")
DISCREET_BODY = _l("Open the app")


class Target(NamedTuple):
    """An active device as a push job needs it (read as columns: no ORM object per device on
    the panic's path)."""

    id: uuid.UUID
    user_id: uuid.UUID
    platform: str


@dataclass
class Reader:
    """One user's active devices and how texts to them are written."""

    locale: str
    time_zone: str
    discreet: bool
    devices: list[Target] = field(default_factory=list)


def _readers(user_ids: list[uuid.UUID] | Select) -> dict[uuid.UUID, Reader]:
    """Each user's active devices, locale, time zone and discretion, in one query."""
    if isinstance(user_ids, Select):
        rows = db.session.execute(_readers_of(user_ids))
    elif not user_ids:
        return {}
    else:
        rows = db.session.execute(_readers_of_ids(), {"ids": list(user_ids)})
    out: dict[uuid.UUID, Reader] = {}
    for device_id, user_id, platform, locale, tz, discreet in rows:
        out.setdefault(user_id, Reader(locale, tz, bool(discreet))).devices.append(
            Target(device_id, user_id, platform))
    return out


def _readers_of(user_ids: list[uuid.UUID] | Select) -> Select:
    users = db.metadata.tables["users"]  # by table, as Device's foreign key names it
    return (select(Device.id, Device.user_id, Device.platform, users.c.locale, users.c.time_zone,
                   users.c.discreet_notifications)
            .join(users, users.c.id == Device.user_id)
            .where(Device.user_id.in_(user_ids), Device.retired_at.is_(None)))


@cache
def _readers_of_ids() -> Select:
    """`_readers_of` a list of ids, built once (every push to a list of users runs it)."""
    return _readers_of(bindparam("ids", expanding=True))


def push_each(messages: list[tuple[uuid.UUID, Text, Text, dict]], kind: str, *,
              alert_id: uuid.UUID | None = None,
              readers: dict[uuid.UUID, Reader] | None = None) -> int:
    """Each (user, title, body, data) to every active device of that user, the texts rendered
    in that user's locale and time zone; one query for them all. A user who chose discreet
    notifications gets DISCREET_TITLE and DISCREET_BODY as the notification, and the real
    texts in the data (`title`, `body`, `discreet` = "1")."""
    if readers is None:
        readers = _readers([m[0] for m in messages])
    n = 0
    for user_id, title, body, data in messages:
        reader = readers.get(user_id)
        if reader is None:
            continue
        payload_data = {k: "" if v is None else str(v) for k, v in data.items()}
        payload_data.setdefault("type", kind)
        if reader.discreet:
            title_text, body_text, shown_title, shown_body = render_all(
                (title, body, DISCREET_TITLE, DISCREET_BODY), reader.locale, reader.time_zone)
            payload_data.update(title=title_text, body=body_text, discreet="1")
            title_text, body_text = shown_title, shown_body
        else:
            title_text, body_text = render_all((title, body), reader.locale, reader.time_zone)
        for device in reader.devices:
            outbox.enqueue(
                kind, "push",
                {"device_id": str(device.id), "title": title_text, "body": body_text,
                 "data": payload_data},
                alert_id=alert_id, recipient_user_id=device.user_id,
                recipient=f"{device.platform} device",
            )
            n += 1
    return n


def sms_enabled() -> bool:
    sms = channel(current_app, "sms")
    return isinstance(sms, SmsChannel) and sms.provider() is not None


def send_sms(phone: str, text: Text, kind: str, *, alert_id: uuid.UUID | None = None,
             locale: str | None = None, tz: str | None = None) -> None:
    """An SMS of `text` rendered in `locale` and time zone `tz` (the reader's, not the
    sender's: a contact's own locale, or the phone's account's)."""
    outbox.enqueue(kind, "sms", {"phone": phone, "text": render(text, locale, tz)},
                   alert_id=alert_id, recipient=phone)


def skip_sms(phone: str, reason: str, kind: str, *, alert_id: uuid.UUID | None = None) -> None:
    """Record an SMS that a limit stopped: it is never sent, and shows as `skipped`."""
    job = outbox.enqueue(kind, "sms", {"phone": phone, "skipped": reason}, alert_id=alert_id,
                         recipient=phone)
    job.status = "skipped"
    job.finished_at = utcnow()
    job.result = {"skipped": reason}
    log.warning("SMS %s for alert %s not sent: %s", kind, alert_id, reason)


def send_webhook(url: str, secret: str, event: str, data: dict, *,
                 alert_id: uuid.UUID | None = None) -> None:
    """A signed POST of `event` to an organisation's endpoint (see channels/webhook.py)."""
    outbox.enqueue(
        "webhook", "webhook",
        {"url": url, "secret": secret, "event": event, "data": data,
         "event_id": str(uuid.uuid4())},
        alert_id=alert_id, recipient=url,
    )


DC09_MAX_ATTEMPTS = 1000  # a station event is retried for a time (DC09_RETRY_FOR_S), not a count


def send_station_event(org_id: uuid.UUID, event: dict, *, alert_id: uuid.UUID | None = None,
                       receiver_id: uuid.UUID | None = None,
                       retry_for_s: float | None = None) -> OutboxJob:
    """A Contact ID event for an organisation's monitoring station (channels/dc09.py): sent to
    its receivers in order of priority, or to `receiver_id` alone (a link test), retried for
    `retry_for_s` (DC09_RETRY_FOR_S). The events of one alert to one organisation are numbered
    (`n`, one job each, unique) and delivered in that order."""
    retry_for = current_app.config["DC09_RETRY_FOR_S"] if retry_for_s is None else retry_for_s
    payload = {**event, "org_id": str(org_id),
               "give_up_at": (utcnow() + timedelta(seconds=retry_for)).isoformat()}
    if receiver_id is not None:
        payload["receiver_id"] = str(receiver_id)
    kind = f"dc09_{event['event']}"
    if alert_id is None:
        job = outbox.enqueue(kind, "dc09", payload, recipient=str(org_id))
        job.max_attempts = DC09_MAX_ATTEMPTS
        return job
    stream = (OutboxJob.channel == "dc09", OutboxJob.alert_id == alert_id,
              OutboxJob.recipient == str(org_id))
    for _race in range(5):
        n = (db.session.scalar(select(func.count()).where(*stream)) or 0) + 1
        try:
            with db.session.begin_nested():
                job = outbox.enqueue(kind, "dc09", {**payload, "n": n}, alert_id=alert_id,
                                     recipient=str(org_id),
                                     dedupe_key=f"dc09:{alert_id}:{org_id}:{n}")
                job.max_attempts = DC09_MAX_ATTEMPTS
                db.session.flush()
            return job
        except IntegrityError:
            continue  # another transaction numbered an event of this stream meanwhile
    raise RuntimeError(f"could not number a station event of alert {alert_id}")
