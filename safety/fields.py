"""Marshmallow fields and schemas shared by features: phones, locations, pagination."""

from __future__ import annotations

import phonenumbers
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Any common form -> E.164; raises ValueError when it is not a possible phone number."""
    region = region or current_app.config.get("DEFAULT_PHONE_REGION", "KZ")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(fields.String):
    """Accepts +7 701 123 4567, 87011234567, 8 (701) 123-45-67 ...; gives E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_phone(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), allow_none=True)
    altitude_m = fields.Float(validate=validate.Range(-1000, 20_000), allow_none=True)
    heading_deg = fields.Float(validate=validate.Range(0, 360), allow_none=True)
    speed_mps = fields.Float(validate=validate.Range(0, 500), allow_none=True)
    recorded_at = fields.AwareDateTime(default_timezone=None, allow_none=True)


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None)


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True)
