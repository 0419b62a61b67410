"""The client address behind a reverse proxy: X-Forwarded-For from trusted hops only
(issue 9, item 12)."""

from __future__ import annotations

import pytest

from safety import register_proxy


@pytest.fixture
def attempt(next_phone):
    def attempt(client, forwarded_for):
        return client.post("/api/v1/auth/login",
                           json={"phone": next_phone(), "password": "not the password"},
                           headers={"X-Forwarded-For": forwarded_for})

    return attempt


def limit(app) -> int:
    return int(app.config["LOGIN_RATE_LIMIT"].split()[0])


@pytest.fixture
def behind_one_proxy(app, monkeypatch):
    """The app as the factory wires it with PROXY_TRUSTED_HOPS=1."""
    monkeypatch.setitem(app.config, "PROXY_TRUSTED_HOPS", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back afterwards
    register_proxy(app)
    return app


def test_behind_a_proxy_each_client_has_its_own_login_limit(behind_one_proxy, client, attempt):
    for _ in range(limit(behind_one_proxy)):
        assert attempt(client, "203.0.113.7").status_code == 401
    assert attempt(client, "203.0.113.7").status_code == 429
    assert attempt(client, "198.51.100.9").status_code == 401


def test_behind_a_proxy_only_the_trusted_hop_counts(behind_one_proxy, client, attempt):
    """A client writing its own X-Forwarded-For in front of the proxy's entry is still itself."""
    for k in range(limit(behind_one_proxy)):
        assert attempt(client, f"10.0.0.{k}, 203.0.113.7").status_code == 401
    assert attempt(client, "10.0.0.99, 203.0.113.7").status_code == 429


def test_not_behind_a_proxy_the_header_is_ignored(app, client, attempt):
    assert app.config["PROXY_TRUSTED_HOPS"] == 0
    for k in range(limit(app)):
        assert attempt(client, f"203.0.113.{k}").status_code == 401
    r = attempt(client, "198.51.100.9")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
