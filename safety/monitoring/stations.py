"""What a partner's monitoring station is told of an alert: Contact ID events, sent over SIA
DC-09 by the `dc09` channel (safety/notify/channels/dc09.py). The table is in
docs/partner-onboarding.md; in short:

| what happened                        | Contact ID       |
|--------------------------------------|------------------|
| she pressed the panic button         | E120 panic       |
| her safety timer ran out             | E102 fail to report in |
| duress PIN (cancel or timer check-in)| E121 duress      |
| no responder could be dispatched     | E616 service request (R616 once one accepts) |
| the alert ended (canceled, resolved) | R<each open code>: restore |
| periodic link test                   | E602 periodic test report |

The zone is the alert's short number (`Alert.number`, 001-999), which staff see in the API and
the console; the group is 01 (00 for the link test); the account is the one configured on the
receiver (the organisation's account at the station). Extended data carries where she is and a
tracking link the operator can open (channels/dc09.py, `Event.extended`).

Which organisations: at the panic, the active ones whose coverage contains her and that have an
enabled receiver; every later event of the alert goes to those that were told of it. The
receivers here run inside the transaction that changed the alert (blinker, connected by
`safety.register_events`), each in a SAVEPOINT of its own: a fault here is logged and never
fails a panic or a cancel.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from safety import geo
from safety.alerts.links import create_tracking_link
from safety.alerts.models import Alert
from safety.extensions import db
from safety.notify import service as notify
from safety.notify.channels import dc09
from safety.notify.models import MonitoringReceiver, OutboxJob
from safety.orgs.models import Organization

log = logging.getLogger(__name__)

CODES = {"panic": "120", "timer": "102", "duress": "121", "unassigned": "616",
         "link_test": "602"}
ALERT_GROUP = "01"
TEST_GROUP = "00"
NEW, RESTORE = 1, 3


def _guarded(receiver: Callable) -> Callable:
    """Run an event receiver in a SAVEPOINT; a failure is logged and undone, never raised into
    the panic, cancel or dispatch that announced the event."""

    @functools.wraps(receiver)
    def wrapper(sender, **kwargs) -> None:
        try:
            with db.session.begin_nested():
                receiver(sender, **kwargs)
        except Exception:  # noqa: BLE001 - the alert itself must go on
            log.exception("monitoring stations: %s failed; the stations are not told",
                          receiver.__name__)

    return wrapper


def zone(alert: Alert) -> str:
    return f"{alert.number:03d}" if alert.number else "000"


def _event(alert: Alert, name: str, qualifier: int, code: str, link: str | None = None) -> dict:
    return {"event": name, "qualifier": qualifier, "code": code, "group": ALERT_GROUP,
            "zone": zone(alert), "number": alert.number, "lat": alert.lat, "lon": alert.lon,
            "link": link}


def _with_receivers():
    return select(MonitoringReceiver.org_id).where(MonitoringReceiver.enabled.is_(True))


@functools.cache
def _a_station():
    return _with_receivers().limit(1)  # built once: every panic asks


def _any_station() -> bool:
    return db.session.scalar(_a_station()) is not None


def _receiving_orgs(alert: Alert) -> list[Organization]:
    """Active organisations with an enabled receiver whose coverage contains her."""
    with_receivers = _with_receivers()
    stmt = select(Organization).where(Organization.status == "active",
                                      Organization.id.in_(with_receivers)
                                      ).order_by(Organization.created_at)
    return geo.containing(db.session, stmt, Organization.coverage, alert.lat, alert.lon)


def _streams(alert: Alert) -> dict[str, list[OutboxJob]]:
    """The station events of `alert` so far, per organisation (id as text), in order."""
    jobs = db.session.scalars(select(OutboxJob).where(
        OutboxJob.channel == dc09.CHANNEL, OutboxJob.alert_id == alert.id,
        OutboxJob.status != "canceled"))
    out: dict[str, list[OutboxJob]] = {}
    for job in sorted(jobs, key=lambda j: j.payload.get("n", 0)):
        out.setdefault(job.recipient, []).append(job)
    return out


def open_codes(jobs: list[OutboxJob]) -> list[str]:
    """The alarm codes opened (E) and not restored (R) yet, in the order they opened."""
    codes: list[str] = []
    for job in jobs:
        code, qualifier = job.payload["code"], job.payload["qualifier"]
        if qualifier == NEW and code not in codes:
            codes.append(code)
        elif qualifier == RESTORE and code in codes:
            codes.remove(code)
    return codes


def _send(org_id, alert: Alert, event: dict) -> None:
    notify.send_station_event(uuid.UUID(str(org_id)), event, alert_id=alert.id)


def on_alert_raised(app, *, alert: Alert) -> None:
    """Receives `alerts.events.raised`: E120 (E102 for a safety timer) to each receiving
    organisation, with a tracking link of its own; E616 as well when dispatch has already
    found nobody (it may hear of the alert before this receiver does). With no station
    anywhere (most installations) that one read is all: no SAVEPOINT, no spatial query on the
    panic's path."""
    if _any_station():
        _tell_raised(app, alert=alert)


