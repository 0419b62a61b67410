"""A local fake of Google's OAuth token endpoint and FCM HTTP v1 `messages:send`, built on the
tests' one fake HTTP receiver (tests/fakehttp.py).

The tests point firebase-admin at it (service-account `token_uri` and `FCM_URL`), so the real
firebase-admin code builds, authenticates, sends and parses. Behaviour is set per push token
prefix ("unreg-", "invalid-") or for every message (`mode`: ok, 500, 503, 429, hang).
"""

from __future__ import annotations

import re
import threading

from tests.fakehttp import FakeHttp, Reply, Request

SEND_RE = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


def _fcm_error(status: int, grpc_status: str, code: str | None, message: str) -> Reply:
    body: dict = {"error": {"code": status, "message": message, "status": grpc_status}}
    if code:
        body["error"]["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
        ]
    return Reply(status, body)


class FakeFcm:
    def __init__(self) -> None:
        self.public_key = None  # set by the tests: self-signed service-account JWTs verify
        self.lock = threading.Lock()
        self.mode = "ok"
        self.hang_s = 5.0
        self.delay_s = 0.0  # an accepted message is answered this much later (a slow FCM)
        self.sent: list[dict] = []  # accepted messages
        self.requests = 0
        self.token_requests = 0
        self.http = FakeHttp(respond=self._respond)
        self.base = self.http.base

    def _respond(self, request: Request) -> Reply:
        if request.path == "/token":
            with self.lock:
                self.token_requests += 1
            return Reply(200, {"access_token": "fake-access", "expires_in": 3600,
                               "token_type": "Bearer"})
        m = SEND_RE.match(request.path)
        if request.method != "POST" or not m:
            return _fcm_error(404, "NOT_FOUND", None, "no such path")
        if not self.authorized(request.headers.get("Authorization", "")):
            return _fcm_error(401, "UNAUTHENTICATED", None, "auth")
        message = request.json()["message"]
        token = message.get("token", "")
        with self.lock:
            self.requests += 1
            mode = self.mode
        if mode == "hang":
            reply = _fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "slow")
            reply.delay_s = self.hang_s
            return reply
        if mode in ("500", "503"):
            return _fcm_error(int(mode), "INTERNAL", "INTERNAL", "server error")
        if mode == "429":
            return _fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "quota")
        if token.startswith("unreg-"):
            return _fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
        if token.startswith("invalid-"):
            return _fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "bad token")
        with self.lock:
            self.sent.append(message)
            n = len(self.sent)
            delay = self.delay_s
        return Reply(200, {"name": f"projects/{m.group(1)}/messages/{n}"}, delay_s=delay)

    def authorized(self, header: str) -> bool:
        """An OAuth token from /token, or a JWT the service account signed itself (what
        google-auth sends outside Google's default universe)."""
        if header == "Bearer fake-access":
            return True
        if not header.startswith("Bearer ") or self.public_key is None:
            return False
        import jwt

        try:
            jwt.decode(header[7:], self.public_key, algorithms=["RS256"],
                       options={"verify_aud": False})
        except jwt.PyJWTError:
            return False
        return True

    def start(self) -> FakeFcm:
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()

    def reset(self) -> None:
        with self.lock:
            self.mode = "ok"
            self.delay_s = 0.0
            self.sent.clear()
            self.requests = 0

    def sent_to(self, token: str) -> list[dict]:
        with self.lock:
            return [m for m in self.sent if m.get("token") == token]
