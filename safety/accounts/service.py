"""Accounts: registration, login sessions, PINs, push devices, roles."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt
from sqlalchemy import select

from safety.accounts import phones
from safety.accounts.models import ROLES, AuthSession, Device, User, UserRole
from safety.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from safety.extensions import db
from safety.notify import outbox
from safety.passwords import hash_secret, verify_secret
from safety.util import utcnow


def user_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def create_account(phone: str, password: str, full_name: str, locale: str = "kk",
                   *, password_hash: str | None = None) -> User:
    """An account whose number is not verified yet (see register, mark_phone_verified)."""
    if user_by_phone(phone) is not None:
        raise Conflict("An account with this phone number already exists.")
    user = User(
        phone=phone, password_hash=password_hash or hash_secret(password),
        full_name=full_name.strip(), locale=locale,
    )
    user.role_rows.append(UserRole(role="user"))
    db.session.add(user)
    db.session.flush()
    return user


def mark_phone_verified(user: User) -> None:
    """The holder of `user.phone` has proven it (a code, or an operator vouching for it)."""
    user.phone_verified_at = utcnow()
    db.session.flush()


def register(phone: str, code: str, password: str, full_name: str,
             locale: str = "kk") -> User | DomainError:
    """A new account for the proven holder of `phone`. A refusal that used up a try of the
    code is returned, not raised: the caller commits (the try counts), then raises it."""
    password_hash = hash_secret(password)  # before the transaction starts
    if not phones.redeem(phone, "register", code):
        return phones.wrong_code()
    if user_by_phone(phone) is not None:  # told only to someone who holds the number
        return Conflict("An account with this phone number already exists. Log in instead.")
    user = create_account(phone, password, full_name, locale, password_hash=password_hash)
    mark_phone_verified(user)
    return user


def request_account_code(user: User, purpose: str, phone: str | None) -> phones.CodeSent:
    """A code to a new number (change_phone) or to the account's own number (verify)."""
    if purpose == "verify":
        if user.phone_verified_at is not None:
            raise Conflict("Your phone number is already verified.")
        return phones.request_code(user.phone, "verify", user)
    if phone is None:
        raise Invalid("phone", "Give the new phone number.")
    if phone == user.phone:
        raise Invalid("phone", "This is already your phone number.")
    return phones.request_code(phone, "change_phone", user)


def verify_phone(user: User, code: str) -> User | DomainError:
    """Prove the account's own number (a wrong code is returned: commit, then raise it)."""
    if not phones.redeem(user.phone, "verify", code, user.id):
        return phones.wrong_code()
    mark_phone_verified(user)
    return user


def change_phone(user: User, phone: str, code: str,
                 current_password: str) -> User | DomainError:
    """Move the account to `phone`: the current password and a code sent to the new number.
    A refusal after the code was tried is returned: commit, then raise it. The old number is
    told by SMS."""
    if not verify_secret(user.password_hash, current_password):
        raise Invalid("current_password", "The current password is wrong.")
    if phone == user.phone:
        raise Invalid("phone", "This is already your phone number.")
    if not phones.redeem(phone, "change_phone", code, user.id):
        return phones.wrong_code()
    if user_by_phone(phone) is not None:  # told only to someone who holds the number
        return Conflict("Another account uses this phone number.")
    old = user.phone
    user.phone = phone
    mark_phone_verified(user)
    outbox.enqueue("phone_changed", "sms", {
        "phone": old,
        "text": "The phone number of your Safety account was changed. If you did not do "
                "this, contact Safety support at once.",
    }, recipient=old, recipient_user_id=user.id)
    return user


def grant_role(user: User, role: str) -> None:
    if role not in ROLES:
        raise ValueError(role)
    if not user.has_role(role):
        user.role_rows.append(UserRole(role=role))
        db.session.flush()


def revoke_role(user: User, role: str) -> None:
    for row in list(user.role_rows):
        if row.role == role:
            user.role_rows.remove(row)
    db.session.flush()


def _issue(user: User, session: AuthSession) -> dict:
    claims = {"sid": str(session.id)}
    return {
        "access_token": create_access_token(identity=user, additional_claims=claims),
        "refresh_token": create_refresh_token(identity=user, additional_claims=claims),
        "user": user,
    }


