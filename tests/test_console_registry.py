"""Page 6, the registry (both backends): entries searched and paged, created, edited and removed
through the API's own schema and service (the same bodies get the same verdicts as at the API,
and the same audit rows); the CSV import's report per row, in the operator's language; the log
of checks and changes, paged, filtered and as CSV with formulas defused; and every page and
action refused without a session, to an org admin, to her and a responder, with an API token,
and without or with a forged CSRF value, with nothing stored or audited."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from safety.extensions import db
from safety.registry import iin as iin_mod
from safety.registry.models import RegistryAudit, RegistryCheck, RegistryEntry
from tests.helpers import count_rows

IIN = iin_mod.make(date(1985, 3, 14), "male")
FIELD_ERROR = re.compile(r'class="field-error" data-field="(\w+)">(.*?)</')


def _form(**over) -> dict:
    form = {"full_name": "Сериков Нурлан Болатович", "birth_date": "1985-03-14", "iin": IIN,
            "phone": "+7 701 765 43 21", "category": "domestic_violence_criminal",
            "decided_on": "2024-05-02", "authority": "Almaty district court No. 2",
            "case_reference": "2-1234/2024", "legal_basis": "court_decision",
            "consent_reference": "", "expires_on": "2032-05-02"}
    form.update(over)
    return form


def _body(form: dict) -> dict:
    """The API's JSON for a form, as the console reads it: optional fields empty → null."""
    required = ("full_name", "category", "decided_on", "authority", "legal_basis",
                "expires_on")
    return {k: (v if k in required else (v.strip() or None)) for k, v in form.items()}


def _field_errors(page: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, message in FIELD_ERROR.findall(page):
        out.setdefault(field, []).append(html.unescape(message))
    return out


def _api_errors(errors: dict) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else list(v.values())) for k, v in errors.items()}


def _audits(app, **where) -> list[RegistryAudit]:
    with app.app_context():
        stmt = select(RegistryAudit).order_by(RegistryAudit.created_at)
        for k, v in where.items():
            stmt = stmt.where(getattr(RegistryAudit, k) == v)
        rows = list(db.session.scalars(stmt))
        for row in rows:
            db.session.expunge(row)
        return rows


def _entry(app, entry_id) -> RegistryEntry:
    with app.app_context():
        entry = db.session.get(RegistryEntry, uuid.UUID(str(entry_id)))
        db.session.expunge(entry)
        return entry


def _upload(s, text: str | bytes, **extra):
    raw = text.encode() if isinstance(text, str) else text
    return s.post("/console/registry/import",
                  {"file": (io.BytesIO(raw), "registry.csv"), **extra}, htmx=False)


@pytest.fixture
def admin_desk(admin, console):
    s = console(admin)
    s.get("/console/registry")
    return s


@pytest.fixture
def entries(admin):
    """Three entries through the API: Serikov (IIN, phone), Zhumabaev (consent), Ivanov."""
    ids = []
    for body in (_body(_form()),
                 _body(_form(full_name="Жумабаев Ерлан", iin="", birth_date="1990-07-01",
                             phone="", category="protective_order",
                             legal_basis="subject_consent", case_reference="",
                             consent_reference="consent-77", decided_on="2025-01-10",
                             expires_on="2027-01-10")),
                 _body(_form(full_name="Иванов Пётр", iin="", birth_date="1979-11-30",
                             phone="87010001122", case_reference="5-9/2023"))):
        r = admin.post("/api/v1/registry/entries", json=body)
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    return ids


