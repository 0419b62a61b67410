"""Who a message is for, in words, for the log providers' lines ("to user 1a2b3c4d… (Gulnara,
guardian of Aigerim Demo)"), so that the development log reads as a story.

Channels must not reach into features (notify never imports them): the app factory hands
`describe` to the push channel (`register_channels`). Nothing here is on the path of a real
send: only the log provider asks.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select

from safety.accounts.models import User
from safety.contacts import service as contacts
from safety.extensions import db
from safety.orgs.models import Organization, OrgMember

MAX_NAMES = 2  # "guardian of A, B and 1 more"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def describe(user_ids: Collection[uuid.UUID], *, redact: bool = False) -> dict[uuid.UUID, str]:
    """`user <first 8 hex digits>… (<name>, <what they are>)` per user id. `redact` (production)
    leaves names out: `user 1a2b3c4d… (guardian, responder)`."""
    ids = list(user_ids)
    out: dict[uuid.UUID, str] = {}
    if not ids:
        return out
    # four queries for them all (users, their roles, guardianships, memberships), not three
    # per user: a worker's batch of pushes asks for many at once
    users = list(db.session.scalars(select(User).where(User.id.in_(ids))))
    ties = contacts.guardianships(ids).subquery()
    guarded: dict[uuid.UUID, list[str]] = defaultdict(list)
    for guardian_id, name in db.session.execute(
            select(ties.c.guardian_id, User.full_name).join(User, User.id == ties.c.owner_id)
            .order_by(User.full_name)):
        guarded[guardian_id].append(name)
    memberships: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for user_id, role, org in db.session.execute(
            select(OrgMember.user_id, OrgMember.role, Organization.name)
            .join(Organization, Organization.id == OrgMember.org_id)
            .where(OrgMember.user_id.in_(ids)).order_by(OrgMember.role)):
        memberships[user_id].append((role, org))
    for user in users:
        parts: list[str] = []
        if guarded[user.id]:
            parts.append("guardian" if redact else f"guardian of {_names(guarded[user.id])}")
        for role, org in memberships[user.id]:
            what = role.replace("_", " ")
            parts.append(what if redact else f"{what} at {org}")
        if user.has_role("admin"):
            parts.append("platform admin")
        if not parts:
            parts.append("user")
        if not redact:
            parts.insert(0, user.full_name)
        out[user.id] = f"user {user.id.hex[:8]}… ({', '.join(dict.fromkeys(parts))})"
    return out
