"""Secrets kept at rest sealed: a monitoring receiver's AES key is stored as a Fernet token
(AES-128-CBC with HMAC-SHA256, from the `cryptography` package), never as the key itself.

The sealing key is derived from `DC09_KEYS_SECRET` (which defaults to `SECRET_KEY`) with
HKDF-SHA256, so that a copy of the database alone (a backup, a replica, a dump) does not give
away the keys that encrypt her alarms on their way to the stations. Changing that secret makes
the stored keys unreadable: the channel then reports it on each delivery, and a platform admin
enters the keys again (docs/configuration.md).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"safety: monitoring receiver keys at rest (Fernet)"


class Unreadable(Exception):
    """A sealed value that the current secret does not open."""


def _fernet(config: Mapping) -> Fernet:
    secret = config.get("DC09_KEYS_SECRET") or config["SECRET_KEY"]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(config: Mapping, value: bytes) -> str:
    return _fernet(config).encrypt(value).decode("ascii")


def unseal(config: Mapping, token: str) -> bytes:
    try:
        return _fernet(config).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError) as exc:
        raise Unreadable("the sealed value does not open with the current secret") from exc
