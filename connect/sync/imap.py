"""Opening a source's mailbox, and naming what went wrong in the seed's statuses.

The status a failure earns comes from what really happened on the connection: a refused
login is INVALID_CREDENTIALS; an unresolvable name, a refused or timed-out connection, or a
failed TLS handshake is CONNECTION_IMPOSSIBLE.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..sources import SourceStatus


class SyncFailure(Exception):
    """A sync that could not be done; ``status`` and ``reason`` go on the source."""

    def __init__(self, status: SourceStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Mailbox:
    server: str
    port: int
    use_ssl: bool
    username: str


def open_mailbox(
    mailbox: Mailbox, *, password: str | None = None, access_token: str | None = None, timeout: float = 30
) -> IMAPClient:
    """A logged-in session: TLS from the start when ``use_ssl``, else STARTTLS when offered."""
    context = ssl.create_default_context()
    where = f"{mailbox.server}:{mailbox.port}"
    try:
        client = IMAPClient(
            mailbox.server, port=mailbox.port, ssl=mailbox.use_ssl, ssl_context=context, timeout=timeout
        )
        if not mailbox.use_ssl and b"STARTTLS" in client.capabilities():
            client.starttls(context)
    except socket.gaierror:
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"the server name {mailbox.server} cannot be resolved"
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE,
            f"the TLS certificate of {where} is not trusted: {error.verify_message}",
        ) from None
    except ssl.SSLError as error:
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"TLS with {where} failed: {error.reason}"
        ) from None
    except ConnectionRefusedError:
        raise SyncFailure(SourceStatus.CONNECTION_IMPOSSIBLE, f"{where} refused the connection") from None
    except TimeoutError:
        raise SyncFailure(SourceStatus.CONNECTION_IMPOSSIBLE, f"{where} did not answer in time") from None
    except (OSError, imaplib.IMAP4.error, IMAPClientError) as error:
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"cannot talk IMAP with {where}: {error}"
        ) from None

    try:
        if access_token is not None:
            client.oauth2_login(mailbox.username, access_token)
        else:
            client.login(mailbox.username, password or "")
    except (LoginError, IMAPClientError, imaplib.IMAP4.error) as error:
        close_quietly(client)
        raise SyncFailure(
            SourceStatus.INVALID_CREDENTIALS,
            f"{where} refused the login for {mailbox.username}: {_server_text(error)}",
        ) from None
    except OSError as error:
        close_quietly(client)
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"the connection to {where} broke: {error}"
        ) from None
    return client


def close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection is going away either way
        try:
            client.shutdown()
        except Exception:
            pass


def _server_text(error: Exception) -> str:
    message = str(error)
    if message.startswith(("b'", 'b"')):
        message = message[2:-1]
    return message or "no reason given"
