"""Accounts: registration, login sessions, PINs, push devices, roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt
from sqlalchemy import select

from safety.accounts import throttles
from safety.accounts.models import ROLES, AuthSession, Device, User, UserRole
from safety.db import committed_alone, end_read_transaction
from safety.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from safety.extensions import db
from safety.passwords import hash_secret, verify_secret
from safety.util import utcnow


def user_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def register(phone: str, password: str, full_name: str, locale: str = "kk") -> User:
    end_read_transaction()
    password_hash = hash_secret(password)  # before any write: argon2 holds no lock
    if user_by_phone(phone) is not None:
        raise Conflict("An account with this phone number already exists.")
    user = User(
        phone=phone, password_hash=password_hash, full_name=full_name.strip(), locale=locale,
    )
    user.role_rows.append(UserRole(role="user"))
    db.session.add(user)
    db.session.flush()
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
    """Per-account throttle first (counted and committed before the check, whether or not
    the number has an account), then argon2 with no transaction open, then the writes."""
    user = user_by_phone(phone)
    stored = user.password_hash if user else None
    ticket = throttles.admit("login", phone)
    end_read_transaction()
    right = verify_secret(stored, password)
    if right and user is not None:
        db.session.refresh(user)
        right = user.password_hash == stored  # changed while we checked: the old one is void
    if not right or user is None:
        raise DomainError("Wrong phone number or password.", status=401)
    throttles.passed(ticket)
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
        stored = user.password_hash
        ticket = throttles.admit("current_password", str(user.id))
        end_read_transaction()
        right = verify_secret(stored, data["current_password"])
        new_hash = hash_secret(data["password"]) if right else None
        db.session.refresh(user)
        if not right or user.password_hash != stored:
            raise Invalid("current_password", "The current password is wrong.")
        throttles.passed(ticket)
        user.password_hash = new_hash
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
    end_read_transaction()
    pin_hash = hash_secret(pin)  # before any write: argon2 holds no lock
    duress_hash = hash_secret(duress_pin) if duress_pin else None
    user.pin_hash = pin_hash
    user.duress_pin_hash = duress_hash
    db.session.flush()


def _pin_kind(pin_hash: str | None, duress_hash: str | None, pin: str) -> str | None:
    if pin_hash is None:
        return None
    if verify_secret(pin_hash, pin):
        return "pin"
    if duress_hash and verify_secret(duress_hash, pin):
        return "duress"
    return None


def check_pin(user: User, pin: str) -> str | None:
    """'pin', 'duress', or None when the PIN is wrong (or none is set). Runs argon2: call it
    with no transaction open (see `db.end_read_transaction`)."""
    return _pin_kind(user.pin_hash, user.duress_pin_hash, pin)


@dataclass
class PinRefusal:
    """A wrong PIN (attempts_left more before the lock) or a locked gate (locked_until)."""

    attempts_left: int
    locked_until: datetime | None = None

    def forbidden(self, locked_words: str) -> Forbidden:
        if self.locked_until is not None:
            return Forbidden(f"Too many wrong PINs: {locked_words}",
                             extra={"attempts_left": 0,
                                    "locked_until": self.locked_until.isoformat()})
        return Forbidden("Wrong PIN.", extra={"attempts_left": self.attempts_left})


def try_pin(user: User, pin: str, holder, prefix: str) -> str | PinRefusal:
    """'pin' or 'duress' when right. Wrong PINs are counted on the holder
    (`<prefix>_failures`, `<prefix>_locked_until`): CANCEL_MAX_ATTEMPTS of them lock this gate
    for CANCEL_LOCK_S. Only the gate: whatever it guards (an alert, a timer) goes on.

    The caller has locked the holder's row (FOR UPDATE) and checked it, and written nothing.
    The attempt is counted before argon2 runs and that count is committed on its own, which
    also lets go of the row: however many attempts run at once, no more than the limit are
    checked, and no lock is held while argon2 runs. Then the holder is locked again and read
    afresh: the caller must check its state again (it may have changed meanwhile)."""
    now = utcnow()
    cfg = current_app.config
    locked = getattr(holder, f"{prefix}_locked_until")
    if locked is not None and locked > now:
        return PinRefusal(0, locked)
    hashes = (user.pin_hash, user.duress_pin_hash)
    with committed_alone():
        failures = getattr(holder, f"{prefix}_failures") + 1  # a right PIN takes it back
        lock = None
        if failures >= cfg["CANCEL_MAX_ATTEMPTS"]:
            # The last try allowed: lock at once, so that no other runs beside it.
            lock = now + timedelta(seconds=cfg["CANCEL_LOCK_S"])
            setattr(holder, f"{prefix}_locked_until", lock)
        setattr(holder, f"{prefix}_failures", 0 if lock else failures)
    kind = _pin_kind(*hashes, pin)
    model = type(holder)
    db.session.execute(select(model.id).where(model.id == holder.id).with_for_update())
    db.session.refresh(holder)
    db.session.refresh(user)
    if kind is not None and (user.pin_hash, user.duress_pin_hash) == hashes:
        setattr(holder, f"{prefix}_failures", 0)
        setattr(holder, f"{prefix}_locked_until", None)
        return kind
    if lock is not None:
        return PinRefusal(0, lock)
    return PinRefusal(cfg["CANCEL_MAX_ATTEMPTS"] - failures)


def upsert_device(user: User, installation_id: str, data: dict) -> tuple[Device, bool]:
    device = db.session.scalar(
        select(Device).where(Device.user_id == user.id, Device.installation_id == installation_id)
    )
    # A push token belongs to one installation: a phone handed to another account moves it.
    for other in db.session.scalars(
        select(Device).where(Device.push_token == data["push_token"], Device.retired_at.is_(None))
    ):
        if other is not device:
            other.retired_at = utcnow()
            other.retired_reason = "token re-registered by another installation"
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
    user = user_by_phone(phone)
    if user is None:
        user = register(phone, password, full_name)
    grant_role(user, "admin")
    return user
