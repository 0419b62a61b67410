"""Safety service: the app factory."""

from __future__ import annotations

import logging

from flask import Flask

from safety.config import load_config


def create_app(config: dict | None = None, env: dict | None = None) -> Flask:
    """Build the app. `env` adds to os.environ for settings; `config` overrides settings."""
    import os

    settings = {**os.environ, **(env or {})}
    instance = settings.get("SAFETY_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance) if instance else None)
    app.config.update(load_config(settings, instance_path=app.instance_path))
    if config:
        app.config.update(config)
    register_logging(app)
    register_clock(app)
    register_proxy(app)
    register_observability(app)
    register_extensions(app)
    register_errors(app)
    register_events(app)
    register_hardening(app)
    register_channels(app)
    register_jobs(app)
    register_blueprints(app)
    register_commands(app)
    register_in_process_worker(app)
    register_demo_simulator(app)
    return app


def register_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if app.config.get("LOG_FORMAT") == "json":
        from safety.logs import use_json_logs

        use_json_logs()


def register_clock(app: Flask) -> None:
    """The app's clock, which `safety.util.utcnow()` reads (the tests move it forward)."""
    from safety.util import CLOCK, Clock

    app.extensions[CLOCK] = Clock()


def register_proxy(app: Flask) -> None:
    """Behind PROXY_TRUSTED_HOPS reverse proxies, the client address is the one they give in
    X-Forwarded-For (werkzeug's ProxyFix), so rate limits are per client. 0: not behind a
    proxy, and the header is ignored (a client cannot dodge a limit by writing it)."""
    hops = app.config.get("PROXY_TRUSTED_HOPS", 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)


def register_observability(app: Flask) -> None:
    """Request ids (X-Request-Id, in every log line) and Prometheus metrics (GET /metrics,
    token-protected; docs/operations.md, "Metrics"). First, so that their request hooks see
    every request."""
    from safety.logs import register_request_id
    from safety.metrics import register_metrics

    register_request_id(app)
    register_metrics(app)


def register_extensions(app: Flask) -> None:
    import safety.models  # noqa: F401  (all tables on the metadata)
    from safety.accounts.auth import register_jwt
    from safety.db import register_db
    from safety.extensions import api, db, jwt, limiter, migrate

    register_db(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", "migrations")))
    jwt.init_app(app)
    register_jwt(app)
    limiter.init_app(app)
    api.init_app(app)
    from safety import i18n

    i18n.init_app(app)


def register_errors(app: Flask) -> None:
    from safety.errors import register_errors as _register
    from safety.extensions import db

    _register(app, db.session)


def register_events(app: Flask) -> None:
    """Who hears what a feature announces (blinker signals, see safety/events.py): connected
    here for this app only (`sender=app`), never at import."""
    from safety.accounts import events as account_events
    from safety.alerts import events as alert_events
    from safety.alerts import links
    from safety.alerts.access import register_access
    from safety.contacts import events as contact_events
    from safety.contacts import service as contacts
    from safety.dispatch import offers
    from safety.dispatch.queries import DispatchAccess
    from safety.heartbeats import service as heartbeats
    from safety.messages import service as messages
    from safety.monitoring import stations

    account_events.pin_duress.connect(contacts.tell_guardians_pin_duress, sender=app)
    alert_events.raised.connect(offers.on_alert_raised, sender=app)
    alert_events.raised.connect(heartbeats.on_alert_raised, sender=app)
    alert_events.ended.connect(offers.on_alert_ended, sender=app)
    contact_events.cut_off.connect(links.revoke_for_contact, sender=app)
    # her phone shows the alert canceled: message pushes to her not yet sent are never sent
    alert_events.duress.connect(messages.hide_from_her, sender=app)
    alert_events.ended.connect(messages.hide_from_her, sender=app)
    # partner monitoring stations (SIA DC-09): Contact ID events of her alerts
    alert_events.raised.connect(stations.on_alert_raised, sender=app)
    alert_events.duress.connect(stations.on_alert_duress, sender=app)
    alert_events.unassigned.connect(stations.on_alert_unassigned, sender=app)
    alert_events.dispatched.connect(stations.on_alert_dispatched, sender=app)
    alert_events.ended.connect(stations.on_alert_ended, sender=app)
    # what alerts asks of the feature that puts staff on an alert (alerts imports no dispatch)
    register_access(app, DispatchAccess())


def register_hardening(app: Flask) -> None:
    from safety.hardening import register_hardening as _register

    _register(app)


def register_channels(app: Flask) -> None:
    """The ways the outbox reaches people and systems, one adapter each (safety/notify/channels);
    the worker sends through these and claims only jobs they take."""
    from safety.notify import channels
    from safety.notify.channels.dc09 import Dc09Channel
    from safety.notify.channels.push import PushChannel
    from safety.notify.channels.sms import SmsChannel
    from safety.notify.channels.timer import TimerChannel
    from safety.notify.channels.webhook import WebhookChannel
    from safety.recipients import describe

    channels.init_app(app)
    channels.register(app, PushChannel(app.config, describe=describe))
    channels.register(app, SmsChannel(app.config))
    channels.register(app, WebhookChannel())
    channels.register(app, Dc09Channel(app.config))
    channels.register(app, TimerChannel())


def register_jobs(app: Flask) -> None:
    """Outbox jobs that are not sends, by kind, and the periodic jobs (the timer channel)."""
    from safety.alerts.jobs import _escalate, _purge_job
    from safety.dispatch.coming import CHECK_KIND
    from safety.dispatch.jobs import _offer_timeout, _position_check
    from safety.heartbeats.service import CHECK, silence_check
    from safety.inbound_sms.jobs import _purge_inbound_sms
    from safety.messages.service import purge_job as purge_messages
    from safety.monitoring.stations import link_test_job
    from safety.notify.channels.timer import register_job, register_periodic
    from safety.timers.service import _due_now

    register_job(app, "alert_escalate", _escalate)
    register_job(app, "dispatch_offer_timeout", _offer_timeout)
    register_job(app, CHECK_KIND, _position_check)
    register_job(app, "timer_due", _due_now)
    register_job(app, CHECK, silence_check)
    register_periodic(app, "retention_purge", app.config["PURGE_EVERY_S"], _purge_job)
    register_periodic(app, "inbound_sms_purge", app.config["PURGE_EVERY_S"], _purge_inbound_sms)
    register_periodic(app, "message_purge", app.config["PURGE_EVERY_S"], purge_messages)
    if app.config["DC09_LINK_TEST_EVERY_S"] > 0:
        register_periodic(app, "dc09_link_test", app.config["DC09_LINK_TEST_EVERY_S"],
                          link_test_job)


def register_blueprints(app: Flask) -> None:
    from safety.accounts.routes import blp as accounts
    from safety.alerts.routes import blp as alerts
    from safety.console.routes import bp as console
    from safety.contacts.routes import blp as contacts
    from safety.dispatch.routes import blp as dispatch
    from safety.extensions import api
    from safety.heartbeats.routes import blp as heartbeats
    from safety.help.routes import blp as help_
    from safety.inbound_sms.routes import bp as inbound_sms
    from safety.messages.routes import blp as messages
    from safety.monitoring.routes import blp as monitoring
    from safety.ops import bp as ops
    from safety.orgs.routes import blp as orgs
    from safety.orgs.routes import invitations_blp as org_invitations
    from safety.registry.routes import blp as registry
    from safety.timers.routes import blp as timers
    from safety.tracking.routes import bp as tracking

    app.register_blueprint(ops)
    app.register_blueprint(tracking)
    app.register_blueprint(inbound_sms)
    app.register_blueprint(console)
    for blueprint in (accounts, contacts, alerts, dispatch, orgs, org_invitations, registry,
                      help_, timers, heartbeats, messages, monitoring):
        api.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from safety.cli import cli

    app.cli.add_command(cli)


def register_in_process_worker(app: Flask) -> None:
    if app.config.get("RUN_WORKER_IN_PROCESS"):
        from safety.notify.worker import start_background_worker

        start_background_worker(app)


def register_demo_simulator(app: Flask) -> None:
    """`make run` only (RUN_DEMO_SIMULATOR, development): the demo responders stay on duty
    and answer offers nobody answers (safety/demo.py)."""
    if app.config.get("RUN_DEMO_SIMULATOR"):
        from safety.demo import start_demo_simulator

        start_demo_simulator(app)
