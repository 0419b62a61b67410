"""Inbound SMS, the worker's side: forgetting handled message ids."""

from __future__ import annotations

from flask import current_app

from safety.inbound_sms import service
from safety.notify.models import OutboxJob


def _purge_inbound_sms(job: OutboxJob) -> dict:
    return {"deleted": service.purge(current_app.config["SMS_INBOUND_KEEP_DAYS"])}
