"""Name matching for registry checks: Cyrillic (Russian and Kazakh) and Latin spellings of
the same name meet in one key; word order, letter case, ё/е and small typos do not matter."""

from __future__ import annotations

import re
import unicodedata

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Kazakh
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}

# Applied in order to a lower-case Latin spelling: the many ways one sound is written.
RULES = [
    (r"ye", "e"), (r"yo", "e"), (r"ie", "e"),
    (r"dzh", "j"), (r"zh", "j"), (r"kh", "h"), (r"ts", "c"), (r"tch", "ch"),
    (r"yu", "u"), (r"iu", "u"), (r"ya", "a"), (r"ia", "a"), (r"yo", "e"),
    (r"iy$", "i"), (r"yi$", "i"), (r"ii$", "i"), (r"yy$", "i"), (r"ij$", "i"),
    (r"y", "i"), (r"w", "v"), (r"q", "k"), (r"x", "ks"), (r"ph", "f"),
    (r"(.)\1+", r"\1"),
]
_RULES = [(re.compile(a), b) for a, b in RULES]


def latin(word: str) -> str:
    word = unicodedata.normalize("NFC", word.lower())
    out = "".join(CYRILLIC.get(ch, ch) for ch in word)
    # drop accents that are left (é, ü written as such in Latin spellings)
    out = unicodedata.normalize("NFKD", out)
    return "".join(ch for ch in out if ch.isascii() and ch.isalpha())


def key(word: str) -> str:
    k = latin(word)
    for pattern, repl in _RULES:
        k = pattern.sub(repl, k)
    return k


def name_keys(full_name: str) -> list[str]:
    """The keys of a full name's words, sorted: word order does not matter."""
    words = re.split(r"[\s\-,.]+", full_name.strip())
    return sorted(k for k in (key(w) for w in words if w) if k)


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with an early exit past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _allowed_typos(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


def compare(query: list[str], entry: list[str]) -> str | None:
    """'exact' when every word of the shorter name is in the other (at least two words),
    'close' when that holds only with small typos, None otherwise."""
    short, long_ = (query, entry) if len(query) <= len(entry) else (entry, query)
    if len(short) < 2:
        return None
    free = list(long_)
    exact = True
    for word in short:
        if word in free:
            free.remove(word)
            continue
        best = None
        for cand in free:
            limit = _allowed_typos(min(word, cand, key=len))
            if limit and _distance(word, cand, limit) <= limit:
                best = cand
                break
        if best is None:
            return None
        free.remove(best)
        exact = False
    return "exact" if exact else "close"
