"""Prometheus metrics (safety/metrics): GET /metrics is refused without METRICS_TOKEN; what it
counts (scraped and parsed with prometheus-client's own parser); its labels never carry a phone
number, a name, an id or a place; request ids; JSON log lines. The same metrics from two
gunicorn processes and two workers: tests/test_deploy.py."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from safety import create_app
from safety.config import ConfigError, load_config

TOKEN = "metrics-token-" + "x" * 30
UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


class Scrape(dict):
    """{(sample name, frozenset(labels)): value}"""

    def value(self, name: str, **labels) -> float:
        return self.get((name, frozenset(labels.items())), 0.0)

    def labelled(self, name: str, **labels) -> dict[frozenset, float]:
        want = set(labels.items())
        return {k[1]: v for k, v in self.items() if k[0] == name and want <= set(k[1])}


def parse(text: str) -> Scrape:
    out = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


@pytest.fixture
def scrape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)

    def get() -> Scrape:
        r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(r.get_data(as_text=True))

    return get


def test_metrics_are_not_public(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 404  # no token set: no endpoint
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    refused = [
        client.get("/metrics"),
        client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1]}),
        client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN + "x"}),
        client.get("/metrics", headers={"Authorization": "Basic " + TOKEN}),
        client.get("/metrics", headers={"Authorization": TOKEN}),
        client.get(f"/metrics?token={TOKEN}"),
    ]
    for r in refused:
        assert r.status_code == 401
        assert r.headers["Content-Type"] == "application/problem+json"
        assert "safety_" not in r.get_data(as_text=True)
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "safety_alerts_raised" in ok.get_data(as_text=True)
    # guessing is limited: 30 refusals a minute per address, then 429
    for _ in range(30 - len(refused)):
        assert client.get("/metrics", headers={"Authorization": "Bearer guess"}) \
            .status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 429


def test_a_panic_is_counted_once_timed_and_its_push_counted(
        app, scrape, user, make_person, make_guardian, register_device, panic, drain, fcm,
        clock):
    guardian = make_person(name="Mother")
    make_guardian(user, guardian)
    register_device(guardian, "tok-mother")
    before = scrape()
    client_id = uuid.uuid4()
    assert panic(user, client_id=client_id).status_code == 201
    assert panic(user, client_id=client_id).status_code == 200  # her phone's retry
    clock.advance(30)
    mid = scrape()
    assert mid.value("safety_alerts_raised_total", trigger="button") == \
        before.value("safety_alerts_raised_total", trigger="button") + 1
    name = "safety_panic_request_duration_seconds"
    for code in ("201", "200"):
        assert mid.value(f"{name}_count", code=code) == \
            before.value(f"{name}_count", code=code) + 1
        assert mid.value(f"{name}_bucket", code=code, le="+Inf") == \
            mid.value(f"{name}_count", code=code)
    assert mid.value("safety_http_requests_total", endpoint="alerts.Alerts", method="POST",
                     code="201") >= 1
    # her guardian's push waits for a worker: the backlog, due for 30 s now
    assert mid.value("safety_outbox_backlog_jobs", kind="alert") == 1
    assert mid.value("safety_outbox_oldest_job_age_seconds", kind="alert") >= 30
    assert mid.value("safety_alerts_live") == 1

    assert drain(app) >= 1
    after = scrape()
    assert after.value("safety_outbox_sends_total", channel="push", outcome="sent") == \
        before.value("safety_outbox_sends_total", channel="push", outcome="sent") + 1
    assert after.value("safety_outbox_backlog_jobs", kind="alert") == 0
    assert len(fcm.sent) == 1
    assert after.value("safety_workers_alive") == 1
    assert after.value("safety_worker_heartbeat_age_seconds") < 5
    clock.advance(120)
    later = scrape()
    assert later.value("safety_workers_alive") == 0
    assert later.value("safety_worker_heartbeat_age_seconds") >= 120
    assert later.value("safety_database_up") == 1


def test_failed_sends_are_counted_by_outcome(app, scrape, user, make_person, make_guardian,
                                              register_device, panic, drain, fcm):
    guardian = make_person(name="Mother")
    make_guardian(user, guardian)
    register_device(guardian, "unreg-mother")  # FCM says UNREGISTERED: the device retires
    before = scrape()
    assert panic(user).status_code == 201
    drain(app)
    after = scrape()
    assert after.value("safety_outbox_sends_total", channel="push", outcome="retire") == \
        before.value("safety_outbox_sends_total", channel="push", outcome="retire") + 1


def test_offer_to_accept_time_and_the_share_accepted_in_time(
        app, scrape, world, make_person, panic, offers_of, clock, astana_box):
    before = scrape()
    assert panic(world.user).status_code == 201
    (offer,) = [o for o in offers_of(world.responders["r500"])]
    clock.advance(5)
    r = world.responders["r500"].post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept")
    assert r.status_code == 200, r.get_json()
    # a second woman: offered to the others, and nobody answers
    second = make_person(name="Second")
    assert panic(second).status_code == 201
    # a third far from any partner: nobody can be dispatched
    third = make_person(name="Third")
    assert panic(third, lat=51.16, lon=71.47).status_code == 201
    clock.advance(45)
    after = scrape()
    name = "safety_dispatch_accept_seconds"
    assert after.value(f"{name}_count") == before.value(f"{name}_count") + 1
    assert after.value(f"{name}_sum") - before.value(f"{name}_sum") == pytest.approx(5, abs=0.5)
    assert after.value(f"{name}_bucket", le="10.0") == before.value(f"{name}_bucket", le="10.0") + 1
    assert after.value(f"{name}_bucket", le="2.0") == before.value(f"{name}_bucket", le="2.0")
    for within in ("10", "40"):
        assert after.value("safety_dispatch_offered_alerts", within=within) == 2
        assert after.value("safety_dispatch_accepted_within_ratio", within=within) == 0.5
    assert after.value("safety_alerts_unassigned") == 1
    assert after.value("safety_alerts_live") == 3


def test_labels_carry_no_phone_name_id_or_place(
        app, scrape, client, make_person, make_guardian, register_device, panic, drain, fcm,
        world, offers_of, tracking_path, next_phone):
    her = make_person(name="Zhanar Beisenova")
    guardian = make_person(name="Aliya Beisenova")
    make_guardian(her, guardian)
    register_device(guardian, "tok-aliya")
    sister = next_phone()  # no app: she gets an SMS with a tracking link
    assert her.post("/api/v1/me/contacts", json={"name": "Dana Sister", "phone": sister}) \
        .status_code == 201
    r = panic(her, lat=43.2391, lon=76.8897, note="at home, +77017778899")
    alert_id = r.get_json()["id"]
    r = her.post(f"/api/v1/alerts/{alert_id}/locations",
                 json={"points": [{"lat": 43.2392, "lon": 76.8898, "accuracy_m": 5}]})
    assert r.status_code == 202, r.get_json()
    assert panic(world.user).status_code == 201
    offer = offers_of(world.responders["r500"])[0]
    world.responders["r500"].post(f"/api/v1/dispatches/{offer['dispatch_id']}/accept")
    drain(app)
    # paths with ids and secrets in them, and what a hostile client can put in a request
    client.get(f"/api/v1/alerts/{alert_id}", headers=her.headers)
    client.get(tracking_path())
    client.get(f"/api/v1/users/{her.phone}")
    client.open("/api/v1/alerts", method="PROPFIND")
    client.get(f"/{her.phone}/{guardian.id}", headers={"X-Request-Id": her.phone})

    scraped = scrape()
    secrets = [her.phone, her.phone.lstrip("+"), guardian.phone, sister, sister[-7:], "Dana",
               "Zhanar", "Beisenova",
               "43.239", "76.889", "7778899", str(her.id), str(guardian.id), alert_id,
               tracking_path().split("/")[-1]]
    seen = set()
    for (name, labels), _value in scraped.items():
        for key, value in labels:
            seen.add((key, value))
            assert not UUID_RE.search(value), (name, key, value)
            for secret in secrets:
                assert secret not in value, (name, key, value)
            if key != "le":
                assert re.fullmatch(r"[A-Za-z0-9_.-]+", value), (name, key, value)
    keys = {key for key, _ in seen}
    assert keys <= {"code", "endpoint", "method", "trigger", "channel", "outcome", "kind",
                    "within", "le"}
    assert ("method", "other") in seen  # PROPFIND is not a label of its own
    assert ("endpoint", "none") in seen  # an unknown path is not written down


def test_counted_only_when_the_transaction_commits(app, ctx):
    from safety.extensions import db
    from safety.metrics.hooks import on_commit
    from safety.notify.models import WorkerHeartbeat

    counted = []
    db.session.add(WorkerHeartbeat(worker_id="metrics-test", hostname="h"))
    db.session.flush()
    on_commit(lambda: counted.append("rolled back"))
    db.session.rollback()
    db.session.add(WorkerHeartbeat(worker_id="metrics-test", hostname="h"))
    on_commit(lambda: counted.append("committed"))  # before the flush: waits all the same
    with db.session.begin_nested():
        db.session.add(WorkerHeartbeat(worker_id="metrics-nested", hostname="h"))
    db.session.begin_nested().rollback()  # a savepoint rolled back does not drop the count
    assert counted == []
    db.session.commit()
    assert counted == ["committed"]


def test_request_ids_in_and_out(client):
    given = "edge-7f3a.1:2"
    assert client.get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"] \
        == given
    for hostile in ('a"b', "a b", "x" * 129, "é", ""):
        answered = client.get("/healthz", headers={"X-Request-Id": hostile}) \
            .headers["X-Request-Id"]
        assert answered != hostile and re.fullmatch(r"[0-9a-f]{32}", answered)
    first = client.get("/healthz").headers["X-Request-Id"]
    assert first != client.get("/healthz").headers["X-Request-Id"]


def test_json_log_lines_carry_the_request_id(app):
    from safety.logs import JsonFormatter

    formatter = JsonFormatter()
    record = logging.LogRecord("safety.x", logging.WARNING, __file__, 1, "push %s failed\nnext",
                               ("job-1",), None)
    with app.test_request_context("/", headers={"X-Request-Id": "req-42"}):
        app.preprocess_request()
        line = formatter.format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["request_id"] == "req-42" and data["level"] == "WARNING"
    assert data["message"] == "push job-1 failed\nnext" and data["logger"] == "safety.x"
    assert data["time"].endswith("Z")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("safety.x", logging.ERROR, __file__, 1, "oops", (),
                                   sys.exc_info())
    data = json.loads(formatter.format(failed))
    assert "request_id" not in data and "RuntimeError: boom" in data["exc"]


def test_json_logs_are_installed_on_the_handlers(monkeypatch):
    from safety.logs import JsonFormatter, use_json_logs

    logger = logging.getLogger("safety-test-json-logs")
    handler = logging.StreamHandler()
    monkeypatch.setattr(logger, "handlers", [handler])
    use_json_logs(("safety-test-json-logs",))
    assert isinstance(handler.formatter, JsonFormatter)


@pytest.mark.parametrize("env, message", [
    ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32"),
    ({"WORKER_METRICS_ADDRESS": "9101"}, "WORKER_METRICS_ADDRESS must be host:port"),
    ({"WORKER_METRICS_ADDRESS": "127.0.0.1:99999"}, "WORKER_METRICS_ADDRESS must be"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
])
def test_metrics_settings_are_checked(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"SAFETY_ENV": "testing", **env})


def test_metrics_settings_read(tmp_path):
    cfg = load_config({"SAFETY_ENV": "testing", "WORKER_METRICS_ADDRESS": "[::1]:9101",
                       "LOG_FORMAT": "JSON", "METRICS_TOKEN": TOKEN})
    assert cfg["WORKER_METRICS_ADDRESS"] == ("::1", 9101)
    assert cfg["LOG_FORMAT"] == "json" and cfg["METRICS_TOKEN"] == TOKEN
    assert load_config({"SAFETY_ENV": "testing"})["METRICS_TOKEN"] is None


def test_a_worker_serves_its_own_counters(app, user, make_person, make_guardian,
                                           register_device, panic, fcm, monkeypatch,
                                           sia_receiver):
    from safety.metrics import serve_worker_metrics

    assert serve_worker_metrics(app) is None  # not asked for
    port = sia_receiver.free_port()
    monkeypatch.setitem(app.config, "WORKER_METRICS_ADDRESS", ("127.0.0.1", port))
    server = serve_worker_metrics(app)
    try:
        guardian = make_person(name="Mother")
        make_guardian(user, guardian)
        register_device(guardian, "tok-mother")
        before = parse(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
        assert panic(user).status_code == 201
        from safety.notify.worker import Worker

        Worker(app, worker_id="metrics-worker").run_once()
        after = parse(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
    finally:
        server.shutdown()
        server.server_close()
    assert after.value("safety_outbox_sends_total", channel="push", outcome="sent") == \
        before.value("safety_outbox_sends_total", channel="push", outcome="sent") + 1
    # the database's gauges are the API's to tell (one source for the whole service)
    assert not after.labelled("safety_outbox_backlog_jobs")


def test_metrics_can_be_switched_off(tmp_path, monkeypatch):
    from safety.config import sqlite_url
    from safety.metrics import metrics_of

    app = create_app(env={"SAFETY_ENV": "testing", "METRICS_ENABLED": "false",
                          "DATABASE_URL": sqlite_url(tmp_path / "off.db")})
    assert metrics_of(app) is None
    assert app.test_client().get("/healthz").status_code == 200
