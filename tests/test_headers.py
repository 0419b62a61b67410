"""Response headers (nosniff everywhere, no-store on personal data), Swagger UI from this
server, and the tracking token kept out of the access logs."""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.apidoc import operations

OPERATIONS = operations()
VENDOR = Path(__file__).parents[1] / "safety" / "static" / "vendor" / "swagger-ui"
SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]
NOT_PERSONAL = ["/api/v1/openapi.json", "/api/v1/docs", "/healthz", "/readyz",
                "/static/tracking.css", "/static/vendor/leaflet/leaflet.js",
                *[f"/static/vendor/swagger-ui/{name}" for name in SWAGGER_FILES]]


def _fill(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda m: str(uuid.uuid4()), path)


# -- X-Content-Type-Options and Cache-Control -------------------------------------------------


@pytest.mark.parametrize("method, path", [(m, p) for m, p, _ in OPERATIONS])
def test_every_api_answer_is_nosniff_and_no_store(admin, method, path):
    r = admin.client.open(_fill(path), method=method, headers=admin.headers)
    assert r.headers["X-Content-Type-Options"] == "nosniff", r.status_code
    assert r.headers["Cache-Control"] == "no-store", r.status_code


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/me"])
def test_api_errors_are_nosniff_and_no_store(client, path):
    r = client.get(path)  # 404, 401
    assert r.status_code in (401, 404)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", NOT_PERSONAL)
def test_public_documents_and_assets_are_nosniff_and_cacheable(client, path):
    r = client.get(path)
    assert r.status_code in (200, 503), path  # /readyz: 503 without a worker
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in r.headers.get("Cache-Control", "")
    r.close()


def test_tracking_page_and_data_are_nosniff_and_no_store(client, tracked):
    _alert, path = tracked
    for url in (path, path + "/data", "/t/not-a-token", "/t/not-a-token/data"):
        r = client.get(url)
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        assert r.headers["Cache-Control"] == "no-store", url


# -- Swagger UI from this server --------------------------------------------------------------


def test_swagger_ui_loads_only_this_servers_assets(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(sources) == sorted(f"/static/vendor/swagger-ui/{n}" for n in SWAGGER_FILES)
    assert '"validatorUrl": null' in page  # no badge that sends the document's URL away


@pytest.mark.parametrize("name", SWAGGER_FILES)
def test_swagger_ui_assets_are_served(client, name):
    r = client.get(f"/static/vendor/swagger-ui/{name}")
    assert r.status_code == 200
    assert r.get_data() == (VENDOR / name).read_bytes()
    r.close()


def test_swagger_ui_is_a_pinned_package_with_its_licence():
    package = json.loads((VENDOR / "package.json").read_text())
    assert (package["name"], package["version"]) == ("swagger-ui-dist", "5.35.0")
    assert package["license"] == "Apache-2.0"
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert "5.35.0" in (VENDOR / "README.md").read_text()


# -- the tracking token is never written to an access log -------------------------------------


def test_dev_server_access_log_redacts_the_tracking_token(app, tracked, caplog):
    from werkzeug.serving import make_server

    _alert, path = tracked
    token = path.removeprefix("/t/")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for url in (path, path + "/data", path + "?x=1"):
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{url}") as r:
                    assert r.status == 200
    finally:
        server.shutdown()
        thread.join()
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "werkzeug"]
    assert len([line for line in lines if "/t/[redacted]" in line]) == 3, lines
    assert not any(token in line for line in lines)


def _close(log) -> None:
    for logger in (log.access_log, log.error_log):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def test_gunicorn_access_log_redacts_the_tracking_token(app, tmp_path, request):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    token = "Zq3kT0d7xWbQ2mRq9yVn5sPc8eLh1aJ4"
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s')
    log = Logger(cfg)
    request.addfinalizer(lambda: _close(log))
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/t/{token}/data?since=1",
               "PATH_INFO": f"/t/{token}/data", "QUERY_STRING": "since=1",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
               "HTTP_REFERER": f"https://safety.example/t/{token}"}
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    log.access(resp, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    for handler in log.access_log.handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text()
    assert token not in written
    assert written.count("/t/[redacted]") == 3, written
    assert "10.0.0.7" in written and " 200 " in written
