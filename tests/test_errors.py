import pytest

PROBLEM = "application/problem+json"


def test_unknown_path_is_problem_json(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.content_type == PROBLEM
    body = r.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"


def test_wrong_method_is_405_problem(client):
    r = client.get("/api/v1/auth/login")
    assert r.status_code == 405 and r.content_type == PROBLEM
    assert "POST" in r.headers["Allow"]


def test_malformed_json_is_400(client):
    r = client.post("/api/v1/auth/register", data="{not json",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.content_type == PROBLEM


def test_body_too_large_is_413(app, client):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    r = client.post("/api/v1/auth/register", data=big,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.content_type == PROBLEM


def test_unexpected_error_is_500_problem_without_trace(client, monkeypatch):
    from safety.accounts import service

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "login", boom)
    r = client.post("/api/v1/auth/login", json={"phone": "+77015551234", "password": "x"})
    assert r.status_code == 500 and r.content_type == PROBLEM
    assert "secret internals" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_openapi_published(client, path):
    r = client.get(path)
    assert r.status_code == 200
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]
    assert spec["paths"]["/api/v1/auth/register"]["post"]["summary"] == "Create an account"


def test_swagger_ui_page(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and b"swagger" in r.data.lower()


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_needs_a_fresh_worker_heartbeat(app, client):
    r = client.get("/readyz")
    assert r.status_code == 503 and r.content_type == PROBLEM
    from safety.notify.worker import Worker

    Worker(app).run_once()
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["database"] == "ok"
