"""Passwords, refresh tokens and consumer secrets are encrypted in the database, never
returned, and survive a SECRET_KEY rotation."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app import create_app
from connect.config import ConfigError
from connect.domain.crypto import UnreadableSecret, Vault
from tests.conftest import app_config, source_parameters
from tests.sql import run_sql

PASSWORD = "pa55word-that-must-not-leak"
REFRESH_TOKEN = "1//refresh-token-that-must-not-leak"
PROVIDER_SECRET = "provider-secret-that-must-not-leak"


def file_bytes(database: str, request: pytest.FixtureRequest) -> bytes:
    """Every byte the database keeps on disk: the SQLite file and its WAL, or the PostgreSQL
    cluster's files after a checkpoint."""
    if "://" not in database:
        return b"".join(path.read_bytes() for path in Path(database).parent.glob(Path(database).name + "*"))
    run_sql(database, "CHECKPOINT")
    cluster = request.getfixturevalue("postgres").root / "data"
    return b"".join(path.read_bytes() for path in cluster.rglob("*") if path.is_file())


def test_no_credential_is_readable_in_the_database_file(api, api_server, request):
    api.add_oauth_provider("GMAIL_OAUTH2", "leak-check-key", PROVIDER_SECRET)
    account_id = api.create_account("leak@example.com")["id"]
    api.add_source(account_id, **source_parameters(password=PASSWORD))
    api.add_source(
        account_id,
        **source_parameters(
            server="imap.gmail.com",
            provider_consumer_key="leak-check-key",
            provider_refresh_token=REFRESH_TOKEN,
        ),
    )
    shown = json.dumps(api.get_account(account_id))

    stored = file_bytes(api_server.database, request)
    for secret in (PASSWORD, REFRESH_TOKEN, PROVIDER_SECRET):
        assert secret.encode() not in stored
        assert secret not in shown
    assert b"alice@example.com" in stored  # the scan does read what is stored


def test_a_vault_reads_with_fallback_keys_only_what_it_was_given():
    old = Vault("old key")
    ciphertext = old.encrypt("hunter2")
    assert Vault("new key", ["old key"]).decrypt(ciphertext) == "hunter2"
    with pytest.raises(UnreadableSecret):
        Vault("new key").decrypt(ciphertext)
    assert Vault("new key").decrypt(Vault("new key", ["old key"]).reencrypt(ciphertext)) == "hunter2"


def test_keys_create_prints_a_client_once_and_keys_list_never_shows_secrets(tmp_path):
    app = create_app(app_config(tmp_path))
    runner = app.test_cli_runner()

    created = json.loads(runner.invoke(args=["keys", "create", "billing app", "--json"]).output)
    text = runner.invoke(args=["keys", "create", "other app"]).output
    listed = runner.invoke(args=["keys", "list"]).output
    listed_json = runner.invoke(args=["keys", "list", "--json"]).output

    assert created["name"] == "billing app"
    assert len(created["consumer_key"]) == 24
    assert len(created["consumer_secret"]) >= 32
    assert "consumer secret:" in text and "not shown again" in text
    assert created["consumer_key"] in listed and "billing app" in listed
    assert created["consumer_secret"] not in listed
    as_json = json.loads(listed_json)
    assert {client["name"] for client in as_json} >= {"billing app", "other app"}
    assert {"name", "consumer_key", "created"} == set(as_json[0])
    assert created["consumer_secret"] not in listed_json


def test_rotating_the_secret_key_with_reencrypt(tmp_path):
    old = create_app(app_config(tmp_path, SECRET_KEY="the old key"))
    keys = json.loads(old.test_cli_runner().invoke(args=["keys", "create", "rotating", "--json"]).output)

    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):  # refused before writing anything
        create_app(app_config(tmp_path, SECRET_KEY="the new key"))
    clients_before = run_sql(str(tmp_path / "connect.sqlite3"), "SELECT consumer_key FROM api_clients")

    rotating = create_app(
        app_config(tmp_path, SECRET_KEY="the new key", SECRET_KEY_FALLBACKS=("the old key",))
    )
    result = rotating.test_cli_runner().invoke(args=["secrets", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 stored credential" in result.output

    database = sqlite3.connect(tmp_path / "connect.sqlite3")
    [(ciphertext,)] = database.execute(
        "SELECT consumer_secret FROM api_clients WHERE consumer_key = ?", [keys["consumer_key"]]
    )
    assert Vault("the new key").decrypt(ciphertext) == keys["consumer_secret"]
    assert [row["consumer_key"] for row in clients_before] == [keys["consumer_key"]]  # nothing added
    create_app(app_config(tmp_path, SECRET_KEY="the new key"))  # the database is the new key's now
    with pytest.raises(ConfigError, match="not the key"):
        create_app(app_config(tmp_path, SECRET_KEY="the old key"))
