"""Page 5, statistics: how fast the desk's organisations answer, per day and per responder,
by the alarm-receiving yardsticks of BS 8484 (accepted within 10 s and within 40 s).

Definitions (docs/console.md says them in words):
- a dispatch counts for an organisation when it was offered to one of its responders, held
  by it, or left unassigned where she is inside its coverage (nobody of it was free); for
  "all" (platform admins), every dispatch;
- time to accept: from the alert (its dispatch starts in the panic's transaction) to the
  accept, for the dispatches the organisation accepted; median and p90;
- within 10 s / 40 s: those accepted by the organisation within the time, over the dispatches
  that counted, less the ones she canceled before anybody accepted;
- unassigned: dispatches that ran out of responders (status unassigned);
- per responder: his offers, how many he accepted, declined, let expire, and the time from
  offer to accept.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytz
from sqlalchemy import and_, exists, or_, select

from safety import geo
from safety.accounts.models import User
from safety.alerts.models import Alert
from safety.console.csv_cells import cell
from safety.dispatch.desk import Desk, desk_orgs
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.dispatch.queries import percentile
from safety.errors import NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.orgs.models import Organization
from safety.util import utcnow

PERIODS = (7, 30, 90)
THRESHOLDS = (10, 40)


@dataclass
class Row:
    label: str
    dispatches: int = 0
    accepted: int = 0
    unassigned: int = 0
    declined: int = 0
    expired: int = 0
    seconds: list[float] = field(default_factory=list, repr=False)
    counted: int = 0  # the denominator of the shares

    @property
    def median_s(self) -> float | None:
        return percentile(self.seconds, 0.5)

    @property
    def p90_s(self) -> float | None:
        return percentile(self.seconds, 0.9)

    def within(self, seconds: int) -> float | None:
        if not self.counted:
            return None
        return sum(1 for s in self.seconds if s <= seconds) / self.counted


@dataclass
class Stats:
    orgs: list[Organization]
    org: Organization | None  # None: all the desk's organisations
    days: int
    since: datetime
    total: Row
    per_day: list[Row]
    per_responder: list[Row]


def _scope(desk: Desk, org_id: uuid.UUID | None) -> tuple[list[Organization],
                                                         Organization | None,
                                                         list[uuid.UUID] | None]:
    orgs = desk_orgs(desk)
    if org_id is None:
        return orgs, None, None if desk.admin else [o.id for o in orgs]
    chosen = next((o for o in orgs if o.id == org_id), None)
    if chosen is None:
        raise NotFound(_l("No such organisation."))
    return orgs, chosen, [chosen.id]


def stats(desk: Desk, org_id: uuid.UUID | None = None, days: int = 30,
          tz: str = "Asia/Almaty") -> Stats:
    orgs, chosen, ids = _scope(desk, org_id)
    days = days if days in PERIODS else 30
    zone = pytz.timezone(tz)
    now = utcnow()
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = zone.localize(datetime.combine(first, datetime.min.time())).astimezone(pytz.UTC)
    stmt = select(Dispatch).where(Dispatch.created_at >= since)
    if ids is not None:
        offered = select(DispatchOffer.dispatch_id).where(DispatchOffer.org_id.in_(ids))
        nobody_there = and_(Dispatch.status == "unassigned", exists(select(Alert.id).where(
            Alert.id == Dispatch.alert_id, exists(select(Organization.id).where(
                Organization.id.in_(ids),
                geo.covers_lat_lon(db.session, Organization.coverage, Alert.lat, Alert.lon))))))
        stmt = stmt.where(or_(Dispatch.org_id.in_(ids), Dispatch.id.in_(offered), nobody_there))
    per_day = {first + timedelta(days=i): Row((first + timedelta(days=i)).isoformat())
               for i in range(days)}
    total = Row("total")
    for d in db.session.scalars(stmt):
        day = per_day.get(d.created_at.astimezone(zone).date())
        ours = ids is None or d.org_id in ids
        for row in (total, day):
            if row is None:
                continue
            row.dispatches += 1
            if d.status == "unassigned":
                row.unassigned += 1
            if not (d.status == "canceled" and d.accepted_at is None):
                row.counted += 1
            if d.accepted_at is not None and ours:
                row.accepted += 1
                row.seconds.append((d.accepted_at - d.created_at).total_seconds())
    return Stats(orgs=orgs, org=chosen, days=days, since=since, total=total,
                 per_day=[per_day[k] for k in sorted(per_day)],
                 per_responder=_per_responder(ids, since))


def _per_responder(ids: list[uuid.UUID] | None, since: datetime) -> list[Row]:
    stmt = (select(DispatchOffer, User.full_name).join(User, User.id == DispatchOffer.responder_id)
            .where(DispatchOffer.created_at >= since))
    if ids is not None:
        stmt = stmt.where(DispatchOffer.org_id.in_(ids))
    rows: dict[uuid.UUID, Row] = {}
    for offer, name in db.session.execute(stmt):
        row = rows.setdefault(offer.responder_id, Row(name))
        row.dispatches += 1
        row.counted += 1
        if offer.status == "accepted" and offer.responded_at is not None:
            row.accepted += 1
            row.seconds.append((offer.responded_at - offer.created_at).total_seconds())
        elif offer.status == "declined":
            row.declined += 1
        elif offer.status == "expired":
            row.expired += 1
    return sorted(rows.values(), key=lambda r: (-r.dispatches, r.label))


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def to_csv(result: Stats, what: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if what == "responders":
        writer.writerow(["responder", "offers", "accepted", "declined", "expired",
                         "median_s_to_accept", "p90_s_to_accept", "share_within_10s",
                         "share_within_40s"])
        rows = result.per_responder
        for r in rows:
            writer.writerow([cell(r.label), r.dispatches, r.accepted, r.declined, r.expired,
                             cell(r.median_s), cell(r.p90_s), _share(r.within(10)),
                             _share(r.within(40))])
    else:
        writer.writerow(["day", "dispatches", "accepted", "unassigned", "median_s_to_accept",
                         "p90_s_to_accept", "share_within_10s", "share_within_40s"])
        for r in result.per_day + [result.total]:
            writer.writerow([cell(r.label), r.dispatches, r.accepted, r.unassigned,
                             cell(r.median_s), cell(r.p90_s), _share(r.within(10)),
                             _share(r.within(40))])
    return out.getvalue()


def day_label(row: Row) -> date:
    return date.fromisoformat(row.label)
