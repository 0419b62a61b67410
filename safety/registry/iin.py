"""The Kazakh individual identification number (ЖСН/ИИН): 12 digits, YYMMDD, a digit for the
century and sex, a serial, and a check digit (mod 11 with two weight sets)."""

from __future__ import annotations

from datetime import date

from safety.i18n import _l

IIN_DIGITS = _l("An IIN is 12 digits.")
W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY = {1: (1800, "male"), 2: (1800, "female"), 3: (1900, "male"), 4: (1900, "female"),
           5: (2000, "male"), 6: (2000, "female")}


def check_digit(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    c = sum(d * w for d, w in zip(digits, W1, strict=True)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, W2, strict=True)) % 11
        if c == 10:
            return None
    return c


def parse(iin: str) -> tuple[date, str]:
    """(birth date, sex) of a valid IIN; ValueError with a reason otherwise."""
    if len(iin) != 12 or not iin.isdigit():
        raise ValueError(IIN_DIGITS)
    century = CENTURY.get(int(iin[6]))
    if century is None:
        raise ValueError(_l("The 7th digit of an IIN (century and sex) must be 1 to 6."))
    try:
        born = date(century[0] + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError as exc:
        raise ValueError(
            _l("The first six digits of an IIN must be a birth date (YYMMDD).")) from exc
    expected = check_digit(iin[:11])
    if expected is None or expected != int(iin[11]):
        raise ValueError(_l("The IIN's check digit is wrong."))
    return born, century[1]


def make(born: date, sex: str, serial: str = "0001") -> str:
    """A valid IIN for a birth date (tests, demo data): tries serials until a check digit fits."""
    base = 1 if born.year < 1900 else 3 if born.year < 2000 else 5
    digit = base + (1 if sex == "female" else 0)
    n = int(serial)
    while True:
        first11 = f"{born:%y%m%d}{digit}{n:04d}"
        c = check_digit(first11)
        if c is not None:
            return first11 + str(c)
        n += 1
