"""Page 2's timeline: everything that happened to an alert, oldest first — raised, duress, each
push, SMS and webhook with its delivery state, offers and their answers, accept and the
responder's progress, acknowledgements, the end, and the operators' actions and notes.

What each desk sees of it (docs/console.md, "Who sees what"):
- a platform admin: everything, with names, the SMS numbers' last four digits and errors;
- the organisation holding the dispatch: everything, her circle as labels ("a guardian",
  "an SMS contact"), names of its own people only;
- an organisation that sees the alert in its area: raised, duress, offers (names of its own
  responders only), the dispatch's progress, escalations; nothing of her circle.
Operators' actions and notes show to platform admins and to the organisation they acted for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from safety.accounts.service import full_names
from safety.alerts.models import Alert, AlertAck
from safety.audit import AuditEvent
from safety.contacts import service as contacts
from safety.dispatch.desk import AREA, Desk, desk_orgs
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.extensions import db
from safety.i18n import Distance, _l
from safety.notify.models import OutboxJob
from safety.orgs.models import OrgMember


@dataclass
class Event:
    at: datetime
    text: object  # a lazy text, rendered in the operator's language by the template
    kind: str  # raised, duress, push, sms, webhook, timer, offer, dispatch, ack, end, operator
    state: str | None = None  # delivery or offer state
    detail: object | None = None
    css: str = ""


PUSH_KINDS = {
    "alert": _l("alarm"),
    "alert_duress": _l("duress warning"),
    "alert_escalation": _l("escalation"),
    "alert_unassigned": _l("nobody could be dispatched"),
    "dispatch_offer": _l("dispatch offer"),
    "dispatch_missed": _l("offer missed"),
    "dispatch_accepted": _l("a responder accepted"),
    "dispatch_en_route": _l("responder en route"),
    "dispatch_on_scene": _l("responder on scene"),
    "dispatch_unable": _l("responder cannot come"),
    "dispatch_canceled": _l("stand down: canceled"),
    "dispatch_false_alarm": _l("stand down: false alarm"),
    "alert_ack": _l("a guardian saw it"),
    "alert_canceled": _l("alert canceled"),
    "alert_resolved": _l("alert resolved"),
}

OFFER_ANSWERS = {
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("expired unanswered"),
    "withdrawn": _l("withdrawn"),
}

TRIGGERS = {"button": _l("panic button"), "shake": _l("shake"), "timer": _l("safety timer"),
            "voice": _l("voice"), "power": _l("power button")}

DISPATCH_STEPS = (("accepted_at", lambda who: _l("Accepted by %(who)s", who=who)),
                  ("en_route_at", lambda who: _l("%(who)s is en route", who=who)),
                  ("on_scene_at", lambda who: _l("%(who)s is on scene", who=who)))


def trigger_label(trigger: str) -> object:
    return TRIGGERS.get(trigger, trigger)


class _Names:
    """Who a person is, as this desk may say it."""

    def __init__(self, desk: Desk, alert: Alert, user_ids: list[uuid.UUID]) -> None:
        self.desk = desk
        self.owner = alert.user_id
        self.guardians = set(contacts.guardian_ids(alert.user_id))
        self.names = full_names(list(set(user_ids)))
        members = set()
        if not desk.admin and desk.org_ids and user_ids:
            members = set(db.session.scalars(select(OrgMember.user_id).where(
                OrgMember.org_id.in_(desk.org_ids), OrgMember.user_id.in_(user_ids))))
        self.members = members

    def staff(self, user_id: uuid.UUID | None) -> object:
        if user_id is None:
            return _l("nobody")
        if self.desk.admin or user_id in self.members:
            return self.names.get(user_id, "?")
        return _l("a responder of another organisation")

    def recipient(self, user_id: uuid.UUID | None) -> object:
        if user_id == self.owner:
            return _l("her")
        if user_id in self.guardians:
            return self.names.get(user_id, "?") if self.desk.admin else _l("a guardian")
        if self.desk.admin or user_id in self.members:
            return self.names.get(user_id, "?")
        return _l("staff of another organisation")


def timeline(desk: Desk, alert: Alert, dispatch: Dispatch | None, view: str) -> list[Event]:
    offers = list(db.session.scalars(select(DispatchOffer).where(
        DispatchOffer.dispatch_id == dispatch.id).order_by(DispatchOffer.created_at))) \
        if dispatch is not None else []
    jobs = list(db.session.scalars(select(OutboxJob).where(
        OutboxJob.alert_id == alert.id).order_by(OutboxJob.created_at)))
    actions = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "alert", AuditEvent.object_id == str(alert.id))
        .order_by(AuditEvent.created_at)))
    people = [o.responder_id for o in offers] + [j.recipient_user_id for j in jobs
                                                 if j.recipient_user_id]
    people += [a.actor_id for a in actions if a.actor_id]
    if dispatch is not None and dispatch.responder_id:
        people.append(dispatch.responder_id)
    names = _Names(desk, alert, people)

    events = [Event(alert.created_at, _l("Alert raised: %(trigger)s",
                                         trigger=trigger_label(alert.trigger)), "raised")]
    if alert.duress and alert.silent:
        events.append(Event(alert.created_at, _l(
            "Raised silently by a duress check-in: her phone shows nothing"), "duress",
            css="duress"))
    elif alert.duress and alert.shown_canceled_at is not None:
        events.append(Event(alert.shown_canceled_at, _l(
            "Canceled on her phone with her duress PIN: she is in danger, and her phone "
            "shows the alert canceled"), "duress", css="duress"))
    events += _offer_events(offers, names)
    if dispatch is not None:
        events += _dispatch_events(dispatch, names)
    events += _job_events(desk, jobs, names, view)
    if view != AREA:
        for ack in db.session.scalars(select(AlertAck).where(AlertAck.alert_id == alert.id)):
            events.append(Event(
                ack.created_at, _l("%(who)s acknowledged", who=names.recipient(ack.guardian_id)),
                "ack", detail=ack.message if desk.admin else None))
    if alert.ended_at is not None:
        text = _l("Canceled by her with her PIN") if alert.status == "canceled" \
            else _l("Resolved")
        events.append(Event(alert.ended_at, text, "end"))
    events += _operator_events(desk, actions, names)
    events.sort(key=lambda e: e.at)
    return events


def _offer_events(offers: list[DispatchOffer], names: _Names) -> list[Event]:
    out = []
    for offer in offers:
        who = names.staff(offer.responder_id)
        out.append(Event(offer.created_at, _l(
            "Offered to %(who)s (%(distance)s away, round %(round)s)", who=who,
            distance=Distance(offer.distance_m), round=offer.round), "offer"))
        if offer.responded_at is not None and offer.status in OFFER_ANSWERS:
            mine = names.desk.admin or offer.responder_id in names.members
            detail = offer.reason if offer.status == "declined" and mine else None
            out.append(Event(offer.responded_at, _l(
                "Offer to %(who)s: %(answer)s", who=who, answer=OFFER_ANSWERS[offer.status]),
                "offer", state=offer.status, detail=detail))
    return out


def _dispatch_events(dispatch: Dispatch, names: _Names) -> list[Event]:
    who = names.staff(dispatch.responder_id)
    out = []
    for attr, text in DISPATCH_STEPS:
        at = getattr(dispatch, attr)
        if at is not None:
            out.append(Event(at, text(who), "dispatch", css="good"))
    return out


def _job_events(desk: Desk, jobs: list[OutboxJob], names: _Names, view: str) -> list[Event]:
    hooks = {o.webhook_url: o.name for o in desk_orgs(desk) if o.webhook_url}
    out = []
    for job in jobs:
        if job.channel == "push":
            if view == AREA and job.recipient_user_id not in names.members:
                continue  # her circle and other organisations' people: not for this desk
            kind = PUSH_KINDS.get(job.kind, job.kind)
            out.append(Event(job.created_at, _l(
                "Push (%(kind)s) to %(who)s", kind=kind,
                who=names.recipient(job.recipient_user_id)), "push",
                state=job.status, detail=_delivery(desk, job)))
        elif job.channel == "sms":
            if view == AREA:
                continue
            who = "***" + (job.recipient or "")[-4:] if desk.admin else _l("an SMS contact")
            out.append(Event(job.created_at, _l("SMS with her tracking link to %(who)s",
                                                who=who), "sms",
                             state=job.status, detail=_delivery(desk, job)))
        elif job.channel == "webhook":
            org = hooks.get(job.recipient or "")
            if org is None:
                continue  # another organisation's endpoint
            out.append(Event(job.created_at, _l(
                "Webhook %(event)s to %(org)s", event=job.payload.get("event", "?"), org=org),
                "webhook", state=job.status, detail=_delivery(desk, job)))
        elif job.channel == "timer" and job.status == "sent" and job.result:
            if job.kind == "alert_escalate" and "round" in job.result:
                out.append(Event(job.finished_at or job.due_at, _l(
                    "Escalated (round %(round)s): nobody had answered",
                    round=job.result["round"]), "timer", css="warn"))
            elif job.kind == "dispatch_offer_timeout" and "round" in job.result:
                out.append(Event(job.finished_at or job.due_at, _l(
                    "Offers of round %(round)s timed out", round=job.result["round"]),
                    "timer", css="warn"))
    return out


def _delivery(desk: Desk, job: OutboxJob) -> object | None:
    parts = []
    if job.attempts > 1:
        parts.append(str(_l("%(n)s attempts", n=job.attempts)))
    if desk.admin and job.last_error:
        parts.append(job.last_error[:200])
    return "; ".join(parts) or None


def _operator_events(desk: Desk, actions: list[AuditEvent], names: _Names) -> list[Event]:
    out = []
    for event in actions:
        changes = event.changes or {}
        acting = changes.get("acting_org_id")
        if not desk.admin and (acting is None or
                               acting not in {str(o) for o in desk.org_ids}):
            continue
        who = names.names.get(event.actor_id, "?") if event.actor_id else _l("the system")
        if event.action == "alert.note":
            text, detail = _l("Note by %(who)s", who=who), changes.get("text")
        elif event.action == "dispatch.assigned":
            responder = uuid.UUID(changes["responder_id"]) if changes.get("responder_id") \
                else None
            text, detail = _l("%(who)s offered it to %(responder)s", who=who,
                              responder=names.staff(responder)), None
        elif event.action == "dispatch.reoffered":
            text, detail = _l("%(who)s offered it again", who=who), None
        elif event.action == "alert.false_alarm":
            text, detail = _l("%(who)s closed it as a false alarm", who=who), \
                changes.get("reason")
        else:
            text, detail = event.action, None
        out.append(Event(event.created_at, text, "operator", detail=detail, css="operator"))
    return out
