from marshmallow import Schema, fields, validate

from safety.fields import LocationSchema, UTCDateTime
from safety.pagination import PageSchema

TRIGGERS = ("button", "timer", "shake", "voice", "other")


class RaiseAlertSchema(Schema):
    client_id = fields.UUID(required=True, metadata={
        "description": "Made by the phone once per press; retries reuse it."})
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    location = fields.Nested(LocationSchema, required=True)
    battery_pct = fields.Integer(validate=validate.Range(0, 100), allow_none=True)
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class PointOutSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    altitude_m = fields.Float(allow_none=True)
    heading_deg = fields.Float(allow_none=True)
    speed_mps = fields.Float(allow_none=True)
    recorded_at = fields.AwareDateTime(metadata={
        "description": "The phone's time of the fix, or the server's receive time when the "
                       "phone's clock was not believed (see clock_adjusted)."})
    clock_adjusted = fields.Boolean(metadata={
        "description": "True when the phone's time was implausible (more than "
                       "PHONE_CLOCK_AHEAD_S ahead of the server or PHONE_CLOCK_BEHIND_S behind "
                       "it) and recorded_at is the server's receive time instead."})
    reported_recorded_at = fields.String(allow_none=True, metadata={
        "description": "What the phone said, as sent, when clock_adjusted; null otherwise."})


class NotificationSchema(Schema):
    channel = fields.String()
    kind = fields.String()
    recipient_kind = fields.String(metadata={"description": "guardian or sms_contact"})
    recipient_name = fields.String(allow_none=True, metadata={
        "description": "The guardian's name, or the name she saved for the SMS contact. Null "
                       "for responders and org admins."})
    recipient = fields.String(allow_none=True, metadata={
        "description": "A device label for pushes. For SMS: the number (her own view), its "
                       "last four digits (platform admins), or \"SMS contact\" (everyone "
                       "else)."})
    status = fields.String(metadata={
        "description": "pending, sending, sent, failed, canceled, skipped (a limit stopped it)"})
    attempts = fields.Integer()
    sent_at = fields.AwareDateTime(allow_none=True)


class AckOutSchema(Schema):
    guardian_id = fields.UUID()
    guardian_name = fields.String()
    message = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class PersonSchema(Schema):
    id = fields.UUID()
    full_name = fields.String()
    phone = fields.String()


class DispatchBriefSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    organization = fields.Dict(allow_none=True)
    responder = fields.Dict(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    on_scene_at = fields.AwareDateTime(allow_none=True)


class AlertSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={
        "description": "active, dispatched, responding, resolved or canceled"})
    trigger = fields.String()
    duress = fields.Boolean(metadata={"description": "Not shown to the alert's owner."})
    unassigned = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    battery_pct = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    location = fields.Nested(PointOutSchema)
    person = fields.Nested(PersonSchema)
    notifications = fields.List(fields.Nested(NotificationSchema))
    acknowledgements = fields.List(fields.Nested(AckOutSchema))
    dispatch = fields.Nested(DispatchBriefSchema, allow_none=True)


class AlertListArgs(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(("guardian", "responder")))


class AlertSummarySchema(Schema):
    id = fields.UUID()
    status = fields.String()
    trigger = fields.String()
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)


class AlertListSchema(PageSchema):
    items = fields.List(fields.Nested(AlertSummarySchema))


class LocationBatchSchema(Schema):
    points = fields.List(fields.Nested(LocationSchema), required=True,
                         validate=validate.Length(min=1, max=100))


class LocationBatchResultSchema(Schema):
    received = fields.Integer()
    stored = fields.Integer(metadata={"description": "New points (repeats are ignored)."})


class TrailArgs(Schema):
    since = UTCDateTime(load_default=None, metadata={
        "description": "`next_since` of the previous page: points recorded after it."})
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 1000))


class TrailSchema(Schema):
    items = fields.List(fields.Nested(PointOutSchema))
    next_since = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Pass as `since` for the next page; null when there is no more."})


class CancelSchema(Schema):
    pin = fields.String(required=True, load_only=True,
                        validate=validate.Regexp(r"^\d{4,8}$", error="A PIN is 4 to 8 digits."))


class CancelResultSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    canceled_at = fields.AwareDateTime()


class AckSchema(Schema):
    message = fields.String(validate=validate.Length(max=500), allow_none=True)


class AckResultSchema(Schema):
    alert_id = fields.UUID()
    message = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
