import unicodedata

from marshmallow import Schema, ValidationError, fields, validate

from safety import geo
from safety.fields import ComputedDict, GeoJSONArea, Patchable, Phone, Text
from safety.notify.channels import webhook
from safety.orgs.models import BADGE_MAX, MEMBER_ROLES, ORG_KINDS, VEHICLE_MAX
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
    coverage = ComputedDict(lambda org: geo.to_geojson(org.coverage), metadata={
        "description": "GeoJSON Polygon or MultiPolygon, [lon, lat] positions."})


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
    vehicle = fields.String(allow_none=True, metadata={
        "description": "Responders: the vehicle she and her guardians are told to look for."})
    badge = fields.String(allow_none=True, metadata={
        "description": "Responders: the badge or call sign she and her guardians are shown."})


def _one_line(value: str) -> None:
    """Shown on her screen as it is: no line breaks, control or invisible format characters."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ValidationError("One line of visible text.")


class MemberPatchSchema(Patchable):
    """What an organisation's admins say about one of its responders. `null` clears a value.
    Shown to the woman and her guardians while this responder comes to her."""

    PATCH_ONLY = True

    vehicle = Text(
        allow_none=True, validate=[validate.Length(min=1, max=VEHICLE_MAX), _one_line],
        metadata={"description": "Colour, make and plate, e.g. \"white Lada Vesta 123 ABC 02\"."})
    badge = Text(
        allow_none=True, validate=[validate.Length(min=1, max=BADGE_MAX), _one_line],
        metadata={"description": "Badge number or call sign, e.g. \"K-117\"."})


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
