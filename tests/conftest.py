"""Fixtures shared by every test: an app on a fresh SQLite file, and signed deliveries."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from app import create_app
from connect import storage
from connect.callbacks.signing import sign_callback
from connect.domain import clients
from connect.domain.clients import ApiClient
from connect.domain.crypto import Vault
from connect.helper.client import SourcesClient
from tests.dovecot import Dovecot, start_dovecot
from tests.mail_world import MailWorld, Receiver
from tests.oauth_provider import OAuthProvider, start_provider
from tests.postgres import Postgres, start_postgres
from tests.redis_server import RedisServer, start_redis
from tests.servers import gunicorn
from tests.tls import TestCertificates, make_certificates

CONSUMER_SECRET = "9fUq3Jx0cD2hL7Rr"
ROTATED_OUT_SECRET = "an-older-secret-still-accepted"


def app_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "CONNECT_ENV": "development",
        "SECRET_KEY": "test-secret-key",
        "CONNECT_DATABASE": str(tmp_path / "connect.sqlite3"),
        "CONTEXTIO_CONSUMER_SECRET": CONSUMER_SECRET,
        "CONTEXTIO_CALLBACK_SECRETS": (ROTATED_OUT_SECRET,),
        **overrides,
    }


# The storage, API and sync tests run on both engines.
ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite file at this release's schema, made once per session: each test gets a copy
    instead of running every migration again (as PostgreSQL tests get a template database)."""
    path = Path(tempfile.mkdtemp(prefix="connect-template-")) / "connect.sqlite3"
    storage.open_database(str(path)).close()
    return path


def database_for(engine: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A CONNECT_DATABASE setting on ``engine``: a file in ``folder``, or a new PostgreSQL
    database, both at this release's schema (as after the deploy's `flask db upgrade`)."""
    if engine == "sqlite":
        path = folder / "connect.sqlite3"
        if not path.exists():
            shutil.copyfile(_sqlite_template(), path)
        return str(path)
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(params=ENGINES)
def database_setting(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_for(request.param, tmp_path, request)


@pytest.fixture
def app(tmp_path: Path, database_setting: str) -> Flask:
    return create_app(app_config(tmp_path, CONNECT_DATABASE=database_setting))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def signed_delivery(
    secret: str = CONSUMER_SECRET,
    *,
    account_id: str = "5a1b2c3d4e5f60718293a4b5",
    source_label: str = "user.example.com::imap.example.com",
    timestamp: int | None = None,
    token: str | None = None,
    webhook_id: str | None = None,
    signed_at: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A callback as the sync engine sends it: seed signature in the body, Standard Webhooks
    headers beside it."""
    return sign_callback(
        secret,
        account_id=account_id,
        source_label=source_label,
        timestamp=int(time.time()) if timestamp is None else timestamp,
        token=token or uuid.uuid4().hex,
        webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}",
        signed_at=signed_at,
    )


def callback_body(**fields: Any) -> bytes:
    """A callback body with the given fields; a field set to None is left out."""
    document = {
        "account_id": "5a1b2c3d4e5f60718293a4b5",
        "source_label": "user.example.com::imap.example.com",
        "timestamp": int(time.time()),
        "token": uuid.uuid4().hex,
        **fields,
    }
    return json.dumps({k: v for k, v in document.items() if v is not None}).encode()


def standard_headers(
    secret: str, body: bytes, webhook_id: str = "msg_test", signed_at: int | None = None
) -> dict[str, str]:
    """Standard Webhooks headers as any sender writes them (the reference library signs)."""
    signed_at = int(time.time()) if signed_at is None else signed_at
    signature = Webhook(secret.encode()).sign(
        webhook_id, datetime.fromtimestamp(signed_at, UTC), body.decode()
    )
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(signed_at),
        "webhook-signature": signature,
    }


@pytest.fixture
def deliver(client: FlaskClient) -> Callable[..., Any]:
    def post(body: bytes, headers: dict[str, str] | None = None):
        return client.post("/connect/callbacks/sync", data=body, headers=headers or {})

    return post


# --- the sources API, served by gunicorn on loopback, one per test session ----------------

API_SECRET_KEY = "api-test-secret-key"


