"""Trusted contacts and the guardian invitations they carry."""

from __future__ import annotations

import uuid
from functools import cache

from sqlalchemy import Select, bindparam, exists, false, func, select, true

from safety.accounts.models import User
from safety.contacts import events
from safety.contacts.models import Contact
from safety.errors import Conflict, Invalid, NotFound
from safety.events import send
from safety.extensions import db
from safety.i18n import _l, _n, supported
from safety.notify import service as notify
from safety.util import utcnow

MAX_CONTACTS = 10


def list_contacts(owner: User) -> list[Contact]:
    return list(db.session.scalars(
        select(Contact).where(Contact.owner_id == owner.id).order_by(Contact.created_at)
    ))


def get_contact(owner: User, contact_id: uuid.UUID) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.owner_id != owner.id:
        raise NotFound(_l("No such contact."))
    return contact


def _check_phone(owner: User, phone: str, exclude: uuid.UUID | None = None) -> None:
    if phone == owner.phone:
        raise Invalid("phone", _l("You cannot be your own trusted contact."))
    clash = select(Contact.id).where(Contact.owner_id == owner.id, Contact.phone == phone)
    if exclude is not None:
        clash = clash.where(Contact.id != exclude)
    if db.session.scalar(clash) is not None:
        raise Conflict(_l("You already have a contact with this phone number."))


def add_contact(owner: User, data: dict) -> Contact:
    # Lock the owner's row so two concurrent adds cannot both pass the limit.
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    count = db.session.scalar(select(func.count()).where(Contact.owner_id == owner.id))
    if count >= MAX_CONTACTS:
        raise Conflict(_n("You can have at most %(num)d trusted contact.",
                          "You can have at most %(num)d trusted contacts.", MAX_CONTACTS))
    _check_phone(owner, data["phone"])
    contact = Contact(owner_id=owner.id, name=data["name"].strip(), phone=data["phone"],
                      relation=data.get("relation"),
                      locale=data.get("locale") or supported(owner.locale) or "kk")
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(owner: User, contact_id: uuid.UUID, data: dict) -> Contact:
    contact = get_contact(owner, contact_id)
    if "phone" in data and data["phone"] != contact.phone:
        _check_phone(owner, data["phone"], exclude=contact.id)
        # A new number is a new person: the invitation starts over, and whoever holds the old
        # number loses her tracking links now.
        _cut_off(contact)
        contact.phone = data["phone"]
        contact.status = "pending"
        contact.guardian_id = None
        contact.responded_at = None
    if "name" in data:
        contact.name = data["name"].strip()
    if "relation" in data:
        contact.relation = data["relation"]
    if "locale" in data:
        contact.locale = data["locale"]
    db.session.flush()
    return contact


def delete_contact(owner: User, contact_id: uuid.UUID) -> None:
    contact = get_contact(owner, contact_id)
    _cut_off(contact)
    db.session.delete(contact)
    db.session.flush()


def _verified_holder():
    """The contact's guardian account holds the contact's number, proven by an SMS code.
    An accepted invitation counts only while this is true: an account that never verified
    (made before verification existed) or that moved to another number has no rights."""
    return exists().where(User.id == Contact.guardian_id, User.phone == Contact.phone,
                          User.phone_verified_at.is_not(None))


def _cut_off(contact: Contact) -> None:
    """The holder of this contact's number stops following her at once: every tracking link
    sent to it is revoked (not merely left to expire), and SMS to it not yet sent are canceled
    (by alerts, which owns both: `events.cut_off`)."""
    send(events.cut_off, contact=contact)


def invitations_for(user: User) -> list[Contact]:
    if user.phone_verified_at is None:
        return []
    return list(db.session.scalars(
        select(Contact)
        .where(Contact.phone == user.phone, Contact.owner_id != user.id)
        .order_by(Contact.created_at.desc())
    ))


def respond(user: User, contact_id: uuid.UUID, accept: bool) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if (contact is None or user.phone_verified_at is None or contact.phone != user.phone
            or contact.owner_id == user.id):
        raise NotFound(_l("No such invitation."))
    contact.status = "accepted" if accept else "declined"
    contact.guardian_id = user.id if accept else None
    contact.responded_at = utcnow()
    db.session.flush()
    return contact


def guardians(owner_id: uuid.UUID) -> Select:
    """The ids of her counting guardians (a query: `notify.push_to_users` takes it as it is,
    and reads them with their devices in one round trip)."""
    return select(Contact.guardian_id).where(
        Contact.owner_id == owner_id, Contact.status == "accepted", _verified_holder())


def guardian_ids(owner_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db.session.scalars(guardians(owner_id)))


def guarded_owners(guardian: User) -> Select:
    """The ids of the people `guardian` is a counting guardian of (a subquery)."""
    return select(Contact.owner_id).where(
        Contact.guardian_id == guardian.id, Contact.status == "accepted",
        Contact.phone == guardian.phone,
        true() if guardian.phone_verified_at is not None else false(),
    )


def guardianships(guardian_ids: list[uuid.UUID]) -> Select:
    """(guardian id, owner id) of each counting guardianship of `guardian_ids` (the rule of
    `guardians`, from the guardians' side, for many of them in one query)."""
    return select(Contact.guardian_id, Contact.owner_id).where(
        Contact.guardian_id.in_(guardian_ids), Contact.status == "accepted", _verified_holder())


def is_guardian(guardian: User, owner_id: uuid.UUID) -> bool:
    if guardian.phone_verified_at is None:
        return False
    return db.session.scalar(
        guarded_owners(guardian).where(Contact.owner_id == owner_id).limit(1)
    ) is not None


def sms_contacts(owner_id: uuid.UUID) -> list[Contact]:
    """Contacts who are not (yet) guardians in the app and have not declined: they get SMS.
    So does a contact whose acceptance does not count (the account that accepted has not
    proven the number): the number itself is still reached."""
    return list(db.session.scalars(_sms_contacts(), {"owner_id": owner_id}))


@cache
def _sms_contacts() -> Select:
    """Built once: every panic runs it."""
    return select(Contact).where(
        Contact.owner_id == bindparam("owner_id"),
        (Contact.status == "pending") | ((Contact.status == "accepted") & ~_verified_holder()),
    )


def readers(contacts: list[Contact]) -> dict[uuid.UUID, tuple[str, str]]:
    """The language and time zone each contact reads texts to them in: the verified holder of
    the contact's number reads in their account's; anyone else in the contact's own `locale`,
    with times in her zone. One query for them all."""
    phones = {c.phone for c in contacts}
    accounts = {} if not phones else {
        phone: (locale, tz) for phone, locale, tz in db.session.execute(
            select(User.phone, User.locale, User.time_zone).where(
                User.phone.in_(phones), User.phone_verified_at.is_not(None)))}
    return {c.id: accounts.get(c.phone, (c.locale, c.owner.time_zone)) for c in contacts}


def reader(contact: Contact) -> tuple[str, str]:
    """(locale, time zone) of the person behind one contact (see `readers`)."""
    return readers([contact])[contact.id]


def tell_guardians_pin_duress(_app, *, user: User) -> None:
    """Receives `accounts.events.pin_duress`: her PIN was changed under duress."""
    notify.push_to_users(
        guardian_ids(user.id), "pin_duress",
        _l("DURESS: %(name)s was forced to change her PIN", name=user.full_name),
        _l("She entered her duress PIN. She may be in danger now; reach her with care."), {},
    )
