from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from safety.alerts.schemas import PersonSchema, PointOutSchema
from safety.fields import LocationSchema, UTCDateTime
from safety.i18n import _, _l
from safety.pagination import PageSchema
from safety.phone_state import PhoneStateSchema
from safety.util import utcnow

PIN = validate.Regexp(r"^\d{4,8}$", error=_l("A PIN is 4 to 8 digits."))
MIN_S = 60  # both ways of saying when: duration_s, and due_at counted from the server's now
MAX_S = 24 * 3600
TOO_SOON = _l("A timer runs for at least 60 seconds: the deadline must be 60 s or more from now.")
TOO_LATE = _l("A timer runs for at most 24 hours.")


class DueSchema(Schema):
    """A deadline: `duration_s` from now, or `due_at` (a minute to 24 hours from now)."""

    # exactly one of the two, not null (a null one counts as not given)
    OPENAPI_RULES = {"oneOf": [
        {"required": ["due_at"], "properties": {"due_at": {"type": "string"}}},
        {"required": ["duration_s"], "properties": {"duration_s": {"type": "integer"}}},
    ]}

    due_at = UTCDateTime(allow_none=True)
    duration_s = fields.Integer(allow_none=True, validate=[
        validate.Range(min=MIN_S, error=TOO_SOON), validate.Range(max=MAX_S, error=TOO_LATE)])

    @validates_schema
    def _one(self, data, **kwargs):
        if (data.get("due_at") is None) == (data.get("duration_s") is None):
            raise ValidationError(_("Give either due_at or duration_s."), "due_at")
        due, now = data.get("due_at"), utcnow()
        if due is not None and due < now + timedelta(seconds=MIN_S):
            raise ValidationError(str(TOO_SOON), "due_at")
        if due is not None and due > now + timedelta(seconds=MAX_S):
            raise ValidationError(str(TOO_LATE), "due_at")


class StartTimerSchema(DueSchema):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)
    location = fields.Nested(LocationSchema, required=True, metadata={
        "description": "Where she is now: the alarm uses it if she does not check in."})


class ExtendSchema(DueSchema):
    location = fields.Nested(LocationSchema, allow_none=True)


class CheckInSchema(Schema):
    pin = fields.String(required=True, load_only=True, validate=PIN)


GUARDIANS_ONLY = ("In a guardian's view only (GET /timers/{id} by her guardian, after her "
                  "guardians were warned that her phone is going dark).")


class TimerSchema(Schema):
    """Dumps her SafetyTimer, or the `timers.service.GuardianTimer` her guardian sees (no
    `note`; `person`, `location` and `phone` instead)."""

    id = fields.UUID()
    status = fields.String(metadata={"description": "running, checked_in or alarmed"})
    due_at = fields.AwareDateTime()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    alert_id = fields.Method("_alert_id", allow_none=True, metadata={
        "type": "string", "format": "uuid",
        "description": "The alert the timer raised (status alarmed); null otherwise."})
    person = fields.Nested(PersonSchema, metadata={"description": "Whose timer. " + GUARDIANS_ONLY})
    location = fields.Nested(PointOutSchema, metadata={
        "description": "Her last known location. " + GUARDIANS_ONLY})
    phone = fields.Nested(PhoneStateSchema, allow_none=True, metadata={
        "description": "Her phone's last heartbeat. " + GUARDIANS_ONLY})

    def _alert_id(self, timer) -> str | None:
        # A duress check-in looks like any check-in to her phone: its silent alert is not named.
        if timer.status == "checked_in" or timer.alert_id is None:
            return None
        return str(timer.alert_id)


class TimerListSchema(PageSchema):
    items = fields.List(fields.Nested(TimerSchema))