def test_search_finds_by_name_iin_phone_and_reference_and_pages(app, admin, entries,
                                                                admin_desk):
    serikov, zhumabaev, ivanov = entries

    def found(q, **extra):
        page = admin_desk.get("/console/registry", query_string={"q": q, **extra})
        assert page.status_code == 200
        ids = set(re.findall(r'data-entry-id="([0-9a-f-]{36})"', page.get_data(as_text=True)))
        api = admin.get("/api/v1/registry/entries", query_string={"q": q, **extra}).get_json()
        assert ids == {e["id"] for e in api["items"]}, q  # the console finds what the API finds
        return ids

    assert found("") == set(entries)
    assert found("Serikov") == {serikov}  # another spelling
    assert found("нурлан серик") == {serikov}  # word order, beginnings of words
    assert found(IIN) == {serikov}
    assert found(IIN[:6]) == {serikov}  # the birth date's digits
    assert found("8 (701) 765-43-21") == {serikov}
    assert found("+77010001122") == {ivanov}
    assert found("consent-77") == {zhumabaev}
    assert found("Petrov") == set()
    assert found("%") == set() and found("_") == set()  # no wildcards
    page = admin_desk.get("/console/registry", query_string={"q": "Nobody"})
    assert 'id="no-entries"' in page.get_data(as_text=True)
    # paged: newest first, a signed cursor
    first = admin_desk.get("/console/registry?limit=2").get_data(as_text=True)
    assert re.findall(r'data-entry-id="([0-9a-f-]{36})"', first) == [ivanov, zhumabaev]
    next_url = html.unescape(re.search(r'href="([^"]+)" id="next-page"', first).group(1))
    second = admin_desk.get(next_url).get_data(as_text=True)
    assert re.findall(r'data-entry-id="([0-9a-f-]{36})"', second) == [serikov]
    assert 'id="next-page"' not in second
    assert admin_desk.get("/console/registry?cursor=forged").status_code == 422
    assert admin_desk.get("/console/registry?limit=0").status_code == 422
    # removed entries: only when asked
    admin.delete(f"/api/v1/registry/entries/{ivanov}")
    assert ivanov not in found("Иванов") | found("")
    assert found("Иванов", include_deleted="true") == {ivanov}


def test_an_entry_is_added_from_the_form_and_audited_with_the_operator(app, admin,
                                                                       admin_desk):
    assert "/console/registry" in admin_desk.get("/console/").get_data(as_text=True)  # menu
    page = admin_desk.get("/console/registry/entries/new").get_data(as_text=True)
    assert 'name="csrf_token" value=""' not in page
    r = admin_desk.post("/console/registry/entries", _form(birth_date=""), htmx=False)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    entry_id = r.headers["Location"].split("/entries/")[1].split("?")[0]
    entry = _entry(app, entry_id)
    assert (entry.birth_date, entry.phone, entry.consent_reference) == \
        (date(1985, 3, 14), "+77017654321", None)  # the IIN's birth date, as at the API
    [audit] = _audits(app)
    assert (audit.action, audit.actor_id, str(audit.entry_id)) == \
        ("create", admin.id, entry_id)
    page = admin_desk.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="action-message"' in page and 'data-action="create"' in page
    # the same person, decision and case again: the API's rule (no dedupe on create) holds
    assert admin.get(f"/api/v1/registry/entries/{entry_id}").get_json()["iin"] == IIN


BAD = [
    {"iin": IIN[:11] + str((int(IIN[11]) + 1) % 10)},  # check digit
    {"iin": "12345"},
    {"birth_date": "1985-03-15"},  # disagrees with the IIN
    {"birth_date": "", "iin": ""},  # neither
    {"birth_date": "14.03.1985"},
    {"legal_basis": "court_decision", "case_reference": ""},
    {"legal_basis": "subject_consent", "case_reference": "", "consent_reference": ""},
    {"legal_basis": "rumour"},
    {"expires_on": "2020-01-01"},  # before the decision
    {"category": "gossip"},
    {"full_name": "  "},
    {"authority": ""},
    {"phone": "call me"},
    {"case_reference": "x" * 201},
]


def test_bad_forms_are_refused_exactly_as_the_api_refuses_them(app, admin, admin_desk):
    for over in BAD:
        form = _form(**over)
        r = admin_desk.post("/console/registry/entries", form, htmx=False)
        api = admin.post("/api/v1/registry/entries", json=_body(form))
        assert (r.status_code, api.status_code) == (422, 422), over
        shown = _field_errors(r.get_data(as_text=True))
        assert shown == _api_errors(api.get_json()["errors"]), over
        assert 'id="action-error"' in r.get_data(as_text=True)
    assert count_rows(app, RegistryEntry) == 0 and _audits(app) == []


