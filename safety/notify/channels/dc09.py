"""The `dc09` channel: alarm events to partner monitoring stations over SIA DC-09 (ANSI/SIA
DC-09), carrying Ademco Contact ID (`ADM-CID`), the way an IP alarm panel reports a panic button.

One outbox job is one event for one organisation (or, for a link test, one receiver). The
channel sends it to the organisation's enabled receivers in order of priority (primary, then
secondary, ...) until one acknowledges it:

- A message is framed as DC-09 says: `\\n`, CRC-16/ARC of the body (4 hex digits), the body's
  length (`0LLL`, hex), the body, `\\r`. The body is `"ADM-CID"` (`"*ADM-CID"` when encrypted),
  a sequence number `0001`-`9999`, `R<receiver>` `L<line>` `#<account>`, the data
  `[#<account>|QEEE GG ZZZ]` (Contact ID: qualifier, event code, group, zone), extended data
  (where she is and the tracking link, see `Event.extended`) and the timestamp
  `_HH:MM:SS,MM-DD-YYYY` in UTC.
- With a key (AES-128, -192 or -256), everything after `[` is encrypted: random pad characters,
  `|`, the data, the extended data and the timestamp, AES-CBC with a zero IV (DC-09's choice),
  sent as upper-case hex.
- The receiver answers `ACK` (delivered: never sent again), `NAK` (refused; with its own
  timestamp when our clock was off: the message is sent again at once with the time
  corrected, and the receiver's offset is kept for the next messages) or `DUH` (not
  understood). A NAK, DUH, no answer or no connection moves on to the next receiver; when none
  acknowledged, the job is retried with the outbox's backoff, the same sequence number for
  each receiver it was sent to before (a receiver recognises a repeat by it).
- Sequence numbers are counted per receiver in the database (`monitoring_receivers.last_seq`),
  so that any number of workers never give two messages the same number.
- Events of one alert reach one organisation in the order they happened (panic before its
  restore): a job whose earlier event is still undelivered waits for it (`Outcome.defer`).

The receivers themselves (host, port, TCP or UDP, account, key) are `MonitoringReceiver` rows,
managed by platform admins through safety/monitoring; their keys are stored sealed
(safety/notify/sealed.py) and decrypted only here, at sending.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import string
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import Config, current_app
from sqlalchemy import select, update

from safety.extensions import db
from safety.notify import sealed
from safety.notify.channels import Outcome
from safety.notify.models import MonitoringReceiver, OutboxJob
from safety.util import CLOCK, utcnow

log = logging.getLogger(__name__)

CHANNEL = "dc09"
MESSAGE_TYPE = "ADM-CID"
EXTENDED_DATA = ("single", "standard", "none")
KEY_BYTES = (16, 24, 32)
TIME_FORMAT = "%H:%M:%S,%m-%d-%Y"
ACCEPTED = ("ACK", "RSP")  # RSP: accepted, with a request of the receiver's attached
CLOCK_TOLERANCE_S = 2.0  # a NAK whose time is this close to ours was not about the clock
ANSWER_REST_S = 0.3  # once an answer has begun, how long to wait for the rest of it
_PAD = string.ascii_letters + string.digits
_XDATA_TEXT = re.compile(r"^[\x20-\x7e]*$")  # printable ASCII
_XDATA_FORBIDDEN = set("[]|")
_TIMESTAMP = re.compile(r"_(\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4})")
_FRAMED = re.compile(r'^([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})(".*)$', re.S)
_ANSWER = re.compile(r'^"(\*?)(ACK|NAK|DUH|RSP)"(\d{4})?(.*)$', re.S)


# -- the message -------------------------------------------------------------------------------


def crc16(data: bytes) -> int:
    """CRC-16/ARC (polynomial 0x8005 reflected, initial value 0), as DC-09 (from DC-07) uses."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(body: str) -> bytes:
    """`\\n` CRC `0LLL` body `\\r`: the CRC and the length (hex) are of the body alone."""
    raw = body.encode("ascii")
    return b"\n" + f"{crc16(raw):04X}{len(raw):04X}".encode("ascii") + raw + b"\r"


