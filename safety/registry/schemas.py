from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from safety.fields import Patchable, Phone, Text
from safety.i18n import _, _l
from safety.pagination import PageSchema
from safety.registry import iin as iin_mod
from safety.registry.models import CATEGORIES, LEGAL_BASES, PURPOSES
from safety.registry.rules import entry_rules


class EntrySchema(Patchable):
    id = fields.UUID(dump_only=True)
    full_name = Text(required=True, validate=validate.Length(min=3, max=300))
    birth_date = fields.Date(load_default=None)
    iin = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{12}$",
                                                                  error=iin_mod.IIN_DIGITS))
    phone = Phone(allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    decided_on = fields.Date(required=True)
    authority = Text(required=True, validate=validate.Length(min=2, max=300))
    case_reference = fields.String(allow_none=True, validate=validate.Length(max=200))
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    consent_reference = fields.String(allow_none=True, validate=validate.Length(max=200))
    expires_on = fields.Date(required=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    deleted_at = fields.AwareDateTime(dump_only=True, allow_none=True)

    @validates_schema
    def _rules(self, data, partial=False, **kwargs):
        if partial:
            return  # PATCH: checked on the whole entry, stored and changed (service.update_entry)
        errors = entry_rules(data)
        if errors:
            raise ValidationError(errors)
        if not data.get("birth_date") and data.get("iin"):
            data["birth_date"] = iin_mod.parse(data["iin"])[0]


class EntryListArgs(Schema):
    include_deleted = fields.Boolean(load_default=False)
    q = fields.String(load_default=None, validate=validate.Length(max=300), metadata={
        "description": "Search: an IIN (12 digits) or its beginning (6-11 digits), a phone, "
                       "words of the name (each the beginning of a word, in any spelling), or "
                       "a case or consent reference."})


class EntryListSchema(PageSchema):
    items = fields.List(fields.Nested(EntrySchema))


class CheckSchema(Schema):
    full_name = Text(required=True, validate=validate.Length(min=3, max=300))
    birth_date = fields.Date(allow_none=True)
    iin = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{12}$",
                                                                  error=iin_mod.IIN_DIGITS))
    phone = Phone(allow_none=True)
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    consent = fields.Boolean(required=True, load_only=True, validate=validate.Equal(
        True, error=_l("Checks are made only with consent to the terms (consent: true).")))

    @validates_schema
    def _iin(self, data, **kwargs):
        if data.get("iin"):
            try:
                born, _sex = iin_mod.parse(data["iin"])
            except ValueError as exc:
                raise ValidationError(str(exc), "iin") from exc
            if data.get("birth_date") is not None and data["birth_date"] != born:
                raise ValidationError(_("The birth date does not agree with the IIN."),
                                      "birth_date")


class MatchSchema(Schema):
    """A matched entry as the person checking sees it: its category and dates, nothing else
    (never names, references or phones)."""

    category = fields.String()
    decided_on = fields.Date()
    expires_on = fields.Date()


class CheckResultSchema(Schema):
    id = fields.UUID()
    result = fields.String(metadata={"description": "no_match, possible_match or match"})
    matches = fields.List(fields.Nested(MatchSchema))
    created_at = fields.AwareDateTime()


class CheckHistorySchema(Schema):
    id = fields.UUID()
    full_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    purpose = fields.String()
    result = fields.String()
    created_at = fields.AwareDateTime()


class CheckHistoryListSchema(PageSchema):
    items = fields.List(fields.Nested(CheckHistorySchema))


class CheckAuditSchema(CheckHistorySchema):
    user_id = fields.UUID()
    iin = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    match_count = fields.Integer()


class CheckAuditListSchema(PageSchema):
    items = fields.List(fields.Nested(CheckAuditSchema))


class AuditSchema(Schema):
    id = fields.UUID()
    actor_id = fields.UUID(allow_none=True)
    action = fields.String()
    entry_id = fields.UUID(allow_none=True)
    changes = fields.Dict()
    created_at = fields.AwareDateTime()


class AuditListSchema(PageSchema):
    items = fields.List(fields.Nested(AuditSchema))
