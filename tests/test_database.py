"""The database: its schema under Alembic, upgrades that keep every row, and the health check."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from app import create_app
from connect import storage
from connect.domain.crypto import Vault
from connect.storage.schema import settings
from connect.storage.statements import InList, Prepared
from tests.conftest import app_config
from tests.sql import run_sql

# Written by the release before Alembic (user_version 4) under SECRET_KEY "released-secret-key":
# one API client with an OAuth provider, an account with a password source, a recorded
# callback and a helper user.
RELEASED = Path(__file__).with_name("data") / "released-user-version-4.sqlite3"
RELEASED_CLIENT = ("0f7e82309708059ceb924dde", "NtlPn4auCN6S71JPdlIRfCTcUI_nUJUD")
RELEASED_ACCOUNT = "f728f32c2f5e504d802f1668"


def test_a_new_file_gets_the_whole_schema_in_wal_mode(tmp_path):
    path = str(tmp_path / "nested" / "connect.sqlite3")

    database = storage.open_database(path)

    assert storage.current(database) == storage.head()
    database.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"completed_syncs", "sources", "messages", "workers", "alembic_version"} <= tables


def test_opening_again_changes_nothing(tmp_path):
    path = str(tmp_path / "connect.sqlite3")
    storage.open_database(path).close()
    with sqlite3.connect(path) as raw:
        schema = raw.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    storage.open_database(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_concurrent_starts_migrate_exactly_once(tmp_path):
    path = str(tmp_path / "connect.sqlite3")
    errors: list[BaseException] = []

    def start():
        try:
            storage.open_database(path).close()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    database = storage.open_database(path)
    assert storage.current(database) == storage.head()
    database.close()


def test_a_file_of_the_release_before_alembic_upgrades_with_every_row(tmp_path):
    path = tmp_path / "connect.sqlite3"
    shutil.copy(RELEASED, path)
    app = create_app(app_config(tmp_path, SECRET_KEY="released-secret-key", CONNECT_DATABASE=str(path)))

    with app.app_context():
        database = storage.get_db()
        assert storage.current(database) == storage.head()
        key, secret = RELEASED_CLIENT
        vault = Vault("released-secret-key")
        assert vault.decrypt(storage.api_client(database, key)["consumer_secret"]) == secret
        [provider] = storage.providers(database, key)
        assert vault.decrypt(provider["provider_consumer_secret"]) == "google-client-secret"
        [source] = storage.sources_of(database, [RELEASED_ACCOUNT])
        assert vault.decrypt(source["password"]) == "alice's password"
        assert storage.account(database, key, RELEASED_ACCOUNT)["first_name"] == "Alice"
        assert [sync["token"] for sync in storage.completed_syncs(database)] == ["tok-1"]
        assert storage.helper_account(database, "host-user-1") == RELEASED_ACCOUNT
        assert storage.pending_syncs(database, [source["id"]])[source["id"]]["reason"] == "initial"
        # and it takes new rows, in the tables the release did not have
        storage.heartbeat(database, "worker-1", 1)


def test_db_current_and_upgrade_commands(tmp_path):
    app = create_app(app_config(tmp_path))
    runner = app.test_cli_runner()

    current = runner.invoke(args=["db", "current", "--json"])
    upgrade = runner.invoke(args=["db", "upgrade"])

    assert current.exit_code == 0 and f'"current": "{storage.head()}"' in current.output
    assert upgrade.exit_code == 0 and "(already)" in upgrade.output


def test_a_token_is_recorded_once(tmp_path):
    database = storage.open_database(str(tmp_path / "connect.sqlite3"))
    sync = {
        "token": "t",
        "account_id": "a",
        "source_label": "l",
        "timestamp": 1,
        "received_at": 2,
        "scheme": "contextio",
        "webhook_id": None,
    }

    assert storage.record_completed_sync(database, sync) is True
    assert storage.record_completed_sync(database, {**sync, "account_id": "other"}) is False
    assert [row["account_id"] for row in storage.completed_syncs(database)] == ["a"]
    database.close()


def test_a_list_bound_as_one_parameter_finds_exactly_its_members(database_setting):
    database = storage.open_database(database_setting)
    names = ["plain", "it's", 'say "hi"', "a,b", "[1]", "ünïcode", "%_"] + [f"n{i}" for i in range(500)]
    database.write(insert(settings), [{"name": name, "value": "v"} for name in names])
    member_of = Prepared(select(settings.c.name).where(InList(settings.c.name, "names")))
    try:
        wanted = [*names[:7], *names[300:], "absent", "plain"]
        found = [row["name"] for row in database.rows(member_of, {"names": wanted})]
        assert sorted(found) == sorted(set(wanted) - {"absent"})
        assert database.rows(member_of, {"names": []}) == []
    finally:
        database.close()


def test_a_failed_statement_leaves_the_next_read_write_and_transaction_working(database_setting):
    """Reads and single writes run by themselves (autocommit on PostgreSQL): one that fails
    must not leave the thread's connection inside a transaction or an error state."""
    database = storage.open_database(database_setting)
    insert_setting = Prepared(insert(settings).values(name=bindparam("name"), value=bindparam("value")))
    try:
        with pytest.raises(SQLAlchemyError):
            database.rows(text("SELECT no_such_column FROM settings"))
        with pytest.raises(SQLAlchemyError):
            database.run(insert_setting, {"name": "x", "value": None})  # value is NOT NULL
        assert database.run(insert_setting, {"name": "after", "value": "1"}) == 1
        with storage.transaction(database):
            database.run(insert_setting, {"name": "together", "value": "2"})
            database.write(update(settings).where(settings.c.name == "after").values(value="3"))
        with pytest.raises(SQLAlchemyError), storage.transaction(database):  # all or nothing still
            database.run(insert_setting, {"name": "half", "value": "4"})
            database.run(insert_setting, {"name": "x", "value": None})
        names = ["x", "after", "together", "half"]
        stored = database.rows(select(settings.c.name, settings.c.value).where(settings.c.name.in_(names)))
        assert {row["name"]: row["value"] for row in stored} == {"after": "3", "together": "2"}
    finally:
        database.close()


