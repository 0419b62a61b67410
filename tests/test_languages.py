"""Each person reads in their own language and time zone: pushes (real firebase-admin against
the fake FCM), SMS, the tracking page, problem+json answers; discreet notifications; the
language settings on /me and on contacts."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from safety.extensions import db

# 12:00:30 UTC: 17:00 in every Kazakh zone in 2026 (one zone, UTC+5, since 1 March 2024).
NOON_UTC = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)
# What a lock screen must never show someone who chose discreet notifications, in any language.
ALARMING = ("panic", "alert", "alarm", "sos", "help", "danger", "duress", "emergency",
            "паник", "тревог", "помощ", "опасн", "принужд", "экстрен",
            "дабыл", "көмек", "қауіп", "мәжбүр", "төтенше")
NEUTRAL = {"en": ("Reminder", "Open the app"), "ru": ("Напоминание", "Откройте приложение"),
           "kk": ("Еске салу", "Қосымшаны ашыңыз")}


@pytest.fixture
def at_noon(clock):
    """The app's clock at NOON_UTC (give or take the test's own run time)."""
    clock.offset = NOON_UTC - datetime.now(UTC)
    return clock


@pytest.fixture
def her(make_person):
    """She reads Kazakh."""
    return make_person(name="Aigerim", pin="1234", duress_pin="9999", locale="kk")


@pytest.fixture
def responder_kk(admin, make_person, create_org, add_member, on_duty, register_device):
    org = create_org(admin)
    p = make_person(name="Serik", locale="kk")
    add_member(admin, org["id"], p, "responder")
    on_duty(p, 500)
    register_device(p, "tok-serik")
    return p


def _notification(fcm, token) -> dict:
    (msg,) = fcm.sent_to(token)
    return msg


def bare(headers: dict | None = None) -> dict:
    """Request options without the tests' default `Accept-Language: en`."""
    return {"environ_base": {"HTTP_ACCEPT_LANGUAGE": ""}, "headers": headers or {}}


# -- pushes ---------------------------------------------------------------------------------------


def test_a_russian_guardian_and_a_kazakh_responder_each_read_her_panic_in_their_language(
        app, at_noon, her, make_person, make_guardian, register_device, responder_kk, fcm,
        panic, drain):
    mother = make_person(name="Gulnara", locale="ru")
    make_guardian(her, mother)
    register_device(mother, "tok-mother")
    assert panic(her).status_code == 201
    drain(app)
    to_mother = _notification(fcm, "tok-mother")["notification"]
    assert to_mother["title"] == "Aigerim просит о помощи"
    assert to_mother["body"] == ("Она нажала тревожную кнопку в 17:00. Нажмите, чтобы увидеть, "
                                 "где она.")
    to_responder = _notification(fcm, "tok-serik")["notification"]
    assert to_responder["title"] == "Дабыл: жақын жерде әйелге көмек керек"
    assert to_responder["body"] == "Қашықтығы: 500 м. Қабылдау үшін ашыңыз."


def test_every_later_push_is_in_the_readers_language_too(
        app, her, make_person, make_guardian, register_device, responder_kk, fcm, panic,
        drain, offers_of):
    mother = make_person(name="Gulnara", locale="ru")
    make_guardian(her, mother)
    register_device(mother, "tok-mother")
    register_device(her, "tok-her")
    panic(her)
    (offer,) = offers_of(responder_kk)
    did = offer["dispatch_id"]
    assert responder_kk.post(f"/api/v1/dispatches/{did}/accept").status_code == 200
    assert responder_kk.post(f"/api/v1/dispatches/{did}/status",
                             json={"status": "en_route"}).status_code == 200
    drain(app)
    shown = {token: [(m["notification"]["title"], m["notification"]["body"])
                     for m in fcm.sent_to(token)] for token in ("tok-mother", "tok-her")}
    titles = {token: [title for title, _body in pushes] for token, pushes in shown.items()}
    assert ("Aigerim: помощь уже в пути", "Serik (Kuzet Security) принимает её тревогу.") \
        in shown["tok-mother"]
    assert "Serik едет к ней: Aigerim" in titles["tok-mother"]
    assert ("Көмек келе жатыр", "Serik (Kuzet Security) сіздің дабылыңызды қабылдады.") \
        in shown["tok-her"]
    assert "Serik жолда" in titles["tok-her"]


