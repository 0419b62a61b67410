"""Who is coming, where, when: the responder holding a dispatch posts where they are; she, her
guardians and her SMS contacts see the latest position, how old it is, how far it is from her
and about when the responder will be there; the organisation's admins are told once when the
position goes stale while the responder is en route.

The estimate is deliberately simple (docs/api-notes.md, "Who is coming"): the straight-line
(great-circle) distance between the two latest positions, times ETA_ROAD_FACTOR for the roads
not being straight, over ETA_SPEED_KMH, rounded up to whole minutes. Good enough to say
"about 6 min"; not a route.

Only the latest fix is kept, on the dispatch itself, and only while the responder holds it: it
is refused once the dispatch ends, and forgotten then (`forget`).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from safety import geo
from safety.accounts.models import User
from safety.alerts.models import Alert
from safety.dispatch import responders
from safety.dispatch.models import HELD, Dispatch
from safety.errors import Conflict, Invalid, NotFound, TooMany
from safety.extensions import db
from safety.i18n import _l
from safety.notify import outbox
from safety.notify.channels.sms import sms_safe_name
from safety.util import phone_time, utcnow

CHECK_KIND = "dispatch_position_check"
ACCURACY_ALLOWANCE_MAX_M = 500.0  # a fix's own uncertainty counts up to this in the jump rule
JUMP_SLACK_M = 50.0


def first_name(full_name: str | None) -> str | None:
    """The first word of a name typed by its owner, made safe to show (no links, numbers or
    line breaks: `sms_safe_name`). None when nothing is left."""
    words = sms_safe_name(full_name or "", 40).split()
    return words[0] if words else None


def eta_seconds(distance_m: float) -> int:
    """Seconds to cover `distance_m` of straight line by road: distance x ETA_ROAD_FACTOR over
    ETA_SPEED_KMH, rounded up."""
    cfg = current_app.config
    return math.ceil(distance_m * cfg["ETA_ROAD_FACTOR"] / (cfg["ETA_SPEED_KMH"] / 3.6))


def eta_minutes(seconds: int) -> int:
    """Whole minutes, rounded up, at least 1: "about 6 min" never promises less than it is."""
    return max(1, math.ceil(seconds / 60))


@dataclass
class Approach:
    """The responder's latest position as a dispatch shows it (ResponderPositionSchema dumps
    it): where, when (the phone's time, or the receive time when not believed), how old, how far
    from her latest position, and the estimate (None on scene, or when the position is stale)."""

    lat: float
    lon: float
    accuracy_m: float | None
    recorded_at: datetime
    reported_recorded_at: str | None
    age_s: int
    stale: bool
    distance_m: float
    eta_s: int | None

    @property
    def clock_adjusted(self) -> bool:
        return self.reported_recorded_at is not None

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_s is None else eta_minutes(self.eta_s)


def approach(dispatch: Dispatch, alert: Alert) -> Approach | None:
    """Where the responder holding `dispatch` is, relative to her; None when nobody holds it
    or they have not sent a position since they took it."""
    if dispatch.status not in HELD or dispatch.responder_location_at is None:
        return None
    age = max(0, math.floor((utcnow() - dispatch.responder_location_at).total_seconds()))
    stale = age > current_app.config["RESPONDER_POSITION_STALE_S"]
    distance = geo.sphere_distance_m(dispatch.responder_lat, dispatch.responder_lon,
                                     alert.lat, alert.lon)
    coming = dispatch.status in ("accepted", "en_route") and not stale
    return Approach(
        lat=dispatch.responder_lat, lon=dispatch.responder_lon,
        accuracy_m=dispatch.responder_accuracy_m, recorded_at=dispatch.responder_location_at,
        reported_recorded_at=dispatch.responder_location_reported_at, age_s=age, stale=stale,
        distance_m=round(distance, 1), eta_s=eta_seconds(distance) if coming else None,
    )


# -- the responder's phone ---------------------------------------------------------------------


@dataclass
class PositionResult:
    """The answer to a position post (ResponderPositionResultSchema dumps it)."""

    dispatch: Dispatch
    stored: bool  # False: a fix older than (or the same as) the one already kept
    approach: Approach | None


def post_position(user: User, dispatch_id: uuid.UUID, location: dict) -> PositionResult:
    """The position of the responder holding the dispatch. Refused (nothing stored) when it
    comes sooner than RESPONDER_POSITION_MIN_INTERVAL_S after the last one kept (429), or when
    reaching it from the last one kept would take more than RESPONDER_MAX_SPEED_MPS (422: a
    GPS glitch; the allowance grows with the time since the last fix kept, so a first fix that
    was wrong is overcome within a minute or two). A fix no newer than the one kept is ignored
    (200, `stored: false`): retries and late arrivals are harmless."""
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.id == dispatch_id)
                                 .with_for_update(of=Dispatch))
    if dispatch is None or dispatch.responder_id != user.id:
        raise NotFound("No such dispatch.")
    alert = db.session.get(Alert, dispatch.alert_id)
    if dispatch.status not in HELD or not alert.live:
        raise Conflict(_l("This dispatch has ended: your position is no longer shared."))
    now = utcnow()
    cfg = current_app.config
    last = dispatch.responder_location_received_at
    gap = cfg["RESPONDER_POSITION_MIN_INTERVAL_S"]
    if last is not None and (now - last).total_seconds() < gap:
        wait = gap - (now - last).total_seconds()
        raise TooMany(_l("Too many positions: send one every %(n)s seconds at most.",
                         n=f"{gap:g}"), headers={"Retry-After": str(max(1, math.ceil(wait)))})
    at, reported = phone_time(location.get("recorded_at"), now)
    at = min(at, now)  # a clock running ahead (within the clamp) must not hide the next fixes
    if dispatch.responder_location_at is not None and at <= dispatch.responder_location_at:
        return PositionResult(dispatch, False, approach(dispatch, alert))
    if dispatch.responder_location_at is not None:
        _believable(dispatch, location, at, now)
    dispatch.responder_lat, dispatch.responder_lon = location["lat"], location["lon"]
    dispatch.responder_accuracy_m = location.get("accuracy_m")
    dispatch.responder_location_at = at
    dispatch.responder_location_reported_at = reported
    dispatch.responder_location_received_at = now
    responders.update_location(user, location)  # they stay fresh for the next dispatch too
    db.session.flush()
    return PositionResult(dispatch, True, approach(dispatch, alert))


def _believable(dispatch: Dispatch, location: dict, at: datetime, now: datetime) -> None:
    seconds = max((at - dispatch.responder_location_at).total_seconds(),
                  (now - dispatch.responder_location_received_at).total_seconds(), 1.0)
    moved = geo.sphere_distance_m(dispatch.responder_lat, dispatch.responder_lon,
                                  location["lat"], location["lon"])
    allowance = (current_app.config["RESPONDER_MAX_SPEED_MPS"] * seconds + JUMP_SLACK_M
                 + min(dispatch.responder_accuracy_m or 0.0, ACCURACY_ALLOWANCE_MAX_M)
                 + min(location.get("accuracy_m") or 0.0, ACCURACY_ALLOWANCE_MAX_M))
    if moved > allowance:
        raise Invalid("location", _l(
            "This position is %(metres)s m from the last one, %(seconds)s s later: too far to "
            "be believed. It was not stored.", metres=round(moved), seconds=round(seconds)))


def forget(dispatch: Dispatch) -> None:
    """The dispatch ended or changed hands: its responder's position is no longer anyone's
    business, nor is the stale warning (a new responder gets their own)."""
    dispatch.responder_lat = dispatch.responder_lon = None
    dispatch.responder_accuracy_m = None
    dispatch.responder_location_at = None
    dispatch.responder_location_reported_at = None
    dispatch.responder_location_received_at = None
    dispatch.position_stale_warned_at = None
    outbox.cancel_pending(dispatch.alert_id, (CHECK_KIND,))


# -- stale while en route ------------------------------------------------------------------------


def _check_key(dispatch: Dispatch, due_at: datetime) -> str:
    return f"position-check:{dispatch.id}:{due_at.timestamp():.6f}"


def watch(dispatch: Dispatch) -> None:
    """The responder set off: check, RESPONDER_POSITION_STALE_S after their latest sign of
    life, that their position is still fresh (a timer job that re-arms itself)."""
    schedule(dispatch, last_sign(dispatch) + timedelta(
        seconds=current_app.config["RESPONDER_POSITION_STALE_S"]))


def schedule(dispatch: Dispatch, due_at: datetime) -> None:
    outbox.enqueue_once(CHECK_KIND, {"dispatch_id": str(dispatch.id),
                                     "en_route_at": dispatch.en_route_at.isoformat()},
                        due_at=due_at, dedupe_key=_check_key(dispatch, due_at),
                        alert_id=dispatch.alert_id)


def last_sign(dispatch: Dispatch) -> datetime:
    """The later of setting off and the newest position (its phone time, or when it came if
    that is earlier: a clock running ahead does not keep a responder fresh)."""
    signs = [dispatch.en_route_at]
    if dispatch.responder_location_at is not None:
        signs.append(min(dispatch.responder_location_at,
                         dispatch.responder_location_received_at))
    return max(signs)
