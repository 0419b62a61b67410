"""Features announce what happened through blinker signals (Flask's own signalling library).

Each feature declares its signals in its own `events.py` (`safety.alerts.events`, ...) and sends
them with `send`: the current app is the sender, and what happened travels as keyword
arguments. Receivers are connected by the app factory (`safety.register_events`), each with
`sender=app`, so that two apps in one process (the tests build several) never hear each other;
nothing connects at import.

Receivers run at once, in the sender's transaction: whatever they enqueue in the outbox is
committed (or rolled back) with what caused it. An exception in a receiver reaches the sender.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import current_app

signals = Namespace()


def send(signal: NamedSignal, **kwargs: Any) -> None:
    signal.send(current_app._get_current_object(), **kwargs)
