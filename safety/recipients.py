"""Who a message is for, in words, for the log providers' lines ("to user 1a2b3c4d… (Gulnara,
guardian of Aigerim Demo)"), so that the development log reads as a story.

Channels must not reach into features (notify never imports them): the app factory hands
`describe` to the push channel (`register_channels`). Nothing here is on the path of a real
send: only the log provider asks.
"""

from __future__ import annotations

import uuid
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
    out: dict[uuid.UUID, str] = {}
    for user in db.session.scalars(select(User).where(User.id.in_(list(user_ids)))):
        parts: list[str] = []
        guarded = list(db.session.scalars(
            select(User.full_name).where(User.id.in_(contacts.guarded_owners(user)))
            .order_by(User.full_name)))
        if guarded:
            parts.append("guardian" if redact else f"guardian of {_names(guarded)}")
        for role, org in db.session.execute(
                select(OrgMember.role, Organization.name)
                .join(Organization, Organization.id == OrgMember.org_id)
                .where(OrgMember.user_id == user.id).order_by(OrgMember.role)):
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
