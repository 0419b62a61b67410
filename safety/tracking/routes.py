"""A small page for contacts without the app: her name, status and live trail on a map.
Leaflet is served from this server; the map works without tiles (TRACKING_TILE_URL adds them)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, render_template, request

from safety.errors import NotFound
from safety.extensions import limiter
from safety.i18n import LANGUAGE_NAMES, LOCALES, recipient, select_locale, supported
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


@bp.get("/t/<token>")
@limiter.limit("120 per minute")
def page(token: str):
    """The page is written in the language the link's SMS was written in (`?lang=` picks
    another), its times in that reader's time zone."""
    tile_url = current_app.config["TRACKING_TILE_URL"]
    tile_host = "/".join(tile_url.split("/")[:3]).replace("{s}.", "*.") if tile_url else ""
    locale, tz = service.reader(token)
    lang = supported(request.args.get("lang")) or supported(locale) or select_locale()
    words = {"lang": lang, "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES]}
    try:
        service.alert_for(token)
    except NotFound:
        with recipient(lang, tz):
            html = render_template("tracking_expired.html", **words)
        return _private(make_response(html, 404))
    with recipient(lang, tz):
        html = render_template("tracking.html", token=token, tile_url=tile_url,
                               poll_ms=current_app.config["TRACKING_POLL_MS"],
                               time_zone=tz or "", **words)
    return _private(make_response(html), tile_host)


@bp.get("/t/<token>/data")
@limiter.limit("240 per minute")
def data(token: str):
    return _private(jsonify(SnapshotSchema().dump(service.snapshot(token))))
