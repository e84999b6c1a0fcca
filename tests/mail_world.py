"""Helpers for tests that sync real mailboxes: an app wired to the test Dovecot and OAuth
provider, an API client in it, sources added the way the API adds them, and a receiver."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response
from oauthlib.oauth1 import Client

from app import create_app
from connect import CallbackReceiver, storage
from connect.api import inputs
from connect.api.parameters import Parameters
from connect.domain import accounts, clients, sources
from connect.domain.accounts import NewAccount
from connect.domain.tenant import Tenant
from connect.sync.worker import Worker
from tests.dovecot import Dovecot
from tests.oauth_provider import OAuthProvider, ServerThread
from tests.servers import free_port
from tests.sql import run_sql

GMAIL_HOST = "localhost"  # Gmail sources reach the test Dovecot by this name; others by 127.0.0.1


@dataclass
class MailWorld:
    app: Flask
    dovecot: Dovecot
    provider: OAuthProvider
    consumer_key: str
    consumer_secret: str

    @classmethod
    def create(
        cls,
        folder: Path,
        dovecot: Dovecot,
        provider: OAuthProvider,
        database: str | None = None,
        **config: Any,
    ) -> MailWorld:
        app = create_app(
            {
                "CONNECT_ENV": "development",
                "SECRET_KEY": "mail-world-key",
                "CONNECT_DATABASE": database or str(folder / "connect.sqlite3"),
                "CONTEXTIO_CONSUMER_SECRET": "unused-by-these-tests",
                "GMAIL_IMAP_HOST": GMAIL_HOST,
                "GOOGLE_SERVER_METADATA_URL": provider.metadata_url,
                "CONNECT_ALLOW_PRIVATE_CALLBACKS": True,
                **config,
            }
        )
        with app.app_context():
            keys = clients.create_client(storage.get_db(), app.extensions["connect.vault"], "mail tests")
        return cls(app, dovecot, provider, keys.consumer_key, keys.consumer_secret)

    def worker_environment(self) -> dict[str, str]:
        """The environment a `flask --app app worker` process needs to work on this world."""
        return {
            **os.environ,
            "CONNECT_ENV": "development",
            "SECRET_KEY": "mail-world-key",
            "CONNECT_DATABASE": self.app.config["CONNECT_DATABASE"],
            "CONTEXTIO_CONSUMER_SECRET": "unused-by-these-tests",
            "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        }

    def tenant(self) -> Tenant:
        return Tenant(storage.get_db(), self.app.extensions["connect.vault"], self.consumer_key, True)

    def add_account(self, email: str = "owner@example.com") -> str:
        with self.app.app_context():
            account, _ = accounts.create_account(self.tenant(), NewAccount(email))
        return account["id"]

    def add_source(self, account_id: str, user: str, **overrides: Any) -> str:
        """A password source on the test Dovecot over TLS, unless overridden."""
        parameters = {
            "email": user,
            "server": "127.0.0.1",
            "username": user,
            "port": str(self.dovecot.imaps_port),
            "use_ssl": "1",
            "type": "IMAP",
            "password": self.dovecot.users.get(user, ""),
            **{name: str(value) for name, value in overrides.items()},
        }
        with self.app.app_context():
            source = sources.add_source(
                self.tenant(), account_id, user, inputs.new_source(Parameters(parameters))
            )
        return source["label"]

    def add_gmail_source(self, account_id: str, user: str, refresh_token: str, **overrides: Any) -> str:
        with self.app.app_context():
            storage.save_provider(
                storage.get_db(),
                {
                    "consumer_key": self.consumer_key,
                    "provider_consumer_key": self.provider.client_id,
                    "type": "GMAIL_OAUTH2",
                    "provider_consumer_secret": self.app.extensions["connect.vault"].encrypt(
                        self.provider.client_secret
                    ),
                    "created": 0,
                },
            )
        return self.add_source(
            account_id,
            user,
            server=GMAIL_HOST,
            provider_consumer_key=self.provider.client_id,
            provider_refresh_token=refresh_token,
            **overrides,
        )

    def source(self, account_id: str, label: str) -> dict[str, Any]:
        with self.app.app_context():
            return sources.find_source(self.tenant(), account_id, label)

    def update_source(self, account_id: str, label: str, **parameters: Any) -> None:
        with self.app.app_context():
            row = sources.find_source(self.tenant(), account_id, label)
            changes = inputs.source_changes(Parameters({k: str(v) for k, v in parameters.items()}))
            sources.update_source(self.tenant(), row, changes)

    def sync(self, now: int | None = None, **worker_options: Any) -> dict[str, int]:
        return Worker(self.app, **worker_options).run_pending(now)

    def query(self, sql: str, **parameters: Any) -> list[dict[str, Any]]:
        return run_sql(self.database, sql, **parameters)

    @property
    def database(self) -> storage.Database:
        return self.app.extensions[storage.EXTENSION]

    def signed(self, method: str, path: str, **form: Any):
        """Any signed call through the app (``path`` from the root, e.g. ``/app/…``): the response."""
        body = urlencode({name: str(value) for name, value in form.items()}) if form else None
        content_type = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        uri, headers, body = Client(self.consumer_key, client_secret=self.consumer_secret).sign(
            f"http://localhost{path}", http_method=method, body=body, headers=content_type
        )
        return self.app.test_client().open(
            uri.removeprefix("http://localhost"), method=method, headers=headers, data=body
        )

    def signed_json(self, method: str, path: str, document: Any):
        """A signed call whose body is JSON (outside the OAuth signature, as RFC 5849 says)."""
        uri, headers, _ = Client(self.consumer_key, client_secret=self.consumer_secret).sign(
            f"http://localhost{path}", http_method=method
        )
        return self.app.test_client().open(
            uri.removeprefix("http://localhost"), method=method, headers=headers, json=document
        )

    def get(self, path: str, **parameters: Any):
        """GET /2.0/<path> through the app, signed as this world's API client: the response."""
        query = f"?{urlencode(parameters)}" if parameters else ""
        uri, headers, _ = Client(self.consumer_key, client_secret=self.consumer_secret).sign(
            f"http://localhost/2.0/{path}{query}"
        )
        return self.app.test_client().get(uri.removeprefix("http://localhost"), headers=headers)

    def api(self, path: str, **parameters: Any) -> Any:
        """The JSON of a GET that must succeed."""
        answer = self.get(path, **parameters)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.json


