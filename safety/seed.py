"""Demo data for `make run` (`flask safety seed-demo`). Idempotent: a second run changes nothing."""

from __future__ import annotations

from safety.accounts import service as accounts
from safety.accounts.models import User

DEMO_PASSWORD = "demo-password-1"
ADMIN_PHONE = "+77010000001"
USER_PHONE = "+77010000002"
GUARDIAN_PHONES = ("+77010000003", "+77010000004")


def _user(phone: str, name: str, *roles: str) -> User:
    user = accounts.user_by_phone(phone) or accounts.register(phone, DEMO_PASSWORD, name, "ru")
    for role in roles:
        accounts.grant_role(user, role)
    return user


def seed_demo() -> list[str]:
    admin = _user(ADMIN_PHONE, "Demo Admin", "admin")
    user = _user(USER_PHONE, "Aigerim Demo")
    if user.pin_hash is None:
        accounts.set_pin(user, "1234", "9999")
    lines = [
        f"password for every demo account: {DEMO_PASSWORD}",
        f"admin:  {admin.phone}",
        f"user:   {user.phone} (PIN 1234, duress PIN 9999)",
    ]
    return lines
