"""The webhook channel: signed webhooks to an organisation's endpoint, sent and retried
through the outbox (enqueued by `safety.notify.service.send_webhook`).

Each POST carries `X-Safety-Timestamp: <unix seconds>` and
`X-Safety-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; receivers
recompute it and reject stale timestamps (we suggest 5 minutes).

The URL comes from outside (an organisation's settings), so the server must not be turned into
a way into its own network (SSRF). A URL is https, without credentials, and not an address of a
private network when it is saved; and at every delivery the host name is resolved here, every
address it resolves to must be public, and the connection goes to one of those checked
addresses (so a name that resolves to a public address when checked and to 127.0.0.1 a moment
later — DNS rebinding — gets nowhere), while the Host header, TLS SNI and the certificate check
are for the name in the URL. Redirects are never followed; no proxy from the environment is
used. `WEBHOOK_ALLOW_PRIVATE_NETWORKS` (tests and local development only; refused in
production) lifts the address rule and allows plain http.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import SplitResult, urlsplit

import certifi
import urllib3
from flask import current_app
from marshmallow import ValidationError

from safety.i18n import Text, _l
from safety.notify import outbox
from safety.notify.channels import Outcome
from safety.notify.models import OutboxJob

TIMEOUT = urllib3.Timeout(connect=5.0, read=10.0)

# IANA's special-purpose registries (RFC 6890 and later), written out rather than left to the
# Python version's idea of "private": none of these is a place a partner's webhook lives.
_NOT_PUBLIC_V4 = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # embeds an IPv4 address: judge that one
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Inside 2000::/3: IETF protocol assignments (with Teredo), documentation, 6to4 (whose far end
# we cannot judge), SRv6 segment ids.
_NOT_PUBLIC_V6 = tuple(ipaddress.ip_network(n) for n in (
    "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16",
))


class RefusedDestination(outbox.PermanentFailure):
    """The webhook URL or an address it resolves to is not one we deliver to."""


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a globally routable unicast address: not loopback, private, link-local,
    multicast, reserved, unspecified, shared (CGNAT 100.64/10), documentation or benchmarking
    ranges, nor an IPv6 form of one of those (IPv4-mapped, NAT64, 6to4, Teredo)."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # drop an IPv6 zone (%eth0)
    except ValueError:
        return False
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
        if ip not in _V6_GLOBAL_UNICAST or any(ip in net for net in _NOT_PUBLIC_V6):
            return False
    elif any(ip in net for net in _NOT_PUBLIC_V4):
        return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the hook tests swap to stand in for DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _private_allowed() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS"))


def url_problem(url: str, allow_private: bool) -> Text | None:
    """Why `url` may not be a webhook URL, or None. Only what the URL itself says: where its
    host name resolves is checked at each delivery."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return _l("Not a valid URL.")
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        return _l("A webhook URL must use https.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return _l("A webhook URL must not carry credentials; sign with the webhook secret.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return _l("A webhook URL needs a host.")
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return _l("A webhook URL must point to a public address, not this machine.")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: judged when it is resolved, at each delivery
    if not is_public_address(host):
        return _l("A webhook URL must point to a public address, not a private network.")
    return None


def validate_url(url: str | None) -> None:
    """marshmallow validator for `webhook_url` (422 when it fails)."""
    if url is None:
        return
    problem = url_problem(url, _private_allowed())
    if problem:
        raise ValidationError(str(problem))


def _checked_addresses(parts: SplitResult, port: int, allow_private: bool) -> list[str]:
    host = parts.hostname.rstrip(".")
    try:
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError) as exc:
        raise RuntimeError(f"webhook host {host!r} did not resolve: {exc}") from exc
    if not addresses:
        raise RuntimeError(f"webhook host {host!r} did not resolve")
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise RefusedDestination(
                f"webhook refused: {host} resolves to {', '.join(refused)}, "
                "which is not a public address")
    return addresses


def _pool(parts: SplitResult, address: str, port: int) -> urllib3.HTTPConnectionPool:
    """A connection pool for exactly one checked address; TLS verified for the URL's host."""
    if parts.scheme == "https":
        host = parts.hostname.rstrip(".")
        return urllib3.HTTPSConnectionPool(
            address, port, timeout=TIMEOUT, retries=False, maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=current_app.config.get("WEBHOOK_CA_BUNDLE") or certifi.where(),
            server_hostname=host, assert_hostname=host,
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=TIMEOUT, retries=False, maxsize=1)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` under the rules above; returns the HTTP status (redirects are
    answers, not followed). Raises RefusedDestination, or RuntimeError to retry later."""
    allow_private = _private_allowed()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedDestination("webhook refused: not a valid URL") from exc
    if not parts.hostname:
        raise RefusedDestination("webhook refused: the URL has no host")
    # Where it leads first (the rule that matters most), then what the URL itself says.
    addresses = _checked_addresses(parts, port, allow_private)
    problem = url_problem(url, allow_private)
    if problem:
        raise RefusedDestination(f"webhook refused: {problem}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {**headers, "Host": parts.netloc}
    last: Exception | None = None
    for address in addresses:
        pool = _pool(parts, address, port)
        try:
            response = pool.urlopen("POST", path, body=body, headers=headers, redirect=False,
                                    retries=False, assert_same_host=False,
                                    preload_content=False)
            status = response.status
            response.close()  # the body is not read: a receiver cannot stall the worker
            return status
        except (urllib3.exceptions.NewConnectionError,
                urllib3.exceptions.ConnectTimeoutError) as exc:
            last = exc  # try the next checked address
        except urllib3.exceptions.HTTPError as exc:
            raise RuntimeError(f"webhook unreachable: {exc}") from exc
        finally:
            pool.close()
    raise RuntimeError(f"webhook unreachable: {last}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    """One POST per job. Each delivery gets a connection pool of its own for exactly the
    address just checked (see `post`), closed after it: nothing is cached between deliveries,
    since the address is judged anew each time and a response's body is never read."""

    name = "webhook"
    kinds = None
    batch_size = 1

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]:
        return [self._deliver(job) for job in jobs]

    def _deliver(self, job: OutboxJob) -> Outcome:
        """Raises RefusedDestination (not retried) or RuntimeError (retried) from `post`."""
        p = job.payload
        body = json.dumps({"id": p["event_id"], "event": p["event"], "data": p["data"]},
                          separators=(",", ":"), sort_keys=True).encode()
        ts = int(time.time())
        status = post(
            p["url"], body,
            {"Content-Type": "application/json", "X-Safety-Timestamp": str(ts),
             "X-Safety-Signature": sign(p["secret"], ts, body), "X-Safety-Event": p["event"]},
        )
        if 200 <= status < 300:
            return Outcome.sent({"status": status})
        if 300 <= status < 400:
            return Outcome.permanent(f"webhook answered a redirect (HTTP {status}); "
                                     "redirects are not followed")
        if 400 <= status < 500 and status not in (408, 409, 425, 429):
            return Outcome.permanent(f"webhook refused: HTTP {status}")
        return Outcome.retry(f"webhook failed: HTTP {status}")
