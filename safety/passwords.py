"""argon2id hashing for passwords and PINs."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    # Tests lower the cost (ARGON2_TIME_COST / ARGON2_MEMORY_KIB); production keeps argon2-cffi's
    # RFC 9106 low-memory profile (argon2id, t=3, m=64 MiB).
    key = (
        current_app.config.get("ARGON2_TIME_COST", 3),
        current_app.config.get("ARGON2_MEMORY_KIB", 65536),
    )
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(stored: str | None, given: str) -> bool:
    if stored is None:
        _hasher().hash(given)  # same work either way: no timing hint that nothing is stored
        return False
    try:
        return _hasher().verify(stored, given)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
