"""A small page for contacts without the app: her name, status and live trail on a map.
Leaflet is served from this server; the map works without tiles (TRACKING_TILE_URL adds them)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, render_template, request

from safety.errors import NotFound
from safety.extensions import limiter
from safety.i18n import (
    DEFAULT_TIME_ZONE,
    LANGUAGE_NAMES,
    LOCALES,
    recipient,
    select_locale,
    supported,
)
from safety.messages.replies import QUICK_REPLIES
from safety.tracking import service
from safety.tracking.schemas import SnapshotSchema

bp = Blueprint("tracking", __name__)


def _private(response, tile_host: str = ""):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak onwards
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: " + tile_host + "; "
        "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
    )
    return response


def _reader(token: str) -> tuple[str, str | None]:
    """The page's language (`?lang=`, else the one its SMS was written in, else the browser's)
    and time zone (the reader's: her zone for a contact without an account)."""
    locale, tz = service.reader(token)
    return supported(request.args.get("lang")) or supported(locale) or select_locale(), tz


@bp.get("/t/<token>")
@limiter.limit("120 per minute")
def page(token: str):
    """The page is written in the language the link's SMS was written in (`?lang=` picks
    another), its times in that reader's time zone. It shows what /data shows (drawn from it
    at once, so it reads without script too) and, when she chose so, her number."""
    tile_url = current_app.config["TRACKING_TILE_URL"]
    tile_host = "/".join(tile_url.split("/")[:3]).replace("{s}.", "*.") if tile_url else ""
    lang, tz = _reader(token)
    words = {"lang": lang, "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES]}
    try:
        snap = service.snapshot(token)
    except NotFound:
        with recipient(lang, tz):
            html = render_template("tracking_expired.html", **words)
        return _private(make_response(html, 404))
    last = snap.points[-1] if snap.points else None
    with recipient(lang, tz):
        html = render_template(
            "tracking.html", token=token, tile_url=tile_url, snap=snap, last=last,
            go=service.go_there(last.lat, last.lon) if last else
            [(code, label, url, None) for code, label, url in service.GO_THERE],
            reply_text=QUICK_REPLIES[snap.reply.code].text if snap.reply else None,
            her_phone=service.her_phone(token), poll_ms=current_app.config["TRACKING_POLL_MS"],
            time_zone=tz or DEFAULT_TIME_ZONE, **words)
    return _private(make_response(html), tile_host)


@bp.get("/t/<token>/data")
@limiter.limit("240 per minute")
def data(token: str):
    """Its texts (who is coming, what ended means, her quick reply) in the page's language:
    the page passes its `?lang=` on."""
    lang, tz = _reader(token)
    with recipient(lang, tz):
        body = SnapshotSchema().dump(service.snapshot(token))
    return _private(jsonify(body))
