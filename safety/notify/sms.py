"""SMS: one HTTP provider configured by environment, and a log provider for development."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

import requests
from flask import Flask

log = logging.getLogger(__name__)


NAME_FALLBACK = "Your contact"
_NAME_INNER = "-'\u2019"  # hyphen and apostrophes: Jean-Luc, O'Neil


def _name_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM" or ch in _NAME_INNER


def sms_safe_name(name: str, max_chars: int = 40) -> str:
    """A name she typed, made safe to put in an SMS: no links, domains, e-mail addresses,
    phone numbers, control characters or line breaks, at most `max_chars` characters, so that
    a name cannot turn our SMS into a phishing message ("Mom http://evil.example/login",
    "x\n\nYour bank: call +7...").

    Words are kept only if, once their outer punctuation is cut off, they are made of letters
    (any script), combining marks, hyphens and apostrophes; a word with anything else inside
    (a dot, a slash, a colon, an @, a digit) is dropped whole. Invisible format characters
    (zero-width spaces, direction overrides) are removed first, so they cannot hide a dot."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn")
    )
    words = []
    for raw in text.split():
        start, end = 0, len(raw)
        while start < end and unicodedata.category(raw[start])[0] not in "LM":
            start += 1
        while end > start and unicodedata.category(raw[end - 1])[0] not in "LM":
            end -= 1
        word = raw[start:end]
        if word and all(_name_char(ch) for ch in word):
            words.append(word)
    out = ""
    for word in words:
        candidate = f"{out} {word}" if out else word
        if len(candidate) > max_chars:
            if not out:
                out = word[:max_chars]
            break
        out = candidate
    return out or NAME_FALLBACK


@dataclass
class SmsOutcome:
    ok: bool
    permanent: bool = False
    provider_id: str | None = None
    error: str | None = None


class LogSmsProvider:
    name = "log"

    def send(self, phone: str, text: str) -> SmsOutcome:
        log.info("SMS (log provider) to %s: %s", phone, text)
        return SmsOutcome(ok=True, provider_id="log")


class HttpSmsProvider:
    """POST {to, from, text} as JSON with a bearer token to SMS_HTTP_URL.

    2xx: sent (a JSON body's "id" is kept). 4xx other than 408/429: permanent (bad number).
    408, 429, 5xx, network errors: retried by the outbox.
    """

    name = "http"

    def __init__(self, url: str, token: str | None, sender: str, timeout_s: float = 10) -> None:
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout_s
        self.session = requests.Session()

    def send(self, phone: str, text: str) -> SmsOutcome:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = self.session.post(
                self.url, json={"to": phone, "from": self.sender, "text": text},
                headers=headers, timeout=self.timeout,
            )
        except requests.RequestException as exc:
            return SmsOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        if 200 <= r.status_code < 300:
            try:
                provider_id = str(r.json().get("id"))
            except (ValueError, AttributeError):
                provider_id = None
            return SmsOutcome(ok=True, provider_id=provider_id)
        permanent = 400 <= r.status_code < 500 and r.status_code not in (408, 429)
        return SmsOutcome(ok=False, permanent=permanent,
                          error=f"HTTP {r.status_code}: {r.text[:200]}")


def sms_provider(app: Flask):
    """The configured provider, or None when the service sends no SMS. Made once per
    configuration (every panic asks), so the HTTP provider keeps its connection pool."""
    key = (app.config.get("SMS_HTTP_URL"), app.config.get("SMS_HTTP_TOKEN"),
           app.config.get("SMS_SENDER"), bool(app.config.get("SMS_LOG_PROVIDER")))
    made = app.extensions.setdefault("safety_sms", {})
    if key not in made:
        url, token, sender, log_only = key
        made[key] = (HttpSmsProvider(url, token, sender) if url
                     else LogSmsProvider() if log_only else None)
    return made[key]
