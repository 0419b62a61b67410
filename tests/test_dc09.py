"""The SIA DC-09 framing of the dc09 channel, judged by an independent implementation:
pysiaalarm (the receiver library Home Assistant's SIA integration uses) parses what we build,
and builds the answers we parse. No app and no network here (tests/test_monitoring.py sends
real alerts over TCP and UDP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pysiaalarm import SIAAccount, SIAEvent
from pysiaalarm.event import NAKEvent

from safety.notify.channels import dc09

KEYS = {16: "0123456789ABCDEF", 24: "0123456789ABCDEF01234567",
        32: "0123456789ABCDEF0123456789ABCDEF"}
LINK = "https://safety.example.kz/t/AbC-dEf_123"


def station(key: str | None = None, extended: str = "single", account: str = "1234AB",
            receiver: str = "12", line: str = "3") -> dc09.Station:
    return dc09.Station("r-1", "primary", "127.0.0.1", 1, "tcp", receiver, line, account,
                        key.encode() if key else None, extended)


def parse(raw: bytes, key: str | None = None, account: str = "1234AB") -> SIAEvent:
    """What pysiaalarm's receiver makes of a message (its handler strips \\n and \\r)."""
    assert raw.startswith(b"\n") and raw.endswith(b"\r")
    return SIAEvent.from_line(raw[1:-1].decode("ascii"), {account: SIAAccount(account, key)})


def test_crc_is_crc16_arc():
    assert dc09.crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert dc09.crc16(b"") == 0


@pytest.mark.parametrize("bits", [None, 16, 24, 32])
def test_pysiaalarm_reads_our_contact_id_message(bits):
    key = KEYS[bits] if bits else None
    at = datetime.now(UTC).replace(microsecond=0)
    event = dc09.Event(1, "120", "01", "042", 43.2567, 76.9286, LINK)
    raw = dc09.message(station(key), 37, event, at)
    got = parse(raw, key)
    assert got.valid_message  # pysiaalarm's CRC agrees with ours
    # the length, 0LLL in hex, of the body from its first quote to the \r (pysiaalarm's own
    # `valid_length` reads the field as decimal and does not enforce it)
    assert int(raw[5:9], 16) == len(raw) - 10 == len(got.full_message)
    assert got.encrypted is bool(key)
    assert got.message_type.value == "ADM-CID"
    assert (got.sequence, got.receiver, got.line, got.account) == ("0037", "R12", "L3",
                                                                    "1234AB")
    assert (got.event_qualifier, got.event_type, got.partition, got.ri) == ("1", "120", "01",
                                                                             "042")
    assert got.code == "PA"  # pysiaalarm's SIA code for Contact ID 120: panic alarm
    assert got.timestamp == at
    assert [(x.identifier, x.value) for x in got.extended_data] == [
        ("L", f"43.256700,76.928600 {LINK}")]
    assert got.response.value == "ACK"


def test_the_timestamp_is_utc_whatever_the_zone_of_the_time_given():
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 23, 14, 5, 9, tzinfo=ZoneInfo("Asia/Almaty"))
    raw = dc09.message(station(), 1, dc09.Event(1, "602", "00", "000"), at)
    assert raw.endswith(b"_09:05:09,11-23-2026\r")


def test_an_encrypted_message_hides_everything_after_the_bracket():
    raw = dc09.message(station(KEYS[16]), 5, dc09.Event(1, "121", "01", "007", 43.25, 76.9,
                                                       LINK), datetime.now(UTC))
    head, _, body = raw.partition(b"[")
    assert b'"*ADM-CID"0005R12L3#1234AB' in head
    assert all(c in b"0123456789ABCDEF" for c in body.rstrip(b"\r"))
    plain = dc09.decrypt(KEYS[16].encode(), body.rstrip(b"\r").decode())
    assert "|#1234AB|1121 01 007][L43.250000,76.900000 " in plain
    # random padding: the same event encrypts differently each time
    again = dc09.message(station(KEYS[16]), 5, dc09.Event(1, "121", "01", "007", 43.25, 76.9,
                                                         LINK), datetime.now(UTC))
    assert again != raw


