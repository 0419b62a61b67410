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
from safety.openapi import BodyErrorsPlugin


class Base(DeclarativeBase):
    pass


class SafetyApi(Api):
    """flask-smorest Api whose HTTP errors are problem+json (see errors.py), and documented so:
    every error response in the OpenAPI document is `application/problem+json` with the
    problem's real shape, instead of flask-smorest's `{code, status, message}` JSON."""

    ERROR_SCHEMA = ProblemSchema

    # What an error response means here, where the status phrase alone does not say it.
    ERROR_DESCRIPTIONS = {
        400: "The body is not JSON, or is nested deeper than 32 levels.",
        401: "No valid token: missing, expired, or its session ended.",
        403: "Your account may not do this (a role it lacks), or a PIN was wrong or is "
             "locked (`attempts_left`, `locked_until`).",
        404: "Not found, or not yours: the server never says that someone else's object "
             "exists.",
        409: "The object is not in a state that allows this (see the problem's detail).",
        413: "The request body is larger than the server accepts.",
        415: "A body was sent without a JSON content type: send "
             "`Content-Type: application/json`.",
        422: "The request is not valid: `errors` names each field and what is wrong with it.",
        429: "Too many requests: wait the seconds `Retry-After` says before trying again.",
    }
    RETRY_AFTER = {"description": "Seconds to wait before trying again.",
                   "schema": {"type": "integer", "minimum": 0}}

    def handle_http_exception(self, error):
        return problem_from_http_exception(error)

    def _register_responses(self):
        # flask-smorest's own version, with the problem+json content type.
        for status in HTTPStatus:
            response = {"description": self.ERROR_DESCRIPTIONS.get(status, status.phrase)}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            if status == 429:
                response["headers"] = {"Retry-After": self.RETRY_AFTER}
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: see the problem's status and detail.",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _register_pagination_header(self):
        # flask-smorest's pagination (an X-Pagination header, the PaginationMetadata schema)
        # is not used: our lists page with `next_cursor` (safety/pagination.py).
        pass


class SafetyConverter(OpenAPIConverter):
    """Rules of our schemas that apispec does not write by itself: a PATCH body must change
    something (`minProperties: 1`, see fields.Patchable), and cross-field rules a schema
    states in OPENAPI_RULES (e.g. `oneOf`: due_at xor duration_s).

    And null the way code generators read it (OpenAPI 3.1): a nullable nested object is
    `anyOf: [{$ref}, {type: "null"}]` (apispec's own), which openapi-python-client makes
    `Model | None`; a nullable enum is `anyOf: [{type, enum}, {type: "null"}]` rather than
    `type: [string, "null"]` with null among its values (a union of several enum classes); a
    query or path parameter is never nullable (it is text or absent) and has no `default:
    null`."""

    def field2choices(self, field, **kwargs):
        attributes = super().field2choices(field, **kwargs)
        if None in attributes.get("enum", ()):
            attributes["enum"] = [value for value in attributes["enum"] if value is not None]
        return attributes

    def field2nullable(self, field, ret):
        if field.allow_none and "enum" in ret and "type" in ret:
            return {"anyOf": [{"type": ret.pop("type"), "enum": ret.pop("enum")},
                              {"type": "null"}]}
        return super().field2nullable(field, ret)

    def _field2parameter(self, field, *, name, location):
        parameter = super()._field2parameter(field, name=name, location=location)
        schema = parameter.get("schema", {})
        if isinstance(schema.get("type"), list):
            schema["type"] = next(t for t in schema["type"] if t != "null")
        if "default" in schema and schema["default"] is None:
            del schema["default"]
        return parameter

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
        schema_name_resolver=_schema_name), "extra_plugins": [BodyErrorsPlugin()]}
)
limiter = Limiter(key_func=get_remote_address)