def test_times_are_shown_in_each_readers_time_zone(app, at_noon, her, make_person,
                                                    make_guardian, register_device, fcm, panic,
                                                    drain):
    readers = {"tok-almaty": "Asia/Almaty", "tok-aqtobe": "Asia/Aqtobe", "tok-utc": "UTC"}
    for token, zone in readers.items():
        guardian = make_person(name=zone, locale="en", time_zone=zone)
        make_guardian(her, guardian, name=zone)
        register_device(guardian, token)
    panic(her)
    drain(app)
    bodies = {t: _notification(fcm, t)["notification"]["body"] for t in readers}
    assert "at 5:00 PM" in bodies["tok-almaty"]
    assert "at 5:00 PM" in bodies["tok-aqtobe"]  # the same zone since March 2024
    assert "at 12:00 PM" in bodies["tok-utc"]


def test_almaty_and_aqtobe_differed_by_an_hour_before_march_2024(ctx):
    from safety.i18n import LocalTime, render

    summer_2023 = LocalTime(datetime(2023, 6, 1, 12, 0, tzinfo=UTC))
    assert render(summer_2023, "ru", "Asia/Almaty") == "18:00"
    assert render(summer_2023, "ru", "Asia/Aqtobe") == "17:00"
    now_2026 = LocalTime(NOON_UTC)
    assert render(now_2026, "kk", "Asia/Almaty") == render(now_2026, "kk", "Asia/Aqtobe") \
        == "17:00"
    assert render(now_2026, "kk", "UTC") == "12:00"


def test_numbers_and_plural_forms_follow_the_readers_language(ctx):
    from safety.i18n import Distance, Minutes, _n, render

    assert render(Distance(1234), "ru") == "1,2 км"
    assert render(Distance(1234), "en") == "1.2 km"
    assert render(Distance(347), "kk") == "350 м"
    assert render(Minutes(5), "ru") == "5 мин"
    texts = {n: _n("You can have at most %(num)d trusted contact.",
                   "You can have at most %(num)d trusted contacts.", n) for n in (1, 2, 5, 21)}
    ru = {n: render(t, "ru") for n, t in texts.items()}
    assert ru[1].endswith("1 доверенный контакт.")
    assert ru[2].endswith("2 доверенных контакта.")
    assert ru[5].endswith("5 доверенных контактов.")
    assert ru[21].endswith("21 доверенный контакт.")
    assert render(texts[1], "en").endswith("1 trusted contact.")
    assert render(texts[5], "en").endswith("5 trusted contacts.")
    assert render(texts[5], "kk") == "Ең көбі 5 сенімді байланыс қоса аласыз."


def test_a_bad_stored_time_zone_never_stops_a_panic(app, her, make_person, make_guardian,
                                                     register_device, fcm, panic, drain):
    mother = make_person(name="Gulnara", locale="ru")
    make_guardian(her, mother)
    register_device(mother, "tok-mother")
    with app.app_context():
        users = db.metadata.tables["users"]
        db.session.execute(users.update().where(users.c.id == mother.id)
                           .values(time_zone="Mars/Olympus", locale="xx"))
        db.session.commit()
    assert panic(her).status_code == 201
    drain(app)
    assert _notification(fcm, "tok-mother")["notification"]["title"] == "Aigerim needs help"


# -- discreet notifications -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_discreet_notifications_show_nothing_alarming_on_her_lock_screen(
        app, locale, make_person, make_guardian, register_device, responder_kk, fcm, panic,
        drain, offers_of):
    her = make_person(name="Aigerim", pin="1234", locale=locale)
    assert her.patch("/api/v1/me", json={"discreet_notifications": True}).status_code == 200
    register_device(her, "tok-her")
    mother = make_person(name="Gulnara", locale=locale)
    make_guardian(her, mother)
    alert = panic(her).get_json()
    assert mother.post(f"/api/v1/alerts/{alert['id']}/acknowledge",
                       json={"message": "I see the SOS, calling you"}).status_code == 200
    (offer,) = offers_of(responder_kk)
    responder_kk.post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept")
    drain(app)
    sent = fcm.sent_to("tok-her")
    assert {m["data"]["type"] for m in sent} == {"alert_ack", "dispatch_accepted"}
    for msg in sent:
        shown = msg["notification"]
        assert (shown["title"], shown["body"]) == NEUTRAL[locale]
        words = (shown["title"] + " " + shown["body"]).lower()
        assert not [w for w in ALARMING if w in words], words
        assert msg["data"]["discreet"] == "1"  # the app shows the real texts inside
    real = {m["data"]["type"]: m["data"] for m in sent}
    assert real["alert_ack"]["body"] == "I see the SOS, calling you"
    assert "Gulnara" in real["alert_ack"]["title"]
    assert "Serik" in real["dispatch_accepted"]["body"]


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_a_discreet_guardian_gets_her_panic_with_a_neutral_lock_screen(
        app, locale, her, make_person, make_guardian, register_device, fcm, panic, drain):
    mother = make_person(name="Gulnara", locale=locale)
    mother.patch("/api/v1/me", json={"discreet_notifications": True})
    make_guardian(her, mother)
    register_device(mother, "tok-mother")
    alert = panic(her).get_json()
    drain(app)
    msg = _notification(fcm, "tok-mother")
    assert (msg["notification"]["title"], msg["notification"]["body"]) == NEUTRAL[locale]
    assert msg["data"]["alert_id"] == alert["id"] and msg["data"]["type"] == "alert"
    assert "Aigerim" in msg["data"]["title"] and msg["data"]["discreet"] == "1"


