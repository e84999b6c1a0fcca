"""The sources API: Context.IO 2.0's ``/2.0`` resources, as a Flask extension.

Importing the resource modules registers their routes on the blueprint.
"""

from __future__ import annotations

import json
import logging

import click
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import storage
from ..commands import CommandGroup
from ..config import ConfigError
from ..domain import clients
from ..domain.address_policy import address_policy
from ..domain.crypto import UnreadableSecret, Vault
from ..sync import commands as sync_commands
from ..sync.login import Connection
from ..sync.oauth_tokens import MICROSOFT_METADATA_URL, AccessTokens
from ..web import assets
from ..web.web_safety import limit_form_posts
from . import (  # noqa: F401  (their routes register on import)
    accounts,
    app_level,
    connect_tokens,
    contacts,
    description,
    discovery,
    email_addresses,
    folders,
    hosted,
    mail_writes,
    messages,
    oauth_providers,
    threads,
    webhooks,
)
from .blueprint import app_bp, bp

logger = logging.getLogger("connect.api")

# The name is the one development setups have always had, so existing databases keep theirs.
OWN_CLIENT_NAME = "connect helper (development)"


class SourcesAPI:
    """Mounts ``/2.0`` and the hosted connect-token page, and adds the ``keys`` and
    ``secrets`` commands. With no ``CONTEXTIO_CONSUMER_*`` configured, it makes (once) the API
    client that this app's own helper uses and configures it."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        storage.init_app(app)
        assets.init_app(app)
        vault = Vault(app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS") or ())
        app.extensions["connect.vault"] = vault
        database = app.extensions[storage.EXTENSION]
        # On an outdated schema (PostgreSQL, under `flask`) nothing is read or written here:
        # `flask db upgrade` must run first, and the other commands say so when they start.
        schema_current = storage.schema_is_current(app)
        if schema_current:
            _bind_secret_key(database, vault)
        app.extensions["connect.tokens"] = AccessTokens(
            {
                "GMAIL_OAUTH2": app.config["GOOGLE_SERVER_METADATA_URL"],
                "MSLIVECONNECT": MICROSOFT_METADATA_URL,
            }
        )
        app.extensions["connect.connection"] = Connection(address_policy(app))
        app.extensions["connect.api"] = self
        app.register_blueprint(bp)
        app.register_blueprint(app_bp)
        app.register_blueprint(hosted.bp)
        limit_form_posts(app, "connect_hosted.connect_token_page")
        app.register_error_handler(HTTPException, _http_error)
        app.cli.add_command(keys_cli)
        app.cli.add_command(secrets_cli)
        sync_commands.init_app(app)
        own_client_unset = not (
            app.config.get("CONTEXTIO_CONSUMER_KEY") or app.config.get("CONTEXTIO_CONSUMER_SECRET")
        )
        if own_client_unset and schema_current:
            _configure_own_client(app, vault)


def _bind_secret_key(database: storage.Database, vault: Vault) -> None:
    """Refuse to run with a SECRET_KEY other than the one this database's credentials are
    encrypted under: every row written after that would be unreadable (a command run without
    the production environment, say). The first start records the key, after checking that
    the credentials already stored open with it."""
    sample = storage.any_consumer_secret(database)
    if sample is not None:
        try:
            vault.decrypt(sample)
        except UnreadableSecret:
            raise ConfigError(_OTHER_KEY) from None
    if storage.bind_secret_key(database, vault.fingerprint, vault.fallback_fingerprints) is not None:
        raise ConfigError(_OTHER_KEY)


_OTHER_KEY = (
    "SECRET_KEY is not the key this database's credentials are encrypted under; nothing was "
    "written. Start with the SECRET_KEY it was made with (to change keys, set the old one in "
    "SECRET_KEY_FALLBACKS and run `flask --app app secrets reencrypt`)."
)


def _configure_own_client(app: Flask, vault: Vault) -> None:
    """The helper of this app talks to this app's API as an API client like any other: made
    on first start and kept (in production as in development), unless configured."""
    client = clients.development_client(app.extensions[storage.EXTENSION], vault, OWN_CLIENT_NAME)
    app.config["CONTEXTIO_CONSUMER_KEY"] = client.consumer_key
    app.config["CONTEXTIO_CONSUMER_SECRET"] = client.consumer_secret


def _http_error(error: HTTPException) -> Response | HTTPException:
    """Context.IO's error shape for anything under /2.0; other paths keep the host's pages."""
    prefixes = (bp.url_prefix, app_bp.url_prefix)
    if not any(request.path.startswith(prefix + "/") or request.path == prefix for prefix in prefixes):
        return error
    reasons = {
        404: "no such resource",
        405: f"{request.method} is not allowed here",
        413: "the request is too large",
        500: "the server failed to answer this request; the failure is logged",
    }
    response = jsonify(type="error", value=reasons.get(error.code, error.description))
    response.status_code = error.code or 500
    return response


keys_cli = CommandGroup("keys", help="API clients of the sources API.")


@keys_cli.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def create_key(name: str, as_json: bool) -> None:
    """Create an API client; its secret is shown this once."""
    from flask import current_app

    client = clients.create_client(storage.get_db(), current_app.extensions["connect.vault"], name)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": client.name,
                    "consumer_key": client.consumer_key,
                    "consumer_secret": client.consumer_secret,
                }
            )
        )
        return
    click.echo(f"API client {client.name!r} created.")
    click.echo(f"consumer key:    {client.consumer_key}")
    click.echo(f"consumer secret: {client.consumer_secret}")
    click.echo("Keep the secret now: it is not shown again.")


@keys_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_keys(as_json: bool) -> None:
    """List API clients (without their secrets)."""
    rows = storage.api_clients_list(storage.get_db())
    if as_json:
        shown = [
            {"name": r["name"], "consumer_key": r["consumer_key"], "created": r["created"]} for r in rows
        ]
        click.echo(json.dumps(shown, indent=2))
        return
    if not rows:
        click.echo("No API clients yet: `flask --app app keys create NAME` makes one.")
    for row in rows:
        click.echo(f"{row['consumer_key']}  {row['name']}")


secrets_cli = CommandGroup("secrets", help="Credentials stored encrypted under SECRET_KEY.")


@secrets_cli.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt every stored credential under the current SECRET_KEY (after a rotation)."""
    from flask import current_app

    vault: Vault = current_app.extensions["connect.vault"]
    try:
        changed = storage.replace_encrypted(storage.get_db(), vault.reencrypt)
        storage.rebind_secret_key(storage.get_db(), vault.fingerprint)
    except UnreadableSecret as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    click.echo(f"Re-encrypted {changed} stored credential(s) under the current SECRET_KEY.")
