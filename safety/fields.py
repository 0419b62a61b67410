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


class GeoJSONArea(fields.Dict):
    """A GeoJSON Polygon or MultiPolygon: closed rings of 4+ positions, lon/lat in range,
    a valid geometry (no self-intersections)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        kind = value.get("type")
        coords = value.get("coordinates")
        if kind not in ("Polygon", "MultiPolygon"):
            raise ValidationError("type must be Polygon or MultiPolygon.")
        if not isinstance(coords, list) or not coords:
            raise ValidationError("coordinates must be a non-empty array.")
        polygons = [coords] if kind == "Polygon" else coords
        for polygon in polygons:
            if not isinstance(polygon, list) or not polygon:
                raise ValidationError("Each polygon is a non-empty array of rings.")
            for ring in polygon:
                _check_ring(ring)
        from shapely.geometry import shape  # noqa: PLC0415
        from shapely.validation import explain_validity  # noqa: PLC0415

        geom = shape(value)
        if not geom.is_valid:
            raise ValidationError(f"Not a valid area: {explain_validity(geom)}.")
        return {"type": kind, "coordinates": coords}


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError("A ring needs at least 4 positions.")
    for pos in ring:
        if (not isinstance(pos, list) or len(pos) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool)
                           for c in pos[:2])):
            raise ValidationError("A position is [lon, lat].")
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180) or not (-90 <= lat <= 90):
            raise ValidationError("Positions are [lon, lat] with lon in -180..180, lat in -90..90.")
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError("A ring must be closed: its last position equals its first.")
