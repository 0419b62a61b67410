"""Partner monitoring stations receive her alerts over SIA DC-09 (Contact ID): real alerts raised
through the API, sent by the worker's dc09 channel over TCP and UDP, plain and encrypted, to
pysiaalarm's receiver (tests/fakesia.py), which must accept them and yield the account, code,
zone and location we sent; receivers down, refusing, answering twice, or with another clock.
And the receivers' API: platform admins manage them, the organisation's admins see them
without their keys, everyone else is told nothing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from safety.extensions import db
from safety.notify import sealed

KEY = "0123456789ABCDEF"  # 16 characters: AES-128, as pysiaalarm (and Ajax) take a key
HERE = {"lat": 43.2567, "lon": 76.9286}


@pytest.fixture(autouse=True)
def _short_waits(app, monkeypatch):
    """A receiver that does not answer is waited for 1 s here, not DC09_TIMEOUT_S's 10; and
    retries come within 5 s, so that the tests move the clock little (10 minutes on, the
    responders' locations would be stale, and every alert unassigned)."""
    monkeypatch.setitem(app.config, "DC09_TIMEOUT_S", 1.0)
    monkeypatch.setitem(app.config, "WORKER_BACKOFF_MAX_S", 5.0)


LATER = 6  # seconds: past any retry's backoff here


@pytest.fixture
def world(admin, make_person, user, create_org, add_member, on_duty):
    """A smaller world than conftest's (its set-up is most of these tests' time): a security
    organisation covering Almaty with an org admin and one responder on duty 500 m north of
    her (`world.responders["r500"]`), and her (`world.user`)."""
    w = SimpleNamespace(admin=admin, user=user, org=create_org(admin))
    w.org_admin = make_person(name="Org Admin")
    add_member(admin, w.org["id"], w.org_admin, "org_admin")
    r500 = make_person(name="r500")
    add_member(admin, w.org["id"], r500, "responder")
    on_duty(r500, 500)
    w.responders = {"r500": r500}
    return w


def add_receiver(admin, org_id, console=None, **body):
    payload = {"priority": 1, "host": "127.0.0.1", "account": "1234",
               **({"port": console.port, "transport": console.transport} if console else {}),
               **body}
    r = admin.post(f"/api/v1/orgs/{org_id}/receivers", json=payload)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def zone_of(admin, alert_id) -> str:
    number = admin.get(f"/api/v1/alerts/{alert_id}").get_json()["number"]
    assert 1 <= number <= 999
    return f"{number:03d}"


def contact_ids(events) -> list[tuple[str, str, str, str]]:
    return [(e.event_qualifier, e.event_type, e.partition, e.ri) for e in events]


def station_events(person, org_id, tests=False, **query):
    """The organisation's station events, without the link tests (the worker's first beat
    sends one to every receiver) unless `tests`."""
    r = person.get(f"/api/v1/orgs/{org_id}/station-events", query_string=query)
    assert r.status_code == 200, r.get_json()
    return [e for e in r.get_json()["items"] if tests or e["event"] != "link_test"]


def alarm_jobs(app, jobs, kind=None):
    """The dc09 jobs of alerts (not the periodic link tests), oldest first."""
    return [j for j in jobs(app, channel="dc09") if j.alert_id is not None
            and (kind is None or j.kind == kind)]


def start_timer(person, **body):
    r = person.post("/api/v1/timers", json={"duration_s": 600, "location": HERE, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# -- real alerts to a real receiver ------------------------------------------------------------


@pytest.mark.parametrize("transport", ["tcp", "udp"])
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "aes"])
def test_a_panic_reaches_the_console(app, client, world, sia_receiver, panic, drain, transport,
                                     encrypted):
    console = sia_receiver(transport=transport, key=KEY if encrypted else None)
    keyed = {"key": KEY, "key_format": "text"} if encrypted else {}
    add_receiver(world.admin, world.org["id"], console, **keyed)
    alert = panic(world.user).get_json()
    drain(app)
    (event,) = console.wait_for(1)
    assert event.encrypted is encrypted
    assert event.account == "1234"
    assert contact_ids([event]) == [("1", "120", "01", zone_of(world.admin, alert["id"]))]
    assert event.code == "PA"  # pysiaalarm: panic alarm
    assert abs((event.timestamp - datetime.now(UTC)).total_seconds()) < 10
    ((ident, value),) = [(x.identifier, x.value) for x in event.extended_data]
    where, link = value.split(" ")
    assert ident == "L" and where == f"{HERE['lat']:.6f},{HERE['lon']:.6f}"
    # the operator's link opens her live trail
    path = re.match(r"^https?://[^/]+(/t/[A-Za-z0-9_-]+)$", link).group(1)
    assert client.get(f"{path}/data").status_code == 200
    (sent,) = station_events(world.org_admin, world.org["id"])
    assert sent["status"] == "sent" and sent["event"] == "panic"
    assert sent["contact_id"] == f"1120 01 {zone_of(world.admin, alert['id'])}"
    assert sent["tries"][-1]["answer"] == "ACK"


def test_standard_extended_data_are_x_y_and_v_blocks(app, world, sia_receiver, panic, drain,
                                                     jobs):
    """DC-09's own location fields, for consoles that read several blocks: pysiaalarm reads
    only one after a Contact ID event and refuses these (NAK), which is why `single` is the
    default; the message itself is checked in tests/test_dc09.py."""
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console, extended_data="standard")
    panic(world.user)
    drain(app)
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "pending" and job.result["tries"][0]["answer"] == "NAK"
    assert console.wait_for(1, timeout=0.3) == []


