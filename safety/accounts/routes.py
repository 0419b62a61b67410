from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from safety.accounts import service
from safety.accounts.schemas import (
    AccessTokenSchema,
    DeviceSchema,
    LoginSchema,
    PinSchema,
    RegisterSchema,
    TokensSchema,
    UserSchema,
    UserUpdateSchema,
)
from safety.auth import login_required, me
from safety.errors import Invalid
from safety.extensions import db, limiter

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and devices")


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/auth/register")
class Register(MethodView):
    decorators = [limiter.limit(_register_limit)]

    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Create an account"""
        user = service.register(**data)
        db.session.commit()
        return user


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [limiter.limit(_login_limit)]

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
    @login_required(refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Get a new access token (present the refresh token)"""
        return service.refresh(me())


@blp.route("/auth/logout")
class Logout(MethodView):
    @login_required()
    @blp.response(204)
    def post(self):
        """Revoke the presented token and its refresh pair"""
        service.logout()
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @login_required()
    @blp.response(200, UserSchema)
    def get(self):
        """Your account"""
        return me()

    @login_required()
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Change your name, language or password"""
        user = service.update_me(me(), data)
        db.session.commit()
        return user




@blp.route("/me/pin")
class Pin(MethodView):
    @login_required()
    @blp.arguments(PinSchema)
    @blp.response(204)
    def put(self, data):
        """Set your PIN and, optionally, a duress PIN"""
        service.set_pin(me(), data["pin"], data.get("duress_pin"))
        db.session.commit()


@blp.route("/me/devices/<string:installation_id>")
class DeviceResource(MethodView):
    @login_required()
    @blp.arguments(DeviceSchema)
    @blp.response(200, DeviceSchema)
    def put(self, data, installation_id):
        """Register or update this phone's push token"""
        if not 1 <= len(installation_id) <= 200:
            raise Invalid("installation_id", "An installation id is 1 to 200 characters.")
        device, _created = service.upsert_device(me(), installation_id, data)
        db.session.commit()
        return device

    @login_required()
    @blp.response(204)
    def delete(self, installation_id):
        """Forget this phone's push token"""
        service.delete_device(me(), installation_id)
        db.session.commit()
