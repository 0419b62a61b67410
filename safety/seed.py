"""Demo data for `make run` (`flask safety seed-demo`). Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from safety.accounts import service as accounts
from safety.accounts.models import User
from safety.alerts import commands as alerts_commands
from safety.alerts.models import Alert, AlertLocation
from safety.contacts import service as contacts
from safety.contacts.models import Contact
from safety.dispatch import offers as dispatch_offers
from safety.dispatch import responders as dispatch
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.extensions import db
from safety.help import service as help_
from safety.help.models import Place
from safety.orgs import service as orgs
from safety.orgs.models import Organization, OrgMember
from safety.registry import iin as iin_mod
from safety.registry import service as registry
from safety.util import utcnow

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
            place = {"name": name, "kind": kind, "address": "Almaty (demo)", "phones": [],
                     "lat": lat, "lon": lon, "active": True}
            help_.create_place(place, None)
    lines.append("help:       two demo places in Almaty; national hotlines are real")
    lines.append("every demo account has a made-up push token: pushes show in the log")
    db.session.flush()
    return lines


# -- the console's demo (`flask safety seed-demo --console`, which `make run` runs) -----------

# Women whose alerts fill the console, and two more responders who hold their dispatches (the
# first three stay free for the demo story of README's "Try it").
CONSOLE_WOMEN = [("+77010000010", "Madina Demo"), ("+77010000011", "Zhanar Demo"),
                 ("+77010000012", "Aliya Demo")]
CONSOLE_RESPONDERS = [("+77010000013", "Responder 4", (43.2455, 76.9010)),
                      ("+77010000014", "Responder 5", (43.2300, 76.9420))]
HISTORY_DAYS = 14


def seed_console_demo() -> list[str]:
    """Live and past alerts for the console (run after `seed_demo`; a second run adds
    nothing): Madina's alert, accepted by Responder 4 who is on the way; Zhanar's, canceled
    with her duress PIN while Responder 5 holds it (live, marked duress); Aliya's, which nobody
    could take (unassigned: it stands out and sounds); and two weeks of resolved alerts for the
    statistics. The live ones go through the services, as the API would; the past ones are
    written with their times in the past."""
    org = db.session.scalar(select(Organization).where(Organization.name == ORG_NAME))
    if org is None:
        raise RuntimeError("run seed_demo first")
    if accounts.user_by_phone(CONSOLE_WOMEN[0][0]) is not None:
        return ["console demo: already seeded"]
    admin = accounts.user_by_phone("+77010000001")
    women = []
    for phone, name in CONSOLE_WOMEN:
        woman = _user(phone, name)
        accounts.set_pin(woman, "1234", "9999")
        women.append(woman)
    extra = []
    for phone, name, (lat, lon) in CONSOLE_RESPONDERS:
        responder = _user(phone, name)
        _member(admin, org, responder, "responder")
        dispatch.set_duty(responder, True, {"lat": lat, "lon": lon})
        extra.append(responder)
    free = [accounts.user_by_phone(phone) for phone, _n, _s in RESPONDERS]
    for responder in free:  # kept out of the console's alerts: the README's story needs them
        dispatch.set_duty(responder, False, None)
    _history(org, women, free + extra)

    def panic(woman, lat, lon):
        alert, _ = alerts_commands.raise_alert(woman, {
            "client_id": uuid.uuid4(), "trigger": "button",
            "location": {"lat": lat, "lon": lon, "accuracy_m": 15.0}})
        return alert

    def accept(responder, alert):
        held = db.session.scalar(select(Dispatch).where(Dispatch.alert_id == alert.id))
        return dispatch_offers.accept(responder, held.id)

    madina = panic(women[0], 43.2490, 76.9150)
    held = accept(extra[0], madina)
    dispatch_offers.set_status(extra[0], held.id, "en_route", None)
    zhanar = panic(women[1], 43.2260, 76.9480)
    accept(extra[1], zhanar)
    alerts_commands.cancel(women[1], zhanar.id, "9999")  # her duress PIN: live behind it
    aliya = panic(women[2], 43.2700, 76.9700)  # everyone busy or off duty: unassigned
    _as_if_raised_earlier(madina, 240, accepted_after=18, en_route_after=35)
    _as_if_raised_earlier(zhanar, 150, accepted_after=12)
    _as_if_raised_earlier(aliya, 70)
    for responder, (_phone, _name, (lat, lon)) in zip(free, RESPONDERS, strict=True):
        dispatch.set_duty(responder, True, {"lat": lat, "lon": lon})
    _registry(admin, women)
    db.session.flush()
    return [
        f"console:    {current_app.config['PUBLIC_BASE_URL']}/console/ "
        "(the org admin above, or the admin)",
        f"            live: {CONSOLE_WOMEN[0][1]} (en route), {CONSOLE_WOMEN[1][1]} (DURESS), "
        f"{CONSOLE_WOMEN[2][1]} (unassigned); {HISTORY_DAYS} days of past alerts; "
        f"{len(REGISTRY_DEMO)} registry entries (fictitious) and two checks",
    ]


# Fictitious people for the registry page (page 6): through the service, as the API adds them.
REGISTRY_DEMO = [
    {"full_name": "Сериков Нурлан Демо", "iin": iin_mod.make(date(1985, 3, 14), "male"),
     "phone": "+77017650000", "category": "domestic_violence_criminal",
     "decided_on": date(2024, 5, 2), "authority": "Almaty district court No. 2 (demo)",
     "case_reference": "2-0000/2024", "legal_basis": "court_decision",
     "expires_on": date(2032, 5, 2)},
    {"full_name": "Жумабаев Ерлан Демо", "birth_date": date(1990, 7, 1),
     "category": "protective_order", "decided_on": date(2025, 1, 10),
     "authority": "Almaty city police (demo)", "legal_basis": "subject_consent",
     "consent_reference": "consent-0001", "expires_on": date(2027, 1, 10)},
    {"full_name": "Ivanov Pyotr Demo", "birth_date": date(1979, 11, 30),
     "category": "domestic_violence_administrative", "decided_on": date(2023, 2, 1),
     "authority": "Astana court No. 5 (demo)", "case_reference": "5-0000/2023",
     "legal_basis": "court_decision", "expires_on": date(2026, 2, 1)},
]


def _registry(admin: User, women: list[User]) -> None:
    entries = []
    for data in REGISTRY_DEMO:
        data = {"birth_date": None, "iin": None, "phone": None, "case_reference": None,
                "consent_reference": None, **data}
        if data["iin"]:
            data["birth_date"] = iin_mod.parse(data["iin"])[0]
        entries.append(registry.create_entry(admin, data))
    registry.update_entry(admin, entries[0].id, {"expires_on": date(2033, 5, 2)})
    registry.check(women[0], {"full_name": "Nurlan Serikov Demo", "purpose": "new_partner",
                              "birth_date": date(1985, 3, 14)})
    registry.check(women[2], {"full_name": "Askar Demo", "purpose": "dating"})


def _as_if_raised_earlier(alert: Alert, seconds: float, accepted_after: float | None = None,
                          en_route_after: float | None = None) -> None:
    """Move a demo alert just raised `seconds` into the past (so the board shows ages and
    times to accept as a morning would), its dispatch and offers along."""
    shift = timedelta(seconds=seconds)
    alert.created_at -= shift
    held = db.session.scalar(select(Dispatch).where(Dispatch.alert_id == alert.id))
    held.created_at = alert.created_at
    for offer in db.session.scalars(select(DispatchOffer).where(
            DispatchOffer.dispatch_id == held.id)):
        offer.created_at -= shift
        offer.expires_at -= shift
        if offer.responded_at is not None:
            offer.responded_at = alert.created_at + timedelta(seconds=accepted_after or 0)
    if accepted_after is not None:
        held.accepted_at = alert.created_at + timedelta(seconds=accepted_after)
    if en_route_after is not None:
        held.en_route_at = alert.created_at + timedelta(seconds=en_route_after)


def _history(org: Organization, women: list[User], responders: list[User]) -> None:
    """Resolved alerts of the last HISTORY_DAYS days, a few a day, each with its trail point,
    dispatch and offers (the accepting responder and one or two who were also asked)."""
    rng = random.Random(8484)
    now = utcnow()
    for days_ago in range(HISTORY_DAYS, 0, -1):
        for _ in range(rng.randint(2, 6)):
            raised = now - timedelta(days=days_ago, hours=rng.uniform(0, 20))
            woman = rng.choice(women)
            lat, lon = 43.20 + rng.uniform(0, 0.12), 76.85 + rng.uniform(0, 0.15)
            canceled = rng.random() < 0.12  # she canceled before anyone accepted
            tta = None if canceled else min(120.0, rng.lognormvariate(2.4, 0.8))
            asked = rng.sample(responders, k=min(len(responders), rng.randint(2, 3)))
            taker = None if canceled else asked[0]
            end = raised + (timedelta(seconds=rng.uniform(20, 90)) if canceled
                            else timedelta(minutes=rng.uniform(12, 40)))
            alert = Alert(user_id=woman.id, client_id=uuid.uuid4(), trigger="button",
                          status="canceled" if canceled else "resolved", lat=lat, lon=lon,
                          accuracy_m=20.0, location_at=raised, created_at=raised,
                          updated_at=end, ended_at=end,
                          shown_canceled_at=end if canceled else None,
                          shown_lat=lat if canceled else None,
                          shown_lon=lon if canceled else None,
                          shown_location_at=raised if canceled else None)
            db.session.add(alert)
            db.session.flush()
            db.session.add(AlertLocation(alert_id=alert.id, lat=lat, lon=lon, accuracy_m=20.0,
                                         recorded_at=raised, received_at=raised))
            accepted = raised + timedelta(seconds=tta) if tta is not None else None
            held = Dispatch(
                alert_id=alert.id, status="canceled" if canceled else "resolved", round=1,
                radius_m=5000, org_id=org.id, responder_id=taker.id if taker else None,
                created_at=raised, accepted_at=accepted,
                en_route_at=accepted + timedelta(seconds=40) if accepted else None,
                on_scene_at=accepted + timedelta(minutes=rng.uniform(6, 15)) if accepted
                else None, resolved_at=end)
            db.session.add(held)
            db.session.flush()
            for person in asked:
                if person is taker:
                    status, answered = "accepted", accepted
                elif canceled:
                    status, answered = "withdrawn", end
                elif rng.random() < 0.3:
                    status = "declined"
                    answered = raised + timedelta(seconds=rng.uniform(3, 20))
                else:
                    status, answered = "withdrawn", accepted
                db.session.add(DispatchOffer(
                    dispatch_id=held.id, responder_id=person.id, org_id=org.id, round=1,
                    distance_m=rng.uniform(300, 4000), status=status, created_at=raised,
                    expires_at=raised + timedelta(seconds=30), responded_at=answered))
