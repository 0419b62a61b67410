"""Extension objects, created unbound; `create_app` binds them."""

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class SafetyApi(Api):
    """flask-smorest Api whose HTTP errors are problem+json (see errors.py)."""

    def handle_http_exception(self, error):
        from safety.errors import problem_from_http_exception  # noqa: PLC0415

        return problem_from_http_exception(error)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
api = SafetyApi()
limiter = Limiter(key_func=get_remote_address)