def test_without_discreet_notifications_the_push_says_what_happened(
        app, her, make_person, make_guardian, register_device, fcm, panic, drain):
    mother = make_person(name="Gulnara", locale="en")
    make_guardian(her, mother)
    register_device(mother, "tok-mother")
    panic(her)
    drain(app)
    msg = _notification(fcm, "tok-mother")
    assert msg["notification"]["title"] == "Aigerim needs help"
    assert "discreet" not in msg["data"] and "title" not in msg["data"]


# -- SMS ------------------------------------------------------------------------------------------


@pytest.fixture
def sms_text(jobs):
    def text(app, phone) -> str:
        (job,) = [j for j in jobs(app, kind="alert_sms") if j.recipient == phone]
        return job.payload["text"]

    return text


def test_each_sms_contact_reads_in_the_contacts_language(app, at_noon, her, make_person,
                                                         panic, sms_text):
    assert her.post("/api/v1/me/contacts", json={
        "name": "Sister", "phone": "+77015550101", "locale": "ru"}).status_code == 201
    plain = her.post("/api/v1/me/contacts", json={"name": "Aunt", "phone": "+77015550102"})
    assert plain.get_json()["locale"] == "kk"  # hers, when she gives none
    make_person(name="Dana", phone="+77015550103", locale="en", time_zone="UTC")
    her.post("/api/v1/me/contacts", json={"name": "Dana", "phone": "+77015550103",
                                           "locale": "ru"})
    assert panic(her).status_code == 201
    ru = sms_text(app, "+77015550101")
    assert ru.startswith("Aigerim нажала тревожную кнопку в 17:00, возможно, она в опасности.")
    assert re.search(r"Где она сейчас: \S+/t/\S+ \. Если не можете с ней связаться, звоните 102\.",
                     ru)
    kk = sms_text(app, "+77015550102")
    assert kk.startswith("Aigerim дабыл батырмасын басты (17:00), ол қауіпте болуы мүмкін.")
    # a contact who has an account (not yet her guardian) reads in the account's language and
    # time zone, whatever the contact says
    en = sms_text(app, "+77015550103")
    assert en.startswith("Aigerim pressed her panic button at 12:00 PM and may be in danger.")
    assert en.isascii()  # GSM-7: 160 characters a segment (a CLDR no-break space would be 70)


def test_a_name_that_cannot_go_into_an_sms_reads_as_your_contact_in_each_language(
        app, make_person, panic, sms_text):
    her = make_person(name="http://evil.example", pin="1234", locale="kk")
    her.post("/api/v1/me/contacts", json={"name": "A", "phone": "+77015550104", "locale": "ru"})
    her.post("/api/v1/me/contacts", json={"name": "B", "phone": "+77015550105"})
    panic(her)
    assert sms_text(app, "+77015550104").startswith("Ваша знакомая нажала тревожную кнопку")
    assert sms_text(app, "+77015550105").startswith("Сіздің танысыңыз дабыл батырмасын басты")


@pytest.mark.parametrize("how, expected", [
    ({"headers": {"Accept-Language": "kk"}}, "Safety коды: {code}. Ол 10 минут жарамды."),
    ({"headers": {"Accept-Language": "ru-RU,ru;q=0.9"}},
     "Код Safety: {code}. Он действует 10 минут."),
    ({"headers": {"Accept-Language": "kk"}, "locale": "ru"},
     "Код Safety: {code}. Он действует 10 минут."),
    ({"headers": {"Accept-Language": "fr"}}, "Safety code: {code}. It expires in 10 minutes."),
])
def test_the_verification_code_sms_is_in_the_language_asked_for(app, client, next_phone, jobs,
                                                                 sent_code, how, expected):
    phone = next_phone()
    body = {"phone": phone, **({"locale": how["locale"]} if "locale" in how else {})}
    r = client.post("/api/v1/auth/phone-codes", json=body, headers=how["headers"])
    assert r.status_code == 202, r.get_json()
    (job,) = jobs(app, kind="phone_code", recipient=phone)
    assert job.payload["text"].startswith(expected.format(code=sent_code(app, phone)))


