"""The OpenAPI document the app serves, read once at collection time, so that tests can be
parametrized over every operation it lists (including ones added later)."""

from __future__ import annotations

from functools import cache

from safety import create_app

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def served_document() -> dict:
    app = create_app(env={"SAFETY_ENV": "testing", "DATABASE_URL": "sqlite://"})
    return app.test_client().get("/api/v1/openapi.json").get_json()


def operations() -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) for every operation in the document."""
    doc = served_document()
    return [(method.upper(), path, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS]


def query_params(op: dict) -> dict[str, dict]:
    """name -> schema of an operation's query parameters."""
    return {p["name"]: p.get("schema", {}) for p in op.get("parameters", [])
            if p.get("in") == "query"}
