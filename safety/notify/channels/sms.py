"""The SMS channel: one HTTP provider configured by environment, and a log provider for
development; and `sms_safe_name`, what of a name may go into an SMS."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import requests
from flask import Config

from safety.i18n import Text, _l
from safety.notify.channels import Outcome
from safety.notify.models import OutboxJob
from safety.util import utcnow

log = logging.getLogger(__name__)


NAME_FALLBACK = _l("Your contact")  # a lazy text: in the language the SMS is written in
_NAME_INNER = "-'\u2019"  # hyphen and apostrophes: Jean-Luc, O'Neil


def _name_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM" or ch in _NAME_INNER


def sms_safe_name(name: str, max_chars: int = 40) -> Text:
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
    """Each SMS to the log (development: one-time codes show there). `redact` (production,
    where SMS_LOG_PROVIDER must be asked for): the number's last four digits and the text's
    length only, never a code, a name or a tracking link."""

    name = "log"

    def __init__(self, redact: bool = False) -> None:
        self.redact = redact

    def send(self, phone: str, text: str) -> SmsOutcome:
        if self.redact:
            log.info("SMS (log provider, not sent) to ***%s: [%d characters, not logged in "
                     "production]", phone[-4:], len(text))
        else:
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


class SmsChannel:
    name = "sms"
    kinds = None
    batch_size = 1  # one HTTP request per message: each is recorded as soon as it is sent

    def __init__(self, config: Config) -> None:
        self.config = config
        self._made: dict[tuple, HttpSmsProvider | LogSmsProvider | None] = {}

    def provider(self) -> HttpSmsProvider | LogSmsProvider | None:
        """The configured provider, or None when the service sends no SMS. Made once per
        configuration (every panic asks), so the HTTP provider keeps its connection pool."""
        config = self.config
        key = (config.get("SMS_HTTP_URL"), config.get("SMS_HTTP_TOKEN"),
               config.get("SMS_SENDER"), bool(config.get("SMS_LOG_PROVIDER")))
        if key not in self._made:
            url, token, sender, log_only = key
            redact = config.get("SAFETY_ENV") == "production"
            self._made[key] = (HttpSmsProvider(url, token, sender) if url
                               else LogSmsProvider(redact) if log_only else None)
        return self._made[key]

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]:
        return [self._send(job) for job in jobs]

    def _send(self, job: OutboxJob) -> Outcome:
        provider = self.provider()
        if provider is None:
            return Outcome.permanent("no SMS provider is configured")
        not_after = job.payload.get("not_after")  # a one-time code: useless once expired
        if not_after and utcnow() >= datetime.fromisoformat(not_after):
            return Outcome.permanent("expired before it could be sent")
        answer = provider.send(job.payload["phone"], job.payload["text"])
        if answer.ok:
            return Outcome.sent({"provider": provider.name, "provider_id": answer.provider_id})
        if answer.permanent:
            return Outcome.permanent(answer.error or "rejected")
        return Outcome.retry(answer.error or "SMS failed")
