"""Helpers that several test modules share. Tests never import this module: conftest.py hands
each helper out as a fixture of the same name (`def test_x(user, panic): panic(user)`), so a
test says in its signature what it uses, and test modules never import from one another."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.engine import make_url

from safety.extensions import db, limiter
from safety.registry import iin as iin_mod

_phones = itertools.count(1)


def next_phone() -> str:
    """A phone number no other test has used."""
    return f"+7701{next(_phones):07d}"


class Person:
    """A registered user with a logged-in token."""

    def __init__(self, client, user_id: uuid.UUID, phone: str, password: str, tokens: dict):
        self.client = client
        self.id = user_id
        self.phone = phone
        self.password = password
        self.access = tokens["access_token"]
        self.refresh = tokens["refresh_token"]

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access}"}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self.headers, **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(path, json=json, headers=self.headers, **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, json=json, headers=self.headers, **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self.headers, **kw)


def login(client, phone: str, password: str = "s3cret-password") -> Person:
    """Log in through the API; the Person holds the tokens (the default password is
    register_with_code's)."""
    r = client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    return Person(client, body["user"]["id"], phone, password, body)


# -- places --------------------------------------------------------------------------------------

ALMATY = {"lat": 43.2567, "lon": 76.9286}
ALMATY_BOX = {"type": "Polygon", "coordinates": [[
    [76.7, 43.1], [77.2, 43.1], [77.2, 43.45], [76.7, 43.45], [76.7, 43.1]]]}
ASTANA_BOX = {"type": "Polygon", "coordinates": [[
    [71.2, 51.0], [71.7, 51.0], [71.7, 51.3], [71.2, 51.3], [71.2, 51.0]]]}


def north(metres: float) -> dict:
    """A point `metres` north of ALMATY."""
    return {"lat": ALMATY["lat"] + metres / 111_000, "lon": ALMATY["lon"]}


# -- through the API -----------------------------------------------------------------------------


def panic(person, client_id=None, lat=ALMATY["lat"], lon=ALMATY["lon"], **extra):
    body = {"client_id": str(client_id or uuid.uuid4()), "trigger": "button",
            "location": {"lat": lat, "lon": lon, "accuracy_m": 12.0}, **extra}
    return person.post("/api/v1/alerts", json=body)


def make_guardian(owner, guardian, name="Mother"):
    r = owner.post("/api/v1/me/contacts", json={"name": name, "phone": guardian.phone})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    assert guardian.post(f"/api/v1/me/guardian-invitations/{cid}/accept").status_code == 200
    return cid


def register_device(person, token, installation="phone-1", platform="android"):
    r = person.put(f"/api/v1/me/devices/{installation}",
                   json={"push_token": token, "platform": platform})
    assert r.status_code == 200, r.get_json()


def register_with_code(client, app, phone, password="s3cret-password", full_name="Dana",
                       **extra):
    """Register through the API as a new person does: ask for a code, then register with it."""
    r = client.post("/api/v1/auth/phone-codes", json={"phone": phone})
    assert r.status_code == 202, r.get_json()
    code = sent_code(app, r.get_json()["phone"])
    return client.post("/api/v1/auth/register", json={
        "phone": phone, "code": code, "password": password, "full_name": full_name, **extra})


def create_org(admin, name="Kuzet Security", coverage=ALMATY_BOX, **extra):
    r = admin.post("/api/v1/orgs", json={"name": name, "kind": "security",
                                          "phone": "+77272000000", "coverage": coverage,
                                          **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def add_member(admin, org_id, person, role):
    """Invite by phone, and the person accepts."""
    r = admin.post(f"/api/v1/orgs/{org_id}/members", json={"phone": person.phone, "role": role})
    assert r.status_code == 202, r.get_json()
    r = person.post(f"/api/v1/me/org-invitations/{r.get_json()['id']}/accept")
    assert r.status_code == 200, r.get_json()


def on_duty(person, metres):
    """On duty, `metres` north of ALMATY."""
    r = person.put("/api/v1/responder/duty", json={"on_duty": True, "location": north(metres)})
    assert r.status_code == 200, r.get_json()


def offers_of(person):
    r = person.get("/api/v1/responder/offers")
    assert r.status_code == 200
    return r.get_json()["items"]


# -- the outbox ----------------------------------------------------------------------------------


def drain(app, worker_id="w-test", rounds=50):
    """Run a worker until nothing is due now; returns how many jobs it handled."""
    from safety.notify.worker import Worker

    w = Worker(app, worker_id=worker_id)
    total = 0
    for _ in range(rounds):
        n = w.run_once()
        if not n:
            break
        total += n
    return total


def jobs(app, **where):
    """Outbox jobs, oldest first, filtered by column values (detached from the session)."""
    from safety.notify.models import OutboxJob

    with app.app_context():
        stmt = select(OutboxJob).order_by(OutboxJob.created_at)
        for key, value in where.items():
            stmt = stmt.where(getattr(OutboxJob, key) == value)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def sent_code(app, phone):
    """The code in the newest one-time-code SMS to `phone`, read from the outbox (before the
    worker sends it and scrubs the text)."""
    rows = jobs(app, kind="phone_code", recipient=phone)
    assert rows, f"no code was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", rows[-1].payload["text"])
    assert match, rows[-1].payload
    return match.group(1)


# -- registry CSV --------------------------------------------------------------------------------

_SERIKOV_IIN = iin_mod.make(date(1985, 3, 14), "male")

REGISTRY_CSV = SimpleNamespace(
    HEADER=("full_name,birth_date,iin,phone,category,decided_on,authority,case_reference,"
            "legal_basis,consent_reference,expires_on\n"),
    GOOD1=(f"Сериков Нурлан,1985-03-14,{_SERIKOV_IIN},,domestic_violence_criminal,2024-05-02,"
           "Court 2,2-1/2024,court_decision,,2032-05-02\n"),
    GOOD2=("Иванов Пётр,1979-11-30,,+7 701 000 11 22,sexual_offense,2023-02-01,Court 5,"
           "5-9/2023,court_decision,,2043-02-01\n"),
    BAD=("Broken Row,not-a-date,,,protective_order,2023-02-01,Court 5,,court_decision,,"
         "2024-02-01\n"),
)


CONSOLE_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleSession:
    """A browser's view of the console: its own cookie jar, the CSRF value of the last page."""

    def __init__(self, app, phone: str | None = None, password: str = "correct horse battery"):
        self.app = app
        self.client = app.test_client()
        self.csrf = ""
        if phone:
            limiter.reset()  # the per-address login budget is tested on its own
            r = self.login(phone, password)
            assert r.status_code == 303, r.get_data(as_text=True)[:500]
            self.get("/console/")

    def login(self, phone: str, password: str):
        page = self.client.get("/console/login")
        token = CONSOLE_CSRF.search(page.get_data(as_text=True)).group(1)
        return self.client.post("/console/login", data={
            "csrf_token": token, "phone": phone, "password": password})

    def get(self, path: str, **kw):
        r = self.client.get(path, **kw)
        found = CONSOLE_CSRF.search(r.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return r

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, htmx=True):
        body = dict(data or {})
        if csrf:
            body["csrf_token"] = self.csrf
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=body, headers=headers)

    def cookie(self) -> str | None:
        found = self.client.get_cookie("safety_console", path="/console/")
        return found.value if found else None


def sqlite_write_locked(app) -> bool:
    """Whether some connection holds SQLite's write lock (a BEGIN IMMEDIATE elsewhere fails)."""
    try:
        import pysqlite3.dbapi2 as sqlite3
    except ImportError:  # pragma: no cover
        import sqlite3
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def count_rows(app, model, *where) -> int:
    """How many rows of `model` match `where` (what a refused action must leave unchanged)."""
    from sqlalchemy import func, select

    from safety.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def error_messages(tree) -> list[str]:
    """The messages in a problem's `errors` value, however nested."""
    if isinstance(tree, dict):
        return [m for value in tree.values() for m in error_messages(value)]
    if isinstance(tree, list):
        return [m for value in tree for m in error_messages(value)]
    return [tree]
