"""Fixtures: one app per backend (SpatiaLite always; PostGIS from SAFETY_TEST_POSTGRES_URL),
migrated by Alembic, emptied after each test; clients and users per role; the fake FCM server
and local HTTP receivers.

Every test that takes `app` (directly or through `client`) runs on both backends.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from safety import create_app
from safety.config import sqlite_url
from safety.extensions import db, limiter
from tests.fakefcm import FakeFcm
from tests.fakehttp import FakeHttp

PG_URL = os.environ.get("SAFETY_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config, items):
    if PG_URL or os.environ.get("CI") != "true":
        return
    raise pytest.UsageError("CI must run the PostGIS tests: SAFETY_TEST_POSTGRES_URL is unset")


@pytest.fixture(scope="session")
def fake_fcm():
    from firebase_admin import messaging

    fake = FakeFcm().start()
    old = messaging._MessagingService.FCM_URL
    messaging._MessagingService.FCM_URL = fake.base + "/v1/projects/{0}/messages:send"
    yield fake
    messaging._MessagingService.FCM_URL = old
    fake.stop()


@pytest.fixture
def fake_http():
    """Local HTTP receivers (tests/fakehttp.py): `fake_http(status=502, body=..., tls=...)`
    starts one that records what it gets (`.requests`); all stop after the test."""
    made: list[FakeHttp] = []

    def make(**kw) -> FakeHttp:
        server = FakeHttp(**kw).start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture(scope="session")
def fcm_credentials(fake_fcm):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake_fcm.public_key = key.public_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "safety-test",
        "private_key_id": "test-key",
        "private_key": pem,
        "client_email": "push@safety-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": fake_fcm.base + "/token",
        # A non-Google universe: google-auth then skips its Regional Access Boundary lookup,
        # which would otherwise call iamcredentials.googleapis.com from the tests.
        "universe_domain": "safety-test.invalid",
    }


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory, fcm_credentials):
    backend = request.param
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("PostGIS tests need SAFETY_TEST_POSTGRES_URL (make test sets it)")
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = sqlite_url(tmp_path_factory.mktemp("db") / "test.db")
    application = create_app(
        env={"SAFETY_ENV": "testing", "DATABASE_URL": url},
        config={
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "FCM_CREDENTIALS": fcm_credentials,
            "PUSH_TIMEOUT_S": 2,
            "WORKER_POLL_S": 0.05,
            "SMS_LOG_PROVIDER": True,
        },
    )
    application.config["BACKEND"] = backend
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        # the national hotlines are seeded by a migration: keep them, drop what tests added
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "help_hotlines"]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM help_hotlines WHERE region IS NOT NULL"))


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        app.extensions["safety_clock"].reset()
        limiter.reset()
        _empty_tables(app)


@pytest.fixture
def clock(app):
    """The app's clock (safety.util.Clock): `clock.advance(seconds)` moves the service's "now"
    forward; it is set back after each test."""
    return app.extensions["safety_clock"]


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


_phones = itertools.count(1)


def next_phone() -> str:
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


@pytest.fixture
def make_person(app, client):
    from safety.accounts import service

    def make(*roles: str, name: str = "Test Person", pin: str | None = None,
             duress_pin: str | None = None, phone: str | None = None,
             verified: bool = True) -> Person:
        """verified=False: an account from before phone verification (never proved its number)."""
        phone = phone or next_phone()
        password = "correct horse battery"
        with app.app_context():
            user = service.create_account(phone, password, name)
            if verified:
                service.mark_phone_verified(user)
            for role in roles:
                service.grant_role(user, role)
            if pin:
                service.set_pin(user, pin, duress_pin)
            db.session.commit()
            user_id = user.id
        r = client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
        assert r.status_code == 200, r.get_json()
        return Person(client, user_id, phone, password, r.get_json())

    return make


@pytest.fixture
def user(make_person):
    return make_person(pin="1234", duress_pin="9999", name="Aigerim")


@pytest.fixture
def stranger(make_person):
    return make_person(name="Stranger")


@pytest.fixture
def admin(make_person):
    return make_person("admin", name="Platform Admin")


ALMATY = {"lat": 43.2567, "lon": 76.9286}


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
    from sqlalchemy import select

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


def register_with_code(client, app, phone, password="s3cret-password", full_name="Dana",
                       **extra):
    """Register through the API as a new person does: ask for a code, then register with it."""
    r = client.post("/api/v1/auth/phone-codes", json={"phone": phone})
    assert r.status_code == 202, r.get_json()
    code = sent_code(app, r.get_json()["phone"])
    return client.post("/api/v1/auth/register", json={
        "phone": phone, "code": code, "password": password, "full_name": full_name, **extra})


@pytest.fixture
def private_webhooks(app, monkeypatch):
    """Let webhooks go to this machine over plain http (a local receiver); never in production."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)