def test_cancel_with_her_pin_restores_the_alarm(app, world, sia_receiver, panic, drain):
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console)
    alert = panic(world.user).get_json()
    zone = zone_of(world.admin, alert["id"])
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    drain(app)
    events = console.wait_for(2)
    assert contact_ids(events) == [("1", "120", "01", zone), ("3", "120", "01", zone)]
    assert events[1].code == "PH"  # pysiaalarm: panic restoral


def test_a_duress_cancel_is_duress_at_the_console_and_nothing_on_her_phone(
        app, world, sia_receiver, panic, drain, jobs):
    console = sia_receiver(key=KEY)
    add_receiver(world.admin, world.org["id"], console, key=KEY, key_format="text")
    alert = panic(world.user).get_json()
    zone = zone_of(world.admin, alert["id"])
    r = world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    assert r.get_json()["status"] == "canceled"
    drain(app)
    events = console.wait_for(2)
    assert contact_ids(events) == [("1", "120", "01", zone), ("1", "121", "01", zone)]
    assert events[1].code == "HA"  # pysiaalarm: hold-up (duress) alarm
    # her phone: canceled, nothing about stations, numbers or duress
    mine = world.user.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert mine["status"] == "canceled"
    assert not {"duress", "number"} & set(mine)
    assert {n["channel"] for n in mine["notifications"]} <= {"push", "sms"}
    # (times and ids may hold the digits 121 by chance: look past them)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?|[0-9a-f-]{36}", "", str(mine))
    assert "121" not in text and "station" not in text.lower()
    listed = world.user.get("/api/v1/alerts").get_json()["items"]
    assert [(a["id"], a["status"]) for a in listed] == [(alert["id"], "canceled")]
    assert not [j for j in jobs(app, recipient_user_id=world.user.id) if j.kind != "alert"]


def test_her_view_is_the_same_after_a_real_and_a_duress_cancel_with_a_station(
        app, world, sia_receiver, make_person, panic, drain):
    add_receiver(world.admin, world.org["id"], sia_receiver())

    def her_view(pin):
        her = make_person(name="Aigerim", pin="1234", duress_pin="9999")
        alert = panic(her).get_json()
        her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": pin})
        drain(app)
        seen = her.get(f"/api/v1/alerts/{alert['id']}").get_json()
        seen["location"].pop("recorded_at")
        return {k: v for k, v in seen.items()
                if k not in ("id", "created_at", "updated_at", "ended_at")}, sorted(
            her.get("/api/v1/alerts").get_json()["items"][0])

    assert her_view("1234") == her_view("9999")


def test_the_station_is_told_when_her_alert_is_resolved(app, world, sia_receiver, panic, drain,
                                                        offers_of):
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console)
    alert = panic(world.user).get_json()
    zone = zone_of(world.admin, alert["id"])
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "9999"})
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    assert r500.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    r = r500.post(f"/api/v1/dispatches/{did}/status", json={"status": "resolved"})
    assert r.status_code == 200
    drain(app)
    assert contact_ids(console.wait_for(4)) == [
        ("1", "120", "01", zone), ("1", "121", "01", zone),
        ("3", "121", "01", zone), ("3", "120", "01", zone)]


def test_a_missed_safety_timer_is_fail_to_report_in(app, clock, world, sia_receiver, drain,
                                                    jobs):
    console = sia_receiver(transport="udp")
    add_receiver(world.admin, world.org["id"], console)
    timer = start_timer(world.user, duration_s=60)
    clock.advance(61)  # our clock is now a minute ahead of the console's: it NAKs, we correct
    drain(app)
    (event,) = console.wait_for(1)
    assert [t["answer"] for t in alarm_jobs(app, jobs)[0].result["tries"]] == ["NAK", "ACK"]
    alert_id = world.user.get(f"/api/v1/timers/{timer['id']}").get_json()["alert_id"]
    assert contact_ids([event]) == [("1", "102", "01", zone_of(world.admin, alert_id))]


