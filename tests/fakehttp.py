"""One fake HTTP receiver for the tests: a threaded local server on a free port that records
every request and answers as scripted.

    hook = FakeHttp(status=502).start()      # or the `fake_http` fixture, which stops it
    ... hook.url("/hook") ...
    hook.status = 204                         # the next answers
    [req] = hook.requests                     # Request(method, path, headers, body)

An answer is `status`, `body` (bytes, str, or a dict sent as JSON), `headers` and `delay_s`
(a slow receiver), or whatever `respond(request)` returns as a `Reply` (per-request scripts:
the fake FCM server). With `tls=(certfile, keyfile)` it speaks HTTPS and records the SNI names
clients ask for (`sni`); failed handshakes are expected by some tests and stay quiet.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: HTTPMessage  # names case-insensitive: headers["host"] == headers["Host"]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            return self.body.encode(), headers
        return self.body or b"", headers


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # firebase-admin's send_each opens a connection per message

    def handle_error(self, request, client_address):
        pass  # a refused TLS handshake or a client that hung up: what some tests expect


class FakeHttp:
    def __init__(self, status: int = 200, body: bytes | str | dict | list | None = None,
                 headers: dict[str, str] | None = None, delay_s: float = 0.0,
                 respond: Callable[[Request], Reply] | None = None,
                 tls: tuple[str, str] | None = None) -> None:
        self.status, self.body, self.headers, self.delay_s = status, body, headers or {}, delay_s
        self.respond = respond
        self.requests: list[Request] = []
        self.sni: list[str] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, self.headers,
                                  self.rfile.read(length))
                with fake.lock:
                    fake.requests.append(request)
                reply = fake.reply(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                raw, headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            ctx.sni_callback = lambda sock, name, c: self.sni.append(name) and None
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply(self, request: Request) -> Reply:
        if self.respond is not None:
            return self.respond(request)
        return Reply(self.status, self.body, self.headers, self.delay_s)

    def url(self, path: str = "/") -> str:
        return self.base + path

    def start(self) -> FakeHttp:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