def login(phone: str, password: str) -> dict:
    user = user_by_phone(phone)
    if not verify_secret(user.password_hash if user else None, password) or user is None:
        raise DomainError("Wrong phone number or password.", status=401)
    session = AuthSession(
        user_id=user.id,
        expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    db.session.add(session)
    db.session.flush()
    return _issue(user, session)


def refresh(user: User) -> dict:
    sid = get_jwt()["sid"]
    return {
        "access_token": create_access_token(identity=user, additional_claims={"sid": sid})
    }


def logout() -> None:
    """Revoke the presented token's session: its access and refresh tokens both stop working."""
    session = db.session.get(AuthSession, uuid.UUID(get_jwt()["sid"]))
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.flush()


def update_me(user: User, data: dict) -> User:
    if "password" in data:
        if not verify_secret(user.password_hash, data["current_password"]):
            raise Invalid("current_password", "The current password is wrong.")
        user.password_hash = hash_secret(data["password"])
        # A new password ends every other login.
        for session in db.session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
            )
        ):
            if str(session.id) != get_jwt().get("sid"):
                session.revoked_at = utcnow()
    if "full_name" in data:
        user.full_name = data["full_name"].strip()
    if "locale" in data:
        user.locale = data["locale"]
    db.session.flush()
    return user


def set_pin(user: User, pin: str, duress_pin: str | None) -> None:
    user.pin_hash = hash_secret(pin)
    user.duress_pin_hash = hash_secret(duress_pin) if duress_pin else None
    db.session.flush()