def test_a_duress_check_in_is_duress_not_a_missed_timer(app, world, sia_receiver, drain):
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console)
    timer = start_timer(world.user)
    r = world.user.post(f"/api/v1/timers/{timer['id']}/check-in", json={"pin": "9999"})
    assert r.status_code == 200 and r.get_json()["status"] == "checked_in"
    drain(app)
    events = console.wait_for(1)
    assert [e.event_type for e in events] == ["121"]
    assert world.user.get("/api/v1/alerts").get_json()["items"] == []


def test_nobody_dispatched_is_616_and_restored_when_someone_accepts(app, clock, world,
                                                                    sia_receiver, panic,
                                                                    drain):
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console)
    alert = panic(world.user).get_json()
    zone = zone_of(world.admin, alert["id"])
    for _ in range(3):
        drain(app)
        clock.advance(app.config["OFFER_TIMEOUT_S"] + 1)
    drain(app)
    seen = world.admin.get(f"/api/v1/alerts/{alert['id']}").get_json()
    assert seen["unassigned"] is True
    did = seen["dispatch"]["id"]
    assert world.responders["r500"].post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    drain(app)
    assert contact_ids(console.wait_for(3)) == [
        ("1", "120", "01", zone), ("1", "616", "01", zone), ("3", "616", "01", zone)]


def test_unassigned_at_the_panic_follows_the_panic(app, admin, user, create_org, sia_receiver,
                                                   panic, drain):
    """No responder at all: dispatch flags the alert in the panic's own transaction, perhaps
    before the stations hear of the panic; the console still gets the panic first."""
    org = create_org(admin)
    console = sia_receiver()
    add_receiver(admin, org["id"], console)
    alert = panic(user).get_json()
    drain(app)
    zone = zone_of(admin, alert["id"])
    assert contact_ids(console.wait_for(2)) == [("1", "120", "01", zone),
                                                ("1", "616", "01", zone)]


def test_only_organisations_covering_her_are_told(app, admin, user, create_org, astana_box,
                                                  sia_receiver, panic, drain):
    here, there = sia_receiver(), sia_receiver()
    add_receiver(admin, create_org(admin, name="Almaty Guard")["id"], here)
    add_receiver(admin, create_org(admin, name="Astana Guard", coverage=astana_box)["id"],
                 there)
    suspended = create_org(admin, name="Suspended Guard")
    gone = sia_receiver()
    add_receiver(admin, suspended["id"], gone)
    admin.patch(f"/api/v1/orgs/{suspended['id']}", json={"status": "suspended"})
    off = create_org(admin, name="Disabled Guard")
    disabled = sia_receiver()
    add_receiver(admin, off["id"], disabled, enabled=False)
    panic(user)
    drain(app)
    assert [e.event_type for e in here.wait_for(2)] == ["120", "616"]  # nobody on duty
    assert [c.wait_for(1, timeout=0.1) for c in (there, gone, disabled)] == [[], [], []]


def test_the_periodic_link_test_reaches_every_receiver(app, world, sia_receiver, drain):
    from safety.notify.worker import Worker

    primary, secondary = sia_receiver(), sia_receiver(transport="udp", key=KEY)
    add_receiver(world.admin, world.org["id"], primary)
    add_receiver(world.admin, world.org["id"], secondary, priority=2, key=KEY,
                 key_format="text")
    with app.app_context():
        Worker(app, worker_id="w-beat").beat(force=True)  # this window's link test
    drain(app)
    for console in (primary, secondary):
        (event,) = console.wait_for(1, tests=True)
        assert contact_ids([event]) == [("1", "602", "00", "000")]
        assert event.code == "RP"  # pysiaalarm: automatic test report
    assert {e["event"] for e in station_events(world.admin, world.org["id"], tests=True)} == {
        "link_test"}


