"""The rules that tie a registry entry's fields together. EntrySchema applies them to a new
entry (and to each imported row); service.update_entry to an entry as a PATCH would leave it
(stored values and changes together, which only the service can see)."""

from __future__ import annotations

from safety.i18n import _
from safety.registry import iin as iin_mod


def entry_rules(data: dict) -> dict:
    """Cross-field rules of an entry; returns {field: [messages]} (empty when it holds)."""
    errors: dict[str, list[str]] = {}
    if data.get("iin"):
        try:
            born, _sex = iin_mod.parse(data["iin"])
        except ValueError as exc:
            errors["iin"] = [str(exc)]
        else:
            if data.get("birth_date") and data["birth_date"] != born:
                errors["birth_date"] = [_("The birth date does not agree with the IIN.")]
    if not data.get("birth_date") and "iin" not in errors and not data.get("iin"):
        errors["birth_date"] = [_("A birth date (or an IIN) is required.")]
    basis = data.get("legal_basis")
    if basis == "court_decision" and not data.get("case_reference"):
        errors["case_reference"] = [_("A court decision needs its case reference.")]
    if basis == "subject_consent" and not data.get("consent_reference"):
        errors["consent_reference"] = [_("Consent needs its consent reference.")]
    if data.get("expires_on") and data.get("decided_on") and \
            data["expires_on"] <= data["decided_on"]:
        errors["expires_on"] = [_("An entry must expire after the decision.")]
    return errors