@_guarded
def _tell_raised(_app, *, alert: Alert) -> None:
    name = "timer" if alert.trigger == "timer" else "panic"
    for org in _receiving_orgs(alert):
        link = create_tracking_link(alert, None)
        _send(org.id, alert, _event(alert, name, NEW, CODES[name], link))
        if alert.unassigned:
            _send(org.id, alert, _event(alert, "unassigned", NEW, CODES["unassigned"]))


@_guarded
def on_alert_duress(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.duress`: E121. An alert raised by this very duress check-in
    (`alert.silent`) was announced as a missed timer a moment ago, in this transaction: that
    event becomes the duress, rather than telling the station of a timer she did not miss."""
    for org_id, jobs in _streams(alert).items():
        if CODES["duress"] in open_codes(jobs):
            continue
        opening = [j for j in jobs if j.status == "pending" and j.payload["event"] == "timer"
                   and j.payload["qualifier"] == NEW]
        if alert.silent and opening:
            job = opening[0]
            job.payload = {**job.payload, "event": "duress", "code": CODES["duress"]}
            job.kind = "dc09_duress"
            continue
        link = next((j.payload.get("link") for j in jobs if j.payload.get("link")), None)
        _send(org_id, alert, _event(alert, "duress", NEW, CODES["duress"], link))


@_guarded
def on_alert_unassigned(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.unassigned`: E616 to the organisations told of the alert (none
    yet when dispatch hears of a new alert first: `on_alert_raised` then sends it)."""
    for org_id, jobs in _streams(alert).items():
        if CODES["unassigned"] not in open_codes(jobs):
            _send(org_id, alert, _event(alert, "unassigned", NEW, CODES["unassigned"]))


@_guarded
def on_alert_dispatched(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.dispatched`: a responder accepted, R616 where E616 is open."""
    for org_id, jobs in _streams(alert).items():
        if CODES["unassigned"] in open_codes(jobs):
            _send(org_id, alert, _event(alert, "restore", RESTORE, CODES["unassigned"]))


@_guarded
def on_alert_ended(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.ended` (canceled with her PIN, or resolved): a restore of each
    alarm still open, the last opened first. A duress cancel is not an end: the alert stays
    live and its alarms open."""
    for org_id, jobs in _streams(alert).items():
        for code in reversed(open_codes(jobs)):
            _send(org_id, alert, _event(alert, "restore", RESTORE, code))


def link_test_event() -> dict:
    return {"event": "link_test", "qualifier": NEW, "code": CODES["link_test"],
            "group": TEST_GROUP, "zone": "000"}


def _enabled_receivers():
    return select(MonitoringReceiver).join(
        Organization, Organization.id == MonitoringReceiver.org_id).where(
        MonitoringReceiver.enabled.is_(True), Organization.status == "active")


def link_test_job(job: OutboxJob) -> dict:
    """The periodic link test (DC09_LINK_TEST_EVERY_S): E602 to every enabled receiver of every
    active organisation, each on its own (the secondary must be known to work too); one not
    delivered before the next one is due is given up."""
    every = current_app.config["DC09_LINK_TEST_EVERY_S"]
    rows = list(db.session.scalars(_enabled_receivers()))
    for row in rows:
        notify.send_station_event(row.org_id, link_test_event(), receiver_id=row.id,
                                  retry_for_s=every)
    return {"receivers": len(rows)}


def link_test_now(org: Organization) -> list[tuple[MonitoringReceiver, list[dc09.Try]]]:
    """E602 to each of the organisation's receivers (enabled or not) now, and what each
    answered (`flask safety dc09-test`). Commits: the sequence numbers and the receivers'
    health stand whatever happens next."""
    rows = list(db.session.scalars(select(MonitoringReceiver).where(
        MonitoringReceiver.org_id == org.id).order_by(MonitoringReceiver.priority)))
    out = []
    for row in rows:
        tries = link_test_one(row)
        db.session.commit()
        out.append((row, tries))
    return out


def link_test_one(row: MonitoringReceiver) -> list[dc09.Try]:
    """E602 to one receiver (enabled or not) now, and what it answered. Commits the sequence
    number before sending (no transaction is open while it waits for the receiver: on SQLite
    that would hold every panic's write); the receiver's health is left in the session for the
    caller to commit."""
    station = dc09.station_of(row, current_app.config)
    seq = dc09.next_sequence(row.id)
    db.session.commit()
    tries = dc09.deliver(station, seq, dc09.event_of(link_test_event()),
                         float(current_app.config["DC09_TIMEOUT_S"]))
    dc09.record_tries(tries)
    db.session.expire(row)  # its health was just written past the ORM
    return tries
