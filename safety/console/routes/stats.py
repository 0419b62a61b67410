"""Page 5, statistics, with a CSV download."""

from __future__ import annotations

import uuid

from flask import g, make_response, request

from safety.console import stats as service
from safety.console.charts import bars
from safety.console.routes import bp, console_view, nav_item, render
from safety.db import end_read_transaction
from safety.errors import NotFound
from safety.i18n import _l

nav_item("stats_page", _l("Statistics"), order=50)


def _args() -> tuple[uuid.UUID | None, int]:
    raw = request.args.get("org") or None
    try:
        org_id = uuid.UUID(raw) if raw else None
    except ValueError:
        raise NotFound(_l("No such organisation.")) from None
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        days = 30
    return org_id, days


def _charts(result: service.Stats) -> list:
    labels = [row.label[5:] for row in result.per_day]  # MM-DD
    days = result.per_day
    return [
        bars(_l("Dispatches per day"), labels, [
            ("accepted", _l("accepted"), [float(r.accepted) for r in days]),
            ("missed", _l("not accepted"), [float(r.dispatches - r.accepted) for r in days]),
        ], stacked=True, ymax=4),
        bars(_l("Time to accept per day (seconds)"), labels, [
            ("p90", _l("p90"), [r.p90_s for r in days]),
            ("median", _l("median"), [r.median_s for r in days]),
        ], stacked=False, refs=((10, "10 s"), (40, "40 s")), unit=" s", ymax=45),
    ]


@bp.get("/stats")
@console_view()
def stats_page():
    org_id, days = _args()
    result = service.stats(g.desk, org_id, days, g.console_user.time_zone)
    return render("console/stats.html", stats=result, charts=_charts(result),
                  periods=service.PERIODS)


@bp.get("/stats.csv")
@console_view()
def stats_csv():
    org_id, days = _args()
    what = "responders" if request.args.get("what") == "responders" else "days"
    result = service.stats(g.desk, org_id, days, g.console_user.time_zone)
    body = service.to_csv(result, what)
    end_read_transaction()
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="safety-{what}-{days}d.csv"'
    return response
