import io
from datetime import date, timedelta

import pytest

from safety.registry import iin as iin_mod
from safety.registry import names

SERIKOV_IIN = iin_mod.make(date(1985, 3, 14), "male")


def entry(**over):
    body = {"full_name": "Сериков Нурлан Болатович", "birth_date": "1985-03-14",
            "iin": SERIKOV_IIN, "phone": "+77017654321",
            "category": "domestic_violence_criminal", "decided_on": "2024-05-02",
            "authority": "Almaty district court No. 2", "case_reference": "2-1234/2024",
            "legal_basis": "court_decision", "expires_on": "2032-05-02"}
    body.update(over)
    return body


@pytest.fixture
def registry(admin):
    r = admin.post("/api/v1/registry/entries", json=entry())
    assert r.status_code == 201, r.get_json()
    r = admin.post("/api/v1/registry/entries", json=entry(
        full_name="Жумабаев Ерлан", iin=None, birth_date="1990-07-01", phone=None,
        category="protective_order", legal_basis="subject_consent", case_reference=None,
        consent_reference="consent-77", decided_on="2025-01-10", expires_on="2027-01-10"))
    assert r.status_code == 201, r.get_json()
    return admin


def check(person, **body):
    payload = {"purpose": "new_partner", "consent": True, **body}
    return person.post("/api/v1/registry/checks", json=payload)


# -- IIN ---------------------------------------------------------------------------------------


def test_iin_checksum_and_birth_date():
    born, sex = iin_mod.parse(SERIKOV_IIN)
    assert born == date(1985, 3, 14) and sex == "male"
    assert iin_mod.parse(iin_mod.make(date(2003, 12, 1), "female")) == (date(2003, 12, 1),
                                                                        "female")
    bad = SERIKOV_IIN[:11] + str((int(SERIKOV_IIN[11]) + 1) % 10)
    for wrong in (bad, "12345678901", "85031430001a", "851314300012", "850314900012"):
        with pytest.raises(ValueError):
            iin_mod.parse(wrong)


# -- names -------------------------------------------------------------------------------------

SAME = [
    ("Нурлан Сериков", "Serikov Nurlan"),
    ("Ерлан Жумабаев", "Yerlan Zhumabayev"),
    ("Ерлан Жумабаев", "ЖУМАБАЕВ ерлан"),
    ("Алексей Соловьёв", "Алексей Соловьев"),
    ("Алексей Соловьёв", "Aleksey Solovyev"),
    ("Әлихан Бөкейхан", "Alikhan Bokeikhan"),
    ("Қайрат Нұрланұлы", "Kairat Nurlanuly"),
    ("Наталья Ильина", "Natalia Ilyina"),
    ("Евгений Петров", "Yevgeniy Petrov"),
    ("Сериков Нурлан Болатович", "Nurlan Serikov"),  # patronymic left out
    ("Дмитрий Хабаров", "Dmitry Khabarov"),
    ("Сериков Нурлан", "Serikow Nurlan"),
]
TYPOS = [
    ("Нурлан Сериков", "Nurlan Serikof"),
    ("Ерлан Жумабаев", "Erlan Zhumbaev"),
    ("Сериков Нурлан", "Serikov Nurlam"),
]
DIFFERENT = [
    ("Нурлан Сериков", "Нурлан Серикбаев"),
    ("Ерлан Жумабаев", "Ерболат Жумабаев"),
    ("Нурлан Сериков", "Нурлан"),
    ("Асем Серикова", "Асан Сериков"),
    ("Иван Ким", "Иван Кам"),  # short words: no typo allowance
    ("Нурлан Сериков", "Serik Nurlanov"),
]


@pytest.mark.parametrize("a, b", SAME)
def test_same_name_in_other_spellings(a, b):
    assert names.compare(names.name_keys(a), names.name_keys(b)) == "exact"


@pytest.mark.parametrize("a, b", TYPOS)
def test_small_typos_are_close(a, b):
    assert names.compare(names.name_keys(a), names.name_keys(b)) == "close"


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_different_names_do_not_match(a, b):
    assert names.compare(names.name_keys(a), names.name_keys(b)) is None


def test_single_word_keys():
    assert names.key("Ерлан") == names.key("Yerlan") == names.key("Erlan")
    assert names.key("Ёлкин") == names.key("Елкин")


# -- checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ({"full_name": "Serikov Nurlan", "birth_date": "1985-03-14"}, "match"),
    ({"full_name": "нурлан сериков", "birth_date": "1985-03-14"}, "match"),
    ({"full_name": "Nurlan Serikof", "birth_date": "1985-03-14"}, "possible_match"),
    ({"full_name": "Anyone At All", "iin": SERIKOV_IIN}, "match"),
    ({"full_name": "Serikov Nurlan"}, "possible_match"),
    ({"full_name": "Serikov Nurlan", "phone": "8 701 765 43 21"}, "match"),
    ({"full_name": "Serikov Nurlan", "birth_date": "1985-03-15"}, "no_match"),
    ({"full_name": "Serikbaev Nurlan", "birth_date": "1985-03-14"}, "no_match"),
    ({"full_name": "Yerlan Zhumabayev", "birth_date": "1990-07-01"}, "match"),
    ({"full_name": "Aigul Bekova", "birth_date": "1990-07-01"}, "no_match"),
])
def test_check_results(registry, user, query, expected):
    r = check(user, **query)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["result"] == expected
    if expected == "no_match":
        assert body["matches"] == []
    else:
        assert body["matches"]


