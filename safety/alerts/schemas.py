"""What alerts take and answer. The answers dump what the read side returns
(`safety.alerts.views`: `AlertView`, `Seen`, `Notice`, `Trail`) and the commands' results; the
rules of what each role sees of the values are here: her own view of an alert canceled on her
screen (`cutoff`, a real or a duress cancel alike), the notification labels per role, and no
`duress` nor `person` for her."""

from marshmallow import Schema, fields, post_dump, validate

from safety.fields import (
    ComputedDateTime,
    ComputedDict,
    ComputedString,
    LocationSchema,
    UTCDateTime,
)
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


def _recipient(notice) -> str | None:
    """Her SMS contacts' numbers are hers: she sees them; a platform admin sees the last four
    digits (enough for support to find a failing number); everyone else a label. A push
    names the device ("android device")."""
    job = notice.job
    if job.channel != "sms":
        return job.recipient
    phone = job.recipient or ""
    if notice.role == "owner":
        return phone
    return "***" + phone[-4:] if notice.role == "admin" else "SMS contact"


class NotificationSchema(Schema):
    channel = fields.String(attribute="job.channel")
    kind = fields.String(attribute="job.kind")
    recipient_kind = ComputedString(
        lambda notice: "sms_contact" if notice.job.channel == "sms" else "guardian",
        metadata={"description": "guardian or sms_contact"})
    recipient_name = fields.String(attribute="name", allow_none=True, metadata={
        "description": "The guardian's name, or the name she saved for the SMS contact. Null "
                       "for responders and org admins."})
    recipient = ComputedString(_recipient, allow_none=True, metadata={
        "description": "A device label for pushes. For SMS: the number (her own view), its "
                       "last four digits (platform admins), or \"SMS contact\" (everyone "
                       "else)."})
    status = fields.String(attribute="job.status", metadata={
        "description": "pending, sending, sent, failed, canceled, skipped (a limit stopped it)"})
    attempts = fields.Integer(attribute="job.attempts")
    sent_at = ComputedDateTime(
        lambda notice: notice.job.finished_at if notice.job.status == "sent" else None,
        allow_none=True)


class AckOutSchema(Schema):
    guardian_id = fields.UUID()
    guardian_name = fields.String(attribute="guardian.full_name")
    message = fields.String(allow_none=True)
    at = fields.AwareDateTime(attribute="created_at")


class PersonSchema(Schema):
    id = fields.UUID()
    full_name = fields.String()
    phone = fields.String()


class _OrganizationBrief(Schema):
    id = fields.UUID()
    name = fields.String()
    phone = fields.String()


_ORGANIZATION = _OrganizationBrief()
_PERSON = PersonSchema()


class DispatchBriefSchema(Schema):
    """The dispatch as an alert shows it: dumps what `AlertAccess.dispatch_view` returns (the
    dispatch and its organisation, `safety.dispatch.queries.DispatchBrief`)."""

    id = fields.UUID(attribute="dispatch.id")
    status = fields.String(attribute="dispatch.status")
    organization = ComputedDict(
        lambda brief: _ORGANIZATION.dump(brief.organization) if brief.organization else None,
        allow_none=True)
    responder = ComputedDict(
        lambda brief: _PERSON.dump(brief.dispatch.responder) if brief.dispatch.responder
        else None, allow_none=True)
    accepted_at = fields.AwareDateTime(attribute="dispatch.accepted_at", allow_none=True)
    on_scene_at = fields.AwareDateTime(attribute="dispatch.on_scene_at", allow_none=True)


def _status(seen) -> str:
    """Canceled in her own view once canceled on her screen, whatever happened after."""
    return "canceled" if seen.cutoff is not None else seen.alert.status


def _ended_at(seen):
    return seen.cutoff or seen.alert.ended_at


# Not for her eyes in her own alert: that it was a duress cancel, and the staff's view of her.
NOT_FOR_OWNER = ("duress", "unassigned", "person")
# For staff only (responders, org admins, admins): the alert's short number. Numbers held by
# live alerts are not given out, so a number seen on an alert of one's own would tell whether
# another alert is still live (a duress cancel).
STAFF_ONLY = ("number",)
STAFF = ("responder", "org_admin", "admin")


class AlertSchema(Schema):
    """Dumps `safety.alerts.views.AlertView`."""

    id = fields.UUID(attribute="alert.id")
    status = ComputedString(_status, metadata={
        "description": "active, dispatched, responding, resolved or canceled"})
    trigger = fields.String(attribute="alert.trigger")
    duress = fields.Boolean(attribute="alert.duress",
                            metadata={"description": "Not shown to the alert's owner."})
    unassigned = fields.Boolean(attribute="alert.unassigned")
    number = fields.Integer(attribute="alert.number", allow_none=True, metadata={
        "description": "A short number (1-999) for staff and monitoring stations (the Contact "
                       "ID zone), unique among live alerts. Shown to responders, org admins "
                       "and admins only."})
    created_at = fields.AwareDateTime(attribute="alert.created_at")
    updated_at = ComputedDateTime(lambda view: view.cutoff or view.alert.updated_at)
    ended_at = ComputedDateTime(_ended_at, allow_none=True)
    battery_pct = fields.Integer(attribute="alert.battery_pct", allow_none=True)
    note = fields.String(attribute="alert.note", allow_none=True)
    location = fields.Nested(PointOutSchema)
    person = fields.Nested(PersonSchema, attribute="alert.owner")
    notifications = fields.List(fields.Nested(NotificationSchema))
    acknowledgements = fields.List(fields.Nested(AckOutSchema))
    dispatch = fields.Nested(DispatchBriefSchema, allow_none=True)

    @post_dump(pass_original=True)
    def _not_for_owner(self, data: dict, view, **kwargs) -> dict:
        if view.role == "owner":
            for key in NOT_FOR_OWNER:
                data.pop(key, None)
        if view.role not in STAFF:
            for key in STAFF_ONLY:
                data.pop(key, None)
        return data


class AlertListArgs(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(("guardian", "responder")))


class AlertSummarySchema(Schema):
    """Dumps `safety.alerts.views.Seen`."""

    id = fields.UUID(attribute="alert.id")
    status = ComputedString(_status)
    trigger = fields.String(attribute="alert.trigger")
    created_at = fields.AwareDateTime(attribute="alert.created_at")
    ended_at = ComputedDateTime(_ended_at, allow_none=True)


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
    """Dumps `safety.alerts.commands.CancelOutcome`: canceled, in her view, at the time it was
    canceled on her screen (a real or a duress cancel alike)."""

    id = fields.UUID(attribute="alert.id")
    status = ComputedString(lambda outcome: "canceled")
    canceled_at = fields.AwareDateTime(attribute="alert.shown_canceled_at")


class AckSchema(Schema):
    message = fields.String(validate=validate.Length(max=500), allow_none=True)


class AckResultSchema(Schema):
    alert_id = fields.UUID()
    message = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
