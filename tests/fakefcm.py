"""A local fake of Google's OAuth token endpoint and FCM HTTP v1 `messages:send`.

The tests point firebase-admin at it (service-account `token_uri` and `FCM_URL`), so the real
firebase-admin code builds, authenticates, sends and parses. Behaviour is set per push token
prefix ("unreg-", "invalid-") or for every message (`mode`: ok, 500, 503, 429, hang).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_RE = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


def _fcm_error(status: int, grpc_status: str, code: str | None, message: str) -> dict:
    body: dict = {"error": {"code": status, "message": message, "status": grpc_status}}
    if code:
        body["error"]["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
        ]
    return body


class FakeFcm:
    def __init__(self) -> None:
        self.public_key = None  # set by the tests: self-signed service-account JWTs verify
        self.lock = threading.Lock()
        self.mode = "ok"
        self.hang_s = 5.0
        self.sent: list[dict] = []  # accepted messages
        self.requests = 0
        self.token_requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path == "/token":
                    with fake.lock:
                        fake.token_requests += 1
                    return self._reply(
                        200, {"access_token": "fake-access", "expires_in": 3600,
                              "token_type": "Bearer"}
                    )
                m = SEND_RE.match(self.path)
                if not m:
                    return self._reply(404, _fcm_error(404, "NOT_FOUND", None, "no such path"))
                if not fake.authorized(self.headers.get("Authorization", "")):
                    return self._reply(401, _fcm_error(401, "UNAUTHENTICATED", None, "auth"))
                body = json.loads(raw)
                message = body["message"]
                token = message.get("token", "")
                with fake.lock:
                    fake.requests += 1
                    mode = fake.mode
                if mode == "hang":
                    time.sleep(fake.hang_s)
                    return self._reply(503, _fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "slow"))
                if mode in ("500", "503"):
                    return self._reply(int(mode), _fcm_error(int(mode), "INTERNAL", "INTERNAL",
                                                             "server error"))
                if mode == "429":
                    return self._reply(429, _fcm_error(429, "RESOURCE_EXHAUSTED",
                                                       "QUOTA_EXCEEDED", "quota"))
                if token.startswith("unreg-"):
                    return self._reply(404, _fcm_error(404, "NOT_FOUND", "UNREGISTERED",
                                                       "Requested entity was not found."))
                if token.startswith("invalid-"):
                    return self._reply(400, _fcm_error(400, "INVALID_ARGUMENT",
                                                       "INVALID_ARGUMENT", "bad token"))
                with fake.lock:
                    fake.sent.append(message)
                    n = len(fake.sent)
                return self._reply(200, {"name": f"projects/{m.group(1)}/messages/{n}"})

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

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
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.mode = "ok"
            self.sent.clear()
            self.requests = 0

    def sent_to(self, token: str) -> list[dict]:
        with self.lock:
            return [m for m in self.sent if m.get("token") == token]
