"""Partner organisations: coverage areas, members, statistics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from safety import audit, geo
from safety.accounts import service as accounts
from safety.accounts.models import User
from safety.errors import Conflict, Forbidden, NotFound
from safety.extensions import db
from safety.i18n import _, _l
from safety.notify import service as notify
from safety.orgs.models import Organization, OrgInvitation, OrgMember
from safety.util import utcnow

NO_ORG = _l("No such organisation.")
NO_INVITATION = _l("No such invitation.")


def _admin_of(user: User, org_id: uuid.UUID) -> bool:
    return db.session.scalar(select(OrgMember.org_id).where(
        OrgMember.org_id == org_id, OrgMember.user_id == user.id, OrgMember.role == "org_admin"
    )) is not None


def get_org(user: User, org_id: uuid.UUID) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None or not (user.has_role("admin") or _admin_of(user, org_id)):
        raise NotFound(NO_ORG)
    return org


def list_orgs(user: User):
    stmt = select(Organization)
    if not user.has_role("admin"):
        stmt = stmt.where(Organization.id.in_(select(OrgMember.org_id).where(
            OrgMember.user_id == user.id, OrgMember.role == "org_admin")))
    return stmt


# What an org admin may change in their own organisation. Everything else (name, kind, status,
# coverage, webhook) decides what alerts the organisation receives or how she sees it:
# platform administrators only, and audited.
ORG_ADMIN_MAY_CHANGE = frozenset({"phone"})
AUDITED_FIELDS = ("name", "kind", "phone", "status", "coverage", "webhook_url", "webhook_secret")
SECRET_FIELDS = ("webhook_secret",)


def _snapshot(org: Organization) -> dict:
    values = {f: getattr(org, f) for f in AUDITED_FIELDS if f != "coverage"}
    values["coverage"] = geo.to_geojson(org.coverage)
    return values


def create_org(data: dict, actor: User | None = None) -> Organization:
    org = Organization(name=data["name"].strip(), kind=data["kind"], phone=data["phone"],
                       status=data.get("status", "active"),
                       coverage=geo.area_from_geojson(data["coverage"]),
                       webhook_url=data.get("webhook_url"),
                       webhook_secret=data.get("webhook_secret"))
    db.session.add(org)
    db.session.flush()
    audit.record(actor, "org.created", "organization", org.id,
                 audit.diff({}, _snapshot(org), SECRET_FIELDS))
    return org


def update_org(user: User, org_id: uuid.UUID, data: dict) -> Organization:
    org = get_org(user, org_id)
    if not user.has_role("admin"):
        refused = sorted(set(data) - ORG_ADMIN_MAY_CHANGE)
        if refused:
            message = _("Only platform administrators may change this.")
            raise Forbidden(
                _l("Only platform administrators may change an organisation's %(fields)s.",
                   fields=", ".join(refused)),
                errors={field: [message] for field in refused})
    before = _snapshot(org)
    for field in ("name", "kind", "phone", "status", "webhook_url", "webhook_secret"):
        if field in data:
            setattr(org, field, data[field])
    if "coverage" in data:
        org.coverage = geo.area_from_geojson(data["coverage"])
    changes = audit.diff(before, _snapshot(org), SECRET_FIELDS)
    if changes:
        org.updated_at = utcnow()
        audit.record(user, "org.updated", "organization", org.id, changes)
    db.session.flush()
    return org


def audit_events(org_id: uuid.UUID):
    """Platform admins only (the route says so)."""
    if db.session.get(Organization, org_id) is None:
        raise NotFound(NO_ORG)
    return audit.events_for("organization", org_id)


def invite_member(user: User, org_id: uuid.UUID, phone: str, role: str) -> OrgInvitation:
    """Invite whoever holds `phone` to hold `role`. The answer is the same whether the number
    has an account or not; the role is granted when its verified holder accepts."""
    org = get_org(user, org_id)
    invitation = db.session.scalar(select(OrgInvitation).where(
        OrgInvitation.org_id == org.id, OrgInvitation.phone == phone, OrgInvitation.role == role))
    if invitation is None:
        invitation = OrgInvitation(org_id=org.id, phone=phone, role=role)
        db.session.add(invitation)
    invitation.status = "pending"
    invitation.invited_by_id = user.id
    invitation.user_id = None
    invitation.responded_at = None
    invitation.created_at = utcnow()
    audit.record(user, "org.member_invited", "organization", org.id,
                 {"phone": phone, "role": role})
    db.session.flush()
    invitee = accounts.user_by_phone(phone)
    if invitee is not None and invitee.phone_verified_at is not None:
        body = (_l("You are invited to join as a responder. Open the app to accept or decline.")
                if role == "responder" else
                _l("You are invited to join as an administrator. Open the app to accept or "
                   "decline."))
        notify.push_to_users([invitee.id], "org_invitation",
                             _l("%(org)s invites you", org=org.name), body,
                             {"invitation_id": invitation.id, "org_id": org.id})
    return invitation


def invitations_for(user: User) -> list[OrgInvitation]:
    """Pending invitations to the caller's number, once the number is verified."""
    if user.phone_verified_at is None:
        return []
    return list(db.session.scalars(
        select(OrgInvitation).where(OrgInvitation.phone == user.phone,
                                    OrgInvitation.status == "pending")
        .order_by(OrgInvitation.created_at.desc())
    ))


