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
from collections.abc import Callable
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
    to: str = ""  # who it is for, in words (the log provider's lines; see safety/recipients.py)
    kind: str = ""  # the job's kind (alert, dispatch_offer, ...)


# What of a push's data the log provider writes in production: ids and flags, never where she is.
LOGGED_IN_PRODUCTION = ("type", "alert_id", "dispatch_id", "invitation_id", "org_id", "status",
                        "duress", "trigger")


@dataclass
class PushOutcome:
    ok: bool
    permanent: bool = False
    message_id: str | None = None
    error: str | None = None
    code: str | None = None


class LogPushProvider:
    """No Firebase credentials (a laptop): each message goes to the log and the job's record.

    A line names the recipient (`to user 1a2b3c4d… (Gulnara, guardian of Aigerim)`), so that
    the development log tells the story of an alert. `redact` (production, where this provider
    only stands in for a missing Firebase project): no names, no text, no coordinates."""

    name = "log"

    def __init__(self, redact: bool = False) -> None:
        self.redact = redact

    def send(self, messages: list[PushMessage]) -> list[PushOutcome]:
        out = []
        for m in messages:
            to = m.to or "an unknown user"
            device = f"device {m.token[:12]}…"
            if self.redact:
                kept = {k: v for k, v in m.data.items() if k in LOGGED_IN_PRODUCTION}
                log.info("PUSH (log provider, not sent) %s to %s on %s: [title, body and "
                         "location not logged in production] %s", m.kind or "push", to,
                         device, kept)
            else:
                log.info("PUSH (log provider) %s to %s on %s: %s — %s %s", m.kind or "push",
                         to, device, m.title, m.body, m.data)
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
    creds = push_credentials(config)
    if creds:
        return FcmPushProvider(creds, config.get("FCM_PROJECT_ID"), config["PUSH_TTL_S"],
                               config["PUSH_TIMEOUT_S"], app_name=app_name)
    return LogPushProvider(redact=config["SAFETY_ENV"] == "production")


def push_credentials(config: Config):
    return config.get("FCM_CREDENTIALS") or config.get("GOOGLE_APPLICATION_CREDENTIALS")


class PushChannel:
    name = "push"
    kinds = None
    batch_size = MAX_BATCH

    def __init__(self, config: Config,
                 describe: Callable[..., dict[uuid.UUID, str]] | None = None) -> None:
        """`describe(user_ids, redact=...)` names recipients for the log provider's lines
        (the app factory gives safety.recipients.describe)."""
        self.config = config
        self.describe = describe
        self._provider = None
        self._lock = threading.Lock()
        if config["SAFETY_ENV"] == "production" and not push_credentials(config):
            log.error("NO PUSH CREDENTIALS IN PRODUCTION: GOOGLE_APPLICATION_CREDENTIALS is "
                      "not set, so push messages (alarms to guardians, offers to responders) "
                      "are NOT SENT, only logged without their contents. Set it to the "
                      "Firebase service-account JSON and restart.")

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
        provider = self.provider()
        to = {}
        if isinstance(provider, LogPushProvider) and self.describe is not None:
            to = self.describe({d.user_id for _, _, d in sendable}, redact=provider.redact)
        end_read_transaction()  # no lock held while FCM answers
        answers = provider.send([
            PushMessage(token=d.push_token, title=j.payload["title"], body=j.payload["body"],
                        data=j.payload.get("data", {}), to=to.get(d.user_id, ""), kind=j.kind)
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
