import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.alerts import commands, views
from safety.alerts.models import Alert
from safety.alerts.schemas import (
    AckResultSchema,
    AckSchema,
    AlertListArgs,
    AlertListSchema,
    AlertSchema,
    CancelResultSchema,
    CancelSchema,
    LocationBatchResultSchema,
    LocationBatchSchema,
    RaiseAlertSchema,
    TrailArgs,
    TrailSchema,
)
from safety.auth import login_required, me
from safety.extensions import db
from safety.i18n import _l
from safety.openapi import operation
from safety.pagination import paginated

blp = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts", description="Panic alerts")


@blp.route("")
class Alerts(MethodView):
    @operation("raiseAlert")
    @login_required()
    @blp.arguments(RaiseAlertSchema)
    @blp.response(201, AlertSchema)
    @blp.alt_response(200, schema=AlertSchema, description="The same alert again: a retry "
                      "with the same client_id, or a panic while one is already live.")
    def post(self, data):
        """Raise a panic alert"""
        raised = commands.raise_panic(me(), data)
        if raised.created:  # shaped from what the request made, then committed
            answer = views.present_new(raised.alert, raised.added)
            db.session.commit()
            return answer, 201
        db.session.commit()
        return views.present(raised.alert, "owner"), 200

    @operation("listAlerts")
    @login_required()
    @blp.arguments(AlertListArgs, location="query")
    @blp.response(200, AlertListSchema)
    @paginated(blp, Alert)
    def get(self, args):
        """Your alerts; ?role=guardian or ?role=responder for the ones you may see"""
        role = args["role"] or "owner"
        return views.list_for(me(), args["role"]), lambda alert: views.summary(alert, role)


@blp.route("/<uuid:alert_id>")
class AlertResource(MethodView):
    @operation("getAlert", 404)
    @login_required()
    @blp.response(200, AlertSchema)
    def get(self, alert_id: uuid.UUID):
        """An alert: status, location, who was notified, the dispatch"""
        alert, role = views.get_visible(me(), alert_id)
        return views.present(alert, role)


@blp.route("/<uuid:alert_id>/locations")
class Locations(MethodView):
    @operation("addAlertLocations", 404, 409)
    @login_required()
    @blp.arguments(LocationBatchSchema)
    @blp.response(202, LocationBatchResultSchema)
    def post(self, data, alert_id: uuid.UUID):
        """Add up to 100 location points (late and out-of-order points are kept in order)"""
        result = commands.add_locations(me(), alert_id, data["points"])
        db.session.commit()  # after a duress cancel the points are kept, and the answer is 409
        if result is None:
            raise commands.trail_closed()
        return result

    @operation("getAlertTrail", 404, 409)
    @login_required()
    @blp.arguments(TrailArgs, location="query")
    @blp.response(200, TrailSchema)
    def get(self, args, alert_id: uuid.UUID):
        """The location trail, oldest first"""
        alert, role = views.get_visible(me(), alert_id)
        return views.trail(alert, role, args["since"], args["limit"])


@blp.route("/<uuid:alert_id>/cancel")
class Cancel(MethodView):
    @operation("cancelAlert", 403, 404, 409)
    @login_required()
    @blp.arguments(CancelSchema)
    @blp.response(200, CancelResultSchema)
    def post(self, data, alert_id: uuid.UUID):
        """Cancel your alert with your PIN"""
        outcome = commands.cancel(me(), alert_id, data["pin"])
        db.session.commit()  # a wrong PIN counts even though the answer is an error
        if outcome.refusal is not None:
            raise outcome.refusal.forbidden(
                _l("Too many wrong PINs: cancel is locked for a while. The alert stays live."))
        return outcome


@blp.route("/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @operation("acknowledgeAlert", 404)
    @login_required()
    @blp.arguments(AckSchema)
    @blp.response(200, AckResultSchema)
    def post(self, data, alert_id: uuid.UUID):
        """Tell her you have seen her alert (guardians)"""
        ack = commands.acknowledge(me(), alert_id, data.get("message"))
        db.session.commit()
        return ack
