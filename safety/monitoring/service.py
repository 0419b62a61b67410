"""An organisation's monitoring receivers: platform admins add, change and remove them (each
change audited, the key never in the audit nor in an answer); the organisation's admins see
them, and both see what was delivered to them."""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import Select, select

from safety import audit
from safety.accounts.models import User
from safety.errors import Conflict, Forbidden, NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.monitoring import stations
from safety.notify import sealed
from safety.notify.channels import dc09
from safety.notify.models import MonitoringReceiver, OutboxJob
from safety.orgs import service as orgs
from safety.orgs.models import Organization
from safety.util import utcnow

SETTINGS = ("priority", "label", "host", "port", "transport", "receiver_number", "line_prefix",
            "account", "extended_data", "enabled")


def _visible_org(user: User, org_id: uuid.UUID) -> Organization:
    """The organisation, for a platform admin or one of its admins; 404 for anyone else."""
    return orgs.get_org(user, org_id)


def _manager(user: User, org_id: uuid.UUID) -> Organization:
    org = _visible_org(user, org_id)
    if not user.has_role("admin"):
        raise Forbidden(_l("Only platform administrators manage an organisation's "
                               "monitoring receivers."))
    return org


def list_receivers(user: User, org_id: uuid.UUID) -> list[MonitoringReceiver]:
    org = _visible_org(user, org_id)
    return list(db.session.scalars(select(MonitoringReceiver).where(
        MonitoringReceiver.org_id == org.id).order_by(MonitoringReceiver.priority)))


def _receiver(org: Organization, receiver_id: uuid.UUID) -> MonitoringReceiver:
    row = db.session.get(MonitoringReceiver, receiver_id)
    if row is None or row.org_id != org.id:
        raise NotFound(_l("No such receiver."))
    return row


def get_receiver(user: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> MonitoringReceiver:
    return _receiver(_visible_org(user, org_id), receiver_id)


def _snapshot(row: MonitoringReceiver) -> dict:
    values = {f: getattr(row, f) for f in SETTINGS}
    values["key"] = row.key_sealed  # shown as "<redacted>" or null, never the value
    return values


def _priority_free(org: Organization, priority: int, row_id: uuid.UUID | None = None) -> None:
    taken = db.session.scalar(select(MonitoringReceiver.id).where(
        MonitoringReceiver.org_id == org.id, MonitoringReceiver.priority == priority))
    if taken is not None and taken != row_id:
        raise Conflict(_l("This organisation already has a receiver with priority "
                              "%(priority)s.", priority=priority))


def _set_key(row: MonitoringReceiver, key: bytes | None) -> None:
    row.key_sealed = sealed.seal(current_app.config, key) if key else None
    row.key_bits = len(key) * 8 if key else None


def add_receiver(user: User, org_id: uuid.UUID, data: dict) -> MonitoringReceiver:
    org = _manager(user, org_id)
    _priority_free(org, data["priority"])
    row = MonitoringReceiver(org_id=org.id, **{f: data[f] for f in SETTINGS if f in data})
    _set_key(row, data.get("key"))
    db.session.add(row)
    db.session.flush()
    audit.record(user, "org.receiver_added", "organization", org.id, {
        "receiver_id": row.id, "fields": audit.diff({}, _snapshot(row), ("key",))})
    return row


def update_receiver(user: User, org_id: uuid.UUID, receiver_id: uuid.UUID,
                    data: dict) -> MonitoringReceiver:
    org = _manager(user, org_id)
    row = _receiver(org, receiver_id)
    if "priority" in data:
        _priority_free(org, data["priority"], row.id)
    before = _snapshot(row)
    for name in SETTINGS:
        if name in data:
            setattr(row, name, data[name])
    if "key" in data:
        _set_key(row, data["key"])
    changes = audit.diff(before, _snapshot(row), ("key",))
    if changes:
        row.updated_at = utcnow()
        if {"host", "port", "transport"} & set(changes):
            row.clock_offset_s = 0.0  # another receiver: its clock is not the old one's
        audit.record(user, "org.receiver_updated", "organization", org.id,
                     {"receiver_id": row.id, "fields": changes})
    db.session.flush()
    return row


def remove_receiver(user: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> None:
    org = _manager(user, org_id)
    row = _receiver(org, receiver_id)
    before = _snapshot(row)
    audit.record(user, "org.receiver_removed", "organization", org.id, {
        "receiver_id": row.id, "fields": audit.diff(before, dict.fromkeys(before), ("key",))})
    db.session.delete(row)
    db.session.flush()


def test_receiver(user: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> list[dc09.Try]:
    """A link test (E602) to one receiver now, as `flask safety dc09-test` sends it (platform
    admins, from the console): what it answered, audited. Waits for the receiver (at most
    DC09_TIMEOUT_S per message) with no transaction open; the sequence number is committed
    before sending, the receiver's health and the audit row are the caller's to commit."""
    row = _receiver(_manager(user, org_id), receiver_id)
    tries = stations.link_test_one(row)
    last = tries[-1]
    audit.record(user, "org.receiver_tested", "organization", org_id, {
        "receiver_id": row.id, "answer": last.answer, "detail": last.detail[:500]})
    return tries


def station_events(user: User, org_id: uuid.UUID, alert_id: uuid.UUID | None) -> Select:
    """What the organisation's station was sent (or is being sent), newest first."""
    org = _visible_org(user, org_id)
    stmt = select(OutboxJob).where(OutboxJob.channel == dc09.CHANNEL,
                                   OutboxJob.recipient == str(org.id))
    if alert_id is not None:
        stmt = stmt.where(OutboxJob.alert_id == alert_id)
    return stmt


def org_by_reference(reference: str) -> Organization | None:
    """An organisation by its id or its exact name (`flask safety dc09-test ORG`)."""
    try:
        org = db.session.get(Organization, uuid.UUID(reference))
    except ValueError:
        org = None
    if org is not None:
        return org
    found = list(db.session.scalars(select(Organization).where(
        Organization.name == reference).limit(2)))
    return found[0] if len(found) == 1 else None
