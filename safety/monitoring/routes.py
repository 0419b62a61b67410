import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.extensions import db
from safety.monitoring import service
from safety.monitoring.schemas import (
    ReceiverListSchema,
    ReceiverSchema,
    StationEventArgs,
    StationEventListSchema,
)
from safety.notify.models import OutboxJob
from safety.openapi import operation
from safety.pagination import paginated

blp = Blueprint("monitoring", __name__, url_prefix="/api/v1/orgs",
                description="An organisation's monitoring stations (SIA DC-09 receivers): "
                            "platform admins manage them; the organisation's admins see them")


@blp.route("/<uuid:org_id>/receivers")
class Receivers(MethodView):
    @operation("listReceivers", 404)
    @login_required()
    @blp.response(200, ReceiverListSchema)
    def get(self, org_id: uuid.UUID):
        """The organisation's monitoring receivers (without their keys)"""
        return {"items": service.list_receivers(me(), org_id)}

    @operation("addReceiver", 403, 404, 409)
    @login_required()
    @blp.arguments(ReceiverSchema)
    @blp.response(201, ReceiverSchema)
    def post(self, data, org_id: uuid.UUID):
        """Add a monitoring receiver (platform admins)"""
        row = service.add_receiver(me(), org_id, data)
        db.session.commit()
        return row


@blp.route("/<uuid:org_id>/receivers/<uuid:receiver_id>")
class Receiver(MethodView):
    @operation("getReceiver", 404)
    @login_required()
    @blp.response(200, ReceiverSchema)
    def get(self, org_id: uuid.UUID, receiver_id: uuid.UUID):
        """A monitoring receiver (without its key)"""
        return service.get_receiver(me(), org_id, receiver_id)

    @operation("updateReceiver", 403, 404, 409)
    @login_required()
    @blp.arguments(ReceiverSchema(partial=True))
    @blp.response(200, ReceiverSchema)
    def patch(self, data, org_id: uuid.UUID, receiver_id: uuid.UUID):
        """Change a monitoring receiver (platform admins; `key: null` removes the key)"""
        row = service.update_receiver(me(), org_id, receiver_id, data)
        db.session.commit()
        return row

    @operation("deleteReceiver", 403, 404)
    @login_required()
    @blp.response(204)
    def delete(self, org_id: uuid.UUID, receiver_id: uuid.UUID):
        """Remove a monitoring receiver (platform admins)"""
        service.remove_receiver(me(), org_id, receiver_id)
        db.session.commit()


@blp.route("/<uuid:org_id>/station-events")
class StationEvents(MethodView):
    @operation("listStationEvents", 404)
    @login_required()
    @blp.arguments(StationEventArgs, location="query")
    @blp.response(200, StationEventListSchema)
    @paginated(blp, OutboxJob)
    def get(self, args, org_id: uuid.UUID):
        """Events sent to the organisation's monitoring station, and how each was delivered"""
        return service.station_events(me(), org_id, args["alert_id"])
