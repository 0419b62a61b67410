from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import get_jwt_identity
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.extensions import db, limiter
from safety.heartbeats import service
from safety.heartbeats.schemas import HeartbeatResultSchema, HeartbeatSchema
from safety.openapi import operation

blp = Blueprint("heartbeats", __name__, url_prefix="/api/v1/me",
                description="Her phone going dark: heartbeats during a timer or an alert")


def _rate() -> str:
    return current_app.config["HEARTBEAT_RATE_LIMIT"]


def _per_account() -> str:
    return f"heartbeat:{get_jwt_identity()}"


@blp.route("/heartbeat")
class Heartbeat(MethodView):
    @operation("sendHeartbeat", 409, 429)
    @login_required()
    @limiter.limit(_rate, key_func=_per_account)
    @blp.arguments(HeartbeatSchema)
    @blp.response(202, HeartbeatResultSchema)
    def post(self, data):
        """Report battery and location while a safety timer runs or an alert is live"""
        shown = service.beat(me(), data)
        db.session.commit()  # after a duress cancel the heartbeat is kept, and the answer is 409
        if not shown:
            raise service.nothing_running()
        return service.Ack(every_s=current_app.config["HEARTBEAT_EVERY_S"])