def respond_invitation(user: User, invitation_id: uuid.UUID, accept: bool) -> OrgInvitation:
    invitation = db.session.get(OrgInvitation, invitation_id)
    if (invitation is None or user.phone_verified_at is None
            or invitation.phone != user.phone):
        raise NotFound(NO_INVITATION)
    if invitation.status != "pending":
        raise Conflict(_l("You have already answered this invitation."))
    invitation.status = "accepted" if accept else "declined"
    invitation.user_id = user.id
    invitation.responded_at = utcnow()
    if accept:
        key = (invitation.org_id, user.id, invitation.role)
        if db.session.get(OrgMember, key) is None:
            db.session.add(OrgMember(org_id=invitation.org_id, user_id=user.id,
                                     role=invitation.role))
            audit.record(user, "org.member_added", "organization", invitation.org_id,
                         {"user_id": user.id, "role": invitation.role})
        accounts.grant_role(user, invitation.role)
    db.session.flush()
    return invitation


def withdraw_invitation(user: User, org_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    """Withdraw an invitation not answered yet (audited). One already accepted is a membership
    now (409: remove the member instead); one declined is withdrawn as well."""
    org = get_org(user, org_id)
    invitation = db.session.get(OrgInvitation, invitation_id)
    if invitation is None or invitation.org_id != org.id:
        raise NotFound(NO_INVITATION)
    if invitation.status == "accepted":
        raise Conflict(_l("This invitation was accepted: remove the member instead."))
    audit.record(user, "org.invitation_withdrawn", "organization", org.id, {
        "invitation_id": invitation.id, "phone": invitation.phone, "role": invitation.role,
        "status": invitation.status})
    db.session.delete(invitation)
    db.session.flush()


@dataclass
class MemberList:
    members: list[OrgMember]
    invitations: list[OrgInvitation]  # pending ones


def list_members(user: User, org_id: uuid.UUID) -> MemberList:
    """Members, and the invitations still pending (their numbers only)."""
    org = get_org(user, org_id)
    members = list(db.session.scalars(
        select(OrgMember).where(OrgMember.org_id == org.id).order_by(OrgMember.created_at)
    ))
    pending = list(db.session.scalars(
        select(OrgInvitation).where(OrgInvitation.org_id == org.id,
                                    OrgInvitation.status == "pending")
        .order_by(OrgInvitation.created_at)
    ))
    return MemberList(members, pending)


def remove_member(user: User, org_id: uuid.UUID, member_id: uuid.UUID) -> None:
    org = get_org(user, org_id)
    rows = list(db.session.scalars(select(OrgMember).where(
        OrgMember.org_id == org.id, OrgMember.user_id == member_id)))
    if not rows:
        raise NotFound(_l("No such member."))
    member_user = rows[0].user
    for row in rows:
        audit.record(user, "org.member_removed", "organization", org.id,
                     {"user_id": member_id, "role": row.role})
        db.session.delete(row)
    db.session.flush()
    for role in ("responder", "org_admin"):
        still = db.session.scalar(select(OrgMember.org_id).where(
            OrgMember.user_id == member_id, OrgMember.role == role))
        if still is None:
            accounts.revoke_role(member_user, role)


def update_member(user: User, org_id: uuid.UUID, member_id: uuid.UUID,
                  data: dict) -> OrgMember:
    """A responder's vehicle and badge, as she and her guardians will see them while this
    responder comes to her (the organisation's admins, and platform admins; audited)."""
    org = get_org(user, org_id)
    member = db.session.get(OrgMember, (org.id, member_id, "responder"))
    if member is None:
        raise NotFound("No such responder in this organisation.")
    changes = {}
    for field in ("vehicle", "badge"):
        if field in data and getattr(member, field) != data[field]:
            changes[field] = {"before": getattr(member, field), "after": data[field]}
            setattr(member, field, data[field])
    if changes:
        audit.record(user, "org.member_updated", "organization", org.id,
                     {"user_id": member_id, "role": "responder", **changes})
    db.session.flush()
    return member


def responder_member(org_id: uuid.UUID | None, user_id: uuid.UUID | None) -> OrgMember | None:
    """The responder's membership of the organisation (their vehicle and badge there)."""
    if org_id is None or user_id is None:
        return None
    return db.session.get(OrgMember, (org_id, user_id, "responder"))


def org_admin_ids(org_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    if not org_ids:
        return []
    return list(db.session.scalars(select(OrgMember.user_id).where(
        OrgMember.org_id.in_(org_ids), OrgMember.role == "org_admin").distinct()))


def is_org_admin(user: User, org_id: uuid.UUID | None) -> bool:
    return org_id is not None and _admin_of(user, org_id)
