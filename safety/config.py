"""Settings from the environment, with safe defaults for a laptop.

Every variable is documented in docs/configuration.md. Nothing here runs at import time:
`load_config()` reads the environment when the app is created.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

SQLITE_URL_PARAMS = (
    "geoalchemy2_connect_sqlite_init_mode=WGS84&geoalchemy2_connect_sqlite_transaction=true"
)


DEV_BASE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


T = TypeVar("T")
EXIT_CONFIG_ERROR = 4  # gunicorn's "App failed to load": it stops instead of booting workers again


def or_exit(make: Callable[[], T]) -> T:
    """`make()`, or, when a setting is missing or wrong, one clear line on stderr and exit
    status 4 (no traceback): for wsgi.py (`flask --app wsgi …`, gunicorn's workers) and
    gunicorn.conf.py (gunicorn's master, before it starts any worker)."""
    try:
        return make()
    except ConfigError as exc:
        print(f"safety: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None


def _number(env: dict[str, str], name: str, default, kind, words: str):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {words}, got {raw!r}") from exc


def _int(env: dict[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, "a whole number")


def _float(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, "a number")


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _seconds_range(env: dict[str, str], name: str, default: str) -> tuple[float, float]:
    """`8-15` (a random time between), or one number."""
    raw = (env.get(name) or default).strip()
    try:
        low, _, high = raw.partition("-")
        pair = (float(low), float(high or low))
    except ValueError as exc:
        raise ConfigError(f"{name} must be seconds or a range like 8-15, got {raw!r}") from exc
    if not 0 <= pair[0] <= pair[1]:
        raise ConfigError(f"{name} must be a range like 8-15 (low to high), got {raw!r}")
    return pair


def _demo_simulator(env: dict[str, str], environment: str) -> bool:
    """The demo simulator (safety/demo.py) is for `make run` only: refused in production, and
    never started by the tests' apps (a test starts one itself when it wants one)."""
    wanted = _bool(env, "RUN_DEMO_SIMULATOR", False)
    if wanted and environment == "production":
        raise ConfigError("RUN_DEMO_SIMULATOR answers dispatch offers for the demo responders: "
                          "it must not be set in production")
    return wanted and environment == "development"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}?{SQLITE_URL_PARAMS}"


def with_sqlite_params(url: str) -> str:
    """A SQLite URL with the WGS84/transaction options of the default URL added where it does
    not set them itself (without them GeoAlchemy2's SpatiaLite set-up of a new file takes
    ~10 s and makes it 7 MB). Other URLs as given."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    wanted = dict(pair.split("=", 1) for pair in SQLITE_URL_PARAMS.split("&"))
    missing = {k: v for k, v in wanted.items() if k not in parsed.query}
    if not missing:
        return url
    return parsed.update_query_dict(missing).render_as_string(hide_password=False)


def _inbound_secret(env: dict[str, str], name: str) -> str | None:
    """A provider's signing secret for inbound SMS; unset: that endpoint answers 404."""
    raw = env.get(name) or None
    if raw is not None and len(raw) < 16:
        raise ConfigError(f"{name} must be at least 16 characters (it signs what the SMS "
                          "provider tells us)")
    return raw


def _sms_words(env: dict[str, str], name: str, default: str) -> str:
    """Comma-separated command words for inbound SMS; at least one."""
    raw = env.get(name) or default
    if not any(word.strip() for word in raw.split(",")):
        raise ConfigError(f"{name} must name at least one word (comma-separated)")
    return raw


LOCAL_HOSTS = ("localhost", "0.0.0.0", "::1", "[::1]")


def _public_base_url(env: dict[str, str], environment: str) -> str:
    """Links sent to people (SMS tracking links) start with this. In production it must be set,
    and not to an address of this machine: a link to 127.0.0.1 reaches nobody."""
    raw = env.get("PUBLIC_BASE_URL") or ""
    if environment != "production":
        return (raw or DEV_BASE_URL).rstrip("/")
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if not raw or parts is None or parts.scheme not in ("http", "https") or not host:
        raise ConfigError("PUBLIC_BASE_URL must be set in production to the address people "
                          "reach this service at (https://…): SMS tracking links start with it")
    if host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
        raise ConfigError(f"PUBLIC_BASE_URL is {raw} in production: SMS tracking links to this "
                          "machine reach nobody; set it to the service's public address")
    return raw.rstrip("/")


def _dev_secret(instance: Path) -> str:
    """A random secret kept in instance/ so that dev tokens survive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(env: dict[str, str] | None = None, instance_path: str | None = None) -> dict:
    env = dict(os.environ if env is None else env)
    environment = env.get("SAFETY_ENV", "development")
    if environment not in ("development", "production", "testing"):
        raise ConfigError("SAFETY_ENV must be development, production or testing")
    instance = Path(instance_path or env.get("SAFETY_INSTANCE_PATH") or "instance").resolve()

    secret = env.get("SECRET_KEY")
    if not secret:
        if environment == "production":
            raise ConfigError("SECRET_KEY must be set in production")
        secret = (
            _dev_secret(instance) if environment == "development"
            else "testing-secret-key-not-for-production-use-0123456789"
        )

    database_url = with_sqlite_params(
        env.get("DATABASE_URL") or sqlite_url(instance / "safety.db"))
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    cfg: dict[str, Any] = {
        "SAFETY_ENV": environment,
        "TESTING": environment == "testing",
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": secret,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=_int(env, "JWT_ACCESS_MINUTES", 15)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int(env, "JWT_REFRESH_DAYS", 30)),
        "JWT_TOKEN_LOCATION": ["headers"],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT", "5 per minute"),
        # phone verification by one-time SMS code
        "PHONE_CODE_TTL_S": _int(env, "PHONE_CODE_TTL_S", 600),
        "PHONE_CODE_MAX_TRIES": _int(env, "PHONE_CODE_MAX_TRIES", 5),
        "PHONE_CODES_PER_NUMBER_15MIN": _int(env, "PHONE_CODES_PER_NUMBER_15MIN", 3),
        "PHONE_CODES_PER_NUMBER_DAY": _int(env, "PHONE_CODES_PER_NUMBER_DAY", 10),
        "PHONE_CODES_PER_ACCOUNT_DAY": _int(env, "PHONE_CODES_PER_ACCOUNT_DAY", 10),
        "PHONE_CODE_RATE_LIMIT": env.get("PHONE_CODE_RATE_LIMIT", "5 per minute;30 per day"),
        "PHONE_CODE_CHECK_RATE_LIMIT": env.get("PHONE_CODE_CHECK_RATE_LIMIT",
                                               "10 per minute"),
        "PROXY_TRUSTED_HOPS": _int(env, "PROXY_TRUSTED_HOPS", 0),
        # per-account throttles of password checks (safety/accounts/throttles.py)
        "ACCOUNT_LOGIN_MAX_FAILURES": _int(env, "ACCOUNT_LOGIN_MAX_FAILURES", 10),
        "ACCOUNT_PASSWORD_MAX_FAILURES": _int(env, "ACCOUNT_PASSWORD_MAX_FAILURES", 5),
        "ACCOUNT_FAILURE_WINDOW_S": _int(env, "ACCOUNT_FAILURE_WINDOW_S", 3600),
        "ACCOUNT_LOCK_S": _int(env, "ACCOUNT_LOCK_S", 900),
        "ACCOUNT_LOCK_MAX_S": _int(env, "ACCOUNT_LOCK_MAX_S", 86400),
        "DEFAULT_PHONE_REGION": env.get("DEFAULT_PHONE_REGION", "KZ"),
        "PUBLIC_BASE_URL": _public_base_url(env, environment),
        # push / sms / worker
        "GOOGLE_APPLICATION_CREDENTIALS": env.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
        "FCM_PROJECT_ID": env.get("FCM_PROJECT_ID") or None,
        "PUSH_TTL_S": _int(env, "PUSH_TTL_S", 120),
        "PUSH_TIMEOUT_S": _int(env, "PUSH_TIMEOUT_S", 10),
        "SMS_HTTP_URL": env.get("SMS_HTTP_URL") or None,
        "SMS_HTTP_TOKEN": env.get("SMS_HTTP_TOKEN") or None,
        "SMS_SENDER": env.get("SMS_SENDER", "Safety"),
        "SMS_LOG_PROVIDER": _bool(env, "SMS_LOG_PROVIDER", environment != "production"),
        "SMS_PER_ALERT_MAX": _int(env, "SMS_PER_ALERT_MAX", 10),
        "SMS_PER_CONTACT_PER_DAY": _int(env, "SMS_PER_CONTACT_PER_DAY", 10),
        "SMS_NAME_MAX_CHARS": _int(env, "SMS_NAME_MAX_CHARS", 40),
        # inbound SMS: the provider forwards texts to the service's number (docs/sms-inbound.md)
        "SMS_INBOUND_SECRET": _inbound_secret(env, "SMS_INBOUND_SECRET"),
        "SMS_TWILIO_AUTH_TOKEN": _inbound_secret(env, "SMS_TWILIO_AUTH_TOKEN"),
        "SMS_TWILIO_WEBHOOK_URL": env.get("SMS_TWILIO_WEBHOOK_URL") or None,
        "SMS_INBOUND_MAX_AGE_S": _int(env, "SMS_INBOUND_MAX_AGE_S", 300),
        "SMS_INBOUND_MAX_BYTES": _int(env, "SMS_INBOUND_MAX_BYTES", 16384),
        "SMS_INBOUND_RATE_LIMIT": env.get("SMS_INBOUND_RATE_LIMIT", "300 per minute"),
        "SMS_INBOUND_PER_PHONE_MAX": _int(env, "SMS_INBOUND_PER_PHONE_MAX", 10),
        "SMS_INBOUND_PER_PHONE_WINDOW_S": _int(env, "SMS_INBOUND_PER_PHONE_WINDOW_S", 600),
        "SMS_INBOUND_KEEP_DAYS": _int(env, "SMS_INBOUND_KEEP_DAYS", 30),
        "SMS_SOS_LOCATION_MAX_AGE_S": _int(env, "SMS_SOS_LOCATION_MAX_AGE_S", 86400),
        "SMS_SOS_WORDS": _sms_words(env, "SMS_SOS_WORDS", "SOS,СОС,ПОМОГИТЕ,КӨМЕК"),
        "SMS_CHECKIN_WORDS": _sms_words(env, "SMS_CHECKIN_WORDS", "OK,ОК"),
        "SMS_CANCEL_WORDS": _sms_words(env, "SMS_CANCEL_WORDS", "CANCEL,ОТМЕНА,БОЛДЫРМАУ"),
        "WORKER_BATCH": _int(env, "WORKER_BATCH", 500),
        "WORKER_TIMER_BATCH": _int(env, "WORKER_TIMER_BATCH", 10),
        "WORKER_POLL_S": float(env.get("WORKER_POLL_S", "0.5")),
        "WORKER_LEASE_S": _int(env, "WORKER_LEASE_S", 60),
        "WORKER_MAX_ATTEMPTS": _int(env, "WORKER_MAX_ATTEMPTS", 12),
        "WORKER_BACKOFF_BASE_S": float(env.get("WORKER_BACKOFF_BASE_S", "2")),
        "WORKER_BACKOFF_MAX_S": float(env.get("WORKER_BACKOFF_MAX_S", "300")),
        "WORKER_HEARTBEAT_MAX_AGE_S": _int(env, "WORKER_HEARTBEAT_MAX_AGE_S", 30),
        "RUN_WORKER_IN_PROCESS": _bool(env, "RUN_WORKER_IN_PROCESS", False),
        # webhooks: only for tests and local development (refused in production below)
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": _bool(env, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False),
        "WEBHOOK_CA_BUNDLE": env.get("WEBHOOK_CA_BUNDLE") or None,
        # alerts
        "ESCALATE_AFTER_S": _int(env, "ESCALATE_AFTER_S", 120),
        "CANCEL_MAX_ATTEMPTS": _int(env, "CANCEL_MAX_ATTEMPTS", 5),
        "CANCEL_LOCK_S": _int(env, "CANCEL_LOCK_S", 900),
        "TRACKING_GRACE_S": _int(env, "TRACKING_GRACE_S", 3600),
        "PHONE_CLOCK_AHEAD_S": _int(env, "PHONE_CLOCK_AHEAD_S", 300),
        "PHONE_CLOCK_BEHIND_S": _int(env, "PHONE_CLOCK_BEHIND_S", 86400),
        "LOCATION_RETENTION_DAYS": _int(env, "LOCATION_RETENTION_DAYS", 30),
        "PURGE_EVERY_S": _int(env, "PURGE_EVERY_S", 3600),
        "TRACKING_TILE_URL": env.get("TRACKING_TILE_URL", ""),
        "TRACKING_POLL_MS": _int(env, "TRACKING_POLL_MS", 5000),
        # her phone going dark (safety/heartbeats)
        "HEARTBEAT_EVERY_S": _int(env, "HEARTBEAT_EVERY_S", 60),
        "HEARTBEAT_SILENCE_S": _int(env, "HEARTBEAT_SILENCE_S", 300),
        "HEARTBEAT_RATE_LIMIT": env.get("HEARTBEAT_RATE_LIMIT", "20 per minute"),
        "BATTERY_LOW_PCT": _int(env, "BATTERY_LOW_PCT", 15),
        "BATTERY_HYSTERESIS_PCT": _int(env, "BATTERY_HYSTERESIS_PCT", 5),
        # silent replies: messages in an alert's timeline (safety/messages)
        "MESSAGES_PER_MINUTE": _int(env, "MESSAGES_PER_MINUTE", 10),
        "MESSAGES_PER_SENDER_PER_ALERT": _int(env, "MESSAGES_PER_SENDER_PER_ALERT", 100),
        "MESSAGES_PER_ALERT_MAX": _int(env, "MESSAGES_PER_ALERT_MAX", 1000),
        "MESSAGE_RETENTION_DAYS": _int(env, "MESSAGE_RETENTION_DAYS", 30),
        # dispatch
        "OFFER_TIMEOUT_S": _int(env, "OFFER_TIMEOUT_S", 30),
        "OFFER_BATCH": _int(env, "OFFER_BATCH", 3),
        "OFFER_RADIUS_M": _int(env, "OFFER_RADIUS_M", 5000),
        "OFFER_MAX_RADIUS_M": _int(env, "OFFER_MAX_RADIUS_M", 40000),
        "RESPONDER_STALE_S": _int(env, "RESPONDER_STALE_S", 600),
        "RESPONDER_ACCESS_AFTER_END_S": _int(env, "RESPONDER_ACCESS_AFTER_END_S", 4 * 3600),
        # who is coming: the responder's position on a dispatch (safety/dispatch/coming.py)
        "RESPONDER_POSITION_MIN_INTERVAL_S": _float(env, "RESPONDER_POSITION_MIN_INTERVAL_S",
                                                    2.0),
        "RESPONDER_MAX_SPEED_MPS": _float(env, "RESPONDER_MAX_SPEED_MPS", 70.0),
        "RESPONDER_POSITION_STALE_S": _int(env, "RESPONDER_POSITION_STALE_S", 60),
        "ETA_ROAD_FACTOR": _float(env, "ETA_ROAD_FACTOR", 1.4),
        "ETA_SPEED_KMH": _float(env, "ETA_SPEED_KMH", 30.0),
        # the demo simulator of `make run` (safety/demo.py; development only)
        "RUN_DEMO_SIMULATOR": _demo_simulator(env, environment),
        "DEMO_TICK_S": _float(env, "DEMO_TICK_S", 2.0),
        "DEMO_ANSWER_DELAY_S": _seconds_range(env, "DEMO_ANSWER_DELAY_S", "8-15"),
        "DEMO_STEP_DELAY_S": _seconds_range(env, "DEMO_STEP_DELAY_S", "10-20"),
        "DEMO_SPEED_MPS": _float(env, "DEMO_SPEED_MPS", 12.0),
        # the operations console (/console/; docs/console.md): a login session lasts at most
        # CONSOLE_SESSION_HOURS and ends after CONSOLE_IDLE_MINUTES without a request
        "CONSOLE_SESSION_HOURS": _int(env, "CONSOLE_SESSION_HOURS", 12),
        "CONSOLE_IDLE_MINUTES": _int(env, "CONSOLE_IDLE_MINUTES", 30),
        "CONSOLE_POLL_MS": _int(env, "CONSOLE_POLL_MS", 1000),
        "CONSOLE_COOKIE_SECURE": _bool(env, "CONSOLE_COOKIE_SECURE",
                                       environment == "production"),
        "CONSOLE_TILE_URL": env.get("CONSOLE_TILE_URL", env.get("TRACKING_TILE_URL", "")),
        # its cookie (flask-jwt-extended's cookie mode; the API reads headers only)
        "JWT_ACCESS_COOKIE_NAME": "safety_console",
        "JWT_ACCESS_COOKIE_PATH": "/console/",
        "JWT_COOKIE_SAMESITE": "Lax",
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_IN_COOKIES": False,  # the page carries the CSRF value, not a cookie
        "JWT_CSRF_CHECK_FORM": True,
        "JWT_ACCESS_CSRF_FIELD_NAME": "csrf_token",
        # monitoring stations over SIA DC-09 (safety/notify/channels/dc09.py)
        "DC09_TIMEOUT_S": _float(env, "DC09_TIMEOUT_S", 10.0),
        "DC09_RETRY_FOR_S": _int(env, "DC09_RETRY_FOR_S", 86400),
        "DC09_LINK_TEST_EVERY_S": _int(env, "DC09_LINK_TEST_EVERY_S", 3600),
        "DC09_KEYS_SECRET": env.get("DC09_KEYS_SECRET") or None,
        # metrics and logs (safety/metrics, safety/logs.py; docs/operations.md, "Metrics")
        "METRICS_ENABLED": _bool(env, "METRICS_ENABLED", True),
        "METRICS_TOKEN": _metrics_token(env),
        "METRICS_WINDOW_S": _int(env, "METRICS_WINDOW_S", 3600),
        "WORKER_METRICS_ADDRESS": _address(env, "WORKER_METRICS_ADDRESS"),
        "LOG_FORMAT": _log_format(env),
        # registry
        "REGISTRY_CHECKS_PER_DAY": _int(env, "REGISTRY_CHECKS_PER_DAY", 10),
        # OpenAPI (flask-smorest)
        "API_TITLE": "Safety API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Swagger UI's assets are served by this service (vendored swagger-ui-dist, pinned):
        # the docs page loads nothing from other hosts.
        "OPENAPI_SWAGGER_UI_URL": env.get(
            "OPENAPI_SWAGGER_UI_URL", "/static/vendor/swagger-ui/"
        ),
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no spec sent to swagger.io
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            # No global requirement: `login_required` documents bearerAuth on the operations
            # that need a token, so the ones that need none (register, login, help) say so.
            "security": [],
            "info": {
                "description": "The server behind the panic-button app. Behaviour a schema "
                               "cannot show: docs/api-notes.md.",
                "license": {"name": "Apache-2.0",
                            "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            },
        },
    }
    # The document names this deployment's address, as SMS links do (a generated client's
    # default base URL).
    cfg["API_SPEC_OPTIONS"]["servers"] = [
        {"url": cfg["PUBLIC_BASE_URL"], "description": "This deployment (PUBLIC_BASE_URL)."}]
    _check_heartbeats(cfg)
    if environment == "production" and cfg["WEBHOOK_ALLOW_PRIVATE_NETWORKS"]:
        raise ConfigError("WEBHOOK_ALLOW_PRIVATE_NETWORKS is for tests and local development; "
                          "it must not be set in production")
    _check_eta(cfg)
    cfg["JWT_COOKIE_SECURE"] = cfg["CONSOLE_COOKIE_SECURE"]
    for name in ("CONSOLE_SESSION_HOURS", "CONSOLE_IDLE_MINUTES", "CONSOLE_POLL_MS"):
        if cfg[name] < 1:  # a zero lifetime would make flask-jwt-extended issue no expiry
            raise ConfigError(f"{name} must be 1 or more, got {cfg[name]}")
    if database_url.startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite_engine_options()
    else:
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": _int(env, "DB_POOL_SIZE", 10),
            "max_overflow": _int(env, "DB_MAX_OVERFLOW", 10),
        }
    return cfg


def _metrics_token(env: dict[str, str]) -> str | None:
    """The bearer token Prometheus presents on GET /metrics; unset: /metrics answers 404."""
    raw = env.get("METRICS_TOKEN") or None
    if raw is not None and len(raw) < 32:
        raise ConfigError("METRICS_TOKEN must be at least 32 characters (it guards what "
                          "/metrics tells)")
    return raw


def _address(env: dict[str, str], name: str) -> tuple[str, int] | None:
    """`host:port` (`[::1]:9101` for IPv6), or unset."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    host, sep, port = raw.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must be host:port (e.g. 127.0.0.1:9101), got {raw!r}")
    return host, int(port)


def _log_format(env: dict[str, str]) -> str:
    raw = (env.get("LOG_FORMAT") or "text").strip().lower()
    if raw not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return raw


def _check_heartbeats(cfg: dict[str, Any]) -> None:
    """A silence shorter than the heartbeat interval would warn between two heartbeats; a low
    level plus its hysteresis above 100 % would never re-arm."""
    if not 1 <= cfg["HEARTBEAT_EVERY_S"] < cfg["HEARTBEAT_SILENCE_S"]:
        raise ConfigError("HEARTBEAT_SILENCE_S must be longer than HEARTBEAT_EVERY_S (and "
                          "HEARTBEAT_EVERY_S at least 1)")
    if not (1 <= cfg["BATTERY_LOW_PCT"] and 1 <= cfg["BATTERY_HYSTERESIS_PCT"]
            and cfg["BATTERY_LOW_PCT"] + cfg["BATTERY_HYSTERESIS_PCT"] <= 100):
        raise ConfigError("BATTERY_LOW_PCT and BATTERY_HYSTERESIS_PCT must be at least 1, "
                          "and together at most 100")


def _check_eta(cfg: dict[str, Any]) -> None:
    """The estimate of when a responder arrives divides by a speed: it must make sense."""
    if not cfg["ETA_SPEED_KMH"] > 0:
        raise ConfigError(f"ETA_SPEED_KMH must be above 0, got {cfg['ETA_SPEED_KMH']!r}")
    if not cfg["ETA_ROAD_FACTOR"] >= 1:
        raise ConfigError("ETA_ROAD_FACTOR must be 1 or more (roads are never shorter than "
                          f"the straight line), got {cfg['ETA_ROAD_FACTOR']!r}")
    if not cfg["RESPONDER_MAX_SPEED_MPS"] > 0:
        raise ConfigError("RESPONDER_MAX_SPEED_MPS must be above 0, got "
                          f"{cfg['RESPONDER_MAX_SPEED_MPS']!r}")


def sqlite_engine_options() -> dict[str, Any]:
    """SQLite through pysqlite3 (whose sqlite can load extensions) with SpatiaLite loaded."""
    try:
        import pysqlite3.dbapi2 as module  # optional: the wheel whose sqlite loads extensions
    except ImportError:  # pragma: no cover - a Python whose sqlite3 can load extensions
        import sqlite3 as module
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    return {
        "module": module,
        "plugins": ["geoalchemy2"],
        "connect_args": {"timeout": 30, "check_same_thread": False},
    }
