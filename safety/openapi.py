"""What the OpenAPI document says about each operation beyond its schemas: its `operationId`
and the errors it answers (docs/api-notes.md, "Operation ids and errors").

Code generators name a client's functions by `operationId`, and build a typed error model only
for the statuses an operation documents. Who documents which error:

- `login_required` (safety/auth.py): 401; 403 when it names roles.
- `@blp.arguments` (flask-smorest): 422.
- `BodyErrorsPlugin` below: 400 (not JSON, or nested too deep), 413 (over MAX_CONTENT_LENGTH)
  and 415 (not a JSON content type) for an operation that takes a JSON body; 413 for an upload.
- `@operation("raiseAlert", 404, 409)` on the view: the rest, from what its services raise
  (404 for an id that is not there or not yours, 409, 403 of a PIN, 429 of a limit).

Every one of them is `application/problem+json` with the `Problem` schema (components
`responses`, registered by `extensions.SafetyApi`); `default` covers what no operation lists
(500). tests/test_contract.py checks with schemathesis that no operation answers a status it
does not document.
"""

from __future__ import annotations

from copy import deepcopy
from http import HTTPStatus

from apispec import BasePlugin


def document_errors(fn, statuses) -> None:
    """Add error statuses to a view's flask-smorest doc (as `alt_response(s, response=NAME)`
    does, without a wrapper); a status already documented keeps its own description."""
    fn._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
    responses = fn._apidoc.setdefault("response", {}).setdefault("responses", {})
    for status in statuses:
        responses.setdefault(int(status), [HTTPStatus(int(status)).name])


def operation(operation_id: str, *errors: int):
    """A view's stable `operationId` (lowerCamelCase; generated clients name their function
    after it, so a rename breaks them: docs/api-notes.md lists every one) and the error
    statuses it answers besides the ones its other decorators document."""

    def decorator(fn):
        document_errors(fn, errors)
        manual = fn._apidoc.setdefault("manual_doc", {})
        manual["operationId"] = operation_id
        return fn

    return decorator


class BodyErrorsPlugin(BasePlugin):
    """Errors that every operation taking a request body can answer, whatever its view does:
    they come from the request layer (safety/hardening.py, safety/json_bodies.py, Flask's
    MAX_CONTENT_LENGTH) before the view runs."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            content = operation.get("requestBody", {}).get("content", {})
            if not content:
                continue
            statuses = [413]
            if "application/json" in content:
                statuses += [400, 415]
            responses = operation.setdefault("responses", {})
            documented = {str(code) for code in responses}
            for status in statuses:
                if str(status) not in documented:
                    responses[str(status)] = HTTPStatus(status).name
        for operation in (operations or {}).values():  # in order of status, `default` last
            operation["responses"] = dict(sorted(
                operation.get("responses", {}).items(),
                key=lambda item: (str(item[0]) == "default", str(item[0]))))
