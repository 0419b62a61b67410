import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.contacts import service
from safety.contacts.schemas import (
    ContactListSchema,
    ContactSchema,
    InvitationListSchema,
    InvitationSchema,
)
from safety.extensions import db
from safety.openapi import operation

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/me",
                description="Trusted contacts and guardian invitations")


@blp.route("/contacts")
class Contacts(MethodView):
    @operation("listContacts")
    @login_required()
    @blp.response(200, ContactListSchema)
    def get(self):
        """Your trusted contacts (at most 10)"""
        return {"items": service.list_contacts(me())}

    @operation("addContact", 409)
    @login_required()
    @blp.arguments(ContactSchema)
    @blp.response(201, ContactSchema)
    def post(self, data):
        """Add a trusted contact"""
        contact = service.add_contact(me(), data)
        db.session.commit()
        return contact


@blp.route("/contacts/<uuid:contact_id>")
class ContactResource(MethodView):
    @operation("updateContact", 404, 409)
    @login_required()
    @blp.arguments(ContactSchema(partial=True))
    @blp.response(200, ContactSchema)
    def patch(self, data, contact_id: uuid.UUID):
        """Change a trusted contact (a new phone number restarts the invitation)"""
        contact = service.update_contact(me(), contact_id, data)
        db.session.commit()
        return contact

    @operation("deleteContact", 404)
    @login_required()
    @blp.response(204)
    def delete(self, contact_id: uuid.UUID):
        """Remove a trusted contact"""
        service.delete_contact(me(), contact_id)
        db.session.commit()


@blp.route("/guardian-invitations")
class Invitations(MethodView):
    @operation("listGuardianInvitations")
    @login_required()
    @blp.response(200, InvitationListSchema)
    def get(self):
        """Invitations to be someone's guardian"""
        return {"items": service.invitations_for(me())}


@blp.route("/guardian-invitations/<uuid:contact_id>/accept")
class Accept(MethodView):
    @operation("acceptGuardianInvitation", 404)
    @login_required()
    @blp.response(200, InvitationSchema)
    def post(self, contact_id: uuid.UUID):
        """Accept: you will get her alerts and may see her location while one is live"""
        contact = service.respond(me(), contact_id, accept=True)
        db.session.commit()
        return contact


@blp.route("/guardian-invitations/<uuid:contact_id>/decline")
class Decline(MethodView):
    @operation("declineGuardianInvitation", 404)
    @login_required()
    @blp.response(200, InvitationSchema)
    def post(self, contact_id: uuid.UUID):
        """Decline being her guardian"""
        contact = service.respond(me(), contact_id, accept=False)
        db.session.commit()
        return contact
