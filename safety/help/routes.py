import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety import imports
from safety.auth import login_required, me
from safety.extensions import db
from safety.help import service
from safety.help.models import Place
from safety.help.schemas import (
    HotlineArgs,
    HotlineListSchema,
    HotlineSchema,
    NearArgs,
    NearListSchema,
    PlaceListSchema,
    PlaceSchema,
)
from safety.openapi import operation
from safety.pagination import paginated

blp = Blueprint("help", __name__, url_prefix="/api/v1/help",
                description="Crisis centres, shelters, police and hotlines")


@blp.route("/places")
class Places(MethodView):
    @operation("findPlacesNearby")
    @blp.arguments(NearArgs, location="query")
    @blp.response(200, NearListSchema)
    @blp.doc(security=[])
    def get(self, args):
        """Help near a point, nearest first, with distance_m (no login needed)"""
        return {"items": service.nearby(args["lat"], args["lon"], args["radius_m"],
                                        args["kind"], args["limit"])}

    @operation("createPlace")
    @login_required("admin")
    @blp.arguments(PlaceSchema)
    @blp.response(201, PlaceSchema)
    def post(self, data):
        """Add a place"""
        place = service.create_place(data, me())
        db.session.commit()
        return place


@blp.route("/places/all")
class AllPlaces(MethodView):
    @operation("listAllPlaces")
    @login_required("admin")
    @blp.response(200, PlaceListSchema)
    @paginated(blp, Place)
    def get(self):
        """Every place, active or not (admins)"""
        return service.all_places()


@blp.route("/places/<uuid:place_id>")
class PlaceResource(MethodView):
    @operation("getPlace", 404)
    @blp.response(200, PlaceSchema)
    @blp.doc(security=[])
    def get(self, place_id: uuid.UUID):
        """A place"""
        return service.get_place(place_id)

    @operation("updatePlace", 404)
    @login_required("admin")
    @blp.arguments(PlaceSchema(partial=True))
    @blp.response(200, PlaceSchema)
    def patch(self, data, place_id: uuid.UUID):
        """Change a place"""
        place = service.update_place(place_id, data, me())
        db.session.commit()
        return place

    @operation("deletePlace", 404)
    @login_required("admin")
    @blp.response(204)
    def delete(self, place_id: uuid.UUID):
        """Remove a place"""
        service.delete_place(place_id, me())
        db.session.commit()


@blp.route("/places/import")
class ImportPlaces(MethodView):
    @operation("importPlaces")
    @login_required("admin")
    @blp.arguments(imports.ImportArgs, location="query")
    @blp.arguments(imports.FileSchema, location="files")
    @blp.response(200, imports.ImportReportSchema)
    @blp.doc(**imports.upload_doc("text/csv", "application/geo+json"))
    def post(self, args, files):
        """Import places from CSV or GeoJSON: a report per row"""
        raw, filename = imports.read_upload(files)
        report = service.import_places(raw, filename, PlaceSchema(), args["all_or_nothing"],
                                        me())
        imports.refuse_uncommitted(report)
        db.session.commit()
        return report


@blp.route("/hotlines")
class Hotlines(MethodView):
    @operation("listHotlines")
    @blp.arguments(HotlineArgs, location="query")
    @blp.response(200, HotlineListSchema)
    @blp.doc(security=[])
    def get(self, args):
        """National hotlines, and a region's own with ?region= (no login needed)"""
        return {"items": service.hotlines(args["region"])}

    @operation("createHotline")
    @login_required("admin")
    @blp.arguments(HotlineSchema)
    @blp.response(201, HotlineSchema)
    def post(self, data):
        """Add a hotline"""
        hotline = service.create_hotline(data, me())
        db.session.commit()
        return hotline


@blp.route("/hotlines/<uuid:hotline_id>")
class HotlineResource(MethodView):
    @operation("updateHotline", 404)
    @login_required("admin")
    @blp.arguments(HotlineSchema(partial=True))
    @blp.response(200, HotlineSchema)
    def patch(self, data, hotline_id: uuid.UUID):
        """Change a hotline"""
        hotline = service.update_hotline(hotline_id, data, me())
        db.session.commit()
        return hotline

    @operation("deleteHotline", 404)
    @login_required("admin")
    @blp.response(204)
    def delete(self, hotline_id: uuid.UUID):
        """Remove a hotline"""
        service.delete_hotline(hotline_id, me())
        db.session.commit()
