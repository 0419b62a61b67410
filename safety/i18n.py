"""Languages: every text a person receives comes from the Babel catalogues in
safety/translations (Flask-Babel), in that person's own locale and time zone.

Code that writes a text for someone marks it with `_l` (or `_n` for plurals) and hands the
lazy text on; whoever knows the recipient renders it with `render(text, locale, tz)`, e.g.
`notify.push_to_users` renders each push in each recipient's language. Values that read
differently per language (times, distances, durations) go in as `LocalTime`, `Distance`,
`Minutes`, which format themselves in the locale and zone being rendered.

Inside a request, plain `_` and `str(_l(...))` use the request's locale (see
`select_locale`): what API answers (problem+json titles and details) are written in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from flask import Flask, has_request_context, request
from flask_babel import (
    Babel,
    force_locale,
    format_decimal,
    format_time,
    get_locale,
    get_timezone,
    gettext,
    lazy_gettext,
    lazy_ngettext,
    ngettext,
)
from flask_babel import _get_current_context as _babel_context
from pytz import UnknownTimeZoneError
from pytz import timezone as _pytz_timezone

LOCALES = ("kk", "ru", "en")
DEFAULT_LOCALE = "en"  # an API answer with no Accept-Language and no signed-in user
DEFAULT_TIME_ZONE = "Asia/Almaty"
# Kazakhstan's zones (all UTC+5 since 1 March 2024, when Almaty and Qostanay moved back an
# hour; before that Almaty was UTC+6 and Aqtobe UTC+5: the tz database keeps both histories)
# and UTC.
TIME_ZONES = ("Asia/Almaty", "Asia/Aqtobe", "Asia/Oral", "Asia/Aqtau", "Asia/Atyrau",
              "Asia/Qyzylorda", "Asia/Qostanay", "UTC")
TRANSLATIONS = Path(__file__).parent / "translations"
# Each language's name in itself (a reader picks their own language by it).
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

Text = object  # a lazy `_l`/`_n` text, or a plain string (rendered as it is)

_ = gettext
_l = lazy_gettext
_n = lazy_ngettext
n_ = ngettext


def N_(message: str) -> str:
    """Marks a text for the catalogues where it is translated later by `gettext(message)`
    (a table of texts, e.g. safety/schema_messages.py); gives it back unchanged."""
    return message


babel = Babel()


def supported(locale: str | None) -> str | None:
    """`locale` if we have it (a region or script suffix is dropped: ru-KZ -> ru)."""
    if not locale:
        return None
    base = locale.replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else None


def select_locale() -> str:
    """A request's language: its Accept-Language, else the signed-in user's locale, else
    DEFAULT_LOCALE."""
    if not has_request_context():
        return DEFAULT_LOCALE
    best = accepted_locale()
    if best:
        return best
    user_locale = _signed_in_user_locale()
    return user_locale or DEFAULT_LOCALE


def accepted_locale() -> str | None:
    """The best of our locales the request's Accept-Language names, or None."""
    if not has_request_context() or not request.headers.get("Accept-Language"):
        return None
    return request.accept_languages.best_match(LOCALES)


def _signed_in_user_locale() -> str | None:
    """The locale of the user whose token this request's route has already verified (nothing
    is verified here: a locale is never a reason to read a token)."""
    from flask_jwt_extended import get_current_user

    try:
        user = get_current_user()
    except RuntimeError:
        return None
    return supported(getattr(user, "locale", None))


def forget_locale() -> None:
    """Choose the request's locale afresh at its next use: called once the token is verified,
    so that a locale chosen before (without the user) does not stick."""
    ctx = _babel_context()
    if ctx is not None and getattr(ctx, "forced_babel_locale", None) is None:
        ctx.babel_locale = None


def init_app(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT_LOCALE, default_timezone=DEFAULT_TIME_ZONE,
                   default_translation_directories=str(TRANSLATIONS),
                   locale_selector=select_locale)


@contextmanager
def recipient(locale: str | None, tz: str | None = None) -> Iterator[None]:
    """Texts rendered inside are in `locale` and times in time zone `tz`."""
    ctx = _babel_context()
    saved = getattr(ctx, "babel_tzinfo", None) if ctx is not None else None
    with force_locale(supported(locale) or DEFAULT_LOCALE):
        if ctx is not None:
            ctx.babel_tzinfo = _zone(tz)
        try:
            yield
        finally:
            if ctx is not None:
                ctx.babel_tzinfo = saved


def _zone(tz: str | None):
    """The pytz zone `tz`; the default zone for one we do not know (a text is never lost for
    a bad zone name: stored zones are checked on input, this is the last guard)."""
    try:
        return _pytz_timezone(tz or DEFAULT_TIME_ZONE)
    except UnknownTimeZoneError:
        return _pytz_timezone(DEFAULT_TIME_ZONE)


def render(text: object, locale: str | None, tz: str | None = None) -> str:
    """`text` (a lazy `_l`/`_n` text, or a plain string) as `locale` and `tz` read it."""
    with recipient(locale, tz):
        return str(text)


def render_all(texts: tuple, locale: str | None, tz: str | None = None) -> list[str]:
    """`render` of each of `texts`, for the same reader (one switch of locale for them all)."""
    with recipient(locale, tz):
        return [str(text) for text in texts]


def current_locale() -> str:
    loc = get_locale()
    return loc.language if loc else DEFAULT_LOCALE


class LocalTime:
    """A moment, shown as a short clock time in the zone the text is rendered for."""

    def __init__(self, at: datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def __str__(self) -> str:
        # CLDR puts a (narrow) no-break space before AM/PM: a plain one keeps an English SMS
        # in the GSM alphabet (160 characters a segment, not 70)
        return format_time(self.at, "short").replace("\u202f", " ").replace("\xa0", " ")


class Distance:
    """Metres, shown as "350 m" or "1.2 km" (the number in the rendered locale)."""

    def __init__(self, metres: float) -> None:
        self.metres = float(metres)

    def __str__(self) -> str:
        if self.metres < 1000:
            # TRANSLATORS: a distance in metres (350 m)
            return gettext("%(n)s m", n=format_decimal(round(self.metres / 10) * 10))
        # TRANSLATORS: a distance in kilometres (1.2 km)
        return gettext("%(n)s km", n=format_decimal(round(self.metres / 1000, 1)))


class Minutes:
    """A whole number of minutes, with the plural form of the rendered locale."""

    def __init__(self, minutes: float) -> None:
        self.n = max(1, round(minutes))

    def __str__(self) -> str:
        # TRANSLATORS: a duration in minutes, short (5 min)
        return ngettext("%(num)d min", "%(num)d min", self.n)


def zone_name() -> str:
    return str(get_timezone())


def locale_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code