# -- delivery: down, refused, twice, another clock ---------------------------------------------


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_a_receiver_down_for_a_while_gets_the_alarm_afterwards_once(
        app, clock, world, sia_receiver, panic, drain, jobs, monkeypatch, transport):
    monkeypatch.setitem(app.config, "DC09_TIMEOUT_S", 0.3)
    port = sia_receiver.free_port(transport)
    receiver = add_receiver(world.admin, world.org["id"], port=port, transport=transport)
    alert = panic(world.user).get_json()
    drain(app)
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    (pending,) = station_events(world.org_admin, world.org["id"])
    assert pending["status"] == "pending" and pending["last_error"]
    seen = world.org_admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/{receiver['id']}")
    assert seen.get_json()["last_error"] and seen.get_json()["last_ack_at"] is None
    clock.advance(LATER)
    drain(app)  # still down: one more attempt
    console = sia_receiver(transport=transport, port=port)  # back up
    for _ in range(3):
        clock.advance(LATER)
        drain(app)
    (event,) = console.wait_for(1, timeout=1)
    assert event.ri == zone_of(world.admin, alert["id"])
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "sent" and job.attempts >= 2
    # the same sequence number every time: a receiver can tell a repeat
    assert len({t["seq"] for t in job.result["tries"]}) == 1
    seen = world.org_admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/{receiver['id']}")
    assert seen.get_json()["last_ack_at"] is not None


def test_events_of_one_alert_arrive_in_order_after_an_outage(app, clock, world, sia_receiver,
                                                            panic, drain, jobs):
    port = sia_receiver.free_port()
    add_receiver(world.admin, world.org["id"], port=port)
    alert = panic(world.user).get_json()
    zone = zone_of(world.admin, alert["id"])
    drain(app)
    clock.advance(LATER)
    drain(app)  # the panic has failed twice: its next try is well after the restore's first
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    console = sia_receiver(port=port)
    drain(app)  # the restore may not go before the panic: it waits
    assert console.wait_for(1, timeout=0.3) == []
    restore = [j for j in alarm_jobs(app, jobs) if j.kind == "dc09_restore"][0]
    assert restore.status == "pending" and restore.attempts == 0
    for _ in range(4):
        clock.advance(LATER)
        drain(app)
    assert contact_ids(console.wait_for(2)) == [("1", "120", "01", zone),
                                                ("3", "120", "01", zone)]


def test_a_nak_with_the_receivers_time_is_sent_again_corrected(app, clock, world, sia_receiver,
                                                               panic, drain, jobs):
    console = sia_receiver(key=KEY)
    receiver = add_receiver(world.admin, world.org["id"], console, key=KEY, key_format="text")
    clock.advance(120)  # our clock is two minutes ahead of the console's
    alert = panic(world.user).get_json()
    drain(app)
    (event,) = console.wait_for(1)
    assert abs((event.timestamp - datetime.now(UTC)).total_seconds()) < 10
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "sent" and job.attempts == 1
    assert [t["answer"] for t in job.result["tries"]] == ["NAK", "ACK"]
    seen = world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/{receiver['id']}")
    assert seen.get_json()["clock_offset_s"] == pytest.approx(-120, abs=5)
    # the next message goes with the corrected time at once
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    drain(app)
    assert len(console.wait_for(2)) == 2
    restore = [j for j in alarm_jobs(app, jobs) if j.kind == "dc09_restore"][0]
    assert [t["answer"] for t in restore.result["tries"]] == ["ACK"]


@pytest.mark.parametrize("primary_is", ["down", "refusing"])
def test_the_secondary_gets_it_when_the_primary_does_not(app, world, sia_receiver, panic, drain,
                                                         jobs, primary_is):
    if primary_is == "down":
        first = add_receiver(world.admin, world.org["id"], port=sia_receiver.free_port())
    else:  # a console that does not know our account: NAK
        refusing = sia_receiver(account="9999")
        first = add_receiver(world.admin, world.org["id"], refusing)
    second_console = sia_receiver(transport="udp")
    second = add_receiver(world.admin, world.org["id"], second_console, priority=2)
    panic(world.user)
    drain(app)
    assert len(second_console.wait_for(1)) == 1
    if primary_is == "refusing":
        assert refusing.wait_for(1, timeout=0.1) == []
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "sent" and job.attempts == 1
    assert job.result["delivered_to"] == second["id"]
    assert [t["receiver_id"] for t in job.result["tries"]] == [first["id"], second["id"]]
    (listed,) = station_events(world.admin, world.org["id"])
    assert listed["delivered_to"] == second["id"]
    primary = world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/{first['id']}")
    assert primary.get_json()["last_error"]


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_a_duplicate_ack_makes_no_duplicate(app, world, sia_receiver, panic, drain, jobs,
                                            transport):
    console = sia_receiver(transport=transport, answers=2)
    add_receiver(world.admin, world.org["id"], console)
    alert = panic(world.user).get_json()
    drain(app)
    world.user.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    drain(app)
    drain(app)
    events = console.wait_for(3, timeout=0.2)
    assert [e.event_qualifier for e in events] == ["1", "3"]
    done = alarm_jobs(app, jobs)
    assert [(j.status, j.attempts) for j in done] == [("sent", 1), ("sent", 1)]
    seqs = [int(e.sequence) for e in events]
    assert seqs[1] > seqs[0]  # each message its own number


