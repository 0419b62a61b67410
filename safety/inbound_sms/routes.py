"""The SMS provider's calls (not part of the app's API, so not in the OpenAPI document): the
provider POSTs each SMS sent to the service's number. Every accepted call gets the same answer,
whatever the message did and whoever sent it (docs/sms-inbound.md)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, request

from safety.errors import DomainError
from safety.extensions import db, limiter
from safety.inbound_sms import providers, service
from safety.util import utcnow

bp = Blueprint("inbound_sms", __name__, url_prefix="/api/v1/sms/inbound")

# Twilio: "<Response></Response>" sends no reply of its own (ours go through the outbox).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _provider_limit() -> str:
    return current_app.config["SMS_INBOUND_RATE_LIMIT"]


def _accepted(response) -> bool:
    """Only calls that passed the signature count towards a provider's budget: unsigned junk
    cannot use it up and silence her SOS."""
    return response.status_code < 400


def _per_provider(name: str):
    return limiter.limit(_provider_limit, key_func=lambda: f"sms-inbound:{name}",
                         deduct_when=_accepted)


def _body() -> bytes:
    """The raw body, at most SMS_INBOUND_MAX_BYTES (413 beyond: nothing is read further)."""
    bound = current_app.config["SMS_INBOUND_MAX_BYTES"]
    if (request.content_length or 0) > bound:
        raise DomainError(f"The body is larger than {bound} bytes.", status=413)
    request.max_content_length = bound
    return request.get_data(cache=True)


def _handle(inbound: providers.Inbound) -> None:
    try:
        service.receive(inbound)
        db.session.commit()
    except service.AlreadyHandled:
        db.session.rollback()  # another delivery of it won: the same answer, nothing again


@bp.post("")
@_per_provider(providers.GENERIC)
def generic():
    cfg = current_app.config
    inbound = providers.generic(_body(), request.headers, request.is_json,
                                cfg["SMS_INBOUND_SECRET"], cfg["SMS_INBOUND_MAX_AGE_S"], utcnow())
    _handle(inbound)
    return jsonify(received=True)


@bp.post("/twilio")
@_per_provider(providers.TWILIO)
def twilio():
    cfg = current_app.config
    url = cfg["SMS_TWILIO_WEBHOOK_URL"] or (
        cfg["PUBLIC_BASE_URL"] + request.path
        + ("?" + request.query_string.decode("latin-1") if request.query_string else ""))
    inbound = providers.twilio(_body(), request.headers, request.mimetype, url,
                               cfg["SMS_TWILIO_AUTH_TOKEN"])
    _handle(inbound)
    response = make_response(EMPTY_TWIML)
    response.mimetype = "text/xml"
    return response
