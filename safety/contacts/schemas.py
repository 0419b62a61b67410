from marshmallow import Schema, fields, validate

from safety.fields import ComputedBoolean, Patchable, Phone, Text
from safety.i18n import LOCALES


class ContactSchema(Patchable):
    id = fields.UUID(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    phone = Phone(required=True)
    relation = fields.String(validate=validate.Length(max=60), allow_none=True)
    locale = fields.String(validate=validate.OneOf(LOCALES), metadata={
        "description": "The language of the SMS this contact gets while they have no account "
                       "(kk, ru or en; default: yours). A contact with an account reads in "
                       "the account's language."})
    status = fields.String(dump_only=True, metadata={
        "description": "Guardian invitation: pending, accepted or declined."})
    is_guardian = ComputedBoolean(lambda contact: contact.counts_as_guardian, dump_only=True,
                                  metadata={"description": (
        "Accepted by the verified holder of this number: gets push alerts. False while the "
        "account that accepted has not verified the number (the contact then gets SMS, like "
        "one without the app).")})
    created_at = fields.AwareDateTime(dump_only=True)


class ContactListSchema(Schema):
    """Not paged: she has at most MAX_CONTACTS (10)."""

    items = fields.List(fields.Nested(ContactSchema))


class InviterSchema(Schema):
    id = fields.UUID()
    full_name = fields.String()
    phone = fields.String()


class InvitationSchema(Schema):
    id = fields.UUID()
    relation = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.AwareDateTime()
    inviter = fields.Nested(InviterSchema, attribute="owner")


class InvitationListSchema(Schema):
    """Not paged: the invitations to one number."""

    items = fields.List(fields.Nested(InvitationSchema))
