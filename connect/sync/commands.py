"""The worker's command line: `worker`, `scheduler`, `jobs list`, `callbacks list|resend`."""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .. import storage
from ..commands import CommandGroup, one_line_errors
from . import celery_queue
from .scheduler import Scheduler
from .worker import Worker

logger = logging.getLogger("connect.worker")


def _on_stop_signals(stop: Callable[[], None]) -> None:
    def handle(signum, _frame) -> None:
        logger.info("%s received, stopping", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


@click.command("worker")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks for work when idle.")
@click.option(
    "--concurrency", default=1, show_default=True, type=click.IntRange(1, 64), help="Sources synced at once."
)
@with_appcontext
@one_line_errors
def worker_command(poll: float, concurrency: int) -> None:
    """Run a sync worker in the foreground (stops on SIGTERM / SIGINT within seconds).

    Without CONNECT_BROKER_URL it also schedules; with one it is a Celery worker of this app."""
    if poll <= 0:
        raise click.BadParameter("must be more than 0 seconds", param_hint="--poll")
    storage.get_db()  # on an outdated schema: stop now, naming the upgrade command
    app = current_app._get_current_object()
    worker = Worker(app, poll_seconds=poll, concurrency=concurrency)
    if celery_queue.EXTENSION in app.extensions:
        celery_queue.run_worker(app, worker, concurrency)
        return
    _on_stop_signals(worker.stop)
    worker.run()


@click.command("scheduler")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks for due work.")
@with_appcontext
@one_line_errors
def scheduler_command(poll: float) -> None:
    """Queue due syncs, retries and callbacks on the broker (one per deployment)."""
    app = current_app._get_current_object()
    if celery_queue.EXTENSION not in app.extensions:
        raise click.ClickException(
            "the scheduler runs beside a broker (CONNECT_BROKER_URL); without one, "
            "`flask --app app worker` schedules by itself"
        )
    if poll <= 0:
        raise click.BadParameter("must be more than 0 seconds", param_hint="--poll")
    scheduler = Scheduler(
        storage.get_db(),
        app.extensions[celery_queue.EXTENSION],
        app.config["CONNECT_WORKER_DEAD_AFTER"],
        poll,
    )
    _on_stop_signals(scheduler.stop)
    scheduler.run()


jobs_cli = CommandGroup("jobs", help="The sync queue.")


@jobs_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_jobs(as_json: bool) -> None:
    """Sync jobs: due, running (with their worker), done and failed."""
    jobs = storage.sync_jobs_list(storage.get_db())
    if as_json:
        click.echo(json.dumps(jobs, indent=2))
        return
    if not jobs:
        click.echo("No sync jobs.")
    for job in jobs:
        owner = f" by {job['lease_owner']}" if job["lease_owner"] else ""
        error = f": {job['error']}" if job["error"] else ""
        click.echo(
            f"#{job['id']} source {job['source_id']} {job['state']:<7}{owner} ({job['reason']}, "
            f"{job['attempts']} attempt(s)){error}"
        )


callbacks_cli = CommandGroup("callbacks", help="Initial-sync callbacks sent to API clients.")


@callbacks_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, each event with its attempts.")
def list_callbacks(as_json: bool) -> None:
    """Every callback event with its delivery attempts."""
    database = storage.get_db()
    events = [
        {**event, "attempt_log": storage.callback_attempts_of(database, event["id"])}
        for event in storage.callback_events_list(database)
    ]
    if as_json:
        click.echo(json.dumps(events, indent=2))
        return
    if not events:
        click.echo("No callbacks yet.")
    for event in events:
        click.echo(
            f"#{event['id']} {event['kind']} {event['state']:<9} account {event['account_id']} "
            f"source {event['source_label']} -> {event['url']} ({event['attempts']} attempt(s))"
            + (f": {event['last_error']}" if event["last_error"] else "")
        )
        for attempt in event["attempt_log"]:
            click.echo(
                f"    {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(attempt['attempted_at']))} "
                f"status {attempt['status'] or '-'} {attempt['latency_ms']} ms {attempt['error'] or ''}"
            )


@callbacks_cli.command("resend")
@click.argument("event_id", type=int)
def resend_callback(event_id: int) -> None:
    """Send a delivered or failed callback again (the worker picks it up)."""
    database = storage.get_db()
    if storage.callback_event(database, event_id) is None:
        raise click.ClickException(f"no callback #{event_id}")
    if not storage.resend_callback(database, event_id, int(time.time())):
        raise click.ClickException(f"callback #{event_id} is already waiting to be sent")
    click.echo(f"Callback #{event_id} queued to be sent again.")


def init_app(app: Flask) -> None:
    celery_queue.init_app(app)
    for command in (worker_command, scheduler_command, jobs_cli, callbacks_cli):
        app.cli.add_command(command)
