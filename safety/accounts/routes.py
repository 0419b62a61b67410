from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from safety.accounts import phones, service, throttles
from safety.accounts.schemas import (
    AccessTokenSchema,
    AccountPhoneCodeRequestSchema,
    DeviceSchema,
    LoginSchema,
    PhoneChangeSchema,
    PhoneCodeRequestSchema,
    PhoneCodeSentSchema,
    PhoneVerifySchema,
    PinSchema,
    RegisterSchema,
    TokensSchema,
    UserSchema,
    UserUpdateSchema,
)
from safety.auth import login_required, me, session_id
from safety.errors import DomainError, Invalid
from safety.extensions import db, limiter
from safety.i18n import _l, accepted_locale, current_locale
from safety.openapi import operation

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and devices")


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _code_limit() -> str:
    return current_app.config["PHONE_CODE_RATE_LIMIT"]


def _code_check_limit() -> str:
    return current_app.config["PHONE_CODE_CHECK_RATE_LIMIT"]


# One per-address budget for every "send me a code" endpoint.
_codes_sent = limiter.shared_limit(_code_limit, scope="phone-codes")


@blp.route("/auth/phone-codes")
class PhoneCodes(MethodView):
    decorators = [_codes_sent]

    @operation("requestPhoneCode", 429)
    @blp.doc(security=[])
    @blp.arguments(PhoneCodeRequestSchema)
    @blp.response(202, PhoneCodeSentSchema)
    def post(self, data):
        """Send a one-time code by SMS to the number you register with"""
        sent = phones.request_code(data["phone"], data["purpose"],
                                   locale=data.get("locale") or current_locale())
        db.session.commit()
        return sent


@blp.route("/auth/register")
class Register(MethodView):
    decorators = [limiter.limit(_register_limit)]

    @operation("register", 409, 429)
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Create an account"""
        data.setdefault("locale", accepted_locale() or "kk")
        user = service.register(**data)
        db.session.commit()  # a tried code counts even though the answer is an error
        if isinstance(user, DomainError):
            raise user
        return user


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [throttles.login_attempts]

    @operation("login", 401, 429)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Log in and get an access and a refresh token"""
        tokens = service.login(data["phone"], data["password"])
        db.session.commit()
        return tokens


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @operation("refreshToken")
    @login_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Get a new access token (present the refresh token)"""
        return service.refresh(me(), session_id())


@blp.route("/auth/logout")
class Logout(MethodView):
    @operation("logout")
    @login_required()
    @blp.response(204)
    def post(self):
        """Revoke the presented token and its refresh pair"""
        service.logout(session_id())
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @operation("getMe")
    @login_required()
    @blp.response(200, UserSchema)
    def get(self):
        """Your account"""
        return me()

    @operation("updateMe", 429)
    @login_required()
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Change your name, language, time zone, notifications or password"""
        user = service.update_me(me(), data, session_id())
        db.session.commit()
        return user


@blp.route("/me/phone-codes")
class AccountPhoneCodes(MethodView):
    decorators = [_codes_sent]

    @operation("requestAccountPhoneCode", 409, 429)
    @login_required()
    @blp.arguments(AccountPhoneCodeRequestSchema)
    @blp.response(202, PhoneCodeSentSchema)
    def post(self, data):
        """Send a one-time code by SMS: to a new number, or to your own to verify it"""
        sent = service.request_account_code(me(), data["purpose"], data.get("phone"),
                                            data.get("locale") or current_locale())
        db.session.commit()
        return sent


@blp.route("/me/phone")
class AccountPhone(MethodView):
    decorators = [limiter.limit(_code_check_limit)]

    @operation("changePhone", 409, 429)
    @login_required()
    @blp.arguments(PhoneChangeSchema)
    @blp.response(200, UserSchema)
    def post(self, data):
        """Change your phone number (a code sent to the new one, and your password)"""
        user = service.change_phone(me(), data["phone"], data["code"], data["current_password"])
        db.session.commit()  # a tried code counts even though the answer is an error
        if isinstance(user, DomainError):
            raise user
        return user


@blp.route("/me/phone/verify")
class AccountPhoneVerify(MethodView):
    decorators = [limiter.limit(_code_check_limit)]

    @operation("verifyPhone", 409, 429)
    @login_required()
    @blp.arguments(PhoneVerifySchema)
    @blp.response(200, UserSchema)
    def post(self, data):
        """Verify your current phone number with the code sent to it"""
        user = service.verify_phone(me(), data["code"])
        db.session.commit()  # a tried code counts even though the answer is an error
        if isinstance(user, DomainError):
            raise user
        return user



@blp.route("/me/pin")
class Pin(MethodView):
    @operation("setPin", 403)
    @login_required()
    @blp.arguments(PinSchema)
    @blp.response(204)
    def put(self, data):
        """Set your PIN and, optionally, a duress PIN (needs the current PIN or password)"""
        refusal = service.change_pin(me(), data)
        db.session.commit()  # a wrong answer counts even though the answer is an error
        if refusal is not None:
            raise refusal.forbidden(
                _l("Too many wrong PINs: changing the PIN is locked for a while.")
                if refusal.what == "PIN" else
                _l("Too many wrong passwords: changing the PIN is locked for a while."))


@blp.route("/me/devices/<string:installation_id>")
class DeviceResource(MethodView):
    @operation("registerDevice")
    @login_required()
    @blp.arguments(DeviceSchema)
    @blp.response(200, DeviceSchema)
    def put(self, data, installation_id):
        """Register or update this phone's push token"""
        if not 1 <= len(installation_id) <= 200:
            raise Invalid("installation_id", _l("An installation id is 1 to 200 characters."))
        device, _created = service.upsert_device(me(), installation_id, data)
        db.session.commit()
        return device

    @operation("deleteDevice", 404)
    @login_required()
    @blp.response(204)
    def delete(self, installation_id):
        """Forget this phone's push token"""
        service.delete_device(me(), installation_id)
        db.session.commit()
