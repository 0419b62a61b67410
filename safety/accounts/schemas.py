from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from safety.fields import ComputedBoolean, JsonBoolean, Patchable, Phone, Text
from safety.i18n import LOCALES, TIME_ZONES, _, _l

PIN = validate.Regexp(r"^\d{4,8}$", error=_l("A PIN is 4 to 8 digits."))
CODE = validate.Regexp(r"^\d{6}$", error=_l("The code is the 6 digits sent by SMS."))


class UserSchema(Schema):
    id = fields.UUID(dump_only=True)
    phone = fields.String(dump_only=True)
    full_name = fields.String(dump_only=True)
    locale = fields.String(dump_only=True, metadata={
        "description": "The language of what she receives (push, SMS) and of API answers "
                       "without Accept-Language: kk, ru or en."})
    time_zone = fields.String(dump_only=True, metadata={
        "description": "The time zone times are shown in, in what she receives."})
    discreet_notifications = fields.Boolean(dump_only=True, metadata={
        "description": "Pushes to her show only neutral words on the lock screen; the real "
                       "title and body travel in the push's data."})
    share_phone_with_contacts = fields.Boolean(dump_only=True, metadata={
        "description": "Her SMS contacts' tracking page shows her number with \"Call her\"."})
    roles = fields.List(fields.String(), dump_only=True)
    has_pin = ComputedBoolean(lambda user: user.pin_hash is not None, dump_only=True,
                              metadata={"description": "Whether she has set a PIN."})
    phone_verified = ComputedBoolean(
        lambda user: user.phone_verified_at is not None, dump_only=True, metadata={
            "description": "Whether the number was proven by an SMS code. Until it is, the "
                           "account sees no guardian or organisation invitations."})
    created_at = fields.AwareDateTime(dump_only=True)


class RegisterSchema(Schema):
    phone = Phone(required=True)
    code = fields.String(required=True, load_only=True, validate=CODE, metadata={
        "description": "The code sent by SMS (POST /auth/phone-codes, purpose register)."})
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=128)
    )
    full_name = Text(required=True, validate=validate.Length(min=1, max=200))
    locale = fields.String(validate=validate.OneOf(LOCALES), metadata={
        "description": "kk, ru or en. Default: the request's Accept-Language if it names one "
                       "of them, else kk."})


class LoginSchema(Schema):
    phone = Phone(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    user = fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()


class UserUpdateSchema(Patchable):
    PATCH_ONLY = True

    full_name = Text(validate=validate.Length(min=1, max=200))
    locale = fields.String(validate=validate.OneOf(LOCALES))
    time_zone = fields.String(validate=validate.OneOf(TIME_ZONES), metadata={
        "description": "One of Kazakhstan's time zones (Asia/Almaty, Asia/Aqtobe, Asia/Oral, "
                       "Asia/Aqtau, Asia/Atyrau, Asia/Qyzylorda, Asia/Qostanay) or UTC."})
    discreet_notifications = fields.Boolean(metadata={
        "description": "true: pushes to her say only \"Reminder\" / \"Open the app\" on the "
                       "lock screen; the real texts are in the push's data."})
    share_phone_with_contacts = JsonBoolean(metadata={
        "description": "true: the tracking page her SMS contacts get during an alert offers "
                       "\"Call her\" with her (verified) number. Default false: her number is "
                       "never on that page (a link can be forwarded)."})
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=128))
    current_password = fields.String(load_only=True, validate=validate.Length(max=128))

    @validates_schema
    def _password_change(self, data, **kwargs):
        if "password" in data and not data.get("current_password"):
            raise ValidationError(_("Give your current password to set a new one."),
                                  "current_password")


class PinSchema(Schema):
    pin = fields.String(required=True, load_only=True, validate=PIN)
    duress_pin = fields.String(load_only=True, validate=PIN, allow_none=True)
    current_pin = fields.String(load_only=True, validate=PIN, metadata={
        "description": "Your current PIN; required once a PIN is set."})
    current_password = fields.String(load_only=True, validate=validate.Length(max=128),
                                     metadata={"description": "Your password; required to "
                                               "set the first PIN (while none is set)."})

    @validates_schema
    def _differs(self, data, **kwargs):
        if data.get("duress_pin") and data["duress_pin"] == data["pin"]:
            raise ValidationError(_("The duress PIN must differ from the PIN."), "duress_pin")


class DeviceSchema(Schema):
    installation_id = fields.String(dump_only=True)
    push_token = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    platform = fields.String(required=True, validate=validate.OneOf(("android", "ios", "web")))
    app_version = fields.String(validate=validate.Length(max=40), allow_none=True)
    active = ComputedBoolean(lambda device: device.retired_at is None, dump_only=True,
                             metadata={"description": "False once push gave up on its token."})
    updated_at = fields.AwareDateTime(dump_only=True)


def _code_locale() -> fields.String:
    return fields.String(validate=validate.OneOf(LOCALES), metadata={
        "description": "The language of the SMS: kk, ru or en. Default: the request's "
                       "Accept-Language, else (a signed-in request) the account's language."})


class PhoneCodeRequestSchema(Schema):
    phone = Phone(required=True)
    locale = _code_locale()
    purpose = fields.String(load_default="register", validate=validate.OneOf(("register",)),
                            metadata={"description": "register. Changing or verifying the "
                                      "number of an account: POST /me/phone-codes."})


class AccountPhoneCodeRequestSchema(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(("change_phone", "verify")),
                            metadata={"description": "change_phone: a code to the new `phone`; "
                                      "verify: a code to the account's own number."})
    phone = Phone(metadata={"description": "The new number (change_phone only)."})
    locale = _code_locale()

    @validates_schema
    def _phone_for_change(self, data, **kwargs):
        if data["purpose"] == "change_phone" and "phone" not in data:
            raise ValidationError(_("Give the new phone number."), "phone")
        if data["purpose"] == "verify" and "phone" in data:
            raise ValidationError(_("A verify code goes to your own number: give no phone."),
                                  "phone")


class PhoneCodeSentSchema(Schema):
    phone = fields.String(metadata={"description": "The number the code was sent to (E.164)."})
    purpose = fields.String()
    expires_in_s = fields.Integer()


class PhoneChangeSchema(Schema):
    phone = Phone(required=True)
    code = fields.String(required=True, load_only=True, validate=CODE)
    current_password = fields.String(required=True, load_only=True,
                                      validate=validate.Length(max=128))


class PhoneVerifySchema(Schema):
    code = fields.String(required=True, load_only=True, validate=CODE)
