"""What the outbox worker announces (blinker signals, see safety/events.py)."""

from safety.events import signals

recorded = signals.signal("outbox.recorded", doc="""A worker recorded the outcomes of one batch
it handed to a channel, and committed them. Keyword arguments: `channel` (its name) and
`outcomes` (each job's `Outcome.state`, in order). Sent after the commit, outside any
transaction: receivers count, they do not write (safety/metrics).""")
