"""Dispatch, the worker's side: an offer round that timed out unanswered moves on.

Offer timeouts are outbox timers, so escalation survives restarts and runs on any worker.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from safety.alerts.models import Alert, without_owner
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.dispatch.offers import next_round, org_webhook
from safety.extensions import db
from safety.i18n import _l
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
