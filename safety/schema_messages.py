"""The messages marshmallow writes by itself ("Missing data for required field.", "Longer than
maximum length 200."), in our catalogues: `translate_tree` renders each of them in the request's
language where a 422 is answered (safety.errors) or an import reports its rows (safety.imports).

Our own validators' messages are lazy texts already (`error=_l(...)`, `ValidationError(_(...))`)
and pass through unchanged. tests/test_languages.py checks that every message marshmallow's
fields and validators can write on load is here, so that an upgrade that rewords one is caught.
"""

from __future__ import annotations

import re
from typing import Any

from safety.i18n import N_, gettext

# marshmallow's words, with its {placeholders}, and ours with %(placeholders)s.
MESSAGES = {
    # Schema
    "Unknown field.": N_("Unknown field."),
    "Invalid input type.": N_("Invalid input type."),
    # fields
    "Missing data for required field.": N_("Missing data for required field."),
    "Field may not be null.": N_("Field may not be null."),
    "Invalid value.": N_("Invalid value."),
    "Invalid type.": N_("Invalid type."),
    "Not a valid string.": N_("Not a valid string."),
    "Not a valid utf-8 string.": N_("Not a valid utf-8 string."),
    "Not a valid integer.": N_("Not a valid integer."),
    "Not a valid number.": N_("Not a valid number."),
    "Number too large.": N_("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.":
        N_("Special numeric values (nan or infinity) are not permitted."),
    "Not a valid boolean.": N_("Not a valid boolean."),
    "Not a valid UUID.": N_("Not a valid UUID."),
    "Not a valid list.": N_("Not a valid list."),
    "Not a valid tuple.": N_("Not a valid tuple."),
    "Not a valid mapping type.": N_("Not a valid mapping type."),
    "Not a valid date.": N_("Not a valid date."),
    "Not a valid time.": N_("Not a valid time."),
    "Not a valid datetime.": N_("Not a valid datetime."),
    "Not a valid aware datetime.": N_("Not a valid aware datetime."),
    "Not a valid naive datetime.": N_("Not a valid naive datetime."),
    "Not a valid period of time.": N_("Not a valid period of time."),
    "Not a valid URL.": N_("Not a valid URL."),
    "Not a valid email address.": N_("Not a valid email address."),
    "Not a valid IP address.": N_("Not a valid IP address."),
    "Not a valid IPv4 address.": N_("Not a valid IPv4 address."),
    "Not a valid IPv6 address.": N_("Not a valid IPv6 address."),
    "Not a valid IP interface.": N_("Not a valid IP interface."),
    "Not a valid IPv4 interface.": N_("Not a valid IPv4 interface."),
    "Not a valid IPv6 interface.": N_("Not a valid IPv6 interface."),
    # validators
    "Invalid input.": N_("Invalid input."),
    "String does not match expected pattern.": N_("String does not match expected pattern."),
    "Must be one of: {choices}.": N_("Must be one of: %(choices)s."),
    "One or more of the choices you made was not in: {choices}.":
        N_("One or more of the choices you made was not in: %(choices)s."),
    "One or more of the choices you made was in: {values}.":
        N_("One or more of the choices you made was in: %(values)s."),
    "Must be equal to {other}.": N_("Must be equal to %(other)s."),
    "Shorter than minimum length {min}.": N_("Shorter than minimum length %(min)s."),
    "Longer than maximum length {max}.": N_("Longer than maximum length %(max)s."),
    "Length must be between {min} and {max}.": N_("Length must be between %(min)s and %(max)s."),
    "Length must be {equal}.": N_("Length must be %(equal)s."),
    "Must be greater than or equal to {min}.": N_("Must be greater than or equal to %(min)s."),
    "Must be greater than {min}.": N_("Must be greater than %(min)s."),
    "Must be less than or equal to {max}.": N_("Must be less than or equal to %(max)s."),
    "Must be less than {max}.": N_("Must be less than %(max)s."),
    "Must be greater than or equal to {min} and less than or equal to {max}.":
        N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    "Must be greater than {min} and less than {max}.":
        N_("Must be greater than %(min)s and less than %(max)s."),
    "Must be greater than or equal to {min} and less than {max}.":
        N_("Must be greater than or equal to %(min)s and less than %(max)s."),
    "Must be greater than {min} and less than or equal to {max}.":
        N_("Must be greater than %(min)s and less than or equal to %(max)s."),
}

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


def _pattern(template: str) -> re.Pattern:
    return re.compile(_PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(template)))


_EXACT = {k: v for k, v in MESSAGES.items() if "{" not in k}
# The most specific first: "Must be greater than {min}." would take "Must be greater than or
# equal to 1 and less than 5." too.
_TEMPLATES = [(_pattern(k), v) for k, v in sorted(
    ((k, v) for k, v in MESSAGES.items() if "{" in k),
    key=lambda kv: -len(re.sub(r"\{\w+\}", "", kv[0])))]


def translate(message: object) -> str:
    """One message, in the current language: marshmallow's own words through the catalogue;
    anything else (a lazy text of ours, already written in it) as it is."""
    text = str(message)
    if text in _EXACT:
        return gettext(_EXACT[text])
    for pattern, ours in _TEMPLATES:
        match = pattern.fullmatch(text)
        if match:
            return gettext(ours, **match.groupdict())
    return text


def translate_tree(messages: Any) -> Any:
    """marshmallow's {field: [messages]} (nested for nested fields) with every message
    translated; keys are left as they are."""
    if isinstance(messages, dict):
        return {key: translate_tree(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [translate_tree(value) for value in messages]
    return translate(messages)