def test_a_sent_event_is_never_sent_again(app, clock, world, sia_receiver, panic, drain, jobs):
    console = sia_receiver()
    add_receiver(world.admin, world.org["id"], console)
    panic(world.user)
    drain(app)
    console.wait_for(1)
    for _ in range(3):
        clock.advance(LATER)
        drain(app)
    assert len(console.wait_for(2, timeout=0.3)) == 1
    assert [j.status for j in alarm_jobs(app, jobs)] == ["sent"]


def test_an_event_not_delivered_in_time_is_given_up(app, clock, world, sia_receiver, panic,
                                                    drain, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "DC09_RETRY_FOR_S", 20)
    add_receiver(world.admin, world.org["id"], port=sia_receiver.free_port())
    panic(world.user)
    drain(app)
    for _ in range(5):
        clock.advance(LATER)
        drain(app)
    (job,) = alarm_jobs(app, jobs, kind="dc09_panic")
    assert job.status == "failed" and "given up" in job.last_error


def test_a_key_that_cannot_be_read_any_more_is_reported(app, world, sia_receiver, panic, drain,
                                                        jobs, monkeypatch):
    console = sia_receiver(key=KEY)
    receiver = add_receiver(world.admin, world.org["id"], console, key=KEY, key_format="text")
    monkeypatch.setitem(app.config, "DC09_KEYS_SECRET", "another secret altogether")
    panic(world.user)
    drain(app)
    (job,) = alarm_jobs(app, jobs)
    assert job.status == "pending" and "cannot be read" in job.last_error
    seen = world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/{receiver['id']}")
    assert "cannot be read" in seen.get_json()["last_error"]
    assert console.wait_for(1, timeout=0.3) == []


def test_with_no_receiver_a_panic_does_no_station_work(app, world, panic, jobs):
    panic(world.user)
    assert alarm_jobs(app, jobs) == []


# -- the dc09-test command ---------------------------------------------------------------------


def test_dc09_test_sends_a_link_test_and_prints_the_answer(app, world, sia_receiver):
    console = sia_receiver(key=KEY)
    add_receiver(world.admin, world.org["id"], console, key=KEY, key_format="text",
                 enabled=False)  # onboarding: tried before it is enabled
    add_receiver(world.admin, world.org["id"], priority=2, port=sia_receiver.free_port())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["safety", "dc09-test", world.org["name"]])
    assert result.exit_code == 1, result.output  # the secondary is down
    assert "receiver 1 (disabled)" in result.output and "ACK" in result.output
    assert "receiver 2 (enabled)" in result.output and "ConnectionRefused" in result.output
    (event,) = console.wait_for(1, tests=True)
    assert contact_ids([event]) == [("1", "602", "00", "000")]
    with app.app_context():
        db.session.execute(text("DELETE FROM monitoring_receivers WHERE priority = 2"))
        db.session.commit()
    result = runner.invoke(args=["safety", "dc09-test", world.org["id"]])
    assert result.exit_code == 0, result.output
    assert len(console.wait_for(2, tests=True)) == 2
    result = runner.invoke(args=["safety", "dc09-test", "No Such Guard"])
    assert result.exit_code != 0 and "no organisation" in result.output


# -- the receivers' API ------------------------------------------------------------------------


def test_platform_admin_adds_a_receiver_and_its_key_is_never_answered(app, world):
    body = add_receiver(world.admin, world.org["id"], port=3061, key="00112233445566778899"
                        "AABBCCDDEEFF", account="12ab", label="Kuzet ПЦН")
    assert body["encrypted"] is True and body["key_bits"] == 128
    assert "key" not in body and "key_sealed" not in body and "key_format" not in body
    assert body["account"] == "12AB" and body["extended_data"] == "single"
    for who in (world.admin, world.org_admin):
        listed = who.get(f"/api/v1/orgs/{world.org['id']}/receivers").get_json()["items"]
        one = who.get(f"/api/v1/orgs/{world.org['id']}/receivers/{body['id']}").get_json()
        assert listed == [one] and "key" not in one and "AABBCC" not in str(one)
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM monitoring_receivers")).mappings().one()
        assert sealed.unseal(app.config, stored["key_sealed"]) == key  # sealed, not lost
    assert "00112233445566778899AABBCCDDEEFF" not in str(dict(stored)).upper()
    assert key not in stored["key_sealed"].encode()


