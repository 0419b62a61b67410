"""flask commands: `flask --app wsgi safety <command>`."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from safety import seed
from safety.accounts import service as accounts
from safety.alerts.jobs import purge_locations
from safety.extensions import db
from safety.fields import normalize_phone
from safety.messages.service import purge as purge_messages
from safety.metrics import serve_worker_metrics
from safety.notify.worker import Worker

cli = AppGroup("safety", help="Safety service commands.")


@cli.command("create-admin")
@click.option("--phone", required=True)
@click.option("--full-name", default="Administrator", show_default=True)
@click.password_option()
def create_admin(phone: str, full_name: str, password: str) -> None:
    """Create a platform administrator (or make an existing account one)."""
    try:
        phone = normalize_phone(phone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    user = accounts.create_admin(phone, password, full_name)
    db.session.commit()
    click.echo(f"admin {user.phone} ({user.id})")
    if user.phone_verified_at is None:
        click.echo("note: this existing account has not verified its phone number; "
                   "it can do so in the app (POST /api/v1/me/phone-codes, purpose verify)")


@cli.command("worker")
@click.option("--once", is_flag=True, help="Work off what is due now, then exit.")
def worker(once: bool) -> None:
    """Send what the outbox holds: push, SMS, webhooks, timers."""
    w = Worker(current_app._get_current_object())
    if once:
        total = 0
        while n := w.run_once():
            total += n
        click.echo(f"handled {total} jobs")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = serve_worker_metrics(current_app._get_current_object())
    try:
        w.run_forever(stop)
    finally:
        if server is not None:
            server.shutdown()


@cli.command("seed-demo")
@click.option("--console", "console_demo", is_flag=True,
              help="Also live and past alerts for the operations console (make run).")
def seed_demo(console_demo: bool) -> None:
    """Demo data for a laptop: an admin, a woman with two guardians, an Almaty partner org."""
    for line in seed.seed_demo():
        click.echo(line)
    if console_demo:
        for line in seed.seed_console_demo():
            click.echo(line)
    db.session.commit()


@cli.command("purge")
@click.option("--days", type=int, default=None,
              help="Keep trails of alerts that ended fewer days ago (LOCATION_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """Delete the location trails (and, after MESSAGE_RETENTION_DAYS, the messages) of alerts
    that ended long ago; the alerts themselves stay."""
    days = current_app.config["LOCATION_RETENTION_DAYS"] if days is None else days
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    deleted = purge_locations(days)
    message_days = current_app.config["MESSAGE_RETENTION_DAYS"]
    messages = purge_messages(message_days)
    db.session.commit()
    click.echo(f"deleted {deleted} location points of alerts that ended over {days} days ago")
    click.echo(f"deleted {messages} messages of alerts that ended over {message_days} days ago")


@cli.command("dc09-test")
@click.argument("org")
def dc09_test(org: str) -> None:
    """Send a link test (Contact ID E602) to each monitoring receiver of ORG (its id or exact
    name) now, and print what each answered. Exit status 1 unless every one acknowledged."""
    from safety.monitoring import service, stations

    found = service.org_by_reference(org)
    if found is None:
        raise click.BadParameter("no organisation with that id or exact name", param_hint="ORG")
    results = stations.link_test_now(found)
    if not results:
        click.echo(f"{found.name}: no monitoring receivers")
        raise SystemExit(1)
    ok = True
    for row, tries in results:
        state = "enabled" if row.enabled else "disabled"
        click.echo(f"receiver {row.priority} ({state}) {row.host}:{row.port}/{row.transport} "
                   f"account {row.account}{' encrypted' if row.key_sealed else ''}:")
        for t in tries:
            click.echo(f"  message {t.seq:04d}: {t.answer}  {t.detail}")
        ok &= tries[-1].accepted
    raise SystemExit(0 if ok else 1)