def test_an_edit_is_a_patch_of_the_whole_entry_and_audited(app, admin, entries, admin_desk):
    serikov = entries[0]
    path = f"/console/registry/entries/{serikov}"
    admin_desk.get(path)
    before = _entry(app, serikov)
    # bad edits: refused as a PATCH of the same body is, nothing changed
    for over in ({"expires_on": "2000-01-01"},
                 {"legal_basis": "subject_consent", "consent_reference": ""},
                 {"iin": "123456789012"}, {"decided_on": ""}):
        form = _form(**over)
        r = admin_desk.post(path, form, htmx=False)
        api = admin.patch(f"/api/v1/registry/entries/{serikov}", json=_body(form))
        assert (r.status_code, api.status_code) == (422, 422), over
        assert _field_errors(r.get_data(as_text=True)) == \
            _api_errors(api.get_json()["errors"]), over
        assert 'value="2000-01-01"' in r.get_data(as_text=True) or "expires_on" not in over
    assert _entry(app, serikov).expires_on == before.expires_on
    assert [a.action for a in _audits(app, entry_id=before.id)] == ["create"]
    # nothing changed: said so, not audited
    r = admin_desk.post(path, _form(), htmx=False)
    assert r.status_code == 303 and "done=unchanged" in r.headers["Location"]
    # a change: stored and audited with from/to and the operator
    r = admin_desk.post(path, _form(authority="Almaty city court", expires_on="2033-01-01",
                                    birth_date=""), htmx=False)
    assert r.status_code == 303 and "done=saved" in r.headers["Location"]
    after = _entry(app, serikov)
    assert (after.authority, after.expires_on, after.birth_date) == \
        ("Almaty city court", date(2033, 1, 1), date(1985, 3, 14))
    update = _audits(app, action="update")[0]
    assert update.actor_id == admin.id
    assert update.changes == {"authority": {"from": "Almaty district court No. 2",
                                            "to": "Almaty city court"},
                              "expires_on": {"from": "2032-05-02", "to": "2033-01-01"}}
    page = admin_desk.get(r.headers["Location"]).get_data(as_text=True)
    assert "Almaty city court" in page and 'data-action="update"' in page
    # the API's PATCH of a null birth date takes the IIN's too (it was a 409 before)
    r = admin.patch(f"/api/v1/registry/entries/{serikov}", json={"birth_date": None})
    assert r.status_code == 200 and r.get_json()["birth_date"] == "1985-03-14"
    # without an IIN, the birth date is required
    zhumabaev = entries[1]
    r = admin.patch(f"/api/v1/registry/entries/{zhumabaev}", json={"birth_date": None})
    assert r.status_code == 422 and "birth_date" in r.get_json()["errors"]


def test_removal_keeps_the_entry_marked_and_audited(app, admin, user, entries, admin_desk):
    ivanov = entries[2]
    path = f"/console/registry/entries/{ivanov}"
    admin_desk.get(path)
    r = admin_desk.post(f"{path}/delete", htmx=False)
    assert r.status_code == 303 and "done=removed" in r.headers["Location"]
    assert _entry(app, ivanov).deleted_at is not None
    [removal] = _audits(app, action="delete")
    assert removal.actor_id == admin.id and str(removal.entry_id) == ivanov
    page = admin_desk.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="removed"' in page and 'id="entry-form"' not in page
    check = user.post("/api/v1/registry/checks", json={
        "full_name": "Пётр Иванов", "birth_date": "1979-11-30", "purpose": "dating",
        "consent": True})
    assert check.get_json()["result"] == "no_match"  # a removed entry never matches
    # again, or edited afterwards: 404, nothing more logged
    assert admin_desk.post(f"{path}/delete", htmx=False).status_code == 404
    assert admin_desk.post(path, _form(), htmx=False).status_code == 404
    assert len(_audits(app, action="delete")) == 1 and _audits(app, action="update") == []


