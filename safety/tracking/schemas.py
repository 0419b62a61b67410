"""What the tracking page's data answer (/t/<token>/data) shows: her name, whether the alert is
live, and the trail. Nothing else about her or the alert leaves through a tracking link."""

from marshmallow import Schema, fields


class TrackPointSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    recorded_at = fields.AwareDateTime()


class SnapshotSchema(Schema):
    name = fields.String(attribute="alert.owner.full_name")
    status = fields.Method("_status")
    started_at = fields.AwareDateTime(attribute="alert.created_at")
    updated_at = fields.AwareDateTime(attribute="alert.updated_at")
    points = fields.List(fields.Nested(TrackPointSchema))

    def _status(self, snapshot) -> str:
        return "live" if snapshot.alert.live else "ended"
