"""Prometheus metrics (prometheus-client): what an operator watches to know alarms go out.

Counted where it happens, without touching the panic's code: Flask request hooks (the panic
request's latency, every answer by endpoint), blinker events (alerts raised by trigger, a
dispatch accepted, a batch of sends recorded by a worker), counted only when the transaction
that caused them commits. Read from the database when scraped: the outbox backlog and its
oldest job per kind, live alerts nobody could be dispatched to, the share of alerts accepted
within 10 s and 40 s, the workers' heartbeats.

Where they are read (docs/operations.md, "Metrics"):
- the API: `GET /metrics` with `Authorization: Bearer $METRICS_TOKEN` (no token set: 404).
  Under gunicorn, prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, which
  gunicorn.conf.py sets up) sums the counters of all its workers, so two scrapes answered by
  different workers never see a counter go back;
- an outbox worker (`flask --app wsgi safety worker`): its own counters (sends by channel and
  outcome, alerts its timers raised) on `WORKER_METRICS_ADDRESS` (host:port), if set.

Labels carry only words from the code (a trigger, a channel, a job kind, an endpoint's name):
never a phone number, a name, an id or a place.
"""

from __future__ import annotations

from flask import Flask

EXTENSION = "safety_metrics"


def register_metrics(app: Flask) -> None:
    """The app's instruments, the hooks and receivers that feed them, and GET /metrics."""
    from safety.metrics import hooks
    from safety.metrics.instruments import Metrics
    from safety.metrics.routes import bp, register_request_hooks

    app.register_blueprint(bp)
    if not app.config.get("METRICS_ENABLED", True):
        return
    metrics = Metrics()
    app.extensions[EXTENSION] = metrics
    register_request_hooks(app, metrics)
    hooks.connect(app, metrics)


def metrics_of(app: Flask):
    """The app's `Metrics`, or None when METRICS_ENABLED is off."""
    return app.extensions.get(EXTENSION)


def serve_worker_metrics(app: Flask):
    """An outbox worker's own metrics on WORKER_METRICS_ADDRESS (host:port), served by
    prometheus-client on a thread; None when that is unset (or metrics are off). Bind it to a
    private interface: it answers anyone who reaches it (there are no ids in it, but it tells
    how busy the service is). Returns the server (`.shutdown()`; `.server_port`)."""
    address = app.config.get("WORKER_METRICS_ADDRESS")
    metrics = metrics_of(app)
    if address is None or metrics is None:
        return None
    from prometheus_client import start_http_server

    host, port = address
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return server
