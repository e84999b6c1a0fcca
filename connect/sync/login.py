"""Logging into a source's mailbox with its stored credentials, for a sync or a live fetch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient

from ..domain.address_policy import AddressPolicy
from ..domain.crypto import UnreadableSecret, Vault
from ..domain.sources import SourceStatus
from .imap import Mailbox, SyncFailure, open_mailbox
from .oauth_tokens import AccessTokens, OAuthClient
from .transport import Limits


@dataclass(frozen=True)
class Connection:
    """How the server may connect to mailboxes: where (the address policy) and how long."""

    policy: AddressPolicy
    limits: Limits = Limits()


def log_in(source: dict[str, Any], vault: Vault, tokens: AccessTokens, connection: Connection) -> IMAPClient:
    """A session for a source row from ``storage.sync_context``; SyncFailure says why not."""
    mailbox = Mailbox(source["server"], source["port"], bool(source["use_ssl"]), source["username"])
    try:
        if source["authentication_type"] == "password":
            return open_mailbox(
                mailbox,
                password=vault.decrypt(source["password"]),
                policy=connection.policy,
                limits=connection.limits,
            )
        if source["authentication_type"] == "oauth2":
            return _log_in_with_oauth2(mailbox, source, vault, tokens, connection)
    except UnreadableSecret as error:
        raise SyncFailure(SourceStatus.INVALID_CREDENTIALS, str(error)) from None
    raise SyncFailure(
        SourceStatus.INVALID_CREDENTIALS,
        "OAuth 1.0 tokens are no longer accepted by mail providers: "
        "reconnect with an OAuth 2.0 refresh token",
    )


def _log_in_with_oauth2(
    mailbox: Mailbox, source: dict[str, Any], vault: Vault, tokens: AccessTokens, connection: Connection
) -> IMAPClient:
    if source["provider_type"] is None:
        raise SyncFailure(
            SourceStatus.INVALID_CREDENTIALS,
            f"the OAuth provider {source['provider_consumer_key']} was removed",
        )
    client = OAuthClient(
        source["provider_type"],
        source["provider_consumer_key"],
        vault.decrypt(source["provider_consumer_secret"]),
    )
    refresh_token = vault.decrypt(source["provider_refresh_token"])
    access_token = tokens.access_token(client, refresh_token)
    try:
        return open_mailbox(
            mailbox, access_token=access_token, policy=connection.policy, limits=connection.limits
        )
    except SyncFailure as failure:
        if failure.status == SourceStatus.INVALID_CREDENTIALS:
            tokens.forget(client, refresh_token)  # the next login asks for a fresh one
        raise
