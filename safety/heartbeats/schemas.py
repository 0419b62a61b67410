from marshmallow import Schema, ValidationError, fields, validate

from safety.fields import LocationSchema


class JsonBoolean(fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a boolean: true or false.")
        return value


class HeartbeatSchema(Schema):
    battery_pct = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100),
                                 metadata={"description": "Battery level, 0 to 100."})
    charging = JsonBoolean(required=True, metadata={
        "description": "Whether the phone is charging (JSON true or false)."})
    location = fields.Nested(LocationSchema, allow_none=True, metadata={
        "description": "Where the phone is now, if it has a fix. During a live alert it is "
                       "added to the alert's trail, as by POST /alerts/{id}/locations."})


class HeartbeatResultSchema(Schema):
    every_s = fields.Integer(metadata={
        "description": "Send the next heartbeat in about this many seconds."})
