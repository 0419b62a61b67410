"""Page 7, the help directory (platform admins): the places on a map and in a list with a search,
what the console's forms send loaded through the API's own schemas (`help.schemas.PlaceSchema`,
`HotlineSchema`) and written through `help.service` — so a place typed or picked on the map, a
hotline or an imported file is validated exactly as `/api/v1/help/...` validates it, and every
change is audited the same way."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import select

from safety import imports
from safety.accounts.models import User
from safety.console.forms import flat_errors, invalid
from safety.errors import Invalid
from safety.extensions import db
from safety.help import service as help_service
from safety.help.models import PLACE_KINDS, Hotline, Place
from safety.help.schemas import HotlineSchema, PlaceSchema
from safety.i18n import _l

KINDS = PLACE_KINDS
SHOW = ("all", "active", "hidden")
LIST_MAX = 300  # rows (and markers) shown at once; a search narrows the rest
PLACE_FORM = ("name", "kind", "address", "phones", "hours", "website", "region", "lat", "lon",
              "active")
HOTLINE_FORM = ("name", "number", "region", "description", "hours", "sort")
OPTIONAL = ("hours", "website", "region", "description")  # empty: none
_PHONES_SPLIT = re.compile(r"[;\n]")


# -- the list ----------------------------------------------------------------------------------


@dataclass
class Listing:
    rows: list[Place]
    total: int  # places matching the search
    shown: int
    q: str
    kind: str
    show: str


def _matches(place: Place, words: list[str]) -> bool:
    text = " ".join(filter(None, (place.name, place.address, place.region, " ".join(
        place.phones or [])))).casefold()
    return all(word in text for word in words)


def listing(q: str = "", kind: str = "", show: str = "all") -> Listing:
    """The places matching a search (every word in the name, address, region or a phone;
    case-insensitive in any script, the same on both databases), by name."""
    kind = kind if kind in KINDS else ""
    show = show if show in SHOW else "all"
    stmt = select(Place).order_by(Place.name, Place.id)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if show != "all":
        stmt = stmt.where(Place.active.is_(show == "active"))
    words = q.casefold().split()
    found = [p for p in db.session.scalars(stmt) if _matches(p, words)]
    return Listing(found[:LIST_MAX], len(found), min(len(found), LIST_MAX), q, kind, show)


def markers(rows: list[Place]) -> list[dict]:
    """The places for the map (its script reads them as JSON)."""
    return [{"id": str(p.id), "name": p.name, "kind": p.kind, "lat": p.lat, "lon": p.lon,
             "active": p.active} for p in rows]


def get_place(place_id: uuid.UUID) -> Place:
    return help_service.get_place(place_id, admin=True)


# -- places ------------------------------------------------------------------------------------


def load_place_form(form, *, partial: bool) -> dict:
    """The form as the API's body: phones one per line (or `;`-separated, as in a CSV), an
    empty optional field means none, `active` is "true" or "false"."""
    body: dict = {}
    for field in PLACE_FORM:
        if field not in form:
            continue
        value = form.get(field, "")
        if field == "phones":
            value = [p.strip() for p in _PHONES_SPLIT.split(value) if p.strip()]
        elif field in OPTIONAL:
            value = value.strip() or None
        elif field in ("lat", "lon"):
            value = value.strip()
        body[field] = value
    try:
        return PlaceSchema(partial=partial).load(body)
    except ValidationError as error:
        raise invalid(error.messages) from None


def create_place(actor: User, form) -> Place:
    return help_service.create_place(load_place_form(form, partial=False), actor)


def edit_place(actor: User, place_id: uuid.UUID, form) -> Place:
    return help_service.update_place(place_id, load_place_form(form, partial=True), actor)


def set_shown(actor: User, place_id: uuid.UUID, active: str) -> Place:
    return help_service.update_place(
        place_id, load_place_form({"active": active}, partial=True), actor)


def delete_place(actor: User, place_id: uuid.UUID) -> None:
    help_service.delete_place(place_id, actor)


def import_file(actor: User, upload, all_or_nothing: bool) -> dict:
    """A CSV or GeoJSON file through the API's import (`help.service.import_places`, the same
    schema): the per-row report. With `all_or_nothing` and a rejected row nothing is stored
    (`committed` false: the caller rolls back)."""
    if upload is None or not upload.filename:
        raise Invalid("file", _l("Choose a CSV or GeoJSON file to import."))
    raw, filename = imports.read_upload({"file": upload})
    report = help_service.import_places(raw, filename, PlaceSchema(), all_or_nothing, actor)
    for row in report["rows"]:
        row["lines"] = flat_errors(row.get("errors"))
    return report


# -- hotlines ----------------------------------------------------------------------------------


def hotlines() -> list[Hotline]:
    """Every hotline: the national ones (no region) first, then by region, in their order."""
    rows = db.session.scalars(select(Hotline).order_by(Hotline.sort, Hotline.name))
    return sorted(rows, key=lambda h: (h.region is not None, (h.region or "").casefold()))


def get_hotline(hotline_id: uuid.UUID) -> Hotline:
    return help_service.get_hotline(hotline_id)


def load_hotline_form(form, *, partial: bool) -> dict:
    """The form as the API's body: an empty region means national, an empty order the
    default."""
    body: dict = {}
    for field in HOTLINE_FORM:
        if field not in form:
            continue
        value = form.get(field, "")
        if field in OPTIONAL:
            value = value.strip() or None
        elif field == "sort":
            value = value.strip()
            if not value:
                continue
        body[field] = value
    try:
        return HotlineSchema(partial=partial).load(body)
    except ValidationError as error:
        raise invalid(error.messages) from None


def create_hotline(actor: User, form) -> Hotline:
    return help_service.create_hotline(load_hotline_form(form, partial=False), actor)


def edit_hotline(actor: User, hotline_id: uuid.UUID, form) -> Hotline:
    return help_service.update_hotline(hotline_id, load_hotline_form(form, partial=True), actor)


def remove_hotline(actor: User, hotline_id: uuid.UUID) -> None:
    help_service.delete_hotline(hotline_id, actor)