def test_unknown_entries_are_404(app, admin_desk):
    other = uuid.uuid4()
    assert admin_desk.get(f"/console/registry/entries/{other}").status_code == 404
    assert admin_desk.post(f"/console/registry/entries/{other}", _form(),
                           htmx=False).status_code == 404
    assert admin_desk.post(f"/console/registry/entries/{other}/delete",
                           htmx=False).status_code == 404
    assert admin_desk.get("/console/registry/entries/not-an-id").status_code == 404
    assert _audits(app) == []


def test_import_shows_the_report_per_row_in_the_operators_language(
        app, admin, admin_desk, registry_csv):
    from flask_babel import force_locale

    from safety.i18n import _ as gettext

    csv_ = registry_csv
    admin_desk.post("/console/language", {"locale": "ru", "next": "/console/registry/import"},
                    htmx=False)
    admin_desk.get("/console/registry/import")
    r = _upload(admin_desk, "\ufeff" + csv_.HEADER + csv_.GOOD1 + csv_.BAD + csv_.GOOD2)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    rows = re.findall(r'data-row="(\d+)" data-status="(\w+)"', page)
    assert rows == [("2", "accepted"), ("3", "rejected"), ("4", "accepted")]
    with app.test_request_context(), force_locale("ru"):
        not_a_date = gettext("Not a valid date.")
    assert not_a_date != "Not a valid date."
    assert _field_errors(page) == {"birth_date": [not_a_date]}  # in Russian
    assert count_rows(app, RegistryEntry) == 2
    assert [a.action for a in _audits(app)] == ["import", "import"]
    assert {a.actor_id for a in _audits(app)} == {admin.id}
    # again: duplicates, nothing added
    r = _upload(admin_desk, csv_.HEADER + csv_.GOOD1 + csv_.GOOD2)
    assert re.findall(r'data-status="(\w+)"', r.get_data(as_text=True)) == \
        ["duplicate", "duplicate"]
    assert count_rows(app, RegistryEntry) == 2


