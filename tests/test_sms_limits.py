"""SMS per alert and per contact per day, and her name made safe for an SMS (issue 9, item 10)."""

from __future__ import annotations

import pytest

from safety.notify.channels.sms import NAME_FALLBACK, sms_safe_name

CONTACT = "+77015550123"


def add_contact(person, phone=CONTACT, name="Neighbour"):
    r = person.post("/api/v1/me/contacts", json={"name": name, "phone": phone})
    assert r.status_code == 201, r.get_json()


@pytest.fixture
def panic_and_cancel(panic):
    def panic_and_cancel(person):
        r = panic(person)
        assert r.status_code == 201, r.get_json()
        alert = r.get_json()
        assert person.post(f"/api/v1/alerts/{alert['id']}/cancel",
                           json={"pin": "1234"}).status_code == 200
        return alert

    return panic_and_cancel


@pytest.fixture
def sms_to(jobs):
    def sms_to(app, phone, status=None):
        return [j for j in jobs(app, kind="alert_sms")
                if j.payload["phone"] == phone and (status is None or j.status == status)]

    return sms_to


def test_sms_to_one_contact_stop_at_the_daily_limit_and_the_panic_goes_on(
        app, user, monkeypatch, sms_to, panic_and_cancel):
    monkeypatch.setitem(app.config, "SMS_PER_CONTACT_PER_DAY", 2)
    add_contact(user)
    for _ in range(3):
        panic_and_cancel(user)
    assert len(sms_to(app, CONTACT, "pending")) == 2
    (skipped,) = sms_to(app, CONTACT, "skipped")
    assert skipped.result == {"skipped": "SMS_PER_CONTACT_PER_DAY"}
    assert "text" not in skipped.payload  # no text, no tracking link was made for it


def test_the_daily_limit_is_a_rolling_day(app, clock, user, monkeypatch, panic_and_cancel, sms_to):
    monkeypatch.setitem(app.config, "SMS_PER_CONTACT_PER_DAY", 1)
    add_contact(user)
    panic_and_cancel(user)
    panic_and_cancel(user)
    clock.advance(24 * 3600 + 1)
    panic_and_cancel(user)
    assert len(sms_to(app, CONTACT, "pending")) == 2


def test_a_skipped_sms_shows_in_her_alert_as_skipped(app, user, monkeypatch, panic,
                                                     panic_and_cancel):
    monkeypatch.setitem(app.config, "SMS_PER_CONTACT_PER_DAY", 1)
    add_contact(user)
    panic_and_cancel(user)
    alert = panic(user).get_json()
    sms = [n for n in alert["notifications"] if n["kind"] == "alert_sms"]
    assert [n["status"] for n in sms] == ["skipped"]


def test_sms_per_alert_are_capped(app, user, monkeypatch, panic, jobs):
    monkeypatch.setitem(app.config, "SMS_PER_ALERT_MAX", 2)
    for k in range(3):
        add_contact(user, phone=f"+7701555012{k}", name=f"Neighbour {k}")
    r = panic(user)
    assert r.status_code == 201
    statuses = sorted(j.status for j in jobs(app, kind="alert_sms"))
    assert statuses == ["pending", "pending", "skipped"]


def test_another_womans_alerts_do_not_use_up_her_contacts_sms(app, user, make_person, monkeypatch,
                                                              panic, panic_and_cancel, sms_to):
    """He adds her mother's number to his own account and panics: her SMS still go out."""
    monkeypatch.setitem(app.config, "SMS_PER_CONTACT_PER_DAY", 1)
    him = make_person(pin="1234")
    add_contact(him)
    panic_and_cancel(him)
    panic_and_cancel(him)
    add_contact(user)
    panic(user)
    mine = [j for j in sms_to(app, CONTACT) if j.status == "pending"]
    assert len(mine) == 2  # his first, and hers


# -- her name in an SMS --------------------------------------------------------------------


@pytest.mark.parametrize("name, shown", [
    ("Mom http://evil.example/login", "Mom"),
    ("Aigerim www.bad.kz", "Aigerim"),
    ("x\n\nYour bank: call +7 701 000 00 00", "x Your bank call"),
    ("Dana evil\u200b.com", "Dana"),          # a zero-width space hiding a dot
    ("Dana ｅｖｉｌ．ｃｏｍ", "Dana"),           # full-width letters and dot
    ("Dana bad\u3002kz", "Dana"),              # an ideographic full stop
    ("Dana mail@bad.kz", "Dana"),
    ("Dana \u202emoc.live", "Dana"),           # a right-to-left override
    ("Айгерим Нұрланқызы", "Айгерим Нұрланқызы"),
    ("Jean-Luc O'Neil", "Jean-Luc O'Neil"),
    ("Aigerim, N.", "Aigerim N"),
    ("http://evil.example", NAME_FALLBACK),
    ("Aigerim " + "Nurlanovna" * 5, "Aigerim"),
    ("A" * 60, "A" * 40),
])
def test_her_name_is_made_safe_for_an_sms(name, shown):
    assert sms_safe_name(name, 40) == shown


@pytest.mark.parametrize("name", [
    "Mom http://evil.example/login",
    "Aigerim www.bad.kz",
    "x\n\nYour bank: call +7 701 000 00 00",
])
def test_a_panic_sms_carries_no_link_but_ours(app, make_person, name, panic, sms_to):
    her = make_person(name=name, pin="1234")
    add_contact(her)
    assert panic(her).status_code == 201
    (sms,) = sms_to(app, CONTACT)
    text = sms.payload["text"]
    before_link = text.split("Her live location:")[0]
    for bad in ("http", "www", ".example", ".kz", "\n", "+7", "bank:"):
        assert bad not in before_link
    assert text.count("http") == 1 and app.config["PUBLIC_BASE_URL"] + "/t/" in text
    assert len(before_link.split(" pressed her panic button")[0]) <= 40
