"""Quick replies: canned messages sent by code, without typing. The code is stored; the text
comes from the catalogues and each reader sees it in their own language."""

from __future__ import annotations

from dataclasses import dataclass

from safety.i18n import Text, _l

HERS = ("owner",)
HELPERS = ("guardian", "responder")


@dataclass(frozen=True)
class QuickReply:
    code: str
    text: Text  # a lazy text: rendered in the reader's locale
    senders: tuple[str, ...]  # who may send it: her (owner), or her helpers


QUICK_REPLIES: dict[str, QuickReply] = {r.code: r for r in (
    QuickReply("cant_talk", _l("I can't talk"), HERS),
    QuickReply("hiding", _l("I'm hiding"), HERS),
    QuickReply("still_here", _l("He is still here"), HERS),
    QuickReply("he_left", _l("He has left"), HERS),
    QuickReply("come_quickly", _l("Come quickly"), HERS),
    QuickReply("call_police", _l("Call the police"), HERS),
    QuickReply("need_ambulance", _l("I need an ambulance"), HERS),
    QuickReply("safe_now", _l("I'm safe now"), HERS),
    QuickReply("seen", _l("I have seen your message"), HELPERS),
    QuickReply("on_my_way", _l("I'm on my way"), HELPERS),
    QuickReply("police_called", _l("I have called the police"), HELPERS),
    QuickReply("stay_hidden", _l("Stay where you are, help is coming"), HELPERS),
)}
CODES = tuple(QUICK_REPLIES)
