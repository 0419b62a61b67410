"""The counters and histograms one process keeps (one set per app, on the app's own registry).

In a process started with PROMETHEUS_MULTIPROC_DIR (gunicorn's workers), prometheus-client
writes their values to files in that folder and GET /metrics sums all the processes' files;
otherwise they live in memory and the app's registry is what is served.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# A panic should be answered in tens of milliseconds; the tail up to seconds matters most.
PANIC_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5,
                 5.0, 10.0)
# BS 8484's yardsticks are 10 s and 40 s: both are bucket bounds, so the share within each is
# bucket / count in PromQL.
ACCEPT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0, 90.0, 120.0, 180.0, 300.0,
                  600.0)

METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# what a worker's channel may answer for a job (safety.notify.channels.Outcome.state)
OUTCOMES = frozenset(("sent", "retry", "permanent", "retire", "defer"))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.panic_seconds = Histogram(
            "safety_panic_request_duration_seconds",
            "POST /api/v1/alerts: from the request reaching the app to its answer, by status",
            ["code"], buckets=PANIC_BUCKETS, registry=r)
        self.requests = Counter(
            "safety_http_requests", "Requests answered, by endpoint name, method and status",
            ["endpoint", "method", "code"], registry=r)
        self.alerts_raised = Counter(
            "safety_alerts_raised", "New alerts (not repeats of a live one), by trigger",
            ["trigger"], registry=r)
        self.sends = Counter(
            "safety_outbox_sends", "Outbox jobs a worker handed to a channel, by channel and "
            "outcome (sent, retry, permanent, retire, defer)", ["channel", "outcome"],
            registry=r)
        self.accept_seconds = Histogram(
            "safety_dispatch_accept_seconds",
            "From an alert's first dispatch offer to a responder's accept",
            buckets=ACCEPT_BUCKETS, registry=r)

    def panic_answered(self, status: int, seconds: float) -> None:
        self.panic_seconds.labels(str(status)).observe(seconds)

    def answered(self, endpoint: str | None, method: str, status: int) -> None:
        self.requests.labels(endpoint or "none", method if method in METHODS else "other",
                             str(status)).inc()

    def raised(self, trigger: str, known: frozenset[str]) -> None:
        self.alerts_raised.labels(trigger if trigger in known else "other").inc()

    def recorded(self, channel: str, states: list[str]) -> None:
        counts: dict[str, int] = {}
        for state in states:
            state = state if state in OUTCOMES else "other"
            counts[state] = counts.get(state, 0) + 1
        for state, n in counts.items():
            self.sends.labels(channel, state).inc(n)

    def accepted(self, seconds: float) -> None:
        self.accept_seconds.observe(max(0.0, seconds))
