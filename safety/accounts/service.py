"""Accounts: registration, login sessions, PINs, push devices, roles."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select

from safety import events
from safety.accounts import phones, throttles
from safety.accounts.events import pin_duress
from safety.accounts.models import ROLES, AuthSession, User, UserRole
from safety.db import committed_alone, end_read_transaction
from safety.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from safety.extensions import db
from safety.i18n import Text, _l, render
from safety.notify import outbox
from safety.notify.models import Device
from safety.passwords import hash_secret, verify_secret
from safety.util import utcnow


def user_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def create_account(phone: str, password: str, full_name: str, locale: str = "kk",
                   *, password_hash: str | None = None) -> User:
    """An account whose number is not verified yet (see register, mark_phone_verified)."""
    if password_hash is None:
        end_read_transaction()
        password_hash = hash_secret(password)  # before any write: argon2 holds no lock
    if user_by_phone(phone) is not None:
        raise Conflict(_l("An account with this phone number already exists."))
    user = User(
        phone=phone, password_hash=password_hash, full_name=full_name.strip(), locale=locale,
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
    end_read_transaction()
    password_hash = hash_secret(password)  # before any write: argon2 holds no lock
    if not phones.redeem(phone, "register", code):
        return phones.wrong_code()
    if user_by_phone(phone) is not None:  # told only to someone who holds the number
        return Conflict(_l("An account with this phone number already exists. Log in instead."))
    user = create_account(phone, password, full_name, locale, password_hash=password_hash)
    mark_phone_verified(user)
    return user


ALREADY_YOURS = _l("This is already your phone number.")


def request_account_code(user: User, purpose: str, phone: str | None,
                         locale: str | None = None) -> phones.CodeSent:
    """A code to a new number (change_phone; the schema requires `phone` for it) or to the
    account's own number (verify; the schema refuses a `phone` for it), its SMS written in
    `locale` (the request's; her account's when None)."""
    locale = locale or user.locale
    if purpose == "verify":
        if user.phone_verified_at is not None:
            raise Conflict(_l("Your phone number is already verified."))
        return phones.request_code(user.phone, "verify", user, locale)
    if phone == user.phone:
        raise Invalid("phone", ALREADY_YOURS)
    return phones.request_code(phone, "change_phone", user, locale)


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
    check_current_password(user, current_password)
    if phone == user.phone:
        raise Invalid("phone", ALREADY_YOURS)
    if not phones.redeem(phone, "change_phone", code, user.id):
        return phones.wrong_code()
    if user_by_phone(phone) is not None:  # told only to someone who holds the number
        return Conflict(_l("Another account uses this phone number."))
    old = user.phone
    user.phone = phone
    mark_phone_verified(user)
    text = _l("The phone number of your Safety account was changed. If you did not do this, "
              "contact Safety support at once.")
    outbox.enqueue("phone_changed", "sms", {
        "phone": old, "text": render(text, user.locale, user.time_zone),
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


@dataclass
class Tokens:
    """What a login (all three) or a refresh (the access token) gives."""

    access_token: str
    refresh_token: str | None = None
    user: User | None = None


def _issue(user: User, session: AuthSession) -> Tokens:
    claims = {"sid": str(session.id)}
    return Tokens(
        access_token=create_access_token(identity=user, additional_claims=claims),
        refresh_token=create_refresh_token(identity=user, additional_claims=claims),
        user=user,
    )


def authenticate(phone: str, password: str) -> User:
    """The account behind `phone` and `password`, behind the per-account throttle (counted and
    committed before the check, whether or not the number has an account), with argon2 run
    while no transaction is open. 401 when wrong, 429 while the gate is locked. Used by the
    API's login and the console's."""
    user = user_by_phone(phone)
    stored = user.password_hash if user else None
    ticket = throttles.admit("login", phone)
    end_read_transaction()
    right = verify_secret(stored, password)
    if right and user is not None:
        db.session.refresh(user)
        right = user.password_hash == stored  # changed while we checked: the old one is void
    if not right or user is None:
        raise DomainError(_l("Wrong phone number or password."), status=401)
    throttles.passed(ticket)
    return user


def start_session(user: User, lifetime: timedelta) -> AuthSession:
    """A login session of `user` that ends by itself after `lifetime`."""
    session = AuthSession(user_id=user.id, expires_at=utcnow() + lifetime)
    db.session.add(session)
    db.session.flush()
    return session


def login(phone: str, password: str) -> Tokens:
    """Check the password (`authenticate`), then open a session and issue its tokens."""
    user = authenticate(phone, password)
    session = start_session(user, current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
    return _issue(user, session)


def refresh(user: User, session_id: uuid.UUID) -> Tokens:
    """A new access token in the login session of the refresh token presented."""
    return Tokens(access_token=create_access_token(
        identity=user, additional_claims={"sid": str(session_id)}))


def logout(session_id: uuid.UUID) -> None:
    """Revoke a login session (the presented token's): its access and refresh tokens both stop
    working."""
    session = db.session.get(AuthSession, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.flush()


def check_current_password(user: User, password: str, *,
                           new_password: str | None = None) -> str | None:
    """Her current password, behind the per-account throttle (counted before the check) and
    checked with no transaction open; 422 when wrong. Returns the hash of `new_password`, made
    outside the transaction too, when one is given."""
    stored = user.password_hash
    ticket = throttles.admit("current_password", str(user.id))
    end_read_transaction()
    right = verify_secret(stored, password)
    new_hash = hash_secret(new_password) if right and new_password is not None else None
    db.session.refresh(user)
    if not right or user.password_hash != stored:
        raise Invalid("current_password", _l("The current password is wrong."))
    throttles.passed(ticket)
    return new_hash


def update_me(user: User, data: dict, session_id: uuid.UUID) -> User:
    """A new password ends every login session but `session_id` (the one asking)."""
    if "password" in data:
        user.password_hash = check_current_password(user, data["current_password"],
                                                    new_password=data["password"])
        # A new password ends every other login.
        for session in db.session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
            )
        ):
            if session.id != session_id:
                session.revoked_at = utcnow()
    if "full_name" in data:
        user.full_name = data["full_name"].strip()
    for field in ("locale", "time_zone", "discreet_notifications", "share_phone_with_contacts"):
        if field in data:
            setattr(user, field, data[field])
    db.session.flush()
    return user


def set_pin(user: User, pin: str, duress_pin: str | None) -> None:
    end_read_transaction()
    pin_hash = hash_secret(pin)  # before any write: argon2 holds no lock
    duress_hash = hash_secret(duress_pin) if duress_pin else None
    user.pin_hash = pin_hash
    user.duress_pin_hash = duress_hash
    db.session.flush()


def change_pin(user: User, data: dict) -> PinRefusal | None:
    """PUT /me/pin: the current PIN (the password while no PIN is set) opens the change, behind
    the same lock as cancel (counted on her account). The duress PIN opens it too, and the
    answer is the same, but her PINs stay as they were: the PINs he chose become decoys that act
    as duress PINs everywhere, and her guardians are told. Returns the refusal of a wrong
    answer (the caller commits the count, then answers 403)."""
    pin, duress_pin = data["pin"], data.get("duress_pin")
    end_read_transaction()
    new_pin_hash = hash_secret(pin)  # before any lock or write: argon2 holds nothing
    new_duress_hash = hash_secret(duress_pin) if duress_pin else None
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user)
    if user.pin_hash is None:
        if not data.get("current_password"):
            raise Invalid("current_password", _l("Give your password to set your first PIN."))
        password, stored = data["current_password"], user.password_hash
        kind = _gate(user, user, "pin_change",
                     lambda: "pin" if verify_secret(stored, password) else None,
                     lambda: user.password_hash == stored, what="password")
    else:
        if not data.get("current_pin"):
            raise Invalid("current_pin", _l("Give your current PIN to change it."))
        kind = try_pin(user, data["current_pin"], user, "pin_change")
    if isinstance(kind, PinRefusal):
        db.session.flush()
        return kind
    if kind == "duress":
        user.decoy_pin_hash = new_pin_hash
        user.decoy_duress_pin_hash = new_duress_hash
        events.send(pin_duress, user=user)
    else:
        user.pin_hash = new_pin_hash
        user.duress_pin_hash = new_duress_hash
    db.session.flush()
    return None


def _pin_hashes(user: User) -> tuple[str | None, ...]:
    """Her PIN first, then every hash that counts as a duress PIN."""
    return (user.pin_hash, user.duress_pin_hash, user.decoy_pin_hash,
            user.decoy_duress_pin_hash)


def _pin_kind(hashes: tuple[str | None, ...], pin: str) -> str | None:
    """Every PIN she has is checked every time, so the time taken does not tell which one
    matched. Runs argon2: call it with no transaction open (see `db.end_read_transaction`)."""
    pin_hash, *duress_hashes = hashes
    if pin_hash is None:
        return None
    real = verify_secret(pin_hash, pin)
    duress = [verify_secret(h, pin) for h in duress_hashes if h]
    if real:
        return "pin"
    if any(duress):
        return "duress"
    return None


def check_pin(user: User, pin: str) -> str | None:
    """'pin', 'duress', or None when the PIN is wrong (or none is set)."""
    return _pin_kind(_pin_hashes(user), pin)


@dataclass
class PinRefusal:
    """A wrong PIN (attempts_left more before the lock) or a locked gate (locked_until)."""

    attempts_left: int
    locked_until: datetime | None = None
    what: str = "PIN"

    def forbidden(self, locked: Text) -> Forbidden:
        """403: `locked` says what is locked while the gate is; otherwise "Wrong PIN." (or
        password) with the attempts left."""
        if self.locked_until is not None:
            return Forbidden(locked, extra={"attempts_left": 0,
                                            "locked_until": self.locked_until.isoformat()})
        wrong = _l("Wrong PIN.") if self.what == "PIN" else _l("Wrong password.")
        return Forbidden(wrong, extra={"attempts_left": self.attempts_left})


def try_pin(user: User, pin: str, holder, prefix: str) -> str | PinRefusal:
    """'pin' or 'duress' when right. Wrong PINs are counted on the holder
    (`<prefix>_failures`, `<prefix>_locked_until`): CANCEL_MAX_ATTEMPTS of them lock this gate
    for CANCEL_LOCK_S. Only the gate: whatever it guards (an alert, a timer) goes on."""
    hashes = _pin_hashes(user)
    return _gate(user, holder, prefix, lambda: _pin_kind(hashes, pin),
                 lambda: _pin_hashes(user) == hashes)


def _gate(user: User, holder, prefix: str, check: Callable[[], str | None],
          unchanged: Callable[[], bool], what: str = "PIN") -> str | PinRefusal:
    """The caller has locked the holder's row (FOR UPDATE) and checked it, and written nothing.
    The attempt is counted before argon2 runs (`check`) and that count is committed on its own,
    which also lets go of the row: however many attempts run at once, no more than the limit
    are checked, and no lock is held while argon2 runs. Then the holder is locked again and
    read afresh (`unchanged` says whether the secret checked is still hers): the caller must
    check its state again (it may have changed meanwhile)."""
    now = utcnow()
    cfg = current_app.config
    locked = getattr(holder, f"{prefix}_locked_until")
    if locked is not None and locked > now:
        return PinRefusal(0, locked, what)
    with committed_alone():
        failures = getattr(holder, f"{prefix}_failures") + 1  # a right answer takes it back
        lock = None
        if failures >= cfg["CANCEL_MAX_ATTEMPTS"]:
            # The last try allowed: lock at once, so that no other runs beside it.
            lock = now + timedelta(seconds=cfg["CANCEL_LOCK_S"])
            setattr(holder, f"{prefix}_locked_until", lock)
        setattr(holder, f"{prefix}_failures", 0 if lock else failures)
    kind = check()
    model = type(holder)
    db.session.execute(select(model.id).where(model.id == holder.id).with_for_update())
    db.session.refresh(holder)
    if holder is not user:
        db.session.refresh(user)
    if kind is not None and unchanged():
        setattr(holder, f"{prefix}_failures", 0)
        setattr(holder, f"{prefix}_locked_until", None)
        return kind
    if lock is not None:
        return PinRefusal(0, lock, what)
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
    db.session.flush()
    return device, created


def delete_device(user: User, installation_id: str) -> None:
    device = db.session.scalar(
        select(Device).where(Device.user_id == user.id, Device.installation_id == installation_id)
    )
    if device is None:
        raise NotFound(_l("No device with this installation id."))
    db.session.delete(device)
    db.session.flush()


def admin_ids() -> list[uuid.UUID]:
    return list(db.session.scalars(select(UserRole.user_id).where(UserRole.role == "admin")))


def full_names(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {row.id: row.full_name for row in rows}


def create_admin(phone: str, password: str, full_name: str) -> User:
    """The operator running the command vouches for the number of an account it creates; an
    existing account keeps its own verification state (verify it in the app)."""
    user = user_by_phone(phone)
    if user is None:
        user = create_account(phone, password, full_name)
        mark_phone_verified(user)
    grant_role(user, "admin")
    return user
