"""What happens to an alert, announced by `safety.alerts` (blinker signals, see safety/events.py).

Only `safety.alerts` changes an alert's status and its `duress` and `unassigned` flags (other
features ask it to: `commands.mark_dispatched`, `mark_responding`, `back_to_active`,
`flag_unassigned`, `end`); these signals tell the rest. Each is sent with the app as sender,
the alert as keyword argument `alert`, in the transaction that made the change, after alerts'
own pushes for it. Receivers are connected by the app factory (`safety.register_events`).
"""

from safety.events import signals

raised = signals.signal("alert.raised", doc="""A new alert (not a repeat of a live one), after
her guardians' pushes, SMS and the escalation timer are enqueued. Dispatch starts its offers
(`safety.dispatch.offers.on_alert_raised`).""")

duress = signals.signal("alert.duress", doc="""The alert was canceled with her duress PIN (or
raised by a duress check-in): it stays live, flagged duress, and her phone shows it canceled.
Sent after her guardians and responders were told.""")

unassigned = signals.signal("alert.unassigned", doc="""Nobody could be dispatched: the alert
is flagged `unassigned` (again, if a responder had taken it and given it back). Sent by
`commands.flag_unassigned` when that is news. Monitoring stations are told (E616).""")

dispatched = signals.signal("alert.dispatched", doc="""A responder accepted: the alert's status
is `dispatched` and it is no longer flagged unassigned.""")

status_changed = signals.signal("alert.status-changed", doc="""The alert's status changed
(dispatched, responding, back to active, canceled, resolved). Keyword argument `previous`: the
status before.""")

ended = signals.signal("alert.ended", doc="""The alert ended (status canceled or resolved): its
escalation timer is canceled and its tracking links expire after the grace period. Dispatch
withdraws what it still offers (`safety.dispatch.offers.on_alert_ended`). Her guardians are told
after the receivers ran.""")