def test_minimal_disclosure(registry, user):
    body = check(user, full_name="Serikov Nurlan", birth_date="1985-03-14").get_json()
    (match,) = body["matches"]
    assert set(match) == {"category", "decided_on", "expires_on"}
    assert match["category"] == "domestic_violence_criminal"
    raw = str(body)
    for secret in ("2-1234/2024", "+77017654321", "Сериков", SERIKOV_IIN, "court"):
        assert secret not in raw


def test_expired_and_deleted_entries_never_match(registry, user):
    expired = registry.post("/api/v1/registry/entries", json=entry(
        full_name="Old Case", iin=None, birth_date="1970-01-01", decided_on="2010-01-01",
        expires_on=(date.today() - timedelta(days=1)).isoformat()))
    assert expired.status_code == 201
    assert check(user, full_name="Old Case", birth_date="1970-01-01").get_json()["result"] == \
        "no_match"
    entries = registry.get("/api/v1/registry/entries").get_json()["items"]
    serikov = next(e for e in entries if e["iin"] == SERIKOV_IIN)
    assert registry.delete(f"/api/v1/registry/entries/{serikov['id']}").status_code == 204
    assert check(user, full_name="Anyone", iin=SERIKOV_IIN).get_json()["result"] == "no_match"
    listed = registry.get("/api/v1/registry/entries",
                          query_string={"include_deleted": "true"}).get_json()["items"]
    assert any(e["id"] == serikov["id"] and e["deleted_at"] for e in listed)


@pytest.mark.parametrize("body, field", [
    ({"full_name": "X Y", "consent": False}, "consent"),
    ({"full_name": "X Y", "consent": None}, "consent"),
    ({"full_name": "Xavier Y", "purpose": "curiosity"}, "purpose"),
    ({"full_name": "Xavier Y", "iin": "123"}, "iin"),
    ({"full_name": "Xavier Y", "iin": SERIKOV_IIN[:11] + "0"}, "iin"),
    ({"birth_date": "1985-03-14"}, "full_name"),
    ({"full_name": "Xavier Y", "iin": SERIKOV_IIN, "birth_date": "1985-03-15"}, "birth_date"),
])
def test_check_needs_purpose_and_consent(user, body, field):
    payload = {"purpose": "dating", "consent": True, **body}
    if body.get("consent") is not True and "consent" in body:
        payload["consent"] = body["consent"]
    r = user.post("/api/v1/registry/checks", json=payload)
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert user.get("/api/v1/registry/checks").get_json()["items"] == []


def test_checks_are_limited_per_day_and_audited(app, clock, registry, user, admin):
    per_day = app.config["REGISTRY_CHECKS_PER_DAY"]
    for _ in range(per_day):
        assert check(user, full_name="Nobody Here").status_code == 201
    r = check(user, full_name="Nobody Here")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    history = user.get("/api/v1/registry/checks").get_json()["items"]
    assert len(history) == per_day and history[0]["purpose"] == "new_partner"
    audit = admin.get("/api/v1/registry/audit/checks", query_string={"limit": 200}).get_json()
    assert sum(1 for c in audit["items"] if c["user_id"] == str(user.id)) == per_day

    clock.advance(24 * 3600 + 1)
    assert check(user, full_name="Nobody Here").status_code == 201


def test_history_is_only_ones_own(registry, user, stranger):
    check(user, full_name="Serikov Nurlan", birth_date="1985-03-14")
    assert stranger.get("/api/v1/registry/checks").get_json()["items"] == []


# -- entries (admin) ---------------------------------------------------------------------------


@pytest.mark.parametrize("over, field", [
    ({"iin": SERIKOV_IIN[:11] + str((int(SERIKOV_IIN[11]) + 1) % 10)}, "iin"),
    ({"birth_date": "1985-03-15"}, "birth_date"),
    ({"legal_basis": "court_decision", "case_reference": None}, "case_reference"),
    ({"legal_basis": "subject_consent", "consent_reference": None}, "consent_reference"),
    ({"expires_on": "2020-01-01"}, "expires_on"),
    ({"category": "rumour"}, "category"),
    ({"iin": None, "birth_date": None}, "birth_date"),
])
def test_entry_validation(admin, over, field):
    r = admin.post("/api/v1/registry/entries", json=entry(**over))
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert admin.get("/api/v1/registry/entries").get_json()["items"] == []


def test_entry_birth_date_comes_from_the_iin(admin):
    r = admin.post("/api/v1/registry/entries", json=entry(birth_date=None))
    assert r.status_code == 201 and r.get_json()["birth_date"] == "1985-03-14"