def timestamp(at: datetime) -> str:
    return "_" + at.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class Event:
    """One Contact ID event: `Q EEE GG ZZZ` and what travels beside it."""

    qualifier: int  # 1 new event (alarm), 3 restore, 6 still present
    code: str  # three digits: 120 panic, 121 duress, ...
    group: str = "01"  # two digits (partition)
    zone: str = "000"  # three digits (zone or user): our short alert number
    lat: float | None = None
    lon: float | None = None
    link: str | None = None  # the tracking link the station's operator may open

    def data(self, account: str) -> str:
        return f"#{account}|{self.qualifier}{self.code} {self.group} {self.zone}]"

    def extended(self, mode: str) -> str:
        """The extended data blocks after the data, as the receiver is set to take them.
        `single` (the default): one block, `[L<lat>,<lon> <link>]` (L: "location of event",
        free text), which receivers that read only one block after a Contact ID event
        (pysiaalarm, and so Home Assistant) take as well as those that read several.
        `standard`: DC-09's own fields, each in its block, `[X<longitude>][Y<latitude>]
        [V<link>]` (V: where to verify the alarm), for consoles that put X and Y on a map;
        a receiver that reads one block refuses these messages (NAK). `none`: nothing."""
        link = self.link if self.link and _xdata_safe(self.link) else None
        has_place = self.lat is not None and self.lon is not None
        if mode == "standard":
            out = f"[X{self.lon:.6f}][Y{self.lat:.6f}]" if has_place else ""
            return out + (f"[V{link}]" if link else "")
        if mode == "single" and (has_place or link):
            words = [f"{self.lat:.6f},{self.lon:.6f}"] if has_place else []
            words += [link] if link else []
            return f"[L{' '.join(words)[:255]}]"
        return ""


def _xdata_safe(text: str) -> bool:
    return len(text) <= 255 and bool(_XDATA_TEXT.match(text)) and \
        not (_XDATA_FORBIDDEN & set(text))


def encrypt(key: bytes, text: str) -> str:
    """DC-09's encrypted part: random pad characters (never `|`, `[` or `]`), `|`, the text,
    to a multiple of 16 bytes; AES-CBC with a zero IV; upper-case hex."""
    pad = 16 - (len(text) + 1) % 16
    plain = ("".join(secrets.choice(_PAD) for _ in range(pad)) + "|" + text).encode("ascii")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(plain) + encryptor.finalize()).hex().upper()


