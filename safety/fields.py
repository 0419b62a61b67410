"""Marshmallow fields and schemas shared by features: phones, locations, times, areas (the page
schemas are in safety/pagination.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import phonenumbers
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from phonenumbers import shortnumberinfo
from shapely.geometry import shape
from shapely.validation import explain_validity

from safety.i18n import _, _l


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Any common form -> E.164; raises ValueError when it is not a possible phone number."""
    region = region or current_app.config.get("DEFAULT_PHONE_REGION", "KZ")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_l("Not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_l("Not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Text(fields.String):
    """Text a person typed (a name, an address): surrounding whitespace is dropped before the
    validators run, so a name of only spaces is refused (422), never stored as ''."""

    def __init__(self, **kwargs):
        metadata = {"pattern": r"\S", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError(_("Must not be blank."))
        return text


class Computed:
    """An answer's field whose value `get(obj)` computes from the whole object dumped, as
    `fields.Function` does: where a rule decides the value (her own view of an alert canceled
    on her screen, a label per role). Unlike `fields.Function` the field keeps its base's type
    in the OpenAPI document and is not marked read-only: mix it into the field class the
    answer documents (`ComputedString`, ...)."""

    def __init__(self, get: Callable[[Any], Any], **kwargs):
        self._get = get
        super().__init__(**kwargs)

    def get_value(self, obj, attr, accessor=None, default=None):
        return self._get(obj)


class ComputedString(Computed, fields.String):
    pass


class ComputedDateTime(Computed, fields.AwareDateTime):
    pass


class ComputedDict(Computed, fields.Dict):
    pass


class ComputedBoolean(Computed, fields.Boolean):
    pass


class ComputedNested(Computed, fields.Nested):
    """`ComputedNested(get, nested=Schema)`: an object computed from the whole, dumped by its
    schema (documented as that schema)."""


class JsonBoolean(fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on" (a setting she changes must be meant)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError(_("Not a boolean: true or false."))
        return value


class Patchable(Schema):
    """A schema that PATCH endpoints load with partial=True (or, with PATCH_ONLY, always a
    change): a body that changes nothing is refused (422) rather than answered 200. The
    OpenAPI document says `minProperties: 1` (extensions.SafetyConverter)."""

    PATCH_ONLY = False

    @validates_schema
    def _something_to_change(self, data, partial=False, **kwargs):
        if (partial or self.PATCH_ONLY) and not data:
            raise ValidationError(_("Send at least one field to change."))


PHONE_PATTERN = r"^\+?[0-9 ()./-]{5,30}$"
_PHONE = re.compile(PHONE_PATTERN)


class Phone(fields.String):
    """Accepts +7 701 123 4567, 87011234567, 8 (701) 123-45-67 ...; gives E.164."""

    def __init__(self, **kwargs):
        metadata = {"pattern": PHONE_PATTERN, "description": (
            "A phone number in any common form (+7 701 123 4567, 8 (701) 123-45-67); the "
            "default region is KZ. Answered as E.164 (+77011234567)."),
            **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not _PHONE.match(raw):
            raise ValidationError(_("Not a phone number: digits, spaces, +, -, (), . only."))
        try:
            return normalize_phone(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


SERVICE_PHONE_PATTERN = r"^\+?[0-9 ()./-]{2,30}$"
_SERVICE_PHONE = re.compile(SERVICE_PHONE_PATTERN)
_SHORT_CODE = re.compile(r"^[0-9]{2,6}$")


def normalize_service_phone(raw: str, region: str | None = None) -> str:
    """A number people call a place on: a short national code (`102`, `1414`), kept as given,
    or any number the phonenumbers library considers possible for the region (Almaty landlines
    `+7 727 …` its validity tables do not know yet), as E.164. Raises ValueError otherwise."""
    region = region or current_app.config.get("DEFAULT_PHONE_REGION", "KZ")
    compact = re.sub(r"[ ()./-]", "", raw)
    try:
        if _SHORT_CODE.match(compact):
            short = phonenumbers.parse(compact, region)
            if shortnumberinfo.is_possible_short_number_for_region(short, region):
                return compact
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_l("Not a phone number.")) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(_l("Not a possible phone number or short code."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ServicePhone(fields.String):
    """A place's phone: a short national code (`102`, `1414`) or any possible number."""

    def __init__(self, **kwargs):
        metadata = {"pattern": SERVICE_PHONE_PATTERN, "description": (
            "A short national code (102, 1414), kept as given, or a phone number in any "
            "common form (default region KZ), answered as E.164."),
            **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not _SERVICE_PHONE.match(raw):
            raise ValidationError(_("Not a phone number: digits, spaces, +, -, (), . only."))
        try:
            return normalize_service_phone(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


# RFC 3339 section 5.6, all of it: "T" and "Z" in either case, any number of fraction digits,
# a leap second, offsets up to 23:59.
_RFC3339 = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)"
    r"(?:\.(\d+))?(?:([Zz])|([+-])([01]\d|2[0-3]):([0-5]\d))"
)


class ReportedTime(NamedTuple):
    """A time read from her phone's clock: the text as sent, and the instant in UTC when the
    text names one this server can represent (None for year 0000, 31 February, ...)."""

    raw: str
    at: datetime | None


def parse_rfc3339(raw: str) -> ReportedTime:
    m = _RFC3339.fullmatch(raw)
    if m is None:
        raise ValueError(_l("Not an RFC 3339 time with an offset."))
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    offset = timedelta(0) if zulu else (1 if sign == "+" else -1) * timedelta(
        hours=int(off_h), minutes=int(off_m))
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute),
                         min(int(second), 59), int((frac or "0")[:6].ljust(6, "0")),
                         tzinfo=timezone(offset))
        return ReportedTime(raw, local.astimezone(UTC))
    except (ValueError, OverflowError):  # no such day, or not representable in UTC
        return ReportedTime(raw, None)


class PhoneTime(fields.String):
    """A time from her phone's clock (RFC 3339 with an offset). Loads as a ReportedTime: any
    well-formed time is accepted, whatever its value; the service decides whether to believe
    it (util.phone_time). A panic must not fail because her clock is wrong."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=64))
        metadata = {"format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 64:
            raise ValidationError(_("Longer than 64 characters."))
        try:
            return parse_rfc3339(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class UTCDateTime(fields.AwareDateTime):
    """An aware date-time that must name an instant representable in UTC (so it can be stored
    and compared): `0001-01-01T00:00:00+05:00` is a 422, not a 500."""

    def _deserialize(self, value, attr, data, **kwargs):
        at = super()._deserialize(value, attr, data, **kwargs)
        try:
            return at.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(
                _("Out of range: not a time in years 1 to 9999 (UTC).")) from exc


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), allow_none=True)
    altitude_m = fields.Float(validate=validate.Range(-1000, 20_000), allow_none=True)
    heading_deg = fields.Float(validate=validate.Range(0, 360), allow_none=True)
    speed_mps = fields.Float(validate=validate.Range(0, 500), allow_none=True)
    recorded_at = PhoneTime(allow_none=True, metadata={"description": (
        "When the phone took this fix, by its own clock. A time more than PHONE_CLOCK_AHEAD_S "
        "ahead of the server or more than PHONE_CLOCK_BEHIND_S behind it is not believed: the "
        "server's receive time is used, and the answer says `clock_adjusted`.")})


class GeoJSONArea(fields.Dict):
    """A GeoJSON Polygon or MultiPolygon: closed rings of 4+ positions, lon/lat in range,
    a valid geometry (no self-intersections)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        kind = value.get("type")
        coords = value.get("coordinates")
        if kind not in ("Polygon", "MultiPolygon"):
            raise ValidationError(_("type must be Polygon or MultiPolygon."))
        if not isinstance(coords, list) or not coords:
            raise ValidationError(_("coordinates must be a non-empty array."))
        polygons = [coords] if kind == "Polygon" else coords
        for polygon in polygons:
            if not isinstance(polygon, list) or not polygon:
                raise ValidationError(_("Each polygon is a non-empty array of rings."))
            for ring in polygon:
                _check_ring(ring)
        geom = shape(value)
        if not geom.is_valid:
            raise ValidationError(_("Not a valid area: %(reason)s.",
                                    reason=explain_validity(geom)))
        return {"type": kind, "coordinates": coords}


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(_("A ring needs at least 4 positions."))
    for pos in ring:
        if (not isinstance(pos, list) or len(pos) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool)
                           for c in pos[:2])):
            raise ValidationError(_("A position is [lon, lat]."))
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180) or not (-90 <= lat <= 90):
            raise ValidationError(
                _("Positions are [lon, lat] with lon in -180..180, lat in -90..90."))
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError(_("A ring must be closed: its last position equals its first."))
