"""The SQLite file: WAL, migrations applied once even when processes start together."""

from __future__ import annotations

import threading

from connect import db


def test_migrate_creates_the_schema_in_wal_mode(tmp_path):
    path = str(tmp_path / "nested" / "connect.sqlite3")

    version = db.migrate(path)

    database = db.connect(path)
    assert version == len(db.MIGRATIONS)
    assert database.execute("PRAGMA user_version").fetchone()[0] == version
    assert database.journal_mode == "wal"
    assert "completed_syncs" in database.table_names()


def test_migrating_again_changes_nothing(tmp_path):
    path = str(tmp_path / "connect.sqlite3")
    db.migrate(path)
    schema = db.connect(path).schema
    assert db.migrate(path) == len(db.MIGRATIONS)
    assert db.connect(path).schema == schema


def test_concurrent_starts_migrate_exactly_once(tmp_path):
    path = str(tmp_path / "connect.sqlite3")
    errors: list[BaseException] = []

    def start():
        try:
            db.migrate(path)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert db.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)


def test_a_token_is_recorded_once(tmp_path):
    path = str(tmp_path / "connect.sqlite3")
    db.migrate(path)
    database = db.connect(path)
    sync = {
        "token": "t",
        "account_id": "a",
        "source_label": "l",
        "timestamp": 1,
        "received_at": 2,
        "scheme": "contextio",
        "webhook_id": None,
    }

    assert db.record_completed_sync(database, sync) is True
    assert db.record_completed_sync(database, {**sync, "account_id": "other"}) is False
    assert [row["account_id"] for row in db.completed_syncs(database)] == ["a"]


def test_healthz_answers_ok_while_the_database_is_readable(client):
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json) == (200, {"status": "ok"})


def test_healthz_answers_503_when_the_database_is_gone(app, client, tmp_path):
    path = tmp_path / "connect.sqlite3"
    for leftover in tmp_path.glob("connect.sqlite3*"):
        leftover.unlink()
    path.mkdir()  # a directory where the file was: SQLite cannot open it

    answer = client.get("/healthz")

    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
