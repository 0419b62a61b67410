import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.dispatch import coming, held, offers, queries, responders
from safety.dispatch.models import Dispatch
from safety.dispatch.schemas import (
    DeclineResultSchema,
    DeclineSchema,
    DispatchListSchema,
    DispatchSchema,
    DutySchema,
    OfferListSchema,
    PositionResultSchema,
    ResponderLocationSchema,
    ResponderStateSchema,
    StatsSchema,
    StatusSchema,
)
from safety.extensions import db
from safety.openapi import operation
from safety.pagination import paginated

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1",
                description="Responders: duty, offers, dispatches")


@blp.route("/responder/duty")
class Duty(MethodView):
    @operation("setDuty")
    @login_required("responder")
    @blp.arguments(DutySchema)
    @blp.response(200, ResponderStateSchema)
    def put(self, data):
        """Go on or off duty"""
        state = responders.set_duty(me(), data["on_duty"], data.get("location"))
        db.session.commit()
        return state


@blp.route("/responder/location")
class ResponderLocation(MethodView):
    @operation("reportResponderLocation")
    @login_required("responder")
    @blp.arguments(ResponderLocationSchema)
    @blp.response(200, ResponderStateSchema)
    def post(self, data):
        """Report where you are"""
        state = responders.update_location(me(), data["location"])
        db.session.commit()
        return state


@blp.route("/responder/offers")
class Offers(MethodView):
    @operation("listOffers")
    @login_required("responder")
    @blp.response(200, OfferListSchema)
    def get(self):
        """Open dispatch offers for you, with the alert's location"""
        return {"items": queries.open_offers(me())}


@blp.route("/dispatches/<uuid:dispatch_id>/accept")
class Accept(MethodView):
    @operation("acceptDispatch", 404, 409)
    @login_required("responder")
    @blp.response(200, DispatchSchema)
    def post(self, dispatch_id: uuid.UUID):
        """Accept a dispatch (the first responder wins; 409 for everyone after)"""
        dispatch = offers.accept(me(), dispatch_id)
        db.session.commit()
        return dispatch


@blp.route("/dispatches/<uuid:dispatch_id>/decline")
class Decline(MethodView):
    @operation("declineDispatch", 404, 409)
    @login_required("responder")
    @blp.arguments(DeclineSchema)
    @blp.response(200, DeclineResultSchema)
    def post(self, data, dispatch_id: uuid.UUID):
        """Decline a dispatch offer"""
        offer = offers.decline(me(), dispatch_id, data.get("reason"))
        db.session.commit()
        return offer


@blp.route("/dispatches/<uuid:dispatch_id>/status")
class Status(MethodView):
    @operation("updateDispatchStatus", 404, 409)
    @login_required("responder")
    @blp.arguments(StatusSchema)
    @blp.response(200, DispatchSchema)
    def post(self, data, dispatch_id: uuid.UUID):
        """Report progress: en_route, on_scene, resolved (ends the alert) or unable"""
        dispatch = offers.set_status(me(), dispatch_id, data["status"], data.get("note"))
        db.session.commit()
        return dispatch


@blp.route("/responder/dispatches/<uuid:dispatch_id>/location")
class DispatchLocation(MethodView):
    @operation("reportDispatchPosition", 404, 409, 429)
    @login_required("responder")
    @blp.arguments(ResponderLocationSchema)
    @blp.response(200, PositionResultSchema)
    def post(self, data, dispatch_id: uuid.UUID):
        """Report where you are on the way to her (the dispatch you hold; every few seconds)"""
        result = coming.post_position(me(), dispatch_id, data["location"])
        db.session.commit()
        return result


# An organisation's dispatches and their statistics: under /orgs in the API (tagged so), served
# here because they are dispatch's data (orgs imports nothing of dispatch).


@blp.route("/orgs/<uuid:org_id>/dispatches", tags=["orgs"])
class OrgDispatches(MethodView):
    @operation("listOrgDispatches", 404)
    @login_required()
    @blp.response(200, DispatchListSchema)
    @paginated(blp, Dispatch)
    def get(self, org_id: uuid.UUID):
        """Dispatches offered to or held by the organisation"""
        return queries.org_dispatches(me(), org_id)


@blp.route("/orgs/<uuid:org_id>/stats", tags=["orgs"])
class Stats(MethodView):
    @operation("getOrgStats", 404)
    @login_required()
    @blp.response(200, StatsSchema)
    def get(self, org_id: uuid.UUID):
        """Time to accept and time to arrive: median and p90"""
        return queries.org_stats(me(), org_id)


@blp.route("/responder/dispatches")
class HeldDispatches(MethodView):
    @operation("listMyDispatches")
    @login_required("responder")
    @blp.response(200, DispatchListSchema)
    @paginated(blp, Dispatch)
    def get(self):
        """Your dispatches: the one you hold and recent ones, newest first"""
        return held.held_by(me())