def change_pin(user: User, data: dict) -> PinRefusal | None:
    """PUT /me/pin: the current PIN (the password while no PIN is set) opens the change, behind
    the same lock as cancel (counted on her account). The duress PIN opens it too, and the
    answer is the same, but her PINs stay as they were: the PINs he chose become decoys that act
    as duress PINs everywhere, and her guardians are told. Returns the refusal of a wrong
    answer (the caller commits the count, then answers 403)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user)
    if user.pin_hash is None:
        if not data.get("current_password"):
            raise Invalid("current_password", "Give your password to set your first PIN.")
        password = data["current_password"]
        kind = _gate(user, "pin_change",
                     lambda: "pin" if verify_secret(user.password_hash, password) else None,
                     what="password")
    else:
        if not data.get("current_pin"):
            raise Invalid("current_pin", "Give your current PIN to change it.")
        kind = try_pin(user, data["current_pin"], user, "pin_change")
    if isinstance(kind, PinRefusal):
        db.session.flush()
        return kind
    pin, duress_pin = data["pin"], data.get("duress_pin")
    if kind == "duress":
        user.decoy_pin_hash = hash_secret(pin)
        user.decoy_duress_pin_hash = hash_secret(duress_pin) if duress_pin else None
        _tell_pin_duress(user)
        db.session.flush()
    else:
        set_pin(user, pin, duress_pin)
    return None


def _tell_pin_duress(user: User) -> None:
    from safety.contacts import service as contacts  # noqa: PLC0415 (contacts uses accounts)
    from safety.notify import service as notify  # noqa: PLC0415 (notify uses accounts)

    notify.push_to_users(
        contacts.guardian_ids(user.id), "pin_duress",
        f"DURESS: {user.full_name} was forced to change her PIN",
        "She entered her duress PIN. She may be in danger now; reach her with care.", {},
    )


def check_pin(user: User, pin: str) -> str | None:
    """'pin', 'duress', or None when the PIN is wrong (or none is set). Every PIN she has is
    checked every time, so the time taken does not tell which one matched."""
    if user.pin_hash is None:
        return None
    real = verify_secret(user.pin_hash, pin)
    duress = [verify_secret(h, pin) for h in (
        user.duress_pin_hash, user.decoy_pin_hash, user.decoy_duress_pin_hash) if h]
    if real:
        return "pin"
    if any(duress):
        return "duress"
    return None


@dataclass
class PinRefusal:
    """A wrong PIN (attempts_left more before the lock) or a locked gate (locked_until)."""

    attempts_left: int
    locked_until: datetime | None = None
    what: str = "PIN"

    def forbidden(self, locked_words: str) -> Forbidden:
        if self.locked_until is not None:
            return Forbidden(f"Too many wrong {self.what}s: {locked_words}",
                             extra={"attempts_left": 0,
                                    "locked_until": self.locked_until.isoformat()})
        return Forbidden(f"Wrong {self.what}.", extra={"attempts_left": self.attempts_left})


def try_pin(user: User, pin: str, holder, prefix: str) -> str | PinRefusal:
    """'pin' or 'duress' when right. Wrong PINs are counted on the holder
    (`<prefix>_failures`, `<prefix>_locked_until`): CANCEL_MAX_ATTEMPTS of them lock this gate
    for CANCEL_LOCK_S. Only the gate: whatever it guards (an alert, a timer) goes on."""
    return _gate(holder, prefix, lambda: check_pin(user, pin))


def _gate(holder, prefix: str, check: Callable[[], str | None],
          what: str = "PIN") -> str | PinRefusal:
    now = utcnow()
    cfg = current_app.config
    locked = getattr(holder, f"{prefix}_locked_until")
    if locked is not None and locked > now:
        return PinRefusal(0, locked, what)
    kind = check()
    if kind is not None:
        setattr(holder, f"{prefix}_failures", 0)
        return kind
    failures = getattr(holder, f"{prefix}_failures") + 1
    if failures >= cfg["CANCEL_MAX_ATTEMPTS"]:
        locked = now + timedelta(seconds=cfg["CANCEL_LOCK_S"])
        setattr(holder, f"{prefix}_locked_until", locked)
        setattr(holder, f"{prefix}_failures", 0)
        return PinRefusal(0, locked, what)
    setattr(holder, f"{prefix}_failures", failures)
    return PinRefusal(cfg["CANCEL_MAX_ATTEMPTS"] - failures, None, what)


def upsert_device(user: User, installation_id: str, data: dict) -> tuple[Device, bool]:
    device = db.session.scalar(
        select(Device).where(Device.user_id == user.id, Device.installation_id == installation_id)
    )
    # A push token reaches one phone, so it belongs to one device row of one account: a phone
    # handed to (or logged into) another account takes its token along, and the previous row
    # is retired, saying why, so the previous owner's notifications never reach that phone.
    # The installation id is chosen by the app and proves nothing: it never retires another
    # account's row (a guessed or colliding id must not silence someone's alarms).
    for other in db.session.scalars(
        select(Device).where(Device.push_token == data["push_token"], Device.retired_at.is_(None))
    ):
        if other is device:
            continue
        other.retired_at = utcnow()
        other.retired_reason = (
            "push token re-registered by another installation" if other.user_id == user.id
            else "push token registered by another account")
    created = device is None
    if created:
        device = Device(user_id=user.id, installation_id=installation_id)
        db.session.add(device)
    device.push_token = data["push_token"]
    device.platform = data["platform"]
    device.app_version = data.get("app_version")
    device.updated_at = utcnow()
    device.retired_at = None
    device.retired_reason = None
    device.failures = 0
    db.session.flush()
    return device, created


def delete_device(user: User, installation_id: str) -> None:
    device = db.session.scalar(
        select(Device).where(Device.user_id == user.id, Device.installation_id == installation_id)
    )
    if device is None:
        raise NotFound("No device with this installation id.")
    db.session.delete(device)
    db.session.flush()


def active_devices(user_ids: list[uuid.UUID]) -> list[Device]:
    if not user_ids:
        return []
    return list(
        db.session.scalars(
            select(Device).where(Device.user_id.in_(user_ids), Device.retired_at.is_(None))
        )
    )


def create_admin(phone: str, password: str, full_name: str) -> User:
    """The operator running the command vouches for the number of an account it creates; an
    existing account keeps its own verification state (verify it in the app)."""
    user = user_by_phone(phone)
    if user is None:
        user = create_account(phone, password, full_name)
        mark_phone_verified(user)
    grant_role(user, "admin")
    return user
