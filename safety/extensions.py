"""Extension objects, created unbound; `create_app` binds them."""

from http import HTTPStatus

from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import resolve_schema_cls, resolve_schema_instance
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from safety.errors import PROBLEM, ProblemSchema, problem_from_http_exception


class Base(DeclarativeBase):
    pass


class SafetyApi(Api):
    """flask-smorest Api whose HTTP errors are problem+json (see errors.py), and documented so:
    every error response in the OpenAPI document is `application/problem+json` with the
    problem's real shape, instead of flask-smorest's `{code, status, message}` JSON."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return problem_from_http_exception(error)

    def _register_responses(self):
        # flask-smorest's own version, with the problem+json content type.
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: see the problem's status and detail.",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class SafetyConverter(OpenAPIConverter):
    """Rules of our schemas that apispec does not write by itself: a PATCH body must change
    something (`minProperties: 1`, see fields.Patchable), and cross-field rules a schema
    states in OPENAPI_RULES (e.g. `oneOf`: due_at xor duration_s)."""

    def schema2jsonschema(self, schema):
        jsonschema = super().schema2jsonschema(schema)
        instance = resolve_schema_instance(schema)
        if getattr(instance, "PATCH_ONLY", False) or (
                hasattr(instance, "PATCH_ONLY") and instance.partial is True):
            jsonschema["minProperties"] = 1
        jsonschema.update(getattr(instance, "OPENAPI_RULES", {}))
        return jsonschema


class SafetyMarshmallowPlugin(MarshmallowPlugin):
    Converter = SafetyConverter


def _schema_name(schema) -> str:
    """OpenAPI component names; a PATCH (partial) body gets its own name."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
api = SafetyApi(
    spec_kwargs={"marshmallow_plugin": SafetyMarshmallowPlugin(
        schema_name_resolver=_schema_name)}
)
limiter = Limiter(key_func=get_remote_address)
