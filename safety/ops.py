"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from safety.errors import problem
from safety.extensions import db, limiter
from safety.i18n import _l
from safety.notify.outbox import freshest_heartbeat_age

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Process up"""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Database reachable and a worker's heartbeat fresh"""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means not ready
        db.session.rollback()
        return problem(503, _l("The database is not reachable."))
    age = freshest_heartbeat_age()
    limit = current_app.config["WORKER_HEARTBEAT_MAX_AGE_S"]
    if age is None or age > limit:
        return problem(
            503,
            _l("No worker has reported in recently: alarms would not be sent."),
            extra={"worker_heartbeat_age_s": age},
        )
    return jsonify(status="ready", database="ok", worker_heartbeat_age_s=round(age, 1))
