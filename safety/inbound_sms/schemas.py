"""What the providers send (providers.py loads these after the signature is checked)."""

from marshmallow import EXCLUDE, Schema, fields, validate

# The longest message a provider joins from parts (Twilio: 1,600 characters). A longer text is
# cut, not refused: an SOS must not fail for what follows it. The body itself is bounded by
# SMS_INBOUND_MAX_BYTES.
TEXT_MAX = 1600


class GenericSchema(Schema):
    """Our own format: `{"id", "from", "text"}`; other members are ignored."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(1, 100), metadata={
        "description": "The provider's id of the message: a redelivery repeats it."})
    from_ = fields.String(required=True, data_key="from", attribute="from",
                          validate=validate.Length(1, 32))
    text = fields.String(required=True)


class TwilioSchema(Schema):
    """The members of Twilio's incoming-message request that we read; it sends more."""

    class Meta:
        unknown = EXCLUDE

    MessageSid = fields.String(required=True, validate=validate.Length(1, 100))
    From = fields.String(required=True, validate=validate.Length(1, 32))
    Body = fields.String(load_default="")