def test_healthz_answers_ok_while_the_database_is_readable(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {
        "status": "ok",
        "worker": {"last_heartbeat": None},
        "queue": {"backlog": 0},
        "push": {"idle_sources": 0},
    }


def test_healthz_reports_the_workers_heartbeat_and_the_backlog(app, client):
    import time

    now = int(time.time())
    with app.app_context():
        database = storage.get_db()
        storage.heartbeat(database, "worker-1", now - 3)
        run_sql(
            database,
            "INSERT INTO api_clients (consumer_key, name, consumer_secret, created) VALUES ('k', 'n', :s, 1)",
            s=b"x",
        )
        run_sql(database, "INSERT INTO accounts (id, consumer_key, email, created) VALUES ('a', 'k', 'e', 1)")
        for number in range(2):
            run_sql(
                database,
                "INSERT INTO sources (account_id, label, email, username, server, port, use_ssl, "
                "authentication_type, status, sync_period, created) "
                "VALUES ('a', :label, 'e', 'u', 's', 993, 1, 'password', 'OK', '24h', 1)",
                label=f"l{number}",
            )
        [first, second] = storage.sources_of(database, ["a"])
        storage.queue_sync(database, first["id"], "initial", now - 10)
        storage.queue_sync(database, second["id"], "later", now, run_after=now + 3600)

    answer = client.get("/healthz")

    assert answer.json == {
        "status": "ok",
        "worker": {"last_heartbeat": now - 3},
        "queue": {"backlog": 1},
        "push": {"idle_sources": 0},
    }


def test_healthz_answers_503_when_the_database_is_gone(tmp_path):
    client = create_app(app_config(tmp_path)).test_client()
    path = tmp_path / "connect.sqlite3"
    for leftover in tmp_path.glob("connect.sqlite3*"):
        leftover.unlink()
    path.mkdir()  # a directory where the file was: SQLite cannot open it

    answer = client.get("/healthz")

    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"


@pytest.mark.parametrize("setting", ["mysql://db/x", "postgresql+psycopg://", "/proc/no/connect.sqlite3"])
def test_a_database_setting_it_cannot_use_is_named(tmp_path, setting):
    with pytest.raises(storage.DatabaseError, match="CONNECT_DATABASE"):
        storage.open_database(setting)


def test_on_an_older_postgresql_schema_processes_stop_naming_the_upgrade_command(postgres, tmp_path):
    import os
    import subprocess
    import sys

    from tests.servers import ROOT

    url = postgres.new_database(empty=True)
    environment = {**os.environ, "CONNECT_ENV": "production", "SECRET_KEY": "k", "CONNECT_DATABASE": url}

    def flask(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    with pytest.raises(storage.DatabaseError, match="flask --app app db upgrade"):
        create_app(app_config(tmp_path, CONNECT_ENV="production", CONNECT_DATABASE=url))  # a web process
    worker = flask("worker")
    assert worker.returncode != 0
    assert "flask --app app db upgrade" in worker.stderr and "Traceback" not in worker.stderr

    upgraded = flask("db", "upgrade")
    current = flask("db", "current", "--json")

    assert upgraded.returncode == 0, upgraded.stderr
    assert '"up_to_date": true' in current.stdout


def test_processes_starting_together_bind_the_key_and_make_the_helper_client_once(database_setting):
    from connect.domain import clients

    database = storage.open_database(database_setting)  # a connection per thread, as per process
    vault = Vault("starting-together")
    barrier = threading.Barrier(8)
    outcomes: list[object] = []

    def start() -> None:
        barrier.wait(timeout=30)
        try:
            mismatch = storage.bind_secret_key(database, vault.fingerprint, ())
            client = clients.development_client(database, vault, "connect helper (development)")
            outcomes.append((mismatch, client.consumer_key))
        except BaseException as error:  # surfaced below
            outcomes.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    database.close()

    assert len(outcomes) == 8 and all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert {mismatch for mismatch, _ in outcomes} == {None}
    assert len({key for _, key in outcomes}) == 1  # one client, shared by every process


ADDRESSES = '{"from": {"email": "Ann@x.com", "name": "Ann"}, "to": [{"email": "me@x.com", "name": ""}]}'


def test_the_upgrades_that_add_threads_and_contacts_cover_the_messages_already_indexed(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from connect.storage.versions import _config

    path = tmp_path / "connect.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0007")
        run = connection.exec_driver_sql
        run(
            "INSERT INTO api_clients (consumer_key, name, consumer_secret, created) "
            "VALUES ('k', 'n', x'00', 0)"
        )
        run("INSERT INTO accounts (id, consumer_key, email, created) VALUES ('a', 'k', 'e', 1)")
        rows = [  # id, Message-ID, In-Reply-To, References, X-GM-THRID (decimal, as stored before)
            ("m1", "<one@x>", None, None, None),
            ("m2", "<two@x>", "<one@x>", "<one@x>", None),
            ("m3", "<three@x>", None, None, None),
            ("m4", "<g@x>", None, None, "1700000000000000001"),
        ]
        for number, (message_id, header, reply_to, references, thread) in enumerate(rows):
            run(
                "INSERT INTO messages (id, account_id, dedupe_key, email_message_id, in_reply_to, "
                '"references", gmail_thread_id, subject, date, date_indexed, addresses) '
                "VALUES (?, 'a', ?, ?, ?, ?, ?, '', ?, ?, ?)",
                (message_id, message_id, header, reply_to, references, thread, number, number, ADDRESSES),
            )
    engine.dispose()

    database = storage.open_database(str(path))  # upgrades to this release
    threads = {
        row["id"]: row for row in run_sql(database, "SELECT id, thread_id, gmail_thread_id FROM messages")
    }
    assert threads["m1"]["thread_id"] == threads["m2"]["thread_id"] != threads["m3"]["thread_id"]
    assert threads["m4"]["gmail_thread_id"] == threads["m4"]["thread_id"] == format(1700000000000000001, "x")
    assert run_sql(database, "SELECT count(*) AS n FROM thread_keys") == [{"n": 4}]  # one per Message-ID
    assert storage.contact(database, "a", "ann@x.com")["count"] == 4
    database.close()