def test_import_all_or_nothing_and_bad_files_store_nothing(app, admin_desk, registry_csv):
    csv_ = registry_csv
    r = _upload(admin_desk, csv_.HEADER + csv_.GOOD1 + csv_.BAD, all_or_nothing="true")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'data-committed="false"' in page and 'id="action-error"' in page
    assert re.findall(r'data-row="\d+" data-status="(\w+)"', page) == ["not_stored", "rejected"]
    for bad, field in ((csv_.HEADER.encode() + "Сериков".encode("cp1251"), "file"),
                       ("full_name,birth_date\nA B,1990-01-01\n", "file"),
                       ("", "file"),
                       ("a\x00b\n", "file")):
        r = _upload(admin_desk, bad)
        assert r.status_code == 422 and field in _field_errors(r.get_data(as_text=True)), bad
    r = admin_desk.post("/console/registry/import", {}, htmx=False)  # no file at all
    assert r.status_code == 422 and "file" in _field_errors(r.get_data(as_text=True))
    # a body over MAX_CONTENT_LENGTH (built by hand: the test client would spool it to a file)
    boundary = "b0undary"
    too_big = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"'
               f'\r\n\r\n').encode() + b"x" * app.config["MAX_CONTENT_LENGTH"] + \
        f"\r\n--{boundary}--\r\n".encode()
    r = admin_desk.client.post("/console/registry/import", data=too_big,
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413 and "text/html" in r.content_type
    assert count_rows(app, RegistryEntry) == 0 and _audits(app) == []


def _checks(app, user, stranger):
    for person, name, purpose in ((user, "Сериков Нурлан", "new_partner"),
                                  (user, "Nobody Atall", "dating"),
                                  (stranger, '=HYPERLINK("http://evil.example/x","click")',
                                   "other")):
        r = person.post("/api/v1/registry/checks", json={
            "full_name": name, "birth_date": "1985-03-14", "purpose": purpose,
            "consent": True})
        assert r.status_code == 201, r.get_json()


def test_the_log_of_checks_shows_who_checked_whom_and_filters(app, admin, user, stranger,
                                                              entries, admin_desk):
    _checks(app, user, stranger)
    page = admin_desk.get("/console/registry/checks").get_data(as_text=True)
    assert len(re.findall(r"data-check-id=", page)) == 3
    assert "Aigerim" in page and f"…{user.phone[-4:]}" in page
    assert user.phone not in page  # her number: the last four digits only
    assert 'data-result="match"' in page and "Nobody Atall" in page
    only = admin_desk.get("/console/registry/checks?result=match").get_data(as_text=True)
    assert re.findall(r'data-result="(\w+)"', only) == ["match"]
    hers = admin_desk.get(f"/console/registry/checks?user={user.id}").get_data(as_text=True)
    assert len(re.findall(r"data-check-id=", hers)) == 2 and "HYPERLINK" not in hers
    first = admin_desk.get("/console/registry/checks?limit=2").get_data(as_text=True)
    assert len(re.findall(r"data-check-id=", first)) == 2
    next_url = html.unescape(re.search(r'href="([^"]+)" id="next-page"', first).group(1))
    assert len(re.findall(r"data-check-id=", admin_desk.get(next_url).get_data(
        as_text=True))) == 1
    for bad in ("result=maybe", "purpose=spying", "user=me", "cursor=x", "limit=500"):
        assert admin_desk.get(f"/console/registry/checks?{bad}").status_code == 422, bad


def test_the_log_of_changes_names_the_operator_and_filters(app, admin, entries, admin_desk,
                                                           make_person):
    other = make_person("admin", name="Second Admin")
    other.patch(f"/api/v1/registry/entries/{entries[0]}", json={"authority": "Court 9"})
    admin.delete(f"/api/v1/registry/entries/{entries[1]}")
    page = admin_desk.get("/console/registry/changes").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', page) == ["delete", "update", "create",
                                                        "create", "create"]
    assert "Second Admin" in page and "Court 9" in page
    mine = admin_desk.get(f"/console/registry/changes?actor={other.id}").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', mine) == ["update"]
    removed = admin_desk.get("/console/registry/changes?action=delete").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', removed) == ["delete"]
    one = admin_desk.get(f"/console/registry/changes?entry={entries[0]}").get_data(
        as_text=True)
    assert re.findall(r'data-action="(\w+)"', one) == ["update", "create"]
    for bad in ("action=burn", "entry=1", "cursor=%00"):
        assert admin_desk.get(f"/console/registry/changes?{bad}").status_code in (404, 422), bad


def test_the_csv_downloads_defuse_formulas(app, admin, user, stranger, entries, admin_desk):
    _checks(app, user, stranger)
    for name in ("@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3"):
        r = admin.post("/api/v1/registry/entries", json=_body(_form(
            full_name=name, iin="", birth_date="1970-01-01", case_reference=name[:3])))
        assert r.status_code == 201, r.get_json()
    page = admin_desk.get("/console/registry").get_data(as_text=True)
    assert "@SUM(A1:A9)" in page
    r = admin.post("/api/v1/registry/entries", json=_body(_form(
        full_name="<script>alert(1)</script> Marat", iin="", birth_date="1971-01-01")))
    assert r.status_code == 201
    page = admin_desk.get("/console/registry?q=Marat").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Marat" in page and "<script>alert" not in page
    admin.delete(f"/api/v1/registry/entries/{r.get_json()['id']}")
    r = admin_desk.get("/console/registry/checks.csv")
    assert r.status_code == 200 and r.content_type.startswith("text/csv")
    assert r.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 3
    cells = [v for row in rows for v in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
    assert "'=HYPERLINK(\"http://evil.example/x\",\"click\")" in cells
    rows = list(csv.DictReader(io.StringIO(admin_desk.get(
        "/console/registry/changes.csv").get_data(as_text=True))))
    assert len(rows) == 8  # three, three more, the script one and its removal
    cells = [v for row in rows for v in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
    assert {"'@SUM(A1:A9)", "'+cmd|' /C calc'!A0", "'-2+3"} <= set(cells)
    match = admin_desk.get("/console/registry/checks.csv?result=match").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(match)))) == 1