def test_keys_of_each_size_and_format(world):
    path = f"/api/v1/orgs/{world.org['id']}/receivers"
    for key, key_format, bits in [
            ("00" * 16, "hex", 128), ("ab" * 24, "hex", 192), ("CD" * 32, None, 256),
            ("a" * 16, "text", 128), ("b" * 24, "text", 192), ("c" * 32, "text", 256)]:
        body = {"key": key, **({"key_format": key_format} if key_format else {})}
        made = add_receiver(world.admin, world.org["id"], port=3061, **body)
        assert made["key_bits"] == bits, (key, key_format)
        assert world.admin.delete(f"{path}/{made['id']}").status_code == 204


def test_a_key_is_changed_and_removed(world):
    made = add_receiver(world.admin, world.org["id"], port=3061, key="11" * 16)
    path = f"/api/v1/orgs/{world.org['id']}/receivers/{made['id']}"
    r = world.admin.patch(path, json={"key": "22" * 32})
    assert r.status_code == 200 and r.get_json()["key_bits"] == 256
    r = world.admin.patch(path, json={"key": None})
    assert r.status_code == 200 and r.get_json()["encrypted"] is False
    r = world.admin.patch(path, json={"port": 3062, "transport": "udp", "enabled": False})
    assert r.get_json()["port"] == 3062 and r.get_json()["enabled"] is False


BAD_RECEIVERS = [
    ({"port": 0}, "port"), ({"port": 65536}, "port"), ({"port": "x"}, "port"),
    ({"transport": "sctp"}, "transport"), ({"host": "tcp://10.0.0.1"}, "host"),
    ({"host": "10.0.0.1:3061"}, "host"), ({"host": ""}, "host"), ({"host": "a b"}, "host"),
    ({"host": "-bad.example"}, "host"), ({"account": "12"}, "account"),
    ({"account": "XYZ1"}, "account"), ({"account": "1" * 17}, "account"),
    ({"key": "00" * 15}, "key"), ({"key": "zz" * 16}, "key"),
    ({"key": "short", "key_format": "text"}, "key"),
    ({"key": "ключ" * 4, "key_format": "text"}, "key"),
    ({"key": "00" * 16, "key_format": "base64"}, "key_format"),
    ({"key_format": "hex"}, "key_format"), ({"priority": 0}, "priority"),
    ({"priority": 6}, "priority"), ({"receiver_number": "1234567"}, "receiver_number"),
    ({"line_prefix": "G"}, "line_prefix"), ({"extended_data": "all"}, "extended_data"),
    ({"key": "00" * 16, "key_sealed": "x"}, "key_sealed"), ({"label": "   "}, "label"),
    ({"enabled": "maybe"}, "enabled"), ({"host": "h\u0000st"}, "host"),
]


def test_bad_receivers_are_422_and_nothing_is_stored(world):
    for body, field in BAD_RECEIVERS:
        payload = {"priority": 1, "host": "127.0.0.1", "port": 3061, "account": "1234", **body}
        r = world.admin.post(f"/api/v1/orgs/{world.org['id']}/receivers", json=payload)
        assert r.status_code == 422, (body, r.get_json())
        assert r.headers["Content-Type"] == "application/problem+json"
        assert field in r.get_json()["errors"], (body, r.get_json())
    assert world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers").get_json()["items"] == []


def test_bad_changes_are_422_and_change_nothing(world):
    made = add_receiver(world.admin, world.org["id"], port=3061)
    path = f"/api/v1/orgs/{world.org['id']}/receivers/{made['id']}"
    for body in ({}, {"port": -1}, {"host": None}, {"key": "nope"}, {"id": str(uuid.uuid4())}):
        r = world.admin.patch(path, json=body)
        assert r.status_code == 422, (body, r.get_json())
    assert world.admin.get(path).get_json() == made


def test_one_priority_per_receiver(world):
    add_receiver(world.admin, world.org["id"], port=3061)
    r = world.admin.post(f"/api/v1/orgs/{world.org['id']}/receivers", json={
        "priority": 1, "host": "10.0.0.2", "port": 3061, "account": "1234"})
    assert r.status_code == 409
    second = add_receiver(world.admin, world.org["id"], port=3061, priority=2)
    r = world.admin.patch(f"/api/v1/orgs/{world.org['id']}/receivers/{second['id']}",
                          json={"priority": 1})
    assert r.status_code == 409
    assert len(world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers")
               .get_json()["items"]) == 2


