import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.extensions import db
from safety.i18n import _l
from safety.openapi import operation
from safety.pagination import paginated
from safety.timers import service
from safety.timers.models import SafetyTimer
from safety.timers.schemas import (
    CheckInSchema,
    ExtendSchema,
    StartTimerSchema,
    TimerListSchema,
    TimerSchema,
)

blp = Blueprint("timers", __name__, url_prefix="/api/v1/timers", description="Safety timer")


@blp.route("")
class Timers(MethodView):
    @operation("startTimer", 409)
    @login_required()
    @blp.arguments(StartTimerSchema)
    @blp.response(201, TimerSchema)
    def post(self, data):
        """Start a safety timer: no check-in by the deadline raises an alert"""
        timer = service.start(me(), data)
        db.session.commit()
        return timer

    @operation("listTimers")
    @login_required()
    @blp.response(200, TimerListSchema)
    @paginated(blp, SafetyTimer)
    def get(self):
        """Your timers, newest first"""
        return service.list_for(me())


@blp.route("/<uuid:timer_id>")
class TimerResource(MethodView):
    @operation("getTimer", 404)
    @login_required()
    @blp.response(200, TimerSchema)
    def get(self, timer_id: uuid.UUID):
        """A timer: yours, or (guardians) hers once her phone was reported going dark"""
        return service.get_visible(me(), timer_id)


@blp.route("/<uuid:timer_id>/extend")
class Extend(MethodView):
    @operation("extendTimer", 404, 409)
    @login_required()
    @blp.arguments(ExtendSchema)
    @blp.response(200, TimerSchema)
    def post(self, data, timer_id: uuid.UUID):
        """Move the deadline later"""
        timer = service.extend(me(), timer_id, data)
        db.session.commit()
        return timer


@blp.route("/<uuid:timer_id>/check-in")
class CheckIn(MethodView):
    @operation("checkInTimer", 403, 404, 409)
    @login_required()
    @blp.arguments(CheckInSchema)
    @blp.response(200, TimerSchema)
    def post(self, data, timer_id: uuid.UUID):
        """Check in with your PIN: the timer stops"""
        timer, refusal = service.check_in(me(), timer_id, data["pin"])
        db.session.commit()  # a wrong PIN counts even though the answer is an error
        if refusal is not None:
            raise refusal.forbidden(
                _l("Too many wrong PINs: check-in is locked for a while; the timer runs on."))
        return timer