def _pages(entry_id) -> list[str]:
    return ["/console/registry", "/console/registry/entries/new",
            f"/console/registry/entries/{entry_id}", "/console/registry/import",
            "/console/registry/checks", "/console/registry/changes",
            "/console/registry/checks.csv", "/console/registry/changes.csv"]


def _actions(entry_id, registry_csv) -> list[tuple[str, dict]]:
    """Every action with a body it would accept (a fresh upload each time it is called)."""
    csv_ = registry_csv
    return [("/console/registry/entries", _form(full_name="Planted Entry", iin="",
                                                birth_date="1990-01-01")),
            (f"/console/registry/entries/{entry_id}", _form(authority="Taken over")),
            (f"/console/registry/entries/{entry_id}/delete", {}),
            ("/console/registry/import",
             {"file": (io.BytesIO((csv_.HEADER + csv_.GOOD2).encode()), "r.csv")})]


def _unchanged(app, entries):
    assert count_rows(app, RegistryEntry) == 3
    assert count_rows(app, RegistryEntry, RegistryEntry.deleted_at.is_not(None)) == 0
    assert _entry(app, entries[0]).authority == "Almaty district court No. 2"
    assert [a.action for a in _audits(app)] == ["create"] * 3


def test_every_other_role_is_refused(app, admin, user, entries, console, console_session,
                                     make_person, create_org, add_member, registry_csv):
    serikov = entries[0]
    org = create_org(admin)
    org_admin = make_person(name="Partner Dispatcher")
    add_member(admin, org["id"], org_admin, "org_admin")
    # a partner company's admin (the console's dispatcher): 403 for every page and action
    s = console(org_admin)
    assert "/console/registry" not in s.get("/console/").get_data(as_text=True)
    for path in _pages(serikov):
        r = s.get(path)
        assert r.status_code == 403 and "Сериков" not in r.get_data(as_text=True), path
    for path, data in _actions(serikov, registry_csv):
        assert s.post(path, data, htmx=False).status_code == 403, path
    for path, data in _actions(serikov, registry_csv):
        assert s.post(path, data).status_code == 403, path
    # no session: to the login page, nothing shown
    anon = console_session()
    for path in _pages(serikov):
        r = anon.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"], path
    for path, data in _actions(serikov, registry_csv):
        assert anon.post(path, data).status_code == 401, path
    for path, data in _actions(serikov, registry_csv):
        assert anon.post(path, data, htmx=False).status_code == 303, path
    # her, a responder, a plain user: no console at all
    responder = make_person(name="Responder")
    add_member(admin, org["id"], responder, "responder")
    for person in (user, responder):
        other = console_session()
        assert other.login(person.phone, person.password).status_code == 403
        assert other.get("/console/registry").status_code == 303
    # an API token (even an admin's) opens nothing in the console
    for path in _pages(serikov):
        assert anon.client.get(path, headers=admin.headers).status_code == 303, path
    for path, data in _actions(serikov, registry_csv):
        r = anon.client.post(path, data=data, headers=admin.headers)
        assert r.status_code == 303, path
    _unchanged(app, entries)
    assert count_rows(app, RegistryCheck) == 0


def test_actions_need_csrf(app, admin, entries, admin_desk, registry_csv):
    serikov = entries[0]
    for path, data in _actions(serikov, registry_csv):
        assert admin_desk.post(path, data, csrf=False, htmx=False).status_code == 403, path
    for path, data in _actions(serikov, registry_csv):
        forged = {**data, "csrf_token": str(uuid.uuid4())}
        assert admin_desk.post(path, forged, csrf=False, htmx=False).status_code == 403, path
    for path, data in _actions(serikov, registry_csv):
        assert admin_desk.post(path, data, csrf=False).status_code == 403, path
    _unchanged(app, entries)
