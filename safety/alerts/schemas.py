"""What alerts take and answer. The answers dump what the read side returns
(`safety.alerts.views`: `AlertView`, `Seen`, `Notice`, `Trail`) and the commands' results; the
rules of what each role sees of the values are here: her own view of an alert canceled on her
screen (`cutoff`, a real or a duress cancel alike), the notification labels per role, and no
`duress` nor `person` for her."""

from marshmallow import Schema, fields, post_dump, validate

from safety.fields import (
    ComputedDateTime,
    ComputedDict,
    ComputedNested,
    ComputedString,
    LocationSchema,
    UTCDateTime,
)
from safety.i18n import _l
from safety.pagination import PageSchema
from safety.phone_state import PhoneStateSchema, report

TRIGGERS = ("button", "timer", "shake", "voice", "sms", "other")


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


class ResponderBriefSchema(Schema):
    """Who comes. `id`, `full_name` and `phone` only for staff (the responder, the org's admins,
    platform admins): not on her screen, where he might read them, nor for her guardians."""

    first_name = fields.String(allow_none=True, metadata={
        "description": "The first word of the responder's name (letters only)."})
    vehicle = fields.String(allow_none=True, metadata={
        "description": "As their organisation gives it (PATCH /orgs/{id}/members/{id})."})
    badge = fields.String(allow_none=True)
    id = fields.UUID(attribute="person.id", metadata={"description": "Staff only."})
    full_name = fields.String(attribute="person.full_name", metadata={
        "description": "Staff only."})
    phone = fields.String(attribute="person.phone", metadata={"description": "Staff only."})

    @post_dump(pass_original=True)
    def _staff_only(self, data: dict, brief, **kwargs) -> dict:
        if brief.person is None:
            for key in ("id", "full_name", "phone"):
                data.pop(key, None)
        return data


class ResponderPositionSchema(Schema):
    """Where the responder holding the dispatch is (their latest position), and the estimate."""

    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    recorded_at = fields.AwareDateTime(metadata={
        "description": "The responder's phone's time of the fix, or the receive time when it "
                       "was not believed (clock_adjusted)."})
    clock_adjusted = fields.Boolean()
    reported_recorded_at = fields.String(allow_none=True)
    age_s = fields.Integer(metadata={"description": "Seconds since recorded_at."})
    stale = fields.Boolean(metadata={
        "description": "Older than RESPONDER_POSITION_STALE_S: the responder's phone has gone "
                       "quiet; there is no estimate."})
    distance_m = fields.Float(metadata={
        "description": "Straight-line (great-circle) metres to her latest position."})
    eta_s = fields.Integer(allow_none=True, metadata={
        "description": "About when they arrive: distance_m x ETA_ROAD_FACTOR / ETA_SPEED_KMH. "
                       "Null on scene, and while the position is stale."})
    eta_minutes = fields.Integer(allow_none=True, metadata={
        "description": "eta_s in whole minutes, rounded up, at least 1 (\"about 6 min\")."})


class DispatchBriefSchema(Schema):
    """The dispatch as an alert shows it: dumps what `AlertAccess.dispatch_view` returns (the
    dispatch, its organisation, who comes and where they are:
    `safety.dispatch.queries.DispatchBrief`)."""

    id = fields.UUID(attribute="dispatch.id")
    status = fields.String(attribute="dispatch.status")
    organization = ComputedDict(
        lambda brief: _ORGANIZATION.dump(brief.organization) if brief.organization else None,
        allow_none=True)
    responder = fields.Nested(ResponderBriefSchema, allow_none=True)
    responder_position = fields.Nested(ResponderPositionSchema, attribute="position",
                                       allow_none=True, metadata={
        "description": "While a responder holds the dispatch (accepted, en route, on scene) and "
                       "has sent a position; null otherwise."})
    accepted_at = fields.AwareDateTime(attribute="dispatch.accepted_at", allow_none=True)
    en_route_at = fields.AwareDateTime(attribute="dispatch.en_route_at", allow_none=True)
    on_scene_at = fields.AwareDateTime(attribute="dispatch.on_scene_at", allow_none=True)


def _status(seen) -> str:
    """Canceled in her own view once canceled on her screen, whatever happened after."""
    return "canceled" if seen.cutoff is not None else seen.alert.status


def _ended_at(seen):
    return seen.cutoff or seen.alert.ended_at


# Not for her eyes in her own alert: that it was a duress cancel, the staff's view of her, and
# what her guardians are told of her phone (he may hold it).
NOT_FOR_OWNER = ("duress", "unassigned", "person", "phone")
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
    location = fields.Nested(PointOutSchema, allow_none=True, metadata={
        "description": "Her newest location; null for an alert raised without any known "
                       "location (an SOS by SMS) until a point arrives."})
    person = fields.Nested(PersonSchema, attribute="alert.owner")
    notifications = fields.List(fields.Nested(NotificationSchema))
    acknowledgements = fields.List(fields.Nested(AckOutSchema))
    dispatch = fields.Nested(DispatchBriefSchema, allow_none=True)
    phone = ComputedNested(lambda view: report(view.alert), nested=PhoneStateSchema,
                           allow_none=True, metadata={
        "description": "Her phone's last heartbeat (battery, age) and whether a warning that "
                       "it is going dark is out; null before the first heartbeat. Not shown "
                       "to the alert's owner."})

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
    pin = fields.String(required=True, load_only=True, validate=validate.Regexp(
        r"^\d{4,8}$", error=_l("A PIN is 4 to 8 digits.")))


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
