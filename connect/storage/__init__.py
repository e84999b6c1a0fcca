"""Storage: every table and every query Connect runs, for SQLite and PostgreSQL.

The domain calls the functions re-exported here and never writes SQL. One module per thing
stored: API clients and nonces (``clients``), accounts and sources (``accounts``), OAuth
providers and connect tokens (``tokens``), the mail index as the engine writes it (``index``)
and as the API reads it (``mail``), sync jobs and workers (``jobs``), outbound callbacks
(``deliveries``), and what the helper and the receiver keep (``helper``).
"""

from __future__ import annotations

import json
import os

import click
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from ..commands import CommandGroup
from .accounts import (
    account,
    accounts,
    delete_account,
    delete_source,
    first_source,
    insert_account,
    insert_source,
    source,
    source_by_id,
    source_labels,
    sources_of,
    sources_using_provider,
    update_account,
)
from .clients import (
    any_consumer_secret,
    api_client,
    api_client_name,
    api_client_named,
    api_clients_list,
    bind_secret_key,
    insert_api_client,
    rebind_secret_key,
    replace_encrypted,
    set_app_status_callback_url,
    use_nonce,
)
from .contacts import SORTS as CONTACT_SORTS
from .contacts import contact, find_contacts, recount_contacts
from .database import Database, DatabaseError, compile_regex, database_url, exclusive, transaction
from .deliveries import (
    callback_attempts_of,
    callback_event,
    callback_events_list,
    claim_due_callback,
    dispatch_callbacks,
    record_callback_attempt,
    release_callback,
    resend_callback,
)
from .helper import (
    completed_syncs,
    forget_helper_account,
    helper_account,
    helper_user,
    received_status_count,
    received_statuses_list,
    received_webhooks_list,
    record_completed_sync,
    record_received_status,
    record_received_webhook,
    save_helper_account,
    synced_labels,
)
from .idle import hold_idle_sources, idle_sources_held
from .index import (
    delete_folder,
    folder_count,
    folder_of,
    folder_uids,
    folders_of,
    forget_locations,
    forget_orphan_messages,
    index_batch,
    reset_folder,
    save_folder,
    update_flags,
    update_folder,
)
from .jobs import (
    STALLED_INITIAL_SYNC,
    claim_sync_job,
    dispatch_sync_jobs,
    finish_sync_job,
    forget_dead_workers,
    forget_worker,
    heartbeat,
    pending_syncs,
    queue_due_syncs,
    queue_push,
    queue_retry,
    queue_sync,
    record_sync_failure,
    record_sync_start,
    record_sync_success,
    release_sync_job,
    renew_sync_lease,
    start_initial_sync_progress,
    sync_context,
    sync_job_state,
    sync_jobs_list,
    worker_status,
)
from .mail import (
    ADDRESS_FIELDS,
    MailFilters,
    TextMatch,
    account_counts,
    file,
    files_of_messages,
    find_files,
    find_messages,
    locations_of,
    message,
    messages_by_ids,
)
from .statuses import update_source
from .threads import find_threads, thread_messages, thread_sizes
from .tokens import (
    connect_token,
    connect_tokens,
    delete_connect_token,
    delete_provider,
    forget_expired_connect_tokens,
    insert_connect_token,
    live_connect_token,
    mark_connect_token_used,
    provider,
    providers,
    save_provider,
)
from .versions import UPGRADE_COMMAND, check_current, current, head, upgrade
from .webhooks import (
    WEBHOOK_KIND,
    delete_webhook,
    insert_webhook,
    live_webhooks,
    pending_message_events,
    take_message_events,
    update_webhook,
    webhook,
    webhooks_of,
)

EXTENSION = "connect.storage"
CHECKED = "connect.storage.checked"


def default_path(instance_path: str) -> str:
    return os.path.join(instance_path, "connect.sqlite3")


def open_database(setting: str, *, check: bool = True) -> Database:
    """The database ``CONNECT_DATABASE`` names, ready for this release: a SQLite file is
    upgraded in place; any other must already be (DatabaseError naming the command)."""
    try:
        database = Database(database_url(setting))
    except OSError as error:
        raise DatabaseError(f"CONNECT_DATABASE ({setting}) cannot be used: {error.strerror}") from None
    try:
        if database.is_sqlite:
            upgrade(database)
        elif check:
            check_current(database)
    except SQLAlchemyError as error:
        database.close()
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise DatabaseError(f"CONNECT_DATABASE ({database.safe_url}) cannot be used: {reason}") from None
    except BaseException:
        database.close()
        raise
    return database


def init_app(app: Flask) -> None:
    """Open the app's database (``CONNECT_DATABASE``, by default in the instance folder).

    A server process (gunicorn) on an outdated PostgreSQL schema stops here. Under the
    ``flask`` command the check waits for the first use, so ``flask db upgrade`` can run."""
    if EXTENSION in app.extensions:
        return
    if not app.config.get("CONNECT_DATABASE"):
        app.config["CONNECT_DATABASE"] = default_path(app.instance_path)
    command_line = click.get_current_context(silent=True) is not None
    database = app.extensions[EXTENSION] = open_database(
        app.config["CONNECT_DATABASE"], check=not command_line
    )
    # SQLite was just upgraded; a server process was just checked; under `flask`, look.
    app.extensions[CHECKED] = database.is_sqlite or not command_line or current(database) == head()
    if "db" not in app.cli.commands:
        app.cli.add_command(db_cli)


def schema_is_current(app: Flask) -> bool:
    """Whether the app's database is at this release's schema (known since start-up)."""
    return app.extensions[CHECKED]


def get_db() -> Database:
    """The current app's database (shared by its threads: each call takes a pooled connection)."""
    database = current_app.extensions[EXTENSION]
    if not current_app.extensions.get(CHECKED):
        try:
            check_current(database)
        except DatabaseError as error:
            raise click.ClickException(str(error)) from None
        current_app.extensions[CHECKED] = True
    return database


def is_reachable() -> bool:
    return get_db().is_reachable()


db_cli = CommandGroup("db", help="The database schema.")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Bring the database to this release's schema (the deploy step on PostgreSQL)."""
    database = current_app.extensions[EXTENSION]  # opened unchecked under `flask`, for this
    try:
        before = current(database)
        after = upgrade(database)
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    current_app.extensions[CHECKED] = True
    click.echo(
        f"Database at revision {after}" + (" (already)" if before == after else f" (was {before or 'empty'})")
    )


@db_cli.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def current_command(as_json: bool) -> None:
    """Show the database's schema revision and this release's."""
    found, wanted = current(current_app.extensions[EXTENSION]), head()
    if as_json:
        click.echo(json.dumps({"current": found, "head": wanted, "up_to_date": found == wanted}))
        return
    state = "up to date" if found == wanted else f"needs `{UPGRADE_COMMAND}`"
    click.echo(f"Database at revision {found or '(empty)'}; this release needs {wanted}: {state}")
