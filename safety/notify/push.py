"""Push messages: firebase-admin (FCM HTTP v1) in production, a log provider on a laptop.

The provider answers per message: sent, retry later, or permanent (the token is dead and its
device is retired).
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from flask import Flask

log = logging.getLogger(__name__)

MAX_BATCH = 500  # FCM's limit for one send_each call


@dataclass
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class PushOutcome:
    ok: bool
    permanent: bool = False
    message_id: str | None = None
    error: str | None = None
    code: str | None = None


class LogPushProvider:
    """No Firebase credentials (a laptop): each message goes to the log and the job's record."""

    name = "log"

    def send(self, messages: list[PushMessage]) -> list[PushOutcome]:
        out = []
        for m in messages:
            log.info("PUSH (log provider) to %s…: %s — %s %s", m.token[:12], m.title, m.body,
                     m.data)
            out.append(PushOutcome(ok=True, message_id=f"log:{m.data.get('alert_id', '')}"))
        return out


class FcmPushProvider:
    """firebase-admin `messaging.send_each`, high priority, data + notification, short TTL."""

    name = "fcm"

    def __init__(self, credentials: str | dict, project_id: str | None, ttl_s: int,
                 timeout_s: int, app_name: str = "safety") -> None:
        import firebase_admin  # noqa: PLC0415
        from firebase_admin import credentials as fb_credentials  # noqa: PLC0415
        from firebase_admin import messaging  # noqa: PLC0415

        self._messaging = messaging
        self.ttl = timedelta(seconds=ttl_s)
        options = {"httpTimeout": timeout_s}
        if project_id:
            options["projectId"] = project_id
        try:
            old = firebase_admin.get_app(app_name)
            firebase_admin.delete_app(old)
        except ValueError:
            pass
        self.app = firebase_admin.initialize_app(
            fb_credentials.Certificate(credentials), options=options, name=app_name
        )
        # send_each runs one thread per message; give the session a pool that size so
        # connections are reused rather than opened and thrown away.
        service = messaging._get_messaging_service(self.app)  # noqa: SLF001
        base = service._fcm_url.split("/v1/")[0]  # noqa: SLF001
        service._client.session.mount(  # noqa: SLF001
            base,
            requests.adapters.HTTPAdapter(
                pool_connections=4, pool_maxsize=MAX_BATCH, max_retries=0
            ),
        )

    def _message(self, m: PushMessage):
        ttl_s = int(self.ttl.total_seconds())
        with warnings.catch_warnings():
            # firebase-admin 7.7 deprecates `token` for Firebase installation ids (`fid`);
            # the phones register FCM registration tokens, which FCM v1 still takes as `token`.
            warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
            return self._build(m, ttl_s)

    def _build(self, m: PushMessage, ttl_s: int):
        msg = self._messaging
        return msg.Message(
            token=m.token,
            notification=msg.Notification(title=m.title, body=m.body),
            data={k: str(v) for k, v in m.data.items()},
            android=msg.AndroidConfig(
                priority="high", ttl=self.ttl,
                notification=msg.AndroidNotification(channel_id="alarm", sound="default"),
            ),
            apns=msg.APNSConfig(
                headers={"apns-priority": "10", "apns-push-type": "alert",
                         "apns-expiration": str(ttl_s)},
                payload=msg.APNSPayload(aps=msg.Aps(sound="default")),
            ),
        )

    def _outcome(self, response) -> PushOutcome:
        from firebase_admin import exceptions  # noqa: PLC0415

        if response.success:
            return PushOutcome(ok=True, message_id=response.message_id)
        exc = response.exception
        code = getattr(exc, "code", None)
        permanent = isinstance(
            exc,
            (self._messaging.UnregisteredError, self._messaging.SenderIdMismatchError,
             exceptions.InvalidArgumentError),
        )
        http = getattr(getattr(exc, "http_response", None), "status_code", None)
        error = f"{type(exc).__name__}: {exc}" + (f" (HTTP {http})" if http else "")
        return PushOutcome(ok=False, permanent=permanent, error=error, code=code)

    def send(self, messages: list[PushMessage]) -> list[PushOutcome]:
        outcomes: list[PushOutcome] = []
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            try:
                batch = self._messaging.send_each(
                    [self._message(m) for m in chunk], app=self.app
                )
            except Exception as exc:  # noqa: BLE001 - e.g. credentials refresh failed: retry all
                log.warning("FCM send_each failed as a whole: %s", exc)
                outcomes.extend(PushOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
                                for _ in chunk)
                continue
            outcomes.extend(self._outcome(r) for r in batch.responses)
        return outcomes


_providers: dict[int, object] = {}
_lock = threading.Lock()


def provider_for(app: Flask):
    """The app's push provider, made once per app."""
    with _lock:
        existing = _providers.get(id(app))
        if existing is not None:
            return existing
        creds = app.config.get("FCM_CREDENTIALS") or app.config.get(
            "GOOGLE_APPLICATION_CREDENTIALS"
        )
        if creds:
            provider = FcmPushProvider(
                creds, app.config.get("FCM_PROJECT_ID"), app.config["PUSH_TTL_S"],
                app.config["PUSH_TIMEOUT_S"], app_name=f"safety-{id(app)}",
            )
        else:
            if app.config["SAFETY_ENV"] == "production":
                log.error("No GOOGLE_APPLICATION_CREDENTIALS: push messages are only logged")
            provider = LogPushProvider()
        _providers[id(app)] = provider
        return provider
