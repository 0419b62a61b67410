"""What silent replies take and answer. A quick reply's text is rendered in the reader's
language (the request's: `Accept-Language`, else the account's locale); a message's sender is
named per viewer (responders and org admins never see a guardian's name)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from safety.fields import ComputedString
from safety.messages.models import TEXT_MAX
from safety.messages.replies import CODES, QUICK_REPLIES
from safety.pagination import PageSchema

STAFF = ("responder", "org_admin")
# control characters but the line break; line and paragraph separators; direction
# embeddings, overrides and isolates (they make a text read differently from what it says);
# lone surrogates (JSON lets "\ud800" through; no database can store it)
_REFUSED = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class MessageText(fields.String):
    """Free text a person typed: `\\r\\n` and `\\r` become line breaks, surrounding whitespace
    is dropped, then 1 to TEXT_MAX characters with no other control characters."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=TEXT_MAX), metadata={
            "minLength": 1, "maxLength": TEXT_MAX, "pattern": r"\S",
            "description": f"1 to {TEXT_MAX} characters after surrounding whitespace is "
                           "dropped; line breaks allowed, other control characters and "
                           "direction overrides not."}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            raise ValidationError("Must not be blank.")
        if _REFUSED.search(text):
            raise ValidationError("Must not contain control characters (other than line "
                                  "breaks), direction overrides or lone surrogates.")
        return text


class MessageInSchema(Schema):
    """A quick reply by `code`, or free `text`: exactly one of them."""

    OPENAPI_RULES = {"oneOf": [
        {"required": ["code"], "properties": {"code": {"type": "string"}}},
        {"required": ["text"], "properties": {"text": {"type": "string"}}},
    ]}

    code = fields.String(allow_none=True, validate=validate.OneOf(CODES), metadata={
        "description": "A quick reply's code (GET /api/v1/quick-replies)."})
    text = MessageText(allow_none=True)
    client_id = fields.UUID(allow_none=True, metadata={
        "description": "Made by the phone once per message; a retry with it answers the "
                       "message already stored (200) and pushes nothing again."})

    @validates_schema
    def _one(self, data, **kwargs):
        if (data.get("code") is None) == (data.get("text") is None):
            raise ValidationError("Give either code or text.", "text")


def _text(seen) -> str:
    message = seen.message
    return str(QUICK_REPLIES[message.code].text) if message.code else message.text


def _from_name(seen) -> str | None:
    if seen.role in STAFF and seen.message.sender_role == "guardian":
        return None
    return seen.message.sender.full_name


class MessageSchema(Schema):
    """Dumps `safety.messages.service.Seen`."""

    id = fields.UUID(attribute="message.id")
    kind = ComputedString(lambda seen: "quick_reply" if seen.message.code else "text",
                          metadata={"description": "quick_reply or text"})
    code = fields.String(attribute="message.code", allow_none=True)
    text = ComputedString(_text, metadata={
        "description": "The free text, or the quick reply in the reader's language."})
    from_role = fields.String(attribute="message.sender_role", metadata={
        "description": "owner (her), guardian or responder"})
    from_name = ComputedString(_from_name, allow_none=True, metadata={
        "description": "The sender's name; null for a guardian when a responder or org admin "
                       "reads."})
    mine = fields.Boolean(metadata={"description": "You sent it."})
    held = fields.Boolean(attribute="message.held", metadata={
        "description": "Sent while her phone shows the alert canceled after a duress cancel: "
                       "not shown or pushed to her. From her (from_role owner): typed on her "
                       "phone after the duress cancel, so it may not be her. Not shown to her."})
    created_at = fields.AwareDateTime(attribute="message.created_at")

    @post_dump(pass_original=True)
    def _not_for_owner(self, data: dict, seen, **kwargs) -> dict:
        if seen.role == "owner":
            data.pop("held", None)
        return data


class MessagePageSchema(PageSchema):
    items = fields.List(fields.Nested(MessageSchema))


class QuickReplySchema(Schema):
    code = fields.String()
    text = ComputedString(lambda reply: str(reply.text), metadata={
        "description": "In your language (Accept-Language, else your account's locale)."})
    senders = fields.List(fields.String(), metadata={
        "description": "Who may send it: owner (her), or guardian and responder."})


class QuickReplyListSchema(Schema):
    items = fields.List(fields.Nested(QuickReplySchema))
