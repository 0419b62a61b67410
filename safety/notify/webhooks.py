"""Signed webhooks to an organisation's endpoint, sent and retried through the outbox.

Each POST carries `X-Safety-Timestamp: <unix seconds>` and
`X-Safety-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; receivers
recompute it and reject stale timestamps (we suggest 5 minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import requests

from safety.notify import outbox
from safety.notify.models import OutboxJob


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def enqueue_event(url: str, secret: str, event: str, data: dict, *,
                  alert_id: uuid.UUID | None = None) -> None:
    outbox.enqueue(
        "webhook", "webhook",
        {"url": url, "secret": secret, "event": event, "data": data,
         "event_id": str(uuid.uuid4())},
        alert_id=alert_id, recipient=url,
    )


@outbox.handler("webhook")
def _deliver(job: OutboxJob) -> dict:
    p = job.payload
    body = json.dumps({"id": p["event_id"], "event": p["event"], "data": p["data"]},
                      separators=(",", ":"), sort_keys=True).encode()
    ts = int(time.time())
    try:
        r = requests.post(
            p["url"], data=body, timeout=10,
            headers={"Content-Type": "application/json", "X-Safety-Timestamp": str(ts),
                     "X-Safety-Signature": sign(p["secret"], ts, body),
                     "X-Safety-Event": p["event"]},
        )
    except requests.RequestException as exc:
        raise RuntimeError(f"webhook unreachable: {exc}") from exc
    if 200 <= r.status_code < 300:
        return {"status": r.status_code}
    if 400 <= r.status_code < 500 and r.status_code not in (408, 409, 425, 429):
        raise outbox.PermanentFailure(f"webhook refused: HTTP {r.status_code}")
    raise RuntimeError(f"webhook failed: HTTP {r.status_code}")