class Receiver:
    """The foundation's callback receiver on loopback, keyed with the API client's secret;
    it can be told to refuse the first deliveries the way a struggling host app would."""

    def __init__(self, folder: Path, secret: str, refuse_first: int = 0) -> None:
        self.app = Flask("receiving-host", instance_path=str(folder / "receiver-instance"))
        CallbackReceiver(self.app, secrets=[secret], database=str(folder / "receiver.sqlite3"))
        self.refusals_left = refuse_first
        self.requests = 0
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/connect/callbacks/sync"
        self.status_url = f"http://127.0.0.1:{port}/connect/callbacks/status"
        self.webhook_url = f"http://127.0.0.1:{port}/connect/callbacks/webhook"
        self.failure_url = f"http://127.0.0.1:{port}/failures"  # a plain endpoint: bodies kept
        self.failures: list[dict[str, Any]] = []
        self.server = ServerThread(self._wsgi, port).start()

    def _wsgi(self, environ, start_response):
        self.requests += 1
        if environ["PATH_INFO"] == "/failures":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.failures.append(json.loads(environ["wsgi.input"].read(length)))
            return Response("{}", status=200)(environ, start_response)
        if self.refusals_left > 0:
            self.refusals_left -= 1
            return Response(json.dumps({"busy": True}), status=503)(environ, start_response)
        return self.app.wsgi_app(environ, start_response)

    def recorded(self) -> list[dict[str, Any]]:
        with self.app.app_context():
            return list(storage.completed_syncs(storage.get_db()))

    def statuses(self) -> list[dict[str, Any]]:
        with self.app.app_context():
            return list(storage.received_statuses_list(storage.get_db()))

    def webhooks(self) -> list[dict[str, Any]]:
        with self.app.app_context():
            return [
                {**row, "message_data": json.loads(row["message_data"])}
                for row in storage.received_webhooks_list(storage.get_db())
            ]

    def stop(self) -> None:
        self.server.stop()
