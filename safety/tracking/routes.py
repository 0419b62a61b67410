"""A small page for contacts without the app: her name, status and live trail on a map.
Leaflet is served from this server; the map works without tiles (TRACKING_TILE_URL adds them)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, render_template

from safety.errors import NotFound
from safety.extensions import limiter
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
    tile_url = current_app.config["TRACKING_TILE_URL"]
    tile_host = "/".join(tile_url.split("/")[:3]).replace("{s}.", "*.") if tile_url else ""
    try:
        service.alert_for(token)
    except NotFound:
        html = render_template("tracking_expired.html")
        return _private(make_response(html, 404))
    html = render_template("tracking.html", token=token, tile_url=tile_url,
                           poll_ms=current_app.config["TRACKING_POLL_MS"])
    return _private(make_response(html), tile_host)


@bp.get("/t/<token>/data")
@limiter.limit("240 per minute")
def data(token: str):
    return _private(jsonify(SnapshotSchema().dump(service.snapshot(token))))
