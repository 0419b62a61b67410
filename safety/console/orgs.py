"""Page 3, organisations (platform admins): the list, and what the console's forms send, loaded
through the API's own schemas (`orgs.schemas.OrgSchema`, `MemberInSchema`,
`monitoring.schemas.ReceiverSchema`) and written through `orgs.service` and
`monitoring.service` — so a coverage drawn on the map, a phone, a webhook or a monitoring
receiver is validated exactly as the API validates it, and every change is audited the same
way."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import func, select

from safety import geo
from safety.accounts.models import User
from safety.errors import VALIDATION_FAILED, DomainError
from safety.extensions import db
from safety.i18n import _
from safety.monitoring import service as monitoring
from safety.monitoring.schemas import ReceiverSchema
from safety.notify.channels.dc09 import Try
from safety.notify.models import MonitoringReceiver
from safety.orgs import service as orgs
from safety.orgs.models import ORG_KINDS, Organization, OrgInvitation, OrgMember
from safety.orgs.schemas import MemberInSchema, OrgSchema
from safety.schema_messages import translate_tree

FIELDS = ("name", "kind", "phone", "status", "coverage", "webhook_url", "webhook_secret")
KINDS = ORG_KINDS


@dataclass
class OrgRow:
    org: Organization
    responders: int
    admins: int
    invited: int


def listing() -> list[OrgRow]:
    counts: dict[tuple[uuid.UUID, str], int] = {
        (org_id, role): n for org_id, role, n in db.session.execute(
            select(OrgMember.org_id, OrgMember.role, func.count())
            .group_by(OrgMember.org_id, OrgMember.role))}
    invited = dict(db.session.execute(
        select(OrgInvitation.org_id, func.count()).where(OrgInvitation.status == "pending")
        .group_by(OrgInvitation.org_id)).all())
    rows = db.session.scalars(select(Organization).order_by(Organization.name))
    return [OrgRow(org, counts.get((org.id, "responder"), 0), counts.get((org.id, "org_admin"), 0),
                   invited.get(org.id, 0)) for org in rows]


def _invalid(messages) -> DomainError:
    return DomainError(VALIDATION_FAILED, status=422, errors=translate_tree(messages))


def load_org_form(form, *, partial: bool) -> dict:
    """The form as the API's body: the coverage is GeoJSON text (the map editor fills it);
    an empty webhook address means none; an empty webhook secret means unchanged."""
    body: dict = {}
    for field in FIELDS:
        if field not in form:
            continue
        value = form.get(field, "")
        if field == "coverage":
            if not value.strip() and partial:
                continue
            try:
                value = json.loads(value) if value.strip() else None
            except ValueError:
                raise _invalid({"coverage": [_("Draw the area on the map (or paste a GeoJSON "
                                               "Polygon or MultiPolygon).")]}) from None
            if value is None:
                raise _invalid({"coverage": [_("Draw the area on the map.")]})
        elif field == "webhook_url":
            value = value.strip() or None
        elif field == "webhook_secret":
            if not value:
                continue
        body[field] = value
    try:
        return OrgSchema(partial=partial).load(body)
    except ValidationError as error:
        raise _invalid(error.messages) from None


def create(actor: User, form) -> Organization:
    return orgs.create_org(load_org_form(form, partial=False), actor)


def edit(actor: User, org_id: uuid.UUID, form) -> Organization:
    return orgs.update_org(actor, org_id, load_org_form(form, partial=True))


def set_status(actor: User, org_id: uuid.UUID, status: str) -> Organization:
    return orgs.update_org(actor, org_id, load_org_form({"status": status}, partial=True))


def invite(actor: User, org_id: uuid.UUID, form) -> OrgInvitation:
    try:
        data = MemberInSchema().load({"phone": form.get("phone", ""),
                                      "role": form.get("role", "")})
    except ValidationError as error:
        raise _invalid(error.messages) from None
    return orgs.invite_member(actor, org_id, data["phone"], data["role"])


def withdraw(actor: User, org_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    orgs.withdraw_invitation(actor, org_id, invitation_id)


@dataclass
class OrgDetail:
    org: Organization
    coverage: dict | None
    members: orgs.MemberList
    receivers: list[MonitoringReceiver]


def detail(actor: User, org_id: uuid.UUID) -> OrgDetail:
    org = orgs.get_org(actor, org_id)
    return OrgDetail(org, geo.to_geojson(org.coverage), orgs.list_members(actor, org_id),
                     monitoring.list_receivers(actor, org_id))


# -- monitoring receivers (SIA DC-09) ----------------------------------------------------------

RECEIVER_FIELDS = ("priority", "label", "host", "port", "transport", "receiver_number",
                   "line_prefix", "account", "extended_data", "enabled")


def load_receiver_form(form, *, partial: bool) -> dict:
    """The form as the API's body. The key is write-only, as the webhook secret: an empty field
    leaves it unchanged (none, for a new receiver), `remove_key` removes it (`key: null`), and
    the key's format goes with a key only. `enabled` is "true" or "false"; an empty label means
    none."""
    body: dict = {}
    for field in RECEIVER_FIELDS:
        if field not in form:
            continue
        value = form.get(field, "")
        if field == "label":
            value = value.strip() or None
        elif field in ("host", "port", "priority", "account", "receiver_number", "line_prefix"):
            value = value.strip()
        body[field] = value
    if form.get("remove_key") == "true":
        body["key"] = None
    elif form.get("key"):
        body["key"] = form.get("key")
        if form.get("key_format"):
            body["key_format"] = form.get("key_format")
    try:
        return ReceiverSchema(partial=partial).load(body)
    except ValidationError as error:
        raise _invalid(error.messages) from None


def add_receiver(actor: User, org_id: uuid.UUID, form) -> MonitoringReceiver:
    return monitoring.add_receiver(actor, org_id, load_receiver_form(form, partial=False))


def edit_receiver(actor: User, org_id: uuid.UUID, receiver_id: uuid.UUID,
                  form) -> MonitoringReceiver:
    return monitoring.update_receiver(actor, org_id, receiver_id,
                                      load_receiver_form(form, partial=True))


def set_receiver_enabled(actor: User, org_id: uuid.UUID, receiver_id: uuid.UUID,
                         enabled: str) -> MonitoringReceiver:
    return monitoring.update_receiver(actor, org_id, receiver_id, load_receiver_form(
        {"enabled": enabled}, partial=True))


def remove_receiver(actor: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> None:
    monitoring.remove_receiver(actor, org_id, receiver_id)


def get_receiver(actor: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> MonitoringReceiver:
    return monitoring.get_receiver(actor, org_id, receiver_id)


@dataclass
class LinkTest:
    receiver: MonitoringReceiver
    tries: list[Try]

    @property
    def accepted(self) -> bool:
        return self.tries[-1].accepted


def test_receiver(actor: User, org_id: uuid.UUID, receiver_id: uuid.UUID) -> LinkTest:
    tries = monitoring.test_receiver(actor, org_id, receiver_id)
    return LinkTest(monitoring.get_receiver(actor, org_id, receiver_id), tries)
