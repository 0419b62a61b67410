import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.audit import AuditEvent
from safety.auth import login_required, me
from safety.extensions import db
from safety.openapi import operation
from safety.orgs import service
from safety.orgs.models import Organization
from safety.orgs.schemas import (
    MemberInSchema,
    MemberListSchema,
    MemberPatchSchema,
    MemberSchema,
    MyOrgInvitationListSchema,
    MyOrgInvitationSchema,
    OrgAuditListSchema,
    OrgInvitationSchema,
    OrgListSchema,
    OrgOutSchema,
    OrgSchema,
)
from safety.pagination import paginated

blp = Blueprint("orgs", __name__, url_prefix="/api/v1/orgs",
                description="Partner organisations (admins; org admins for their own)")
invitations_blp = Blueprint("org_invitations", __name__, url_prefix="/api/v1/me",
                            description="Invitations to join a partner organisation")


@blp.route("")
class Orgs(MethodView):
    @operation("createOrg")
    @login_required("admin")
    @blp.arguments(OrgSchema)
    @blp.response(201, OrgOutSchema)
    def post(self, data):
        """Register a partner organisation"""
        org = service.create_org(data, me())
        db.session.commit()
        return org

    @operation("listOrgs")
    @login_required("admin", "org_admin")
    @blp.response(200, OrgListSchema)
    @paginated(blp, Organization)
    def get(self):
        """Organisations you administer (all, for platform admins)"""
        return service.list_orgs(me())


@blp.route("/<uuid:org_id>")
class OrgResource(MethodView):
    @operation("getOrg", 404)
    @login_required()
    @blp.response(200, OrgOutSchema)
    def get(self, org_id: uuid.UUID):
        """An organisation"""
        return service.get_org(me(), org_id)

    @operation("updateOrg", 403, 404)
    @login_required()
    @blp.arguments(OrgSchema(partial=True))
    @blp.response(200, OrgOutSchema)
    def patch(self, data, org_id: uuid.UUID):
        """Change an organisation (org admins: only its phone; the rest is 403)"""
        org = service.update_org(me(), org_id, data)
        db.session.commit()
        return org


@blp.route("/<uuid:org_id>/audit")
class OrgAudit(MethodView):
    @operation("listOrgAudit", 404)
    @login_required("admin")
    @blp.response(200, OrgAuditListSchema)
    @paginated(blp, AuditEvent)
    def get(self, org_id: uuid.UUID):
        """Who changed the organisation, its members and settings (platform admins)"""
        return service.audit_events(org_id)


@blp.route("/<uuid:org_id>/members")
class Members(MethodView):
    @operation("inviteMember", 404)
    @login_required()
    @blp.arguments(MemberInSchema)
    @blp.response(202, OrgInvitationSchema)
    def post(self, data, org_id: uuid.UUID):
        """Invite a responder or org admin by phone (the role is theirs once they accept)"""
        invitation = service.invite_member(me(), org_id, data["phone"], data["role"])
        db.session.commit()
        return invitation

    @operation("listMembers", 404)
    @login_required()
    @blp.response(200, MemberListSchema)
    def get(self, org_id: uuid.UUID):
        """Members of the organisation, and invitations not answered yet"""
        return service.list_members(me(), org_id)


@blp.route("/<uuid:org_id>/members/<uuid:user_id>")
class Member(MethodView):
    @operation("updateMember", 404)
    @login_required()
    @blp.arguments(MemberPatchSchema)
    @blp.response(200, MemberSchema)
    def patch(self, data, org_id: uuid.UUID, user_id: uuid.UUID):
        """Set a responder's vehicle and badge (shown to her while they come)"""
        member = service.update_member(me(), org_id, user_id, data)
        db.session.commit()
        return member

    @operation("removeMember", 404)
    @login_required()
    @blp.response(204)
    def delete(self, org_id: uuid.UUID, user_id: uuid.UUID):
        """Remove a member"""
        service.remove_member(me(), org_id, user_id)
        db.session.commit()


@blp.route("/<uuid:org_id>/invitations/<uuid:invitation_id>")
class OrgInvitationResource(MethodView):
    @operation("withdrawOrgInvitation", 404)
    @login_required()
    @blp.response(204)
    def delete(self, org_id: uuid.UUID, invitation_id: uuid.UUID):
        """Withdraw an invitation"""
        service.withdraw_invitation(me(), org_id, invitation_id)
        db.session.commit()


@invitations_blp.route("/org-invitations")
class MyOrgInvitations(MethodView):
    @operation("listMyOrgInvitations")
    @login_required()
    @invitations_blp.response(200, MyOrgInvitationListSchema)
    def get(self):
        """Invitations to join an organisation (for a verified phone number)"""
        return {"items": service.invitations_for(me())}


@invitations_blp.route("/org-invitations/<uuid:invitation_id>/accept")
class AcceptOrgInvitation(MethodView):
    @operation("acceptOrgInvitation", 404, 409)
    @login_required()
    @invitations_blp.response(200, MyOrgInvitationSchema)
    def post(self, invitation_id: uuid.UUID):
        """Accept: you get the role in that organisation"""
        invitation = service.respond_invitation(me(), invitation_id, accept=True)
        db.session.commit()
        return invitation


@invitations_blp.route("/org-invitations/<uuid:invitation_id>/decline")
class DeclineOrgInvitation(MethodView):
    @operation("declineOrgInvitation", 404, 409)
    @login_required()
    @invitations_blp.response(200, MyOrgInvitationSchema)
    def post(self, invitation_id: uuid.UUID):
        """Decline an invitation to an organisation"""
        invitation = service.respond_invitation(me(), invitation_id, accept=False)
        db.session.commit()
        return invitation
