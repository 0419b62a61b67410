import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety import imports
from safety.auth import login_required, me
from safety.extensions import db
from safety.openapi import operation
from safety.pagination import paginated
from safety.registry import service
from safety.registry.models import RegistryAudit, RegistryCheck, RegistryEntry
from safety.registry.schemas import (
    AuditListSchema,
    CheckAuditListSchema,
    CheckHistoryListSchema,
    CheckResultSchema,
    CheckSchema,
    EntryListArgs,
    EntryListSchema,
    EntrySchema,
)

blp = Blueprint("registry", __name__, url_prefix="/api/v1/registry",
                description="Consented offender registry")


@blp.route("/entries")
class Entries(MethodView):
    @operation("createRegistryEntry")
    @login_required("admin")
    @blp.arguments(EntrySchema)
    @blp.response(201, EntrySchema)
    def post(self, data):
        """Add a registry entry"""
        entry = service.create_entry(me(), data)
        db.session.commit()
        return entry

    @operation("listRegistryEntries")
    @login_required("admin")
    @blp.arguments(EntryListArgs, location="query")
    @blp.response(200, EntryListSchema)
    @paginated(blp, RegistryEntry)
    def get(self, args):
        """Registry entries, newest first"""
        return service.list_entries(args["include_deleted"], args["q"])


@blp.route("/entries/<uuid:entry_id>")
class EntryResource(MethodView):
    @operation("getRegistryEntry", 404)
    @login_required("admin")
    @blp.response(200, EntrySchema)
    def get(self, entry_id: uuid.UUID):
        """A registry entry"""
        return service.get_entry(entry_id)

    @operation("updateRegistryEntry", 404)
    @login_required("admin")
    @blp.arguments(EntrySchema(partial=True))
    @blp.response(200, EntrySchema)
    def patch(self, data, entry_id: uuid.UUID):
        """Change a registry entry (audited)"""
        entry = service.update_entry(me(), entry_id, data)
        db.session.commit()
        return entry

    @operation("deleteRegistryEntry", 404)
    @login_required("admin")
    @blp.response(204)
    def delete(self, entry_id: uuid.UUID):
        """Remove a registry entry (kept, marked deleted; audited)"""
        service.delete_entry(me(), entry_id)
        db.session.commit()


@blp.route("/entries/import")
class Import(MethodView):
    @operation("importRegistryEntries")
    @login_required("admin")
    @blp.arguments(imports.ImportArgs, location="query")
    @blp.arguments(imports.FileSchema, location="files")
    @blp.response(200, imports.ImportReportSchema)
    @blp.doc(**imports.upload_doc("text/csv"))
    def post(self, args, files):
        """Import entries from CSV: a report per row"""
        raw, _name = imports.read_upload(files)
        report = service.import_csv(me(), raw, EntrySchema(), args["all_or_nothing"])
        imports.refuse_uncommitted(report)
        db.session.commit()
        return report


@blp.route("/checks")
class Checks(MethodView):
    @operation("checkRegistry", 429)
    @login_required()
    @blp.arguments(CheckSchema)
    @blp.response(201, CheckResultSchema)
    def post(self, data):
        """Check a person against the registry (with a purpose and consent)"""
        record = service.check(me(), data)
        db.session.commit()
        return record

    @operation("listMyRegistryChecks")
    @login_required()
    @blp.response(200, CheckHistoryListSchema)
    @paginated(blp, RegistryCheck)
    def get(self):
        """Your own checks"""
        return service.checks_of(me())


@blp.route("/audit/checks")
class CheckAudit(MethodView):
    @operation("listRegistryCheckAudit")
    @login_required("admin")
    @blp.response(200, CheckAuditListSchema)
    @paginated(blp, RegistryCheck)
    def get(self):
        """Every check made: who, why, what they asked, what they were told"""
        return service.all_checks()


@blp.route("/audit/entries")
class EntryAudit(MethodView):
    @operation("listRegistryEntryAudit")
    @login_required("admin")
    @blp.response(200, AuditListSchema)
    @paginated(blp, RegistryAudit)
    def get(self):
        """Every change to the registry: who, what, when"""
        return service.audit_log()