def test_standard_extended_data_are_dc09_blocks():
    event = dc09.Event(1, "120", "01", "042", -33.5, -70.25, LINK)
    assert event.extended("standard") == f"[X-70.250000][Y-33.500000][V{LINK}]"
    assert event.extended("single") == f"[L-33.500000,-70.250000 {LINK}]"
    assert event.extended("none") == ""
    assert dc09.Event(3, "120").extended("standard") == ""


@pytest.mark.parametrize("link", ["https://x/t/a]b", "https://x/t/a|b", "https://x/t/ä",
                                  "https://x/t/" + "a" * 300])
def test_a_link_that_would_break_the_message_is_left_out(link):
    event = dc09.Event(1, "120", "01", "042", 43.0, 76.0, link)
    assert event.extended("single") == "[L43.000000,76.000000]"
    raw = dc09.message(station(), 2, event, datetime.now(UTC))
    assert parse(raw).response.value == "ACK"


@pytest.mark.parametrize("bits", [None, 16, 32])
def test_we_read_pysiaalarms_ack(bits):
    key = KEYS[bits] if bits else None
    raw = dc09.message(station(key), 812, dc09.Event(1, "120", "01", "042"), datetime.now(UTC))
    answer = parse(raw, key).create_response()
    assert dc09.parse_answer(answer, 812, key.encode() if key else None).kind == "ACK"
    # an ACK to another message number does not acknowledge this one
    assert dc09.parse_answer(answer, 813, key.encode() if key else None).kind == "invalid"


def test_an_unencrypted_ack_to_an_encrypted_message_does_not_count():
    plain = parse(dc09.message(station(), 9, dc09.Event(1, "120"), datetime.now(UTC)))
    assert dc09.parse_answer(plain.create_response(), 9, KEYS[16].encode()).kind == "invalid"


def test_an_ack_encrypted_with_another_key_does_not_count():
    raw = dc09.message(station(KEYS[16]), 9, dc09.Event(1, "120"), datetime.now(UTC))
    answer = parse(raw, KEYS[16]).create_response()
    other = b"FEDCBA9876543210"
    assert dc09.parse_answer(answer, 9, other).kind == "invalid"


def test_an_answer_with_a_wrong_crc_does_not_count():
    raw = dc09.message(station(), 9, dc09.Event(1, "120"), datetime.now(UTC))
    answer = bytearray(parse(raw).create_response())
    answer[1:5] = b"0000" if answer[1:5] != b"0000" else b"FFFF"
    assert dc09.parse_answer(bytes(answer), 9, None).kind == "invalid"


def test_a_nak_carries_the_receivers_time():
    late = datetime.now(UTC) - timedelta(minutes=10)
    got = parse(dc09.message(station(), 4, dc09.Event(1, "120"), late))
    assert not got.valid_timestamp
    answer = dc09.parse_answer(got.create_response(), 4, None)
    assert answer.kind == "NAK"
    assert abs((answer.receiver_time - datetime.now(UTC)).total_seconds()) < 3
    # pysiaalarm's NAK to a message it could not parse at all
    nak = dc09.parse_answer(NAKEvent().create_response(), 4, None)
    assert nak.kind == "NAK" and nak.receiver_time is not None
    # and its bare NAK to an account it does not know
    assert dc09.parse_answer(b'"NAK"', 4, None).kind == "NAK"


def test_a_duh_is_read():
    raw = dc09.message(station(), 6, dc09.Event(1, "120"), datetime.now(UTC))
    got = parse(raw)
    got.sia_code = None  # as pysiaalarm answers an event code it does not know
    assert got.create_response().startswith(b"\n")
    assert dc09.parse_answer(got.create_response(), 6, None).kind == "DUH"


@pytest.mark.parametrize("garbage", [b"", b"hello", b"\n\r", b'"ACK"0006', b"\x00\xff" * 10])
def test_garbage_is_not_an_ack(garbage):
    assert dc09.parse_answer(garbage, 6, None).kind == "invalid"