def test_patch_is_checked_on_the_whole_entry_and_audited(registry):
    e = registry.get("/api/v1/registry/entries").get_json()["items"]
    serikov = next(x for x in e if x["iin"] == SERIKOV_IIN)
    bad = registry.patch(f"/api/v1/registry/entries/{serikov['id']}",
                         json={"expires_on": "2000-01-01"})
    assert bad.status_code == 422
    ok = registry.patch(f"/api/v1/registry/entries/{serikov['id']}",
                        json={"expires_on": "2033-01-01"})
    assert ok.status_code == 200 and ok.get_json()["expires_on"] == "2033-01-01"
    audit = registry.get("/api/v1/registry/audit/entries").get_json()["items"]
    update = next(a for a in audit if a["action"] == "update")
    assert update["changes"]["expires_on"] == {"from": "2032-05-02", "to": "2033-01-01"}
    assert update["actor_id"] == str(registry.id)
    assert {a["action"] for a in audit} == {"create", "update"}


@pytest.mark.parametrize("method, path", [
    ("post", "/entries"), ("get", "/entries"), ("get", "/entries/{id}"),
    ("patch", "/entries/{id}"), ("delete", "/entries/{id}"), ("get", "/audit/checks"),
    ("get", "/audit/entries"),
])
def test_registry_admin_endpoints_are_admin_only(registry, make_person, method, path):
    eid = registry.get("/api/v1/registry/entries").get_json()["items"][0]["id"]
    for role in ((), ("responder",), ("org_admin",)):
        person = make_person(*role)
        call = getattr(person, method)
        url = "/api/v1/registry" + path.replace("{id}", eid)
        r = call(url, json=entry()) if method in ("post", "patch") else call(url)
        assert r.status_code == 403
    assert len(registry.get("/api/v1/registry/entries").get_json()["items"]) == 2


def test_unknown_entry_is_404(admin):
    import uuid

    assert admin.get(f"/api/v1/registry/entries/{uuid.uuid4()}").status_code == 404
    assert admin.patch(f"/api/v1/registry/entries/{uuid.uuid4()}",
                       json={"authority": "x" * 5}).status_code == 404


# -- CSV import --------------------------------------------------------------------------------

def upload(admin, text, all_or_nothing=False, bom=False):
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    return admin.post("/api/v1/registry/entries/import",
                      query_string={"all_or_nothing": str(all_or_nothing).lower()},
                      data={"file": (io.BytesIO(raw), "registry.csv")},
                      content_type="multipart/form-data")


def test_import_reports_each_row_and_tolerates_bom(admin, registry_csv):
    csv = registry_csv
    r = upload(admin, csv.HEADER + csv.GOOD1 + csv.BAD + csv.GOOD2, bom=True)
    assert r.status_code == 200, r.get_json()
    rep = r.get_json()
    assert (rep["accepted"], rep["rejected"], rep["duplicates"]) == (2, 1, 0)
    statuses = [(row["row"], row["status"]) for row in rep["rows"]]
    assert statuses == [(2, "accepted"), (3, "rejected"), (4, "accepted")]
    assert "birth_date" in rep["rows"][1]["errors"]


def test_reimport_does_not_duplicate(admin, registry_csv):
    csv = registry_csv
    upload(admin, csv.HEADER + csv.GOOD1 + csv.GOOD2)
    rep = upload(admin, csv.HEADER + csv.GOOD1 + csv.GOOD2 + csv.GOOD1).get_json()
    assert (rep["accepted"], rep["duplicates"]) == (0, 3)
    assert len(admin.get("/api/v1/registry/entries").get_json()["items"]) == 2


def test_all_or_nothing_stores_nothing_when_a_row_is_bad(admin, registry_csv):
    csv = registry_csv
    r = upload(admin, csv.HEADER + csv.GOOD1 + csv.BAD, all_or_nothing=True)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    rows = r.get_json()["report"]["rows"]
    assert [x["status"] for x in rows] == ["not_stored", "rejected"]
    assert admin.get("/api/v1/registry/entries").get_json()["items"] == []
    assert upload(admin, csv.HEADER + csv.GOOD1, all_or_nothing=True).get_json()["accepted"] == 1


@pytest.mark.parametrize("text, words", [
    ("full_name,birth_date\nA B,1990-01-01\n", "Missing columns"),
    ("", "empty"),
])
def test_import_bad_files(admin, text, words):
    r = upload(admin, text)
    assert r.status_code == 422 and words.lower() in r.get_json()["detail"].lower()


def test_import_non_utf8(admin, registry_csv):
    raw = registry_csv.HEADER.encode() + "Сериков".encode("cp1251")
    r = admin.post("/api/v1/registry/entries/import",
                   data={"file": (io.BytesIO(raw), "r.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422


def test_imported_rows_are_audited_and_matchable(admin, user, registry_csv, next_phone):
    csv = registry_csv
    upload(admin, csv.HEADER + csv.GOOD2)
    assert check(user, full_name="Pyotr Ivanov", birth_date="1979-11-30").get_json()[
        "result"] in ("match", "possible_match")
    assert check(user, full_name="Petr Ivanov", phone=next_phone()).get_json()["result"] == \
        "possible_match"
    audit = admin.get("/api/v1/registry/audit/entries").get_json()["items"]
    assert [a["action"] for a in audit] == ["import"]
