"""Help nearby: a directory of crisis centres, shelters, family support centres and police,
and the hotlines to call. Platform admins change it (through the API or the console, the same
functions here); every change is audited (`help_place.*`, `help_hotline.*`) with the admin, in
the same transaction."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import or_, select

from safety import audit, geo, imports
from safety.accounts.models import User
from safety.errors import Invalid, NotFound
from safety.extensions import db
from safety.help.models import Hotline, Place
from safety.i18n import _, _l
from safety.util import utcnow

PLACE_FIELDS = ("name", "kind", "address", "phones", "hours", "website", "region", "active")
PLACE_AUDITED = PLACE_FIELDS + ("lat", "lon")
HOTLINE_FIELDS = ("name", "number", "region", "description", "hours", "sort")


def _key(data: dict) -> str:
    # the same kind of place, of the same name, within ~10 m: the same place
    raw = f"{data['kind']}|{data['name'].strip().lower()}|{data['lat']:.4f}|{data['lon']:.4f}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _place_exists(data: dict) -> bool:
    return db.session.scalar(select(Place.id).where(Place.dedupe_key == _key(data))) is not None


def _place_snapshot(place: Place) -> dict:
    return {f: getattr(place, f) for f in PLACE_AUDITED}


def create_place(data: dict, actor: User | None, *, imported: bool = False) -> Place:
    """A new place (`actor`: the admin; None for the demo seed), audited."""
    place = Place(**{k: data.get(k) for k in PLACE_FIELDS})
    _locate(place, data["lat"], data["lon"])
    place.dedupe_key = _key(data)
    db.session.add(place)
    db.session.flush()
    audit.record(actor, "help_place.created", "help_place", place.id, {
        "fields": audit.diff({}, _place_snapshot(place)), **({"import": True} if imported
                                                              else {})})
    return place


def _locate(place: Place, lat: float, lon: float) -> None:
    place.lat, place.lon = lat, lon
    place.location = geo.point(lat, lon)


def get_place(place_id: uuid.UUID, *, admin: bool = False) -> Place:
    place = db.session.get(Place, place_id)
    if place is None or (not place.active and not admin):
        raise NotFound(_l("No such place."))
    return place


def update_place(place_id: uuid.UUID, data: dict, actor: User) -> Place:
    place = get_place(place_id, admin=True)
    before = _place_snapshot(place)
    for k in PLACE_FIELDS:
        if k in data:
            setattr(place, k, data[k])
    if "lat" in data or "lon" in data:
        _locate(place, data.get("lat", place.lat), data.get("lon", place.lon))
    place.dedupe_key = _key({"kind": place.kind, "name": place.name, "lat": place.lat,
                             "lon": place.lon})
    changes = audit.diff(before, _place_snapshot(place))
    if changes:
        place.updated_at = utcnow()
        audit.record(actor, "help_place.updated", "help_place", place.id, {"fields": changes})
    db.session.flush()
    return place


def delete_place(place_id: uuid.UUID, actor: User) -> None:
    place = get_place(place_id, admin=True)
    before = _place_snapshot(place)
    audit.record(actor, "help_place.deleted", "help_place", place.id, {
        "fields": audit.diff(before, dict.fromkeys(before))})
    db.session.delete(place)
    db.session.flush()


def nearby(lat: float, lon: float, radius_m: float, kind: str | None, limit: int) -> list:
    stmt = select(Place).where(Place.active.is_(True))
    if kind:
        stmt = stmt.where(Place.kind == kind)
    found = geo.near(db.session, stmt, Place.location, lat, lon, radius_m, limit=limit)
    for place, distance in found:
        place.distance_m = round(distance, 1)
    return [place for place, _ in found]


def all_places():
    return select(Place)


def _geojson_rows(text: str):
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Invalid("file", _l("Not valid JSON (or nested too deeply).")) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or \
            not isinstance(doc.get("features") or [], list):
        raise Invalid("file", _l("A GeoJSON import is a FeatureCollection of Point features."))
    for n, feature in enumerate(doc.get("features") or [], start=1):
        if not isinstance(feature, dict):
            yield n, imports.Unreadable({"_feature": [_("A feature is a JSON object.")]})
            continue
        props, geom = feature.get("properties") or {}, feature.get("geometry") or {}
        if not isinstance(props, dict) or not isinstance(geom, dict):
            yield n, imports.Unreadable({"_feature": [
                _("A feature's properties and geometry are JSON objects.")]})
            continue
        props = dict(props)
        if geom.get("type") == "Point" and isinstance(geom.get("coordinates"), list) \
                and len(geom["coordinates"]) >= 2:
            props["lon"], props["lat"] = geom["coordinates"][0], geom["coordinates"][1]
        if isinstance(props.get("phones"), str):
            props["phones"] = [p.strip() for p in props["phones"].split(";") if p.strip()]
        yield n, props


def _csv_rows(text: str):
    for n, row in imports.csv_rows(text, {"name", "kind", "address", "lat", "lon"}):
        if isinstance(row, dict) and "phones" in row:
            row["phones"] = [p.strip() for p in row["phones"].split(";") if p.strip()]
        yield n, row


def import_places(raw: bytes, filename: str, schema, all_or_nothing: bool,
                  actor: User) -> dict:
    """CSV (name, kind, address, lat, lon[, phones (;-separated), hours, website, region]) or
    a GeoJSON FeatureCollection of Points with those properties. Each place stored is audited
    as created by `actor` (an all-or-nothing import that stores nothing audits nothing)."""
    text = imports.decode(raw)
    is_json = filename.lower().endswith((".json", ".geojson")) or text.lstrip().startswith("{")
    rows = _geojson_rows(text) if is_json else _csv_rows(text)
    return imports.run(rows, schema, _key, _place_exists,
                       lambda data: create_place(data, actor, imported=True), all_or_nothing)


def hotlines(region: str | None) -> list[Hotline]:
    stmt = select(Hotline)
    if region:
        stmt = stmt.where(or_(Hotline.region.is_(None), Hotline.region == region))
    else:
        stmt = stmt.where(Hotline.region.is_(None))
    return list(db.session.scalars(stmt.order_by(Hotline.sort, Hotline.name)))


def _hotline_snapshot(hotline: Hotline) -> dict:
    return {f: getattr(hotline, f) for f in HOTLINE_FIELDS}


def create_hotline(data: dict, actor: User) -> Hotline:
    hotline = Hotline(**data)
    db.session.add(hotline)
    db.session.flush()
    audit.record(actor, "help_hotline.created", "help_hotline", hotline.id, {
        "fields": audit.diff({}, _hotline_snapshot(hotline))})
    return hotline


def get_hotline(hotline_id: uuid.UUID) -> Hotline:
    hotline = db.session.get(Hotline, hotline_id)
    if hotline is None:
        raise NotFound(_l("No such hotline."))
    return hotline


def update_hotline(hotline_id: uuid.UUID, data: dict, actor: User) -> Hotline:
    hotline = get_hotline(hotline_id)
    before = _hotline_snapshot(hotline)
    for k, v in data.items():
        setattr(hotline, k, v)
    changes = audit.diff(before, _hotline_snapshot(hotline))
    if changes:
        audit.record(actor, "help_hotline.updated", "help_hotline", hotline.id,
                     {"fields": changes})
    db.session.flush()
    return hotline


def delete_hotline(hotline_id: uuid.UUID, actor: User) -> None:
    hotline = get_hotline(hotline_id)
    before = _hotline_snapshot(hotline)
    audit.record(actor, "help_hotline.deleted", "help_hotline", hotline.id, {
        "fields": audit.diff(before, dict.fromkeys(before))})
    db.session.delete(hotline)
    db.session.flush()