def decrypt(key: bytes, hex_text: str) -> str:
    raw = bytes.fromhex(hex_text)
    if not raw or len(raw) % 16:
        raise ValueError("not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    return (decryptor.update(raw) + decryptor.finalize()).decode("ascii")


@dataclass(frozen=True)
class Station:
    """A receiver as the channel sends to it (a `MonitoringReceiver` with its key unsealed)."""

    id: str
    name: str  # for errors and the CLI: "primary 10.0.0.5:3061/tcp"
    host: str
    port: int
    transport: str  # tcp | udp
    receiver: str  # hex digits of the R field
    line: str  # hex digits of the L field
    account: str  # hex digits
    key: bytes | None
    extended_data: str
    clock_offset_s: float = 0.0
    key_problem: str | None = None  # the stored key could not be unsealed


def message(station: Station, seq: int, event: Event, at: datetime) -> bytes:
    """The framed message of `event` with sequence number `seq`, stamped `at` (UTC)."""
    head = (f'"{"*" if station.key else ""}{MESSAGE_TYPE}"{seq:04d}'
            f"R{station.receiver}L{station.line}#{station.account}[")
    rest = event.data(station.account) + event.extended(station.extended_data) + timestamp(at)
    if station.key:
        return frame(head + encrypt(station.key, rest))
    return frame(head + rest)


# -- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    kind: str  # ACK, NAK, DUH, RSP, or "invalid"
    receiver_time: datetime | None = None
    detail: str = ""


def parse_answer(raw: bytes, seq: int, key: bytes | None) -> Answer:
    """What a receiver said to message `seq`. An ACK counts only when it is framed with a
    right CRC, carries our sequence number and, for an encrypted message, is itself
    encrypted with the key (`"*ACK"`); a NAK may come bare (`"NAK"`)."""
    text = raw.decode("ascii", errors="replace").strip("\r\n\x00 ")
    framed = _FRAMED.match(text)
    if framed:
        crc, length, body = framed.groups()
        if int(crc, 16) != crc16(body.encode("ascii", errors="replace")):
            return Answer("invalid", detail=f"answer with a wrong CRC: {text[:80]!r}")
        if int(length, 16) != len(body):
            return Answer("invalid", detail=f"answer with a wrong length: {text[:80]!r}")
    else:
        body = text
    found = _ANSWER.match(body)
    if not found:
        return Answer("invalid", detail=f"not a DC-09 answer: {text[:80]!r}")
    star, kind, number, rest = found.groups()
    if kind == "NAK":
        stamp = _TIMESTAMP.search(rest)
        return Answer("NAK", _receiver_time(stamp.group(1)) if stamp else None, "NAK")
    if not framed:
        return Answer("invalid", detail=f"unframed {kind}")
    if number is None or int(number) != seq:
        return Answer("invalid", detail=f"{kind} for message {number}, not {seq:04d}")
    if kind == "DUH":
        return Answer("DUH", detail="DUH: the receiver did not understand the message")
    if key:
        if not star:
            return Answer("invalid", detail=f"unencrypted {kind} to an encrypted message")
        try:
            inner = decrypt(key, rest[rest.index("[") + 1:].rstrip("]"))
        except (ValueError, UnicodeDecodeError):
            return Answer("invalid", detail=f"{kind} that does not decrypt with the key")
        if "]" not in inner:
            return Answer("invalid", detail=f"{kind} that does not decrypt with the key")
    return Answer(kind, detail=kind)


def _receiver_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


# -- one exchange ------------------------------------------------------------------------------


def exchange(station: Station, data: bytes, timeout: float) -> bytes:
    """Send `data` and return the receiver's answer (up to its first `\\r`). TCP: a connection
    per message; UDP: a socket per message, so a late or repeated answer to an earlier message
    is never read as the answer to this one."""
    if station.transport == "tcp":
        with socket.create_connection((station.host, station.port), timeout=timeout) as conn:
            conn.sendall(data)
            answer = b""
            while b"\r" not in answer and len(answer) < 4096:
                try:
                    chunk = conn.recv(1024)
                except TimeoutError:
                    if not answer:
                        raise
                    break  # an answer without its \r (a bare "NAK"): that was all of it
                if not chunk:
                    break
                answer += chunk
                conn.settimeout(min(timeout, ANSWER_REST_S))
            return answer.split(b"\r", 1)[0]
    family, kind, proto, _name, address = socket.getaddrinfo(
        station.host, station.port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        sock.connect(address)
        sock.send(data)
        return sock.recv(4096).split(b"\r", 1)[0]


@dataclass
class Try:
    """One message to one receiver and what came of it."""

    receiver_id: str
    seq: int
    answer: str  # ACK, NAK, DUH, RSP, invalid, error
    detail: str
    at: str
    clock_offset_s: float | None = None  # the receiver's clock against ours, from its NAK

    @property
    def accepted(self) -> bool:
        return self.answer in ACCEPTED


def deliver(station: Station, seq: int, event: Event, timeout: float,
            now: Callable[[], datetime] = utcnow) -> list[Try]:
    """Send `event` to one receiver; on a NAK carrying the receiver's time when ours was off,
    once more at once with the time corrected. Returns the tries (the last one tells)."""
    if station.key_problem:
        return [Try(station.id, seq, "error", station.key_problem, now().isoformat())]
    tries: list[Try] = []
    offset = station.clock_offset_s
    for _ in range(2):
        sent_at = now() + timedelta(seconds=offset)
        try:
            raw = exchange(station, message(station, seq, event, sent_at), timeout)
            answer = parse_answer(raw, seq, station.key) if raw else Answer(
                "invalid", detail="the connection closed without an answer")
        except TimeoutError:
            answer = Answer("error", detail=f"no answer within {timeout:g} s")
        except OSError as exc:
            answer = Answer("error", detail=f"{type(exc).__name__}: {exc}")
        got = Try(station.id, seq, answer.kind, f"{station.name}: {answer.detail}",
                  now().isoformat())
        tries.append(got)
        if answer.kind != "NAK" or answer.receiver_time is None:
            break
        off_by = (answer.receiver_time - sent_at).total_seconds()
        if abs(off_by) <= CLOCK_TOLERANCE_S:
            break  # refused for another reason: its clock agrees with ours
        offset += off_by
        got.clock_offset_s = offset
        got.detail += f" (its clock is {off_by:+.0f} s from the time we sent: sending again)"
    return tries


# -- receivers from the database ---------------------------------------------------------------


def station_of(row: MonitoringReceiver, config: Config) -> Station:
    key, problem = None, None
    if row.key_sealed:
        try:
            key = sealed.unseal(config, row.key_sealed)
        except sealed.Unreadable:
            problem = ("its key cannot be read (was SECRET_KEY or DC09_KEYS_SECRET changed?): "
                       "a platform admin must enter it again")
    name = f"{'primary' if row.priority == 1 else f'receiver {row.priority}'} " \
           f"{row.host}:{row.port}/{row.transport}"
    return Station(str(row.id), name, row.host, row.port, row.transport, row.receiver_number,
                   row.line_prefix, row.account, key, row.extended_data, row.clock_offset_s,
                   problem)


def next_sequence(receiver_id) -> int:
    """The receiver's next sequence number, 1 to 9999 and round again (one UPDATE: workers on
    any number of machines never hand out the same one)."""
    table = MonitoringReceiver.__table__
    return db.session.execute(
        update(table).where(table.c.id == receiver_id)
        .values(last_seq=table.c.last_seq % 9999 + 1).returning(table.c.last_seq)
    ).scalar_one()


def record_tries(tries: list[Try]) -> None:
    """Each receiver's health from what it just answered: when it last acknowledged, its last
    error, and its clock's offset from a NAK."""
    table = MonitoringReceiver.__table__
    for t in tries:
        values: dict = {}
        at = datetime.fromisoformat(t.at)
        if t.accepted:
            values["last_ack_at"] = at
        else:
            values.update(last_error=t.detail[:500], last_error_at=at)
        if t.clock_offset_s is not None:
            values["clock_offset_s"] = t.clock_offset_s
        db.session.execute(update(table).where(table.c.id == _uuid(t.receiver_id))
                           .values(**values))


def event_of(payload: dict) -> Event:
    return Event(int(payload["qualifier"]), payload["code"], payload.get("group", "01"),
                 payload.get("zone", "000"), payload.get("lat"), payload.get("lon"),
                 payload.get("link"))


# -- the channel -------------------------------------------------------------------------------


@dataclass
class _Plan:
    job: OutboxJob
    stations: list[Station]
    seqs: dict[str, int]
    result: dict = field(default_factory=dict)
    tries: list[Try] = field(default_factory=list)
    delivered_to: str | None = None


class Dc09Channel:
    """Sends each job to its organisation's receivers (see the module's docstring). Jobs of a
    batch are sent side by side, one thread per alert stream, so that a receiver that does not
    answer delays only its own organisation's events; a stream's events go one after another."""

    name = CHANNEL
    kinds = None
    batch_size = 16
    MAX_TRIES_KEPT = 20  # of a job's result, newest last

    def __init__(self, config: Config) -> None:
        self.config = config

    @property
    def timeout(self) -> float:
        return float(self.config["DC09_TIMEOUT_S"])

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]:
        now = utcnow()
        outcomes: dict = {}
        plans: list[_Plan] = []
        in_batch = {job.id for job in jobs}
        for job in jobs:
            early = self._before_sending(job, now, in_batch)
            if early is not None:
                outcomes[job.id] = early
                continue
            stations = self._stations(job)
            if not stations and job.payload.get("receiver_id"):
                outcomes[job.id] = Outcome.permanent(
                    "the receiver was removed or disabled", result=job.result)
                continue
            if not stations:  # perhaps being set up again: an alarm waits for it
                outcomes[job.id] = Outcome.retry(
                    "the organisation has no enabled monitoring receiver", result=job.result)
                continue
            plans.append(_Plan(job, stations, {}))
        self._number(plans)
        db.session.commit()  # the sequence numbers stand before anything is sent
        streams: dict = {}
        for plan in plans:
            key = (plan.job.alert_id, plan.job.recipient) if plan.job.alert_id else plan.job.id
            streams.setdefault(key, []).append(plan)
        for stream in streams.values():
            stream.sort(key=lambda p: p.job.payload.get("n", 0))
        timeout = self.timeout
        clock = current_app.extensions.get(CLOCK)  # the threads have no app context
        now_fn = clock.now if clock is not None else utcnow
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(streams)))) as pool:
            for _ in pool.map(lambda s: self._send_stream(s, timeout, now_fn),
                              streams.values()):
                pass
        for plan in plans:
            outcomes[plan.job.id] = self._outcome(plan)
        try:  # what was sent is sent: a failure to note the receivers' health must not resend it
            with db.session.begin_nested():
                record_tries([t for plan in plans for t in plan.tries])
        except Exception:  # noqa: BLE001
            log.exception("could not record the DC-09 receivers' health")
        return [outcomes[job.id] for job in jobs]

    def _before_sending(self, job: OutboxJob, now: datetime, in_batch: set) -> Outcome | None:
        """An outcome without sending: too old to send, or an earlier event of its alert to
        the same organisation is still on its way (it goes first)."""
        give_up = job.payload.get("give_up_at")
        if give_up and datetime.fromisoformat(give_up) < now:
            return Outcome.permanent("not delivered in time: given up", result=job.result)
        if not job.alert_id or job.payload.get("n", 1) <= 1:
            return None
        earlier = db.session.execute(
            select(OutboxJob.id, OutboxJob.payload, OutboxJob.due_at).where(
                OutboxJob.channel == CHANNEL, OutboxJob.alert_id == job.alert_id,
                OutboxJob.recipient == job.recipient,
                OutboxJob.status.in_(("pending", "sending")), OutboxJob.id != job.id)
        ).all()
        waiting = [row for row in earlier if row.id not in in_batch
                   and (row.payload or {}).get("n", 0) < job.payload["n"]]
        if not waiting:
            return None
        due = min(row.due_at for row in waiting)
        after = min(60.0, max(1.0, (due - now).total_seconds()))
        return Outcome.defer("waiting for an earlier event of this alert to be delivered",
                             after_s=after, result=job.result)

    def _stations(self, job: OutboxJob) -> list[Station]:
        payload = job.payload
        stmt = select(MonitoringReceiver)
        if payload.get("receiver_id"):  # a link test: that receiver only
            stmt = stmt.where(MonitoringReceiver.id == _uuid(payload["receiver_id"]),
                              MonitoringReceiver.enabled.is_(True))
        else:
            stmt = stmt.where(MonitoringReceiver.org_id == _uuid(payload["org_id"]),
                              MonitoringReceiver.enabled.is_(True)
                              ).order_by(MonitoringReceiver.priority)
        return [station_of(row, self.config) for row in db.session.scalars(stmt)]

    def _number(self, plans: list[_Plan]) -> None:
        """Each (job, receiver) keeps the sequence number it first got: a repeat of a message
        carries the same number, as DC-09 wants. New ones are counted now and kept on the job."""
        table = OutboxJob.__table__
        for plan in plans:
            plan.result = dict(plan.job.result or {})
            seqs = dict(plan.result.get("seq") or {})
            fresh = [s for s in plan.stations if s.id not in seqs]
            for station in fresh:
                seqs[station.id] = next_sequence(_uuid(station.id))
            plan.seqs = plan.result["seq"] = seqs
            if fresh:
                db.session.execute(update(table).where(table.c.id == plan.job.id)
                                   .values(result=plan.result))

    def _send_stream(self, stream: list[_Plan], timeout: float,
                     now: Callable[[], datetime]) -> None:
        """A stream's events in order; once one is not delivered, the rest wait for it."""
        for plan in stream:
            for station in plan.stations:
                try:
                    tries = deliver(station, plan.seqs[station.id], event_of(plan.job.payload),
                                    timeout, now)
                except Exception as exc:  # noqa: BLE001 - a bug must not lose the others
                    log.exception("DC-09 send to %s failed", station.name)
                    tries = [Try(station.id, plan.seqs[station.id], "error",
                                 f"{station.name}: {type(exc).__name__}: {exc}",
                                 now().isoformat())]
                plan.tries.extend(tries)
                if tries[-1].accepted:
                    plan.delivered_to = station.id
                    break
            if plan.delivered_to is None:
                return

    def _outcome(self, plan: _Plan) -> Outcome:
        result = dict(plan.result)
        result["tries"] = ((result.get("tries") or []) +
                           [asdict(t) for t in plan.tries])[-self.MAX_TRIES_KEPT:]
        if plan.delivered_to is not None:
            last = plan.tries[-1]
            result.update(delivered_to=plan.delivered_to, answer=last.answer, acked_at=last.at,
                          seq_acked=last.seq)
            return Outcome.sent(result)
        if not plan.tries:
            return Outcome.defer("waiting for an earlier event of this alert to be delivered",
                                 after_s=1.0, result=result)
        return Outcome.retry("; ".join(t.detail for t in plan.tries)[:1000], result=result)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