def test_russian_has_three_forms_for_the_codes_minutes(app, client, next_phone, jobs,
                                                        monkeypatch):
    texts = {}
    for minutes in (1, 2, 5, 21):
        monkeypatch.setitem(app.config, "PHONE_CODE_TTL_S", minutes * 60)
        phone = next_phone()
        client.post("/api/v1/auth/phone-codes", json={"phone": phone, "locale": "ru"})
        (job,) = jobs(app, kind="phone_code", recipient=phone)
        texts[minutes] = re.search(r"действует (\d+ \w+)\.", job.payload["text"]).group(1)
    assert texts == {1: "1 минуту", 2: "2 минуты", 5: "5 минут", 21: "21 минуту"}


def test_an_accounts_own_code_is_in_its_language_without_accept_language(app, make_person,
                                                                         jobs):
    unverified = make_person(name="Dana", locale="ru", verified=False)
    r = unverified.client.post("/api/v1/me/phone-codes", json={"purpose": "verify"},
                               **bare(unverified.headers))
    assert r.status_code == 202, r.get_json()
    (job,) = jobs(app, kind="phone_code", recipient=unverified.phone)
    assert job.payload["text"].startswith("Код Safety: ")


# -- problem+json ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language, title, detail", [
    ("ru", "Не найдено", "Не найдено."),
    ("kk", "Табылмады", "Табылмады."),
    ("en", "Not Found", "Not found."),
])
def test_problems_speak_the_accept_language(client, language, title, detail):
    r = client.get("/api/v1/nothing-here", headers={"Accept-Language": language})
    assert r.status_code == 404 and r.content_type == "application/problem+json"
    assert (r.get_json()["title"], r.get_json()["detail"]) == (title, detail)


def test_problems_speak_the_users_language_when_the_request_names_none(her, client):
    r = client.get(f"/api/v1/alerts/{uuid.uuid4()}", **bare(her.headers))
    assert r.status_code == 404
    assert r.get_json()["title"] == "Табылмады"
    assert r.get_json()["detail"] == "Мұндай дабыл жоқ."
    # an Accept-Language we speak wins over her account's language; one we do not, does not
    r = client.get(f"/api/v1/alerts/{uuid.uuid4()}", headers={**her.headers,
                                                               "Accept-Language": "ru"})
    assert r.get_json()["detail"] == "Такой тревоги нет."
    r = client.get(f"/api/v1/alerts/{uuid.uuid4()}", headers={**her.headers,
                                                               "Accept-Language": "fr"})
    assert r.get_json()["detail"] == "Мұндай дабыл жоқ."


def test_validation_messages_are_translated_ours_and_marshmallows(her, client):
    r = client.post("/api/v1/me/contacts", json={"phone": "call me", "relation": "x" * 61,
                                                 "locale": "de", "extra": 1},
                    headers={**her.headers, "Accept-Language": "ru"})
    assert r.status_code == 422
    body = r.get_json()
    assert body["title"] == "Данные не прошли проверку"
    assert body["detail"] == "Запрос не прошёл проверку: подробности в errors."
    assert body["errors"] == {
        "name": ["Обязательное поле не заполнено."],
        "phone": ["Это не номер телефона: допустимы только цифры, пробелы, +, -, (), ."],
        "relation": ["Длиннее максимальной длины (60)."],
        "locale": ["Допустимые значения: kk, ru, en."],
        "extra": ["Неизвестное поле."],
    }


def test_rules_of_the_service_answer_in_the_users_language(her, client):
    r = client.post("/api/v1/me/contacts", json={"name": "Me", "phone": her.phone},
                    **bare(her.headers))
    assert r.status_code == 422
    assert r.get_json()["errors"]["phone"] == [
        "Өз нөміріңізді сенімді байланыс ретінде қоса алмайсыз."]
    r = client.post("/api/v1/timers", json={"duration_s": 5, "location": {"lat": 0, "lon": 0}},
                    headers={**her.headers, "Accept-Language": "ru"})
    assert r.get_json()["errors"]["duration_s"] == [
        "Таймер ставится минимум на 60 секунд: срок должен быть не раньше, чем через 60 с."]


def test_token_problems_are_translated(client):
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-jwt",
                                          "Accept-Language": "kk"})
    assert r.status_code == 401
    assert r.get_json()["title"] == "Кіру қажет"
    assert r.get_json()["detail"].startswith("Токен жарамсыз (")


