"""Who may tell us that an SMS arrived, and how we know it was them: one function per provider
format, each taking the raw request (body bytes, headers, the URL the provider called) and
giving an `Inbound` or refusing with a problem+json error. Nothing here touches the database:
refused input stores nothing.

- **generic** (`POST /api/v1/sms/inbound`): our own JSON format, signed like our outbound
  webhooks (notify/channels/webhook.py): `X-Safety-Timestamp: <unix seconds>` and
  `X-Safety-Signature: sha256=<hex HMAC-SHA256(SMS_INBOUND_SECRET, "<timestamp>.<raw body>")>`;
  a timestamp more than SMS_INBOUND_MAX_AGE_S from our clock is refused (a replay).
- **twilio** (`POST /api/v1/sms/inbound/twilio`): Twilio's incoming-message webhook,
  form-encoded (`MessageSid`, `From`, `Body`, ...), with `X-Twilio-Signature` = base64
  HMAC-SHA1(auth token, the URL Twilio called + every POST parameter's name and value, sorted
  by name). Twilio's signature carries no time: a replay is caught by its MessageSid.

Missing or malformed credentials: 401. A signature that does not match, or a stale timestamp:
403. Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from marshmallow import ValidationError

from safety.errors import DomainError, Forbidden, Invalid
from safety.inbound_sms.schemas import TEXT_MAX, GenericSchema, TwilioSchema

GENERIC, TWILIO = "generic", "twilio"


@dataclass(frozen=True)
class Inbound:
    """An SMS the provider says it received: its id at the provider, the sender's number as
    the provider gave it, and the text."""

    provider: str
    message_id: str
    sender: str
    text: str


class Unauthorized(DomainError):
    status = 401


class NotConfigured(DomainError):
    """No secret is configured for this provider: the endpoint does not exist."""

    status = 404

    def __init__(self) -> None:
        super().__init__("No such path.")


def _invalid(exc: ValidationError) -> Invalid:
    errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    out = Invalid("_schema", "The request did not validate; see errors.")
    out.errors = errors
    return out


def sign_generic(secret: str, timestamp: str, body: bytes) -> str:
    """What `X-Safety-Signature` must say for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def generic(body: bytes, headers: Mapping[str, str], is_json: bool, secret: str | None,
            max_age_s: int, now: datetime) -> Inbound:
    if not secret:
        raise NotConfigured()
    timestamp = headers.get("X-Safety-Timestamp") or ""
    signature = headers.get("X-Safety-Signature") or ""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12 or \
            not signature.startswith("sha256="):
        raise Unauthorized("Sign the request: X-Safety-Timestamp (unix seconds) and "
                           "X-Safety-Signature (sha256=<hex HMAC-SHA256>).")
    expected = sign_generic(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Forbidden("The signature does not match.")
    if abs(now.timestamp() - int(timestamp)) > max_age_s:
        raise Forbidden(f"The timestamp is more than {max_age_s} seconds away from ours: "
                        "a replay, or a clock that is off.")
    if not is_json:
        raise DomainError("This endpoint takes a JSON body: send it with the header "
                          "'Content-Type: application/json'.", status=415)
    try:
        data = GenericSchema().load(json.loads(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError("The request body is not valid JSON.", status=400) from exc
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return Inbound(GENERIC, data["id"], data["from"], data["text"][:TEXT_MAX])


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature for a form POST of `params` to `url`: the URL, then each
    parameter's name and value with no separators, sorted by name (and by value for a
    repeated name; a pair repeated exactly counts once, as in Twilio's own validator),
    HMAC-SHA1 with the auth token, base64."""
    data = url + "".join(name + value for name, value in sorted(set(params)))
    mac = hmac.new(auth_token.encode(), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def twilio(body: bytes, headers: Mapping[str, str], mimetype: str, url: str,
           auth_token: str | None) -> Inbound:
    if not auth_token:
        raise NotConfigured()
    signature = headers.get("X-Twilio-Signature") or ""
    if not signature:
        raise Unauthorized("Twilio signs its requests: X-Twilio-Signature is missing.")
    if mimetype != "application/x-www-form-urlencoded":
        raise DomainError("Twilio's incoming-message webhook is form-encoded "
                          "(application/x-www-form-urlencoded).", status=415)
    try:
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DomainError("The request body is not UTF-8 form data.", status=400) from exc
    expected = twilio_signature(auth_token, url, params)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Forbidden("The signature does not match.")
    form: dict[str, str] = {}
    for name, value in params:
        form.setdefault(name, value)
    try:
        data = TwilioSchema().load(form)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return Inbound(TWILIO, data["MessageSid"], data["From"], data["Body"][:TEXT_MAX])
