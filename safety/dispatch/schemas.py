from marshmallow import Schema, fields, validate

from safety.alerts.schemas import ResponderPositionSchema
from safety.fields import LocationSchema
from safety.pagination import PageSchema


class DutySchema(Schema):
    on_duty = fields.Boolean(required=True)
    location = fields.Nested(LocationSchema, allow_none=True)


class ResponderLocationSchema(Schema):
    location = fields.Nested(LocationSchema, required=True)


class PositionResultSchema(Schema):
    """Dumps `safety.dispatch.coming.PositionResult`."""

    dispatch_id = fields.UUID(attribute="dispatch.id")
    status = fields.String(attribute="dispatch.status")
    stored = fields.Boolean(metadata={
        "description": "False when the fix was no newer than the one already kept (a retry or "
                       "a late arrival): nothing changed."})
    position = fields.Nested(ResponderPositionSchema, attribute="approach", allow_none=True,
                             metadata={"description": "What she and her guardians now see."})


class ResponderStateSchema(Schema):
    on_duty = fields.Boolean()
    location_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


class OfferSchema(Schema):
    """Dumps `safety.dispatch.queries.OpenOffer`: the offer, and where the alert is."""

    dispatch_id = fields.UUID(attribute="offer.dispatch_id")
    alert_id = fields.UUID(attribute="alert.id")
    distance_m = fields.Float(attribute="offer.distance_m")
    status = fields.String(attribute="offer.status")
    created_at = fields.AwareDateTime(attribute="offer.created_at")
    expires_at = fields.AwareDateTime(attribute="offer.expires_at")
    lat = fields.Float(attribute="alert.lat")
    lon = fields.Float(attribute="alert.lon")
    duress = fields.Boolean(attribute="alert.duress")


class OfferListSchema(Schema):
    """Not paged: the offers open to one responder now (each lives OFFER_TIMEOUT_S)."""

    items = fields.List(fields.Nested(OfferSchema))


class DispatchSchema(Schema):
    id = fields.UUID()
    alert_id = fields.UUID()
    status = fields.String()
    org_id = fields.UUID(allow_none=True)
    responder_id = fields.UUID(allow_none=True)
    round = fields.Integer()
    created_at = fields.AwareDateTime()
    accepted_at = fields.AwareDateTime(allow_none=True)
    en_route_at = fields.AwareDateTime(allow_none=True)
    on_scene_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)


class DispatchListSchema(PageSchema):
    items = fields.List(fields.Nested(DispatchSchema))


class DeclineSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500), allow_none=True)


class DeclineResultSchema(Schema):
    dispatch_id = fields.UUID()
    status = fields.String()


class StatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(
        ("en_route", "on_scene", "resolved", "unable")))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


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
