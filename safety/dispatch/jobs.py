"""Dispatch, the worker's side: an offer round that timed out unanswered moves on; a responder
en route whose position went stale is reported to their organisation's admins, once.

Both are outbox timers, so they survive restarts and run on any worker.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from safety.alerts.models import Alert, without_owner
from safety.dispatch import coming
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.dispatch.offers import next_round, org_webhook
from safety.extensions import db
from safety.i18n import Minutes, _l
from safety.notify import service as notify
from safety.notify.models import OutboxJob
from safety.orgs import service as orgs
from safety.util import utcnow


def _offer_timeout(job: OutboxJob) -> dict:
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.alert_id == job.alert_id)
                                 .with_for_update(of=Dispatch))
    rnd = int(job.payload["round"])
    if dispatch is None or dispatch.status != "offering" or dispatch.round != rnd:
        return {"skipped": "already answered"}
    alert = db.session.get(Alert, dispatch.alert_id)
    if not alert.live:
        return {"skipped": "alert ended"}
    missed = _expire_round(dispatch, rnd)
    if missed:
        notify.push_to_users(
            without_owner(alert, orgs.org_admin_ids(missed)), "dispatch_missed",
            _l("Your responders missed an alert"),
            _l("An offer timed out unanswered; it has moved on to others."),
            {"alert_id": alert.id, "dispatch_id": dispatch.id}, alert_id=alert.id,
        )
        for org_id in missed:
            org_webhook(org_id, "dispatch.missed", dispatch, alert)
    next_round(dispatch, alert)
    return {"round": rnd, "next_round": dispatch.round, "status": dispatch.status}


def _expire_round(dispatch: Dispatch, rnd: int) -> list[uuid.UUID]:
    offers = list(db.session.scalars(select(DispatchOffer).where(
        DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.round == rnd,
        DispatchOffer.status == "open")))
    for offer in offers:
        offer.status = "expired"
        offer.responded_at = utcnow()
    return list(dict.fromkeys(o.org_id for o in offers))


def _position_check(job: OutboxJob) -> dict:
    """The timer job: tell the organisation's admins, once, when the responder en route has
    sent no position for RESPONDER_POSITION_STALE_S; otherwise look again when it would be."""
    dispatch = db.session.scalar(select(Dispatch).where(
        Dispatch.id == uuid.UUID(job.payload["dispatch_id"])).with_for_update(of=Dispatch))
    if dispatch is None or dispatch.status != "en_route" or dispatch.en_route_at is None or \
            dispatch.en_route_at.isoformat() != job.payload["en_route_at"]:
        return {"skipped": "no longer en route"}
    if dispatch.position_stale_warned_at is not None:
        return {"skipped": "already told"}
    now = utcnow()
    limit = current_app.config["RESPONDER_POSITION_STALE_S"]
    silent_s = (now - coming.last_sign(dispatch)).total_seconds()
    if silent_s < limit:
        due = coming.last_sign(dispatch) + timedelta(seconds=limit)
        coming.schedule(dispatch, due)
        return {"fresh": True, "next_check": due.isoformat()}
    dispatch.position_stale_warned_at = now
    alert = db.session.get(Alert, dispatch.alert_id)
    name = dispatch.responder.full_name if dispatch.responder else ""
    told = notify.push_to_users(
        without_owner(alert, orgs.org_admin_ids([dispatch.org_id])),
        "dispatch_position_stale", _l("A responder's position is stale"),
        _l("%(name)s is en route to an alert and has sent no position for %(minutes)s. "
           "Check on them.", name=name, minutes=Minutes(silent_s / 60)),
        {"alert_id": alert.id, "dispatch_id": dispatch.id,
         "silent_s": round(silent_s)}, alert_id=alert.id)
    org_webhook(dispatch.org_id, "dispatch.position_stale", dispatch, alert)
    return {"stale": True, "silent_s": round(silent_s), "pushes": told}
