"""What the tracking page's data answer (/t/<token>/data) shows: her name, whether the alert is
live, the trail (with each fix's accuracy), her latest quick reply ("I'm safe now", "I can't
talk": in the page's language), who is coming, what "ended" means, and her phone's battery.
Nothing else about her or the alert leaves through a tracking link (her number only on the
page itself, and only when she chose so: tracking.service.her_phone)."""

from marshmallow import Schema, fields

from safety.fields import ComputedString
from safety.messages.replies import QUICK_REPLIES


class TrackPointSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    recorded_at = fields.AwareDateTime()


class ReplySchema(Schema):
    code = fields.String()
    text = fields.Function(lambda message: str(QUICK_REPLIES[message.code].text))
    at = fields.AwareDateTime(attribute="created_at")


class TrackPositionSchema(TrackPointSchema):
    """The responder's latest position and the estimate (safety.dispatch.coming.Approach)."""

    age_s = fields.Integer()
    stale = fields.Boolean()
    distance_m = fields.Float()
    eta_s = fields.Integer(allow_none=True)
    eta_minutes = fields.Integer(allow_none=True)


class TrackResponderSchema(Schema):
    """Who is coming (tracking.service.Coming): no vehicle, badge, full name or phone."""

    first_name = fields.String(allow_none=True)
    organization = fields.String(allow_none=True)
    status = fields.String()
    position = fields.Nested(TrackPositionSchema, allow_none=True)
    text = ComputedString(lambda coming: str(coming.text))  # in the page's language


class EndedSchema(Schema):
    """What ended means (tracking.service.Ended): `reason` canceled (by her: she says she is
    safe) or resolved (by the security company), when, and one line saying it."""

    reason = fields.String()
    at = fields.AwareDateTime()
    text = ComputedString(lambda ended: str(ended.text))  # in the page's language


class BatterySchema(Schema):
    pct = fields.Integer()
    at = fields.AwareDateTime()


class SnapshotSchema(Schema):
    name = fields.String(attribute="alert.owner.full_name")
    status = fields.Method("_status")
    started_at = fields.AwareDateTime(attribute="alert.created_at")
    updated_at = fields.AwareDateTime()
    points = fields.List(fields.Nested(TrackPointSchema))
    her_reply = fields.Nested(ReplySchema, attribute="reply", allow_none=True)
    responder = fields.Nested(TrackResponderSchema, allow_none=True)
    ended = fields.Nested(EndedSchema, allow_none=True)
    battery = fields.Nested(BatterySchema, allow_none=True)

    def _status(self, snapshot) -> str:
        return "live" if snapshot.live else "ended"
