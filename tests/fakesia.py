"""A partner's monitoring console for the tests: pysiaalarm's SIA DC-09 receiver (the library
Home Assistant's SIA integration uses), not our own parser, started in this process on a free
port of 127.0.0.1, over TCP or UDP, plain or encrypted. It answers as a receiver does (ACK, NAK
with its own time, DUH) and keeps the events it acknowledged in `events` (pysiaalarm
`SIAEvent`s: `account`, `event_qualifier`, `event_type`, `partition`, `ri` (the zone),
`extended_data`, `sequence`, `timestamp`).

`events` are in the order the messages arrived. `answers=2` makes it send every answer twice
(a duplicate ACK)."""

from __future__ import annotations

import threading
import time

from pysiaalarm import CommunicationsProtocol, SIAAccount, SIAClient
from pysiaalarm.sync.handler import SIATCPHandler, SIAUDPHandler


def _handler(base, answers: int):
    """pysiaalarm's handler, noting when each message arrived (it hands an event on only after
    answering, from a thread per connection: two messages sent one after the other can reach
    our list in the other order) and answering `answers` times."""

    class Handler(base):
        def respond(self, event):
            self.server.arrived(event)
            for _ in range(answers):
                super().respond(event)

    return Handler


class SiaReceiver:
    def __init__(self, transport: str = "tcp", account: str = "1234", key: str | None = None,
                 port: int = 0, answers: int = 1) -> None:
        self.transport = transport
        self.events: list = []
        self._lock = threading.Lock()
        protocol = (CommunicationsProtocol.TCP if transport == "tcp"
                    else CommunicationsProtocol.UDP)
        self.client = SIAClient("127.0.0.1", port, [SIAAccount(account, key)], self._got,
                                protocol)
        self._arrivals: dict[int, int] = {}
        server = self.client.sia_server
        server.arrived = self._arrived
        server.RequestHandlerClass = _handler(
            SIATCPHandler if transport == "tcp" else SIAUDPHandler, answers)
        self.port = self.client.sia_server.server_address[1]
        self.started = False

    def _arrived(self, event) -> None:
        with self._lock:
            self._arrivals[id(event)] = len(self._arrivals)

    def _got(self, event) -> None:
        with self._lock:
            self.events.append(event)
            self.events.sort(key=lambda e: self._arrivals.get(id(e), 0))

    def start(self) -> SiaReceiver:
        self.client.start(poll_interval=0.02)
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            self.client.stop()
            self.started = False
        else:
            self.client.sia_server.server_close()

    def wait_for(self, count: int, timeout: float = 3.0, tests: bool = False) -> list:
        """The events, once there are `count` of them (pysiaalarm hands an event on just after
        it has answered, so the sender may hear the ACK a moment before it is here). Link
        tests (E602: the worker's first beat sends one to every receiver) are left out unless
        `tests`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                got = [e for e in self.events if tests or e.event_type != "602"]
            if len(got) >= count or time.monotonic() >= deadline:
                return got
            time.sleep(0.01)


def free_port(transport: str = "tcp") -> int:
    """A port nothing listens on (for a receiver that is down)."""
    import socket

    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