def test_a_wrong_pin_is_answered_in_her_language(her, client, panic):
    alert = panic(her).get_json()
    r = client.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "0000"},
                    **bare(her.headers))
    assert r.status_code == 403
    assert r.get_json()["title"] == "Тыйым салынған"
    assert r.get_json()["detail"] == "PIN-код қате."


# -- the tracking page ----------------------------------------------------------------------------


def test_the_tracking_page_is_in_the_contacts_language(app, her, client, panic, jobs):
    her.post("/api/v1/me/contacts", json={"name": "Sister", "phone": "+77015550101",
                                           "locale": "ru"})
    panic(her)
    (sms,) = jobs(app, kind="alert_sms")
    path = re.search(r"(/t/[A-Za-z0-9_\-]+)", sms.payload["text"]).group(1)
    page = client.get(path, **bare()).get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert "<title>Местоположение в реальном времени</title>" in page
    assert 'data-text-live="ТРЕВОГА АКТИВНА"' in page
    assert 'data-time-zone="Asia/Almaty"' in page
    assert 'href="tel:102"' in page and 'href="tel:112"' in page
    kk = client.get(path + "?lang=kk").get_data(as_text=True)
    assert '<html lang="kk">' in kk and "ДАБЫЛ БЕЛСЕНДІ" in kk
    assert client.get(path + "?lang=xx").get_data(as_text=True).startswith(
        '<!doctype html>\n<html lang="ru">')


def test_the_expired_page_is_in_the_contacts_language_too(app, clock, her, client, panic, jobs):
    her.post("/api/v1/me/contacts", json={"name": "Sister", "phone": "+77015550101",
                                           "locale": "ru"})
    alert = panic(her).get_json()
    (sms,) = jobs(app, kind="alert_sms")
    path = re.search(r"(/t/[A-Za-z0-9_\-]+)", sms.payload["text"]).group(1)
    her.post(f"/api/v1/alerts/{alert['id']}/cancel", json={"pin": "1234"})
    clock.advance(app.config["TRACKING_GRACE_S"] + 1)
    page = client.get(path)
    assert page.status_code == 404
    assert "Срок действия этой ссылки истёк" in page.get_data(as_text=True)


# -- settings -------------------------------------------------------------------------------------


def test_she_sets_her_language_time_zone_and_discretion_on_me(her):
    r = her.patch("/api/v1/me", json={"locale": "ru", "time_zone": "Asia/Aqtobe",
                                      "discreet_notifications": True})
    assert r.status_code == 200, r.get_json()
    me = her.get("/api/v1/me").get_json()
    assert (me["locale"], me["time_zone"], me["discreet_notifications"]) == \
        ("ru", "Asia/Aqtobe", True)


@pytest.mark.parametrize("body, field", [
    ({"time_zone": "Europe/Moscow"}, "time_zone"),
    ({"time_zone": "asia/almaty"}, "time_zone"),
    ({"time_zone": ""}, "time_zone"),
    ({"locale": "fr"}, "locale"),
    ({"discreet_notifications": "sometimes"}, "discreet_notifications"),
    ({"locale": "ru", "time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_language_settings_are_refused_and_change_nothing(her, body, field):
    before = her.get("/api/v1/me").get_json()
    r = her.patch("/api/v1/me", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert her.get("/api/v1/me").get_json() == before


def test_a_contacts_language_is_hers_to_set_and_no_one_elses(her, stranger):
    cid = her.post("/api/v1/me/contacts", json={"name": "Sister", "phone": "+77015550101"}
                   ).get_json()["id"]
    r = her.patch(f"/api/v1/me/contacts/{cid}", json={"locale": "en"})
    assert r.status_code == 200 and r.get_json()["locale"] == "en"
    assert her.patch(f"/api/v1/me/contacts/{cid}", json={"locale": "xx"}).status_code == 422
    assert stranger.patch(f"/api/v1/me/contacts/{cid}", json={"locale": "ru"}).status_code == 404
    (contact,) = her.get("/api/v1/me/contacts").get_json()["items"]
    assert contact["locale"] == "en"


@pytest.mark.parametrize("accept, locale", [("ru-KZ,ru;q=0.9", "ru"), ("kk", "kk"),
                                            ("fr", "kk"), ("", "kk")])
def test_a_new_account_reads_the_language_its_phone_asks_for(app, client, next_phone,
                                                             register_with_code, accept, locale):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    r = register_with_code(client, app, next_phone())
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["locale"] == locale and r.get_json()["time_zone"] == "Asia/Almaty"
