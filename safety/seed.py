"""Demo data for `make run` (`flask safety seed-demo`). Idempotent: a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import select

from safety.accounts import service as accounts
from safety.accounts.models import User
from safety.contacts import service as contacts
from safety.contacts.models import Contact
from safety.dispatch import responders as dispatch
from safety.extensions import db
from safety.help import service as help_
from safety.help.models import Place
from safety.orgs import service as orgs
from safety.orgs.models import Organization, OrgMember

DEMO_PASSWORD = "demo-password-1"
ALMATY = {"type": "Polygon", "coordinates": [[
    [76.75, 43.15], [77.10, 43.15], [77.10, 43.40], [76.75, 43.40], [76.75, 43.15]]]}
ORG_NAME = "Almaty Kuzet (demo)"
# The demo responders: phone, name, where they go on duty (the demo simulator, safety/demo.py,
# keeps them on duty while `make run` runs).
RESPONDERS = [(f"+7701000000{i}", f"Responder {i - 5}", spot) for i, spot in enumerate(
    [(43.2389, 76.8897), (43.2567, 76.9286), (43.2220, 76.8512)], start=6)]


def _user(phone: str, name: str, *roles: str, locale: str = "ru") -> User:
    """`locale`: what the account reads (a new account; an existing one keeps its own)."""
    user = (accounts.user_by_phone(phone)
            or accounts.create_account(phone, DEMO_PASSWORD, name, locale))
    if user.phone_verified_at is None:
        accounts.mark_phone_verified(user)  # made-up numbers: no SMS could reach them
    for role in roles:
        accounts.grant_role(user, role)
    return user


def _guardian(owner: User, guardian: User, name: str, relation: str) -> None:
    contact = db.session.scalar(select(Contact).where(Contact.owner_id == owner.id,
                                                      Contact.phone == guardian.phone))
    if contact is None:
        contact = contacts.add_contact(owner, {"name": name, "phone": guardian.phone,
                                               "relation": relation})
    if contact.status != "accepted":
        contacts.respond(guardian, contact.id, accept=True)


def _member(admin: User, org: Organization, person: User, role: str) -> None:
    """Invited by the demo admin and accepted, as a real member would be."""
    if db.session.get(OrgMember, (org.id, person.id, role)) is None:
        invitation = orgs.invite_member(admin, org.id, person.phone, role)
        orgs.respond_invitation(person, invitation.id, accept=True)


def _demo_device(user: User) -> None:
    """A made-up push token, so that `make run` (log provider) shows whom pushes go to."""
    accounts.upsert_device(user, "demo-phone", {"push_token": f"demo-token-{user.phone[1:]}",
                                                "platform": "android", "app_version": "demo"})


def seed_demo() -> list[str]:
    # Each reads her own language: the log shows every push in its reader's language.
    admin = _user("+77010000001", "Demo Admin", "admin", locale="en")
    user = _user("+77010000002", "Aigerim Demo", locale="kk")
    if user.pin_hash is None:
        accounts.set_pin(user, "1234", "9999")
    mother = _user("+77010000003", "Gulnara (mother)", locale="ru")
    sister = _user("+77010000004", "Dana (sister)", locale="en")
    _guardian(user, mother, "Mother", "mother")
    _guardian(user, sister, "Sister", "sister")
    for person in (user, mother, sister):
        _demo_device(person)

    org = db.session.scalar(select(Organization).where(Organization.name == ORG_NAME))
    if org is None:
        org = orgs.create_org({"name": ORG_NAME, "kind": "security", "phone": "+77272500000",
                               "coverage": ALMATY})
    org_admin = _user("+77010000005", "Serik (dispatcher)")
    _member(admin, org, org_admin, "org_admin")
    _demo_device(org_admin)
    lines = [
        f"password for every demo account: {DEMO_PASSWORD}",
        f"admin:      {admin.phone}",
        f"user:       {user.phone}  (PIN 1234, duress PIN 9999; guardians below; "
        f"reads {user.locale})",
        f"guardians:  {mother.phone} (reads {mother.locale}), {sister.phone} "
        f"(reads {sister.locale})",
        f"org admin:  {org_admin.phone}  ({ORG_NAME}, covers central Almaty)",
    ]
    for phone, name, (lat, lon) in RESPONDERS:
        responder = _user(phone, name, locale="kk")
        _member(admin, org, responder, "responder")
        dispatch.set_duty(responder, True, {"lat": lat, "lon": lon})
        _demo_device(responder)
        lines.append(f"responder:  {responder.phone}  on duty at {lat}, {lon} (reads "
                     f"{responder.locale})")
    for name, kind, lat, lon in (
        ("Crisis centre (demo data)", "crisis_center", 43.2450, 76.9120),
        ("Police station (demo data)", "police", 43.2610, 76.9450),
    ):
        if db.session.scalar(select(Place.id).where(Place.name == name)) is None:
            help_.create_place({"name": name, "kind": kind, "address": "Almaty (demo)",
                                "phones": [], "lat": lat, "lon": lon, "active": True})
    lines.append("help:       two demo places in Almaty; national hotlines are real")
    lines.append("every demo account has a made-up push token: pushes show in the log")
    db.session.flush()
    return lines