def test_receivers_are_audited_without_their_keys(world):
    made = add_receiver(world.admin, world.org["id"], port=3061, key="33" * 16)
    path = f"/api/v1/orgs/{world.org['id']}/receivers/{made['id']}"
    world.admin.patch(path, json={"key": "44" * 16, "port": 3062})
    world.admin.delete(path)
    events = world.admin.get(f"/api/v1/orgs/{world.org['id']}/audit").get_json()["items"]
    mine = [e for e in events if e["action"].startswith("org.receiver_")]
    assert [e["action"] for e in mine] == ["org.receiver_removed", "org.receiver_updated",
                                           "org.receiver_added"]
    assert all(e["changes"]["receiver_id"] == made["id"] for e in mine)
    assert mine[1]["changes"]["fields"]["port"] == {"before": 3061, "after": 3062}
    assert mine[1]["changes"]["fields"]["key"] == {"before": "<redacted>",
                                                   "after": "<redacted>"}
    assert mine[2]["changes"]["fields"]["key"] == {"before": None, "after": "<redacted>"}
    assert "33" * 16 not in str(events) and "44" * 16 not in str(events)


@pytest.fixture
def other_org(world, make_person, create_org, add_member):
    org = create_org(world.admin, name="Other Guard")
    boss = make_person(name="Other Org Admin")
    add_member(world.admin, org["id"], boss, "org_admin")
    return org, boss


def test_org_admins_see_their_receivers_but_may_not_change_them(world):
    made = add_receiver(world.admin, world.org["id"], port=3061)
    base = f"/api/v1/orgs/{world.org['id']}/receivers"
    boss = world.org_admin
    r = boss.post(base, json={"priority": 2, "host": "10.0.0.9", "port": 1, "account": "999"})
    assert r.status_code == 403
    assert boss.patch(f"{base}/{made['id']}", json={"port": 1}).status_code == 403
    assert boss.delete(f"{base}/{made['id']}").status_code == 403
    assert world.admin.get(f"{base}/{made['id']}").get_json() == made
    assert len(world.admin.get(base).get_json()["items"]) == 1


@pytest.mark.parametrize("who", ["other_org_admin", "responder", "stranger", "her"])
def test_everyone_else_is_told_nothing(world, other_org, stranger, who, panic):
    made = add_receiver(world.admin, world.org["id"], port=3061)
    person = {"other_org_admin": other_org[1], "responder": world.responders["r500"],
              "stranger": stranger, "her": world.user}[who]
    base = f"/api/v1/orgs/{world.org['id']}"
    for method, path, body in [
            ("get", f"{base}/receivers", None), ("get", f"{base}/receivers/{made['id']}", None),
            ("post", f"{base}/receivers", {"priority": 2, "host": "h", "port": 1,
                                            "account": "123"}),
            ("patch", f"{base}/receivers/{made['id']}", {"port": 2}),
            ("delete", f"{base}/receivers/{made['id']}", None),
            ("get", f"{base}/station-events", None)]:
        r = getattr(person, method)(path, **({"json": body} if body is not None else {}))
        assert r.status_code == 404, (method, path, r.status_code)
    assert world.admin.get(f"{base}/receivers/{made['id']}").get_json() == made


def test_a_receiver_of_another_organisation_is_404(world, other_org):
    theirs = add_receiver(world.admin, other_org[0]["id"], port=3061)
    for who in (world.admin, world.org_admin):
        path = f"/api/v1/orgs/{world.org['id']}/receivers/{theirs['id']}"
        assert who.get(path).status_code == 404
    assert world.admin.patch(f"/api/v1/orgs/{world.org['id']}/receivers/{theirs['id']}",
                             json={"port": 1}).status_code == 404
    assert world.admin.delete(f"/api/v1/orgs/{world.org['id']}/receivers/"
                              f"{theirs['id']}").status_code == 404
    assert world.admin.get(f"/api/v1/orgs/{world.org['id']}/receivers/"
                           f"{uuid.uuid4()}").status_code == 404
    assert world.admin.get(f"/api/v1/orgs/{uuid.uuid4()}/receivers").status_code == 404


def test_station_events_are_the_organisations_own(app, world, other_org, sia_receiver, panic,
                                                  drain, make_person):
    add_receiver(world.admin, world.org["id"], sia_receiver())
    add_receiver(world.admin, other_org[0]["id"], sia_receiver())
    first = panic(world.user).get_json()
    second = panic(make_person(name="Dana")).get_json()
    drain(app)
    mine = station_events(world.org_admin, world.org["id"])
    assert {e["alert_id"] for e in mine} == {first["id"], second["id"]}
    assert all("link" not in e and "lat" not in e for e in mine)
    assert len(station_events(other_org[1], other_org[0]["id"])) == 2
    only = station_events(world.org_admin, world.org["id"], alert_id=first["id"])
    assert [e["alert_id"] for e in only] == [first["id"]]
    assert only[0]["alert_number"] == int(zone_of(world.admin, first["id"]))
    page = world.admin.get(f"/api/v1/orgs/{world.org['id']}/station-events",
                           query_string={"limit": 1}).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]


