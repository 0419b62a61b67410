"""Fixtures: one app per backend (SpatiaLite always; PostGIS from SAFETY_TEST_POSTGRES_URL),
migrated by Alembic, emptied after each test; clients and users per role; the fake FCM server
and local HTTP receivers; and the helpers test modules share (tests/helpers.py), each handed
out as a fixture of its own name: test modules never import from one another.

Every test that takes `app` (directly or through `client`) runs on both backends.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from sqlalchemy import text

from safety import create_app
from safety.config import sqlite_url
from safety.extensions import db, limiter
from tests import helpers
from tests.fakefcm import FakeFcm
from tests.fakehttp import FakeHttp
from tests.fakesia import SiaReceiver, free_port

PG_URL = os.environ.get("SAFETY_TEST_POSTGRES_URL")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
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
def fcm(fake_fcm):
    """The session's fake FCM, emptied before and after the test."""
    fake_fcm.reset()
    yield fake_fcm
    fake_fcm.reset()


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


@pytest.fixture
def sia_receiver():
    """Partner monitoring consoles (tests/fakesia.py, pysiaalarm's DC-09 receiver):
    `sia_receiver(transport="tcp"|"udp", account="1234", key=None, port=0, answers=1,
    start=True)` starts one on 127.0.0.1 (`.port`, `.events`, `.wait_for(n)`); all stop after
    the test. `sia_receiver.free_port(transport)`: a port nothing listens on."""
    made: list[SiaReceiver] = []

    def make(start: bool = True, **kw) -> SiaReceiver:
        receiver = SiaReceiver(**kw)
        made.append(receiver)
        return receiver.start() if start else receiver

    make.free_port = free_port
    yield make
    for receiver in made:
        receiver.stop()


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


def worker_database(url: str) -> str:
    """The database this test process uses in the cluster at `url`: the URL's own, or under
    pytest-xdist (`make test` runs the suite in a process per core) one per worker, made here
    (`safety_test_gw0`, ...), so workers never empty each other's tables."""
    import sqlalchemy as sa

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base.set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class EnglishClient(FlaskClient):
    """A test client that says `Accept-Language: en` unless a request says otherwise (its own
    header, or `environ_base={"HTTP_ACCEPT_LANGUAGE": ...}`): the tests written before the
    catalogues read English answers. Tests of languages set the header themselves."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory, fcm_credentials):
    backend = request.param
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("PostGIS tests need SAFETY_TEST_POSTGRES_URL (make test sets it)")
        url = worker_database(PG_URL)
        _reset_postgres(url)
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
    application.test_client_class = EnglishClient
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


@pytest.fixture
def make_person(app, client):
    from safety.accounts import service

    def make(*roles: str, name: str = "Test Person", pin: str | None = None,
             duress_pin: str | None = None, phone: str | None = None,
             verified: bool = True, locale: str = "en",
             time_zone: str | None = None) -> helpers.Person:
        """verified=False: an account from before phone verification (never proved its number).
        `locale`: the language of what the person receives (English unless a test says)."""
        phone = phone or helpers.next_phone()
        password = "correct horse battery"
        with app.app_context():
            user = service.create_account(phone, password, name, locale)
            if time_zone:
                user.time_zone = time_zone
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
        return helpers.Person(client, user_id, phone, password, r.get_json())

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


@pytest.fixture
def private_webhooks(app, monkeypatch):
    """Let webhooks go to this machine over plain http (a local receiver); never in production."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)


# -- shared helpers (tests/helpers.py), one fixture each ------------------------------------------


@pytest.fixture
def next_phone():
    """`next_phone()`: a phone number no other test has used."""
    return helpers.next_phone


@pytest.fixture
def login():
    """`login(client, phone, password="s3cret-password")`: log in through the API; a Person."""
    return helpers.login


@pytest.fixture
def panic():
    """`panic(person, client_id=None, lat=, lon=, **extra)`: POST /alerts (in Almaty)."""
    return helpers.panic


@pytest.fixture
def make_guardian():
    """`make_guardian(owner, guardian, name="Mother")`: she adds him, he accepts; the contact id."""
    return helpers.make_guardian


@pytest.fixture
def register_device():
    """`register_device(person, token, installation="phone-1", platform="android")`."""
    return helpers.register_device


@pytest.fixture
def register_with_code():
    """`register_with_code(client, app, phone, password=..., full_name=..., **extra)`: ask for a
    code and register with it, as a new person does; the register response."""
    return helpers.register_with_code


@pytest.fixture
def drain():
    """`drain(app, worker_id="w-test", rounds=50)`: run a worker until nothing is due now."""
    return helpers.drain


