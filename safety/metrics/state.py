"""Gauges read from the database when /metrics is scraped: the same answer from every process
(they describe the whole service, not one process), at the cost of a few indexed queries per
scrape and nothing per panic."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from safety.alerts.models import LIVE, Alert
from safety.dispatch.models import Dispatch, DispatchOffer
from safety.extensions import db
from safety.notify.models import OutboxJob, WorkerHeartbeat
from safety.util import utcnow

log = logging.getLogger(__name__)

WITHIN_S = (10, 40)  # BS 8484's yardsticks for answering an alarm


class StateCollector(Collector):
    """Collected inside the scrape's request (app context); ends its read transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("safety_database_up",
                               "1 when the scrape could read the database, else 0")
        try:
            families = list(self._read())
        except Exception:  # the database is down: say so, and the rest is absent
            log.exception("metrics: reading the database failed")
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()  # end the read (on SQLite it holds the write lock)
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        yield from self._outbox(now)
        yield from self._alerts()
        yield from self._acceptance(now)
        yield from self._workers(now)

    def _outbox(self, now) -> Iterator[GaugeMetricFamily]:
        backlog = GaugeMetricFamily(
            "safety_outbox_backlog_jobs", "Outbox jobs due and not finished (pending and due, "
            "or being sent), by kind", labels=["kind"])
        oldest = GaugeMetricFamily(
            "safety_outbox_oldest_job_age_seconds", "How long the oldest unfinished due job "
            "has been due, by kind", labels=["kind"])
        rows = db.session.execute(
            select(OutboxJob.kind, func.count(), func.min(OutboxJob.due_at))
            .where(((OutboxJob.status == "pending") & (OutboxJob.due_at <= now))
                   | (OutboxJob.status == "sending"))
            .group_by(OutboxJob.kind))
        for kind, count, first_due in rows:
            backlog.add_metric([kind], count)
            oldest.add_metric([kind], max(0.0, (now - first_due).total_seconds()))
        yield backlog
        yield oldest

    def _alerts(self) -> Iterator[GaugeMetricFamily]:
        live, unassigned = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((Alert.unassigned, 1), else_=0)), 0))
            .where(Alert.status.in_(LIVE))).one()
        yield GaugeMetricFamily("safety_alerts_live", "Alerts live now", value=live)
        yield GaugeMetricFamily(
            "safety_alerts_unassigned", "Live alerts flagged unassigned: nobody could be "
            "dispatched", value=unassigned)

    def _acceptance(self, now) -> Iterator[GaugeMetricFamily]:
        """Of the alerts whose dispatch offers started in the last METRICS_WINDOW_S (and at
        least N seconds ago), the share a responder accepted within N seconds. An alert
        canceled before N seconds with nobody accepting is left out: there was nothing to
        answer."""
        window = timedelta(seconds=self.app.config["METRICS_WINDOW_S"])
        offered = select(DispatchOffer.id).where(DispatchOffer.dispatch_id == Dispatch.id)
        rows = db.session.execute(
            select(Dispatch.created_at, Dispatch.accepted_at, Alert.ended_at)
            .join(Alert, Alert.id == Dispatch.alert_id)
            .where(Dispatch.created_at >= now - window,
                   Dispatch.created_at <= now - timedelta(seconds=min(WITHIN_S)),
                   offered.exists())).all()
        share = GaugeMetricFamily(
            "safety_dispatch_accepted_within_ratio", "Share of alerts offered to responders "
            "in the window that one accepted within `within` seconds", labels=["within"])
        counted = GaugeMetricFamily(
            "safety_dispatch_offered_alerts", "Alerts offered to responders in the window "
            "(the share's denominator)", labels=["within"])
        for within in WITHIN_S:
            limit = timedelta(seconds=within)
            total = accepted = 0
            for created, accepted_at, ended in rows:
                if created > now - limit:
                    continue  # not yet had `within` seconds
                in_time = accepted_at is not None and accepted_at - created <= limit
                if not in_time and ended is not None and ended - created <= limit:
                    continue  # canceled (or resolved) before anyone had to answer
                total += 1
                accepted += in_time
            counted.add_metric([str(within)], total)
            if total:
                share.add_metric([str(within)], accepted / total)
        yield share
        yield counted

    def _workers(self, now) -> Iterator[GaugeMetricFamily]:
        limit = self.app.config["WORKER_HEARTBEAT_MAX_AGE_S"]
        freshest, alive = db.session.execute(select(
            func.max(WorkerHeartbeat.seen_at),
            func.coalesce(func.sum(case((WorkerHeartbeat.seen_at >= now - timedelta(
                seconds=limit), 1), else_=0)), 0))).one()
        yield GaugeMetricFamily(
            "safety_workers_alive", "Outbox workers whose heartbeat is younger than "
            "WORKER_HEARTBEAT_MAX_AGE_S", value=alive)
        age = float("inf") if freshest is None else max(0.0, (now - freshest).total_seconds())
        yield GaugeMetricFamily(
            "safety_worker_heartbeat_age_seconds", "Age of the freshest outbox worker "
            "heartbeat (+Inf: none ever)", value=age)