# -- the alert's short number ------------------------------------------------------------------


def test_the_alert_number_is_for_staff_only(app, world, make_person, make_guardian, panic,
                                            offers_of):
    mom = make_person(name="Mom")
    make_guardian(world.user, mom)
    alert = panic(world.user).get_json()
    r500 = world.responders["r500"]
    did = offers_of(r500)[0]["dispatch_id"]
    r500.post(f"/api/v1/dispatches/{did}/accept")
    path = f"/api/v1/alerts/{alert['id']}"
    numbers = {name: person.get(path).get_json().get("number") for name, person in
               [("admin", world.admin), ("org_admin", world.org_admin), ("responder", r500),
                ("her", world.user), ("guardian", mom)]}
    assert numbers["admin"] == numbers["org_admin"] == numbers["responder"]
    assert 1 <= numbers["admin"] <= 999
    assert numbers["her"] is None and numbers["guardian"] is None
    assert "number" not in world.user.get(path).get_json()


def test_live_alerts_have_different_numbers(app, make_person, panic, admin):
    ids = [panic(make_person(name=f"W{i}")).get_json()["id"] for i in range(8)]
    numbers = [admin.get(f"/api/v1/alerts/{i}").get_json()["number"] for i in ids]
    assert len(set(numbers)) == 8 and all(1 <= n <= 999 for n in numbers)


def test_numbers_run_out_without_failing_a_panic(app, make_person, panic, admin, monkeypatch):
    from safety.alerts import commands

    monkeypatch.setattr(commands, "NUMBERS", 2)
    ids = [panic(make_person(name=f"W{i}")).get_json()["id"] for i in range(3)]
    numbers = sorted((admin.get(f"/api/v1/alerts/{i}").get_json()["number"] or 0) for i in ids)
    assert numbers == [0, 1, 2]
    with app.app_context():
        live = db.session.scalars(select(text("number")).select_from(text("alerts"))).all()
    assert sorted(n or 0 for n in live) == [0, 1, 2]


def test_a_number_rests_after_its_alert_ends_while_others_are_free(app, make_person, panic,
                                                                  admin, clock, monkeypatch):
    """The database picks the number (commands.free_number): never one a live alert holds;
    not one whose alert ended in the last NUMBER_REST while another is free; a resting one
    rather than none once only those are left; and after the rest they are free again."""
    from safety.alerts import commands

    monkeypatch.setattr(commands, "NUMBERS", 4)

    def number_of(person):
        r = panic(person)
        assert r.status_code == 201, r.get_json()
        alert_id = r.get_json()["id"]
        return alert_id, admin.get(f"/api/v1/alerts/{alert_id}").get_json()["number"]

    resting = set()
    for i in range(3):  # three alerts end: their numbers rest
        woman = make_person(name=f"W{i}", pin="1234")
        alert_id, number = number_of(woman)
        assert number not in resting
        resting.add(number)
        assert woman.post(f"/api/v1/alerts/{alert_id}/cancel", json={"pin": "1234"}
                          ).status_code == 200
    (free,) = {1, 2, 3, 4} - resting
    assert number_of(make_person(name="Fourth"))[1] == free  # the one not resting
    second = number_of(make_person(name="Fifth"))[1]  # only resting ones left: one of them
    assert second in resting
    clock.advance(commands.NUMBER_REST.total_seconds() + 1)  # the rest is over
    third = number_of(make_person(name="Sixth"))[1]
    assert third in resting - {second}  # never a live alert's


def test_women_panicking_at_the_same_moment_get_different_numbers(app, make_person, admin,
                                                                  monkeypatch):
    """Each INSERT picks a free number in the database; two that pick the same one at once are
    told apart by the unique index, and the loser's INSERT picks again: every panic is raised,
    no two live alerts share a number (with few numbers left, a woman who loses three races
    has none rather than a failed panic)."""
    import threading

    from safety.alerts import commands

    monkeypatch.setattr(commands, "NUMBERS", 6)
    women = [make_person(name=f"W{i}") for i in range(4)]
    results = []
    barrier = threading.Barrier(len(women))

    def press(woman):
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/alerts", headers=woman.headers, json={
            "client_id": str(uuid.uuid4()), "trigger": "button",
            "location": {"lat": 43.25, "lon": 76.92}})
        results.append((r.status_code, r.get_json().get("id")))

    threads = [threading.Thread(target=press, args=(w,)) for w in women]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results) == [201] * 4
    numbers = [admin.get(f"/api/v1/alerts/{i}").get_json()["number"] for _, i in results]
    given = [n for n in numbers if n is not None]
    assert len(set(given)) == len(given) and all(1 <= n <= 6 for n in given)

