from marshmallow import Schema, fields, validate

from safety import geo
from safety.fields import GeoJSONArea, PageSchema, Patchable, Phone, Text
from safety.orgs.models import MEMBER_ROLES, ORG_KINDS


class OrgSchema(Patchable):
    id = fields.UUID(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    phone = Phone(required=True)
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "suspended")))
    coverage = GeoJSONArea(required=True, metadata={
        "description": "GeoJSON Polygon or MultiPolygon, [lon, lat] positions."})
    webhook_url = fields.URL(schemes={"https", "http"}, allow_none=True,
                             validate=validate.Length(max=500))
    webhook_secret = fields.String(load_only=True, allow_none=True,
                                   validate=validate.Length(min=16, max=200))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class OrgOutSchema(OrgSchema):
    coverage = fields.Method("_coverage")

    def _coverage(self, org):
        return geo.to_geojson(org.coverage)


class OrgListSchema(PageSchema):
    items = fields.List(fields.Nested(OrgOutSchema))


class MemberInSchema(Schema):
    phone = Phone(required=True)
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))


class MemberSchema(Schema):
    user_id = fields.UUID()
    role = fields.String()
    full_name = fields.String(attribute="user.full_name")
    phone = fields.String(attribute="user.phone")
    created_at = fields.AwareDateTime()


class MemberListSchema(PageSchema):
    items = fields.List(fields.Nested(MemberSchema))


class DurationSummarySchema(Schema):
    count = fields.Integer()
    median_s = fields.Float(allow_none=True)
    p90_s = fields.Float(allow_none=True)


class StatsSchema(Schema):
    dispatches = fields.Integer()
    resolved = fields.Integer()
    time_to_accept = fields.Nested(DurationSummarySchema, metadata={
        "description": "From the alert's dispatch start to a responder's accept."})
    time_to_arrive = fields.Nested(DurationSummarySchema, metadata={
        "description": "From the alert's dispatch start to the responder on scene."})
