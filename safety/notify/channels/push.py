"""The push channel: firebase-admin (FCM HTTP v1) in production, a log provider on a laptop.

A push job names a device (`payload["device_id"]`); the channel looks the devices up when it
sends (a device retired or removed since is not sent to; a refreshed token is used), sends
them in `send_each` batches, and answers per job: sent, retry later, or retire (the token is
dead: the device is retired in the same transaction, and gets nothing more).
"""

from __future__ import annotations

import logging
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from flask import Config
from sqlalchemy import select

from safety.db import end_read_transaction
from safety.extensions import db
from safety.notify.channels import Outcome
from safety.notify.models import Device, OutboxJob
from safety.util import utcnow

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
        # firebase-admin is imported when a Firebase project is configured, not on a laptop
        import firebase_admin
        from firebase_admin import credentials as fb_credentials
        from firebase_admin import messaging

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
        service = messaging._get_messaging_service(self.app)
        base = service._fcm_url.split("/v1/")[0]
        service._client.session.mount(
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
        from firebase_admin import exceptions

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
            except Exception as exc:  # e.g. the credentials' refresh failed: retry them all
                log.warning("FCM send_each failed as a whole: %s", exc)
                outcomes.extend(PushOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
                                for _ in chunk)
                continue
            outcomes.extend(self._outcome(r) for r in batch.responses)
        return outcomes


def make_provider(config: Config, app_name: str):
    """firebase-admin when credentials are configured, the log provider otherwise."""
    creds = config.get("FCM_CREDENTIALS") or config.get("GOOGLE_APPLICATION_CREDENTIALS")
    if creds:
        return FcmPushProvider(creds, config.get("FCM_PROJECT_ID"), config["PUSH_TTL_S"],
                               config["PUSH_TIMEOUT_S"], app_name=app_name)
    if config["SAFETY_ENV"] == "production":
        log.error("No GOOGLE_APPLICATION_CREDENTIALS: push messages are only logged")
    return LogPushProvider()


class PushChannel:
    name = "push"
    kinds = None
    batch_size = MAX_BATCH

    def __init__(self, config: Config) -> None:
        self.config = config
        self._provider = None
        self._lock = threading.Lock()

    def provider(self):
        """The provider, made at the first send (the firebase app is this channel's own)."""
        with self._lock:
            if self._provider is None:
                self._provider = make_provider(self.config, f"safety-{id(self)}")
            return self._provider

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]:
        ids = {uuid.UUID(j.payload["device_id"]) for j in jobs}
        devices = {d.id: d for d in db.session.scalars(select(Device).where(Device.id.in_(ids)))}
        outcomes: list[Outcome | None] = [None] * len(jobs)
        sendable: list[tuple[int, OutboxJob, Device]] = []
        for i, job in enumerate(jobs):
            device = devices.get(uuid.UUID(job.payload["device_id"]))
            if device is None or device.retired_at is not None:
                outcomes[i] = Outcome.permanent("device retired or removed")
            else:
                sendable.append((i, job, device))
        if not sendable:
            return outcomes
        end_read_transaction()  # no lock held while FCM answers
        provider = self.provider()
        answers = provider.send([
            PushMessage(token=d.push_token, title=j.payload["title"], body=j.payload["body"],
                        data=j.payload.get("data", {}))
            for _, j, d in sendable
        ])
        for (i, _job, device), answer in zip(sendable, answers, strict=True):
            if answer.ok:
                outcomes[i] = Outcome.sent({"provider": provider.name,
                                            "message_id": answer.message_id})
            elif answer.permanent:
                device.retired_at = utcnow()
                device.retired_reason = answer.code or answer.error
                log.info("retired device %s: %s", device.id, answer.error)
                outcomes[i] = Outcome.retire(answer.error or "rejected", answer.code)
            else:
                outcomes[i] = Outcome.retry(answer.error or "failed", result={"code": answer.code})
        return outcomes