@dataclass(frozen=True)
class ApiServer:
    base_url: str
    database: str

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/2.0"

    def sync(self) -> None:
        """Run every due sync of the server's database, as its worker would."""
        from connect.sync.worker import Worker

        app = create_app(
            {
                "CONNECT_ENV": "production",
                "SECRET_KEY": API_SECRET_KEY,
                "CONNECT_DATABASE": self.database,
                "CONNECT_ALLOW_PRIVATE_CALLBACKS": True,
            }
        )
        Worker(app).run_pending()

    def new_client(self, name: str = "test client") -> ApiClient:
        """A fresh API client: each test works in a tenant of its own."""
        database = storage.open_database(self.database)
        try:
            return clients.create_client(database, Vault(API_SECRET_KEY), name)
        finally:
            database.close()


@pytest.fixture(scope="session", params=ENGINES)
def api_server(request, tmp_path_factory, test_ca) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp("api-server")
    database = database_for(request.param, folder, request)
    environment = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": API_SECRET_KEY,
        "CONNECT_DATABASE": database,
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        "SSL_CERT_FILE": str(test_ca.ca_file),  # it reaches the test Dovecot's mailboxes
    }
    log = folder / "gunicorn.log"
    with gunicorn(environment, log) as base_url:
        yield ApiServer(base_url, database)
    assert "Traceback" not in log.read_text(), f"the API server failed a request; see {log}"


@pytest.fixture
def api(api_server: ApiServer) -> Iterator[SourcesClient]:
    """Our own client, signed as a new API client of the session's server."""
    keys = api_server.new_client()
    client = SourcesClient(api_server.api_url, keys.consumer_key, keys.consumer_secret)
    yield client
    client.close()


@pytest.fixture
def other_api(api_server: ApiServer) -> Iterator[SourcesClient]:
    """A second, unrelated API client of the same server."""
    keys = api_server.new_client("another client")
    client = SourcesClient(api_server.api_url, keys.consumer_key, keys.consumer_secret)
    yield client
    client.close()


def imap_settings(**overrides: Any) -> dict[str, Any]:
    """A source's parameters without its email, as account creation takes them."""
    return {
        "server": "imap.example.com",
        "username": "alice@example.com",
        "use_ssl": 1,
        "port": 993,
        "type": "IMAP",
        "password": "correct horse battery staple",
        **overrides,
    }


def source_parameters(**overrides: Any) -> dict[str, Any]:
    return {"email": "alice@example.com", **imap_settings(**overrides)}


# --- real mail: a test CA, the OAuth provider, Dovecot -------------------------------------


@pytest.fixture(scope="session")
def test_ca() -> Iterator[TestCertificates]:
    """Certificates for the test servers; trusted through SSL_CERT_FILE, as in production."""
    folder = Path(tempfile.mkdtemp(prefix="connect-tls-"))
    certificates = make_certificates(folder)
    previous = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(certificates.ca_file)
    yield certificates
    if previous is None:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = previous
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def oauth_provider() -> Iterator[OAuthProvider]:
    provider, server = start_provider()
    yield provider
    server.stop()


@pytest.fixture(scope="session")
def dovecot(test_ca, oauth_provider) -> Iterator[Dovecot]:
    # Dovecot's unprivileged processes must reach its files: a world-traversable folder.
    root = Path(tempfile.mkdtemp(prefix="connect-dovecot-"))
    os.chmod(root, 0o755)
    server = start_dovecot(root, test_ca, oauth_provider.introspection_url)
    yield server
    server.stop()
    if not os.environ.get("CONNECT_KEEP_TEST_FILES"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def world(tmp_path, dovecot, oauth_provider, database_setting) -> MailWorld:
    """An app wired to the test Dovecot, on each engine, with an API client of its own."""
    return MailWorld.create(tmp_path, dovecot, oauth_provider, database_setting)


@pytest.fixture
def receiver(tmp_path, world) -> Iterator[Receiver]:
    """The project's own callback receiver on loopback, keyed with the world's client secret."""
    started = Receiver(tmp_path / "receiver", world.consumer_secret)
    yield started
    started.stop()


@pytest.fixture
def mailbox_user(dovecot) -> Callable[..., str]:
    """Makes a fresh mailbox per call: ``mailbox_user(folders=(...))`` returns its address."""

    def make(folders: tuple[str, ...] = ("Sent",), password: str = "mail-password") -> str:
        user = f"user-{uuid.uuid4().hex[:10]}@example.com"
        dovecot.add_user(user, password, folders)
        return user

    return make
