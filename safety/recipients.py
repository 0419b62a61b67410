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

from sqlalchemy import func, select

from safety.accounts.models import User
from safety.contacts import service as contacts
from safety.extensions import db
from safety.orgs.models import Organization, OrgMember

MAX_NAMES = 2  # "guardian of A, B and 1 more"


def _names(names: list[str], count: int) -> str:
    shown = ", ".join(names)
    return shown + (f" and {count - len(names)} more" if count > len(names) else "")


def _guarded(ids: list[uuid.UUID], *, names: bool) -> dict[uuid.UUID, tuple[list[str], int]]:
    """Guardian id -> (the first MAX_NAMES names of those they guard, by name; how many they
    guard). One query, which answers at most MAX_NAMES names a guardian: for a guardian of
    many (the bench's shared guardian guards thousands) the database still ranks them all,
    but only two rows leave it. Without `names` (production's redacted lines) only who is a
    guardian is read, no name at all."""
    ties = contacts.guardianships(ids).subquery()
    if not names:
        return {guardian_id: ([], 0) for guardian_id in db.session.scalars(
            select(ties.c.guardian_id).distinct())}
    ranked = select(
        ties.c.guardian_id, User.full_name,
        func.row_number().over(partition_by=ties.c.guardian_id,
                               order_by=(User.full_name, User.id)).label("rank"),
        func.count().over(partition_by=ties.c.guardian_id).label("count"),
    ).join(User, User.id == ties.c.owner_id).subquery()
    out: dict[uuid.UUID, tuple[list[str], int]] = {}
    for guardian_id, name, count in db.session.execute(
            select(ranked.c.guardian_id, ranked.c.full_name, ranked.c["count"])
            .where(ranked.c.rank <= MAX_NAMES).order_by(ranked.c.guardian_id, ranked.c.rank)):
        out.setdefault(guardian_id, ([], count))[0].append(name)
    return out


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
    guarded = _guarded(ids, names=not redact)
    memberships: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for user_id, role, org in db.session.execute(
            select(OrgMember.user_id, OrgMember.role, Organization.name)
            .join(Organization, Organization.id == OrgMember.org_id)
            .where(OrgMember.user_id.in_(ids)).order_by(OrgMember.role)):
        memberships[user_id].append((role, org))
    for user in users:
        parts: list[str] = []
        if user.id in guarded:
            names, count = guarded[user.id]
            parts.append("guardian" if redact else f"guardian of {_names(names, count)}")
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
