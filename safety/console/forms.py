"""What the console's forms share: a schema's refusal as the API's (a 422 with the field's
messages in the operator's language), and those messages as lines to show beside each field."""

from __future__ import annotations

from safety.errors import VALIDATION_FAILED, DomainError
from safety.schema_messages import translate_tree


def invalid(messages) -> DomainError:
    """marshmallow's messages as the API answers them (safety.errors): 422, `errors` by field."""
    return DomainError(VALIDATION_FAILED, status=422, errors=translate_tree(messages))


def flat_errors(errors: dict | None) -> dict[str, list[str]]:
    """A field's messages as a list of lines, whatever marshmallow's shape (a message, a list,
    a list item's messages named by their position: "2: Not a phone number")."""
    out: dict[str, list[str]] = {}

    def walk(field: str, value, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(field, inner, f"{where}{int(key) + 1}: " if str(key).isdigit() else where)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(field, inner, where)
        else:
            out.setdefault(field, []).append(f"{where}{value}")

    for field, value in (errors or {}).items():
        walk(field, value, "")
    return out
