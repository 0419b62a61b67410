"""What happens to her contacts that other features act on (see safety/events.py)."""

from safety.events import signals

cut_off = signals.signal("contact.cut-off", doc="""The holder of this contact's number stops
following her, at once: the contact is removed or gets another number. Keyword argument:
`contact` (its number still the old one). Alerts revokes every tracking link sent to it and
cancels SMS to it not yet sent (`safety.alerts.links.revoke_for_contact`).""")
