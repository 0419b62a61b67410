"""The consented offender registry: entries (admins), CSV import, checks (anyone, limited)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, delete, false, func, or_, select

from safety import imports
from safety.accounts.models import User
from safety.errors import DomainError, NotFound, TooMany
from safety.extensions import db
from safety.fields import normalize_phone
from safety.i18n import _l, _n
from safety.registry import iin as iin_mod
from safety.registry import names
from safety.registry.models import RegistryAudit, RegistryCheck, RegistryEntry, RegistryNameKey
from safety.registry.rules import entry_rules
from safety.util import utcnow

NO_ENTRY = _l("No such registry entry.")

FIELDS = ("full_name", "birth_date", "iin", "phone", "category", "decided_on", "authority",
          "case_reference", "legal_basis", "consent_reference", "expires_on")


def _dedupe_key(data: dict) -> str:
    """The same person, category and decision: a re-import does not add it again."""
    who = data.get("iin") or f"{' '.join(names.name_keys(data['full_name']))}|{data['birth_date']}"
    raw = f"{who}|{data['category']}|{data['decided_on']}|{data.get('case_reference') or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _set_keys(entry: RegistryEntry) -> None:
    keys = names.name_keys(entry.full_name)
    entry.name_key = " ".join(keys)
    db.session.execute(delete(RegistryNameKey).where(RegistryNameKey.entry_id == entry.id))
    for k in sorted(set(keys)):
        db.session.add(RegistryNameKey(entry_id=entry.id, key=k[:100]))


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}


def _audit(actor: User | None, action: str, entry_id: uuid.UUID | None, changes: dict) -> None:
    db.session.add(RegistryAudit(actor_id=actor.id if actor else None, action=action,
                                 entry_id=entry_id, changes=_jsonable(changes)))


def find_duplicate(data: dict) -> RegistryEntry | None:
    return db.session.scalar(select(RegistryEntry).where(
        RegistryEntry.dedupe_key == _dedupe_key(data), RegistryEntry.deleted_at.is_(None)))


def create_entry(actor: User, data: dict, *, audit_action: str = "create") -> RegistryEntry:
    entry = RegistryEntry(id=uuid.uuid4(), **{k: data.get(k) for k in FIELDS})
    entry.dedupe_key = _dedupe_key(data)
    entry.name_key = ""
    db.session.add(entry)
    db.session.flush()
    _set_keys(entry)
    _audit(actor, audit_action, entry.id, {k: data.get(k) for k in FIELDS})
    db.session.flush()
    return entry


def get_entry(entry_id: uuid.UUID) -> RegistryEntry:
    entry = db.session.get(RegistryEntry, entry_id)
    if entry is None:
        raise NotFound(NO_ENTRY)
    return entry


def update_entry(actor: User, entry_id: uuid.UUID, data: dict) -> RegistryEntry:
    """Change an entry; the rules that tie its fields together must hold for the entry as it
    would be (its stored values with the changes): 422 with every broken rule otherwise."""
    entry = get_entry(entry_id)
    if entry.deleted_at is not None:
        raise NotFound(NO_ENTRY)
    merged = {k: getattr(entry, k) for k in FIELDS} | data
    errors = entry_rules(merged)
    if errors:
        raise DomainError(_l("The entry would not be valid; see errors."), status=422,
                          errors=errors)
    if merged.get("birth_date") is None and merged.get("iin"):
        # no birth date given with an IIN: the IIN's, as for a new entry (never a NULL)
        data = data | {"birth_date": iin_mod.parse(merged["iin"])[0]}
        merged["birth_date"] = data["birth_date"]
    changes = {k: {"from": _jsonable({k: getattr(entry, k)})[k], "to": _jsonable({k: v})[k]}
               for k, v in data.items() if getattr(entry, k) != v}
    for k, v in data.items():
        setattr(entry, k, v)
    entry.dedupe_key = _dedupe_key(merged)
    entry.updated_at = utcnow()
    if "full_name" in data:
        _set_keys(entry)
    if changes:
        db.session.add(RegistryAudit(actor_id=actor.id, action="update", entry_id=entry.id,
                                     changes=changes))
    db.session.flush()
    return entry


def delete_entry(actor: User, entry_id: uuid.UUID) -> None:
    entry = get_entry(entry_id)
    if entry.deleted_at is not None:
        raise NotFound(NO_ENTRY)
    entry.deleted_at = utcnow()
    _audit(actor, "delete", entry.id, {"full_name": entry.full_name})
    db.session.flush()


def list_entries(include_deleted: bool, query: str | None = None) -> Select:
    """Entries (deleted ones too if asked), those that `query` finds when given: see
    `search`."""
    stmt = select(RegistryEntry)
    if not include_deleted:
        stmt = stmt.where(RegistryEntry.deleted_at.is_(None))
    if query and query.strip():
        stmt = stmt.where(search(query))
    return stmt


_SEPARATORS = re.compile(r"[\s()./-]+")


def search(query: str):
    """What an administrator's search finds (the console's and `GET /registry/entries?q=`):
    12 digits, the entry with that IIN; 6 to 11 digits, IINs beginning with them (YYMMDD...);
    a phone number in any common form, that phone; words, entries with a word of the name
    beginning with each (in any spelling the registry's checks match: Сериков = Serikov); and
    the exact case or consent reference. Any of these, not all."""
    query = query.strip()
    found = [RegistryEntry.case_reference == query, RegistryEntry.consent_reference == query]
    compact = _SEPARATORS.sub("", query)
    if compact.isdigit() and len(compact) == 12:
        found.append(RegistryEntry.iin == compact)
    elif compact.isdigit() and 6 <= len(compact) < 12:
        found.append(RegistryEntry.iin.startswith(compact))
    if compact.lstrip("+").isdigit():
        try:
            found.append(RegistryEntry.phone == normalize_phone(query))
        except ValueError:
            pass
    keys = names.name_keys(query)
    if keys:  # keys are ASCII letters only: nothing for LIKE to read as a wildcard
        found.append(and_(*[
            RegistryEntry.id.in_(select(RegistryNameKey.entry_id)
                                 .where(RegistryNameKey.key.like(k[:99] + "%")))
            for k in sorted(set(keys))]))
    return or_(false(), *found)


# -- import ------------------------------------------------------------------------------------


def import_csv(actor: User, raw: bytes, schema, all_or_nothing: bool) -> dict:
    """Rows in, a report out (see safety/imports.py)."""
    rows = imports.csv_rows(imports.decode(raw), {
        "full_name", "birth_date", "category", "decided_on", "authority", "legal_basis",
        "expires_on"})
    return imports.run(
        ((n, imports.only(row, FIELDS)) for n, row in rows),
        schema, _dedupe_key, lambda d: find_duplicate(d) is not None,
        lambda d: create_entry(actor, d, audit_action="import"), all_or_nothing)


# -- checks ------------------------------------------------------------------------------------


def _limit(user: User) -> None:
    per_day = current_app.config["REGISTRY_CHECKS_PER_DAY"]
    since = utcnow() - timedelta(days=1)
    recent = list(db.session.scalars(
        select(RegistryCheck.created_at).where(RegistryCheck.user_id == user.id,
                                              RegistryCheck.created_at > since)
        .order_by(RegistryCheck.created_at)))
    if len(recent) >= per_day:
        retry = int((recent[0] + timedelta(days=1) - utcnow()).total_seconds()) + 1
        raise TooMany(_n("You can make %(num)d registry check a day.",
                         "You can make %(num)d registry checks a day.", per_day),
                      headers={"Retry-After": str(max(1, retry))})


def _candidates(query: dict, born: date | None, keys: list[str]) -> list[RegistryEntry]:
    today = utcnow().date()
    live = (RegistryEntry.deleted_at.is_(None), RegistryEntry.expires_on >= today)
    found: dict[uuid.UUID, RegistryEntry] = {}
    if query.get("iin"):
        for e in db.session.scalars(select(RegistryEntry).where(
                RegistryEntry.iin == query["iin"], *live)):
            found[e.id] = e
    if query.get("phone"):
        for e in db.session.scalars(select(RegistryEntry).where(
                RegistryEntry.phone == query["phone"], *live)):
            found[e.id] = e
    if born is not None:
        for e in db.session.scalars(select(RegistryEntry).where(
                RegistryEntry.birth_date == born, *live)):
            found[e.id] = e
    elif keys:
        # Without a birth date, candidates share at least two words of the name exactly
        # (a name match needs two words; typos are tolerated only alongside a birth date).
        wanted = sorted(set(keys))
        ids = (select(RegistryNameKey.entry_id).where(RegistryNameKey.key.in_(wanted))
               .group_by(RegistryNameKey.entry_id)
               .having(func.count() >= min(2, len(wanted))))
        for e in db.session.scalars(select(RegistryEntry).where(
                RegistryEntry.id.in_(ids), *live)):
            found[e.id] = e
    return list(found.values())


def _grade(query: dict, born: date | None, keys: list[str], entry: RegistryEntry) -> str | None:
    if query.get("iin") and entry.iin == query["iin"]:
        return "match"
    name = names.compare(keys, entry.name_key.split())
    if name is None:
        return None
    if query.get("iin") and entry.iin and entry.iin != query["iin"]:
        return None  # two different IINs: two different people of one name
    same_phone = bool(query.get("phone")) and entry.phone == query["phone"]
    if born is not None:
        if entry.birth_date != born:
            return None
        return "match" if name == "exact" else "possible_match"
    if same_phone:
        return "match" if name == "exact" else "possible_match"
    return "possible_match"  # the name fits but nothing confirms it is the same person


def check(user: User, data: dict) -> RegistryCheck:
    _limit(user)
    born = data.get("birth_date")
    if data.get("iin"):  # CheckSchema has made sure the IIN agrees with a birth date given
        born, _sex = iin_mod.parse(data["iin"])
    keys = names.name_keys(data["full_name"])
    grades = []
    for entry in _candidates(data, born, keys):
        grade = _grade(data, born, keys, entry)
        if grade:
            grades.append((grade, entry))
    result = "no_match"
    if any(g == "match" for g, _ in grades):
        result = "match"
        grades = [(g, e) for g, e in grades if g == "match"]
    elif grades:
        result = "possible_match"
    record = RegistryCheck(
        user_id=user.id, purpose=data["purpose"], full_name=data["full_name"],
        birth_date=data.get("birth_date"), iin=data.get("iin"), phone=data.get("phone"),
        result=result, match_count=len(grades),
    )
    db.session.add(record)
    db.session.flush()
    # The entries matched, newest decision first; MatchSchema shows of each only the category
    # and dates (minimal disclosure: never names, references or phones).
    record.matches = sorted((e for _, e in grades), key=lambda e: e.decided_on, reverse=True)
    return record


def checks_of(user: User):
    return select(RegistryCheck).where(RegistryCheck.user_id == user.id)


def all_checks():
    return select(RegistryCheck)


def audit_log():
    return select(RegistryAudit)
