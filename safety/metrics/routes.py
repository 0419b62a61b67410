"""GET /metrics: the Prometheus text format, for a scraper that presents METRICS_TOKEN.

Not for the public: with no METRICS_TOKEN set it answers 404, like any path that does not
exist; a request without the token, or with another one, gets 401 (and at most
METRICS_FAILED_LIMIT of those per minute per address). The reverse proxy should not route it
either (docs/operations.md, "Metrics").
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, abort, current_app, g, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from safety.extensions import limiter
from safety.metrics.state import StateCollector

bp = Blueprint("metrics", __name__)

PANIC_RULE = "/api/v1/alerts"


def register_request_hooks(app: Flask, metrics) -> None:
    """Every answer counted by endpoint name, method and status; the panic's timed."""

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response):
        started = g.pop("metrics_started", None)
        if started is None:
            return response
        rule = request.url_rule
        status = response.status_code
        if rule is not None and rule.rule == PANIC_RULE and request.method == "POST":
            metrics.panic_answered(status, time.perf_counter() - started)
        metrics.answered(rule.endpoint if rule is not None else None, request.method, status)
        return response

METRICS_FAILED_LIMIT = "30 per minute"


def _presented_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.get("/metrics")
@limiter.limit(METRICS_FAILED_LIMIT, deduct_when=lambda response: response.status_code == 401)
def metrics():
    """Prometheus metrics"""
    from safety.metrics import metrics_of

    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    if not hmac.compare_digest(_presented_token().encode(), expected.encode()):
        abort(401)
    # the format the scraper asks for (Prometheus: OpenMetrics), else text 0.0.4
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(_registry(metrics_of(current_app)))
    return current_app.response_class(body, mimetype=None,
                                      headers={"Content-Type": content_type,
                                               "Cache-Control": "no-store"})


def _registry(metrics) -> CollectorRegistry:
    """This process's instruments, or, under gunicorn (PROMETHEUS_MULTIPROC_DIR), every
    process's summed; and the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=directory)
    elif metrics is not None:
        registry.register(_Instruments(metrics.registry))
    registry.register(StateCollector(current_app._get_current_object()))
    return registry


class _Instruments:
    """One registry's metrics, as a collector of another."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self):
        return self.source.collect()
