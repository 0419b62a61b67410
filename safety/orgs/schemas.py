from marshmallow import Schema, fields, validate

from safety import geo
from safety.fields import GeoJSONArea, Patchable, Phone, Text
from safety.notify.channels import webhook
from safety.orgs.models import MEMBER_ROLES, ORG_KINDS
from safety.pagination import PageSchema


class OrgSchema(Patchable):
    id = fields.UUID(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    phone = Phone(required=True)
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "suspended")))
    coverage = GeoJSONArea(required=True, metadata={
        "description": "GeoJSON Polygon or MultiPolygon, [lon, lat] positions."})
    webhook_url = fields.URL(
        schemes={"https", "http"}, allow_none=True,
        validate=[validate.Length(max=500), webhook.validate_url],
        metadata={"description": "https only, no credentials, not an address of a private "
                                 "network; every address its host resolves to must be public "
                                 "when a webhook is delivered."})
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


class OrgInvitationSchema(Schema):
    """An invitation as the organisation's admins see it: the number, never an account."""

    id = fields.UUID()
    org_id = fields.UUID()
    phone = fields.String()
    role = fields.String()
    status = fields.String(metadata={"description": "pending, accepted or declined."})
    created_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)


class MemberListSchema(Schema):
    """Not paged: an organisation's members and pending invitations, all of them."""

    items = fields.List(fields.Nested(MemberSchema), attribute="members")
    invitations = fields.List(fields.Nested(OrgInvitationSchema), metadata={
        "description": "Invitations not answered yet."})


class InvitingOrgSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()


class MyOrgInvitationSchema(Schema):
    """An invitation as the invited person sees it."""

    id = fields.UUID()
    role = fields.String()
    status = fields.String(metadata={"description": "pending, accepted or declined."})
    created_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)
    org = fields.Nested(InvitingOrgSchema)


class MyOrgInvitationListSchema(Schema):
    """Not paged: the pending invitations to one number."""

    items = fields.List(fields.Nested(MyOrgInvitationSchema))


class OrgAuditEventSchema(Schema):
    id = fields.UUID()
    actor_id = fields.UUID(allow_none=True)
    action = fields.String(metadata={"description": "org.created, org.updated, "
                                     "org.member_added, org.member_removed, "
                                     "org.receiver_added, org.receiver_updated, "
                                     "org.receiver_removed"})
    changes = fields.Dict(metadata={
        "description": "For created/updated: {field: {before, after}} of the changed fields "
                       "(the webhook secret only as \"<redacted>\" or null); for members: "
                       "{user_id, role}; for monitoring receivers: {receiver_id, fields: "
                       "{field: {before, after}}} (the key only as \"<redacted>\" or null)."})
    created_at = fields.AwareDateTime()


class OrgAuditListSchema(PageSchema):
    items = fields.List(fields.Nested(OrgAuditEventSchema))
