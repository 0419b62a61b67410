"""Monitoring receivers as platform admins set them and the organisation's admins see them (the
key goes in, never out), and the events delivered to a station."""

import ipaddress
import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from safety.fields import Computed, ComputedDateTime, ComputedString, Patchable, Text
from safety.i18n import _l
from safety.notify.channels import dc09
from safety.pagination import PageSchema


class ComputedBoolean(Computed, fields.Boolean):
    pass


class ComputedInteger(Computed, fields.Integer):
    pass


class ComputedList(Computed, fields.List):
    def __init__(self, get, inner, **kwargs):
        super().__init__(get, cls_or_instance=inner, **kwargs)


PRIORITIES = (1, 5)  # 1 primary, 2 secondary, ... at most five receivers
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
                       r"(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")
HEX_KEY_DIGITS = tuple(2 * n for n in dc09.KEY_BYTES)  # 32, 48, 64


def _host(value: str) -> None:
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise ValidationError(_l("A host name or an IP address, without a scheme, port "
                                     "or path."))


def key_bytes(key: str, key_format: str) -> bytes:
    """The AES key from what an admin typed: hex digits (32, 48 or 64: DC-09's 128, 192 and
    256 bits), or `text` (16, 24 or 32 characters taken as they are, as Ajax panels and
    pysiaalarm take a key)."""
    if key_format == "text":
        if len(key) not in dc09.KEY_BYTES or not key.isascii() or not key.isprintable():
            raise ValidationError(_l("A text key is 16, 24 or 32 printable ASCII "
                                         "characters."), "key")
        return key.encode("ascii")
    if len(key) not in HEX_KEY_DIGITS or not re.fullmatch(r"[0-9A-Fa-f]+", key):
        raise ValidationError(_l("A key is 32, 48 or 64 hexadecimal digits (AES-128, "
                                     "-192 or -256)."), "key")
    return bytes.fromhex(key)


class ReceiverSchema(Patchable):
    """A monitoring receiver (an alarm receiving centre reached over SIA DC-09)."""

    id = fields.UUID(dump_only=True)
    org_id = fields.UUID(dump_only=True)
    priority = fields.Integer(required=True, validate=validate.Range(*PRIORITIES), metadata={
        "description": "1: the primary receiver; 2: the secondary; ... Events go to the "
                       "enabled receivers in this order until one acknowledges."})
    label = Text(allow_none=True, validate=validate.Length(max=100))
    host = fields.String(required=True, validate=[validate.Length(min=1, max=253), _host])
    port = fields.Integer(required=True, validate=validate.Range(1, 65535))
    transport = fields.String(load_default="tcp", validate=validate.OneOf(("tcp", "udp")))
    receiver_number = fields.String(load_default="0", validate=validate.Regexp(
        r"^[0-9A-Fa-f]{1,6}$", error=_l("1 to 6 hexadecimal digits.")), metadata={
        "description": "The receiver number (the R field), hex."})
    line_prefix = fields.String(load_default="0", validate=validate.Regexp(
        r"^[0-9A-Fa-f]{1,6}$", error=_l("1 to 6 hexadecimal digits.")), metadata={
        "description": "The line prefix (the L field), hex."})
    account = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9A-Fa-f]{3,16}$", error=_l("An account number is 3 to 16 hexadecimal "
                                             "digits.")), metadata={
        "description": "The account the station knows this service by (the # field)."})
    key = fields.String(load_only=True, allow_none=True, metadata={
        "description": "The AES key (null: unencrypted). Never answered. See key_format."})
    key_format = fields.String(load_only=True, validate=validate.OneOf(("hex", "text")),
                               metadata={"description": "hex (default): 32, 48 or 64 hex "
                                         "digits; text: 16, 24 or 32 characters as they are."})
    encrypted = ComputedBoolean(lambda row: row.key_sealed is not None, dump_only=True,
                                metadata={"description": "Whether a key is set (the key "
                                          "itself is never answered)."})
    key_bits = fields.Integer(dump_only=True, allow_none=True)
    extended_data = fields.String(load_default="single", validate=validate.OneOf(
        dc09.EXTENDED_DATA), metadata={
        "description": "single (default): one [L<lat>,<lon> <link>] block, which every "
                       "receiver we know reads; standard: DC-09's [X<lon>][Y<lat>][V<link>] "
                       "blocks, for consoles that read several and map X and Y; none."})
    enabled = fields.Boolean(load_default=True)
    clock_offset_s = fields.Float(dump_only=True, metadata={
        "description": "The receiver's clock against ours, learnt from its NAKs."})
    last_ack_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_error = fields.String(dump_only=True, allow_none=True)
    last_error_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)

    @validates_schema
    def _key_format_with_key(self, data, **kwargs):
        if "key_format" in data and not data.get("key"):
            raise ValidationError(_l("key_format goes with a key."), "key_format")

    @post_load
    def _shape(self, data, **kwargs):
        key_format = data.pop("key_format", "hex")
        if data.get("key") is not None:
            data["key"] = key_bytes(data["key"], key_format)
        for name in ("account", "receiver_number", "line_prefix"):
            if name in data:
                data[name] = data[name].upper()
        return data


class ReceiverListSchema(Schema):
    """Not paged: at most five receivers per organisation."""

    items = fields.List(fields.Nested(ReceiverSchema))


class StationEventArgs(Schema):
    alert_id = fields.UUID(load_default=None, metadata={
        "description": "Only the events of this alert."})


class StationTrySchema(Schema):
    receiver_id = fields.String()
    seq = fields.Integer(metadata={"description": "The DC-09 sequence number sent."})
    answer = fields.String(metadata={"description": "ACK, NAK, DUH, RSP, invalid or error."})
    detail = fields.String()
    at = fields.String()


def _payload(name):
    return lambda job: (job.payload or {}).get(name)


def _result(name):
    return lambda job: (job.result or {}).get(name)


def _contact_id(job) -> str:
    p = job.payload or {}
    return f"{p.get('qualifier')}{p.get('code')} {p.get('group')} {p.get('zone')}"


class StationEventSchema(Schema):
    """One event for the organisation's monitoring station and how its delivery went."""

    id = fields.UUID()
    event = ComputedString(_payload("event"), metadata={
        "description": "panic, timer, duress, unassigned, restore or link_test."})
    contact_id = ComputedString(_contact_id, metadata={
        "description": "Q EEE GG ZZZ as sent: qualifier (1 new, 3 restore), event code, "
                       "group, zone (the alert's number)."})
    alert_id = fields.UUID(allow_none=True)
    alert_number = ComputedInteger(_payload("number"), allow_none=True, metadata={
        "description": "The alert's short number (the zone)."})
    status = fields.String(metadata={
        "description": "pending, sending, sent (acknowledged), failed (given up), canceled"})
    attempts = fields.Integer()
    created_at = fields.AwareDateTime()
    delivered_at = ComputedDateTime(
        lambda job: job.finished_at if job.status == "sent" else None, allow_none=True)
    delivered_to = ComputedString(_result("delivered_to"), allow_none=True, metadata={
        "description": "The receiver that acknowledged it."})
    last_error = fields.String(allow_none=True)
    tries = ComputedList(lambda job: (job.result or {}).get("tries") or [],
                         fields.Nested(StationTrySchema), metadata={
                             "description": "Each message sent and its answer, oldest first "
                                            "(the last 20)."})


class StationEventListSchema(PageSchema):
    items = fields.List(fields.Nested(StationEventSchema))
