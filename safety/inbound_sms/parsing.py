"""What an SMS asks for: `SOS` (or another configured word), `OK <PIN>`, `+<minutes> <PIN>`,
`CANCEL <PIN>`; anything else is answered with the list of commands.

Letter case, surrounding punctuation ("SOS!", "ok 1234.") and spacing do not matter, nor which
alphabet a look-alike letter comes from: "SOS" typed with a Cyrillic О, or "ОК" in Cyrillic,
reads as typed in Latin letters (both sides are folded the same way, so a configured Cyrillic
word like "СОС" or "помогите" matches however its look-alike letters were typed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

SOS, CHECK_IN, EXTEND, CANCEL, HELP = "sos", "check_in", "extend", "cancel", "help"

PIN = re.compile(r"[0-9]{4,8}")  # as the API's PIN rule (timers.schemas.PIN)
EXTEND_WORD = re.compile(r"\+([1-9][0-9]{0,3})")  # 1 to 9999 minutes
_EXTEND_SPACE = re.compile(r"\+\s+(?=[0-9])")  # "+ 30" is "+30"
NOTE_MAX = 1000  # an alert's note (alerts.schemas.RaiseAlertSchema)

# Cyrillic letters (lower case, after casefold) that look like Latin ones.
_LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x",
})


@dataclass(frozen=True)
class Command:
    kind: str
    pin: str | None = None
    minutes: int | None = None
    note: str | None = None  # what she wrote after SOS


def fold(word: str) -> str:
    """A word as commands are compared: NFKC, no invisible format characters, case-folded,
    Cyrillic look-alikes as Latin, surrounding punctuation cut off."""
    text = unicodedata.normalize("NFKC", word)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold()
    text = text.translate(_LOOK_ALIKES)
    start, end = 0, len(text)
    while start < end and not (text[start].isalnum() or text[start] == "+"):
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def words(configured: str | Iterable[str]) -> list[tuple[str, ...]]:
    """Configured words ("SOS,СОС,помогите"; a word may be several: "help me") as folded
    token tuples."""
    items = configured.split(",") if isinstance(configured, str) else list(configured)
    out = []
    for item in items:
        tokens = tuple(t for t in (fold(w) for w in item.split()) if t)
        if tokens:
            out.append(tokens)
    return out


def _starts_with(tokens: list[str], choices: list[tuple[str, ...]]) -> int:
    """How many tokens the longest matching configured word takes (0: none)."""
    best = 0
    for choice in choices:
        if len(choice) > best and tuple(tokens[:len(choice)]) == choice:
            best = len(choice)
    return best


def parse(text: str, sos: list[tuple[str, ...]], ok: list[tuple[str, ...]],
          cancel: list[tuple[str, ...]]) -> Command:
    """The command in `text` (its first 2,000 characters are read). SOS comes first: a panic
    is never read as anything else."""
    text = _EXTEND_SPACE.sub("+", unicodedata.normalize("NFKC", text or "")[:2000])
    pairs = [(t, fold(t)) for t in text.split()]
    pairs = [(t, f) for t, f in pairs if f]  # "!!!" and the like say nothing
    tokens = [f for _, f in pairs]
    taken = _starts_with(tokens, sos)
    if taken:
        note = " ".join(t for t, _ in pairs[taken:]).strip()[:NOTE_MAX]
        return Command(SOS, note=note or None)
    if len(tokens) == 2 and PIN.fullmatch(tokens[1]):
        pin = tokens[1]
        if _starts_with(tokens[:1], ok):
            return Command(CHECK_IN, pin=pin)
        if _starts_with(tokens[:1], cancel):
            return Command(CANCEL, pin=pin)
        extend = EXTEND_WORD.fullmatch(tokens[0])
        if extend:
            return Command(EXTEND, pin=pin, minutes=int(extend.group(1)))
    return Command(HELP)