@pytest.fixture
def jobs():
    """`jobs(app, **where)`: outbox jobs, oldest first, filtered by column values."""
    return helpers.jobs


@pytest.fixture
def sent_code():
    """`sent_code(app, phone)`: the code in the newest one-time-code SMS to `phone`."""
    return helpers.sent_code


@pytest.fixture
def almaty():
    """{"lat", "lon"} of central Almaty, where `panic` raises alerts by default."""
    return dict(helpers.ALMATY)


@pytest.fixture
def almaty_box():
    """A GeoJSON polygon around Almaty (the coverage `create_org` gives by default)."""
    return helpers.ALMATY_BOX


@pytest.fixture
def astana_box():
    """A GeoJSON polygon around Astana: coverage that does not contain Almaty."""
    return helpers.ASTANA_BOX


@pytest.fixture
def north():
    """`north(metres)`: a location that far north of Almaty."""
    return helpers.north


@pytest.fixture
def create_org():
    """`create_org(admin, name="Kuzet Security", coverage=<Almaty>, **extra)`: the org's JSON."""
    return helpers.create_org


@pytest.fixture
def add_member():
    """`add_member(admin, org_id, person, role)`: invited by phone, and accepted."""
    return helpers.add_member


@pytest.fixture
def on_duty():
    """`on_duty(person, metres)`: a responder on duty that far north of Almaty."""
    return helpers.on_duty


@pytest.fixture
def offers_of():
    """`offers_of(person)`: the dispatch offers open to a responder."""
    return helpers.offers_of


@pytest.fixture
def registry_csv():
    """Registry import rows: HEADER, GOOD1 (Serikov, with an IIN), GOOD2 (Ivanov), BAD."""
    return helpers.REGISTRY_CSV


@pytest.fixture
def world(admin, make_person, user):
    """A security org covering Almaty with an org admin and four responders on duty 500 m,
    1.5 km, 3 km and 9 km north of Almaty (`world.responders["r500"]`, ...), everyone with a
    device; `world.user` (her) and `world.admin`."""
    w = SimpleNamespace(admin=admin, user=user)
    w.org = helpers.create_org(admin)
    w.org_admin = make_person(name="Org Admin")
    helpers.add_member(admin, w.org["id"], w.org_admin, "org_admin")
    helpers.register_device(w.org_admin, "tok-org-admin")
    helpers.register_device(admin, "tok-admin")
    w.responders = {}
    for name, metres in (("r500", 500), ("r1500", 1500), ("r3000", 3000), ("r9000", 9000)):
        p = make_person(name=name)
        helpers.add_member(admin, w.org["id"], p, "responder")
        helpers.on_duty(p, metres)
        helpers.register_device(p, f"tok-{name}")
        w.responders[name] = p
    return w


@pytest.fixture
def tracking_path(app):
    """`tracking_path()`: the /t/<token> path in the (only) tracking SMS in the outbox."""

    def path() -> str:
        (sms,) = helpers.jobs(app, kind="alert_sms")
        return re.search(r"(/t/[A-Za-z0-9_\-]+)", sms.payload["text"]).group(1)

    return path


@pytest.fixture
def tracked(user, tracking_path):
    """Her live alert with a contact without the app: (the alert's JSON, its tracking path)."""
    user.post("/api/v1/me/contacts", json={"name": "Neighbour", "phone": "+77015550123"})
    alert = helpers.panic(user).get_json()
    return alert, tracking_path()


# -- in a real browser ---------------------------------------------------------------------------


@pytest.fixture
def served(app):
    """The app served by a real HTTP server on a thread: its base URL (http://127.0.0.1:port)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, headless; one for the whole run (each test opens
    its own pages or context)."""
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser test: Debian's chromium is missing")
        pytest.skip("needs Debian's chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


@pytest.fixture
def console_session(app):
    """`console_session(phone=None, password=...)`: a browser's view of the console (its own
    cookie jar), logged in when a phone is given (tests/helpers.py, `ConsoleSession`)."""

    def make(phone: str | None = None, password: str = "correct horse battery"):
        return helpers.ConsoleSession(app, phone, password)

    return make


@pytest.fixture
def console(app):
    """`console(person)`: a console session logged in as that person (a fresh cookie jar)."""

    def make(person):
        return helpers.ConsoleSession(app, person.phone, person.password)

    return make


@pytest.fixture
def unfrozen():
    """For a test that freezes the process's heap (safety/heap.py: a worker's `run_forever`):
    it starts with nothing frozen and leaves nothing frozen in this test process."""
    import gc

    gc.unfreeze()
    yield
    gc.unfreeze()
