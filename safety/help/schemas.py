from marshmallow import Schema, fields, validate

from safety.fields import Patchable, ServicePhone, Text
from safety.help.models import PLACE_KINDS
from safety.i18n import _l
from safety.pagination import PageSchema


class PlaceSchema(Patchable):
    id = fields.UUID(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=2, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(PLACE_KINDS))
    address = Text(required=True, validate=validate.Length(min=3, max=500))
    phones = fields.List(ServicePhone(), load_default=list, validate=validate.Length(max=10))
    hours = fields.String(allow_none=True, validate=validate.Length(max=200))
    website = fields.URL(allow_none=True, schemes={"http", "https"},
                         validate=validate.Length(max=500))
    region = fields.String(allow_none=True, validate=validate.Length(max=100))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    active = fields.Boolean(load_default=True)
    distance_m = fields.Float(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class PlaceListSchema(PageSchema):
    items = fields.List(fields.Nested(PlaceSchema))


class NearArgs(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    radius_m = fields.Float(load_default=20_000, validate=validate.Range(1, 200_000))
    kind = fields.String(load_default=None, validate=validate.OneOf(PLACE_KINDS))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class NearListSchema(Schema):
    items = fields.List(fields.Nested(PlaceSchema))


class HotlineSchema(Patchable):
    id = fields.UUID(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=2, max=300))
    number = fields.String(required=True, validate=validate.Regexp(
        r"^\+?[0-9 ()-]{3,25}$", error=_l("A hotline number: digits, spaces, +, -, ().")))
    region = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "Empty for a national number."})
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    hours = fields.String(allow_none=True, validate=validate.Length(max=200))
    sort = fields.Integer(load_default=100, validate=validate.Range(0, 10_000), metadata={
        "description": "Lower first (the national numbers are 10 to 50)."})


class HotlineArgs(Schema):
    region = fields.String(load_default=None)


class HotlineListSchema(Schema):
    items = fields.List(fields.Nested(HotlineSchema))
