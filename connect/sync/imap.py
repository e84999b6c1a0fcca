"""Opening a source's mailbox, and naming what went wrong in the seed's statuses.

The status a failure earns comes from what really happened on the connection: a refused
login is INVALID_CREDENTIALS; an unresolvable or refused name, a refused or timed-out
connection, or a failed TLS handshake is CONNECTION_IMPOSSIBLE.
"""

from __future__ import annotations

import functools
import imaplib
import ssl
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..domain.address_policy import AddressPolicy, AddressRefused
from ..domain.sources import SourceStatus
from .transport import BoundedIMAPClient, Limits


class SyncFailure(Exception):
    """A sync that could not be done; ``status`` and ``reason`` go on the source."""

    def __init__(self, status: SourceStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# What a server said, as stored on a source: enough to act on, never a flood.
MAX_SERVER_TEXT = 300
GOODBYE_SECONDS = 3
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Mailbox:
    server: str
    port: int
    use_ssl: bool
    username: str


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying context per process: building one costs about 20 ms (it loads the CA
    store), and every login needs one."""
    return ssl.create_default_context()


def open_mailbox(
    mailbox: Mailbox,
    *,
    policy: AddressPolicy,
    password: str | None = None,
    access_token: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> BoundedIMAPClient:
    """A logged-in session: TLS from the start when ``use_ssl``, else STARTTLS when offered;
    connected to the address the policy checked."""
    where = f"{mailbox.server}:{mailbox.port}"
    try:
        address = policy.connect_address(mailbox.server, mailbox.port, "the IMAP server")
    except AddressRefused as refused:
        raise SyncFailure(SourceStatus.CONNECTION_IMPOSSIBLE, refused.message) from None
    try:
        client = BoundedIMAPClient(
            mailbox.server,
            address=address,
            port=mailbox.port,
            use_ssl=mailbox.use_ssl,
            ssl_context=tls_context(),
            limits=limits,
        )
        if not mailbox.use_ssl and b"STARTTLS" in client.capabilities():
            client.starttls(tls_context())
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
            SourceStatus.CONNECTION_IMPOSSIBLE, f"cannot talk IMAP with {where}: {server_text(error)}"
        ) from None

    try:
        _log_in(client, mailbox, password, access_token)
    except (LoginError, IMAPClientError, imaplib.IMAP4.error) as error:
        close_quietly(client)
        raise SyncFailure(
            SourceStatus.INVALID_CREDENTIALS,
            f"{where} refused the login for {mailbox.username}: {server_text(error)}",
        ) from None
    except OSError as error:
        close_quietly(client)
        raise SyncFailure(
            SourceStatus.CONNECTION_IMPOSSIBLE, f"the connection to {where} broke: {server_text(error)}"
        ) from None
    return client


def _log_in(client: IMAPClient, mailbox: Mailbox, password: str | None, access_token: str | None) -> None:
    if access_token is not None:
        client.oauth2_login(mailbox.username, access_token)
        return
    password = password or ""
    if (mailbox.username + password).isascii():
        client.login(mailbox.username, password)
        return
    # LOGIN only carries ASCII; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616), where offered.
    if b"AUTH=PLAIN" not in client.capabilities():
        raise LoginError(
            "the server does not accept non-ASCII user names or passwords (it offers no AUTHENTICATE PLAIN)"
        )
    client.plain_login(mailbox.username, password)


def close_quietly(client: IMAPClient) -> None:
    """Say goodbye if the server answers promptly; hang up either way."""
    if isinstance(client, BoundedIMAPClient):
        client.hurry(GOODBYE_SECONDS)
    try:
        client.logout()
    except Exception:  # the connection is going away either way
        try:
            client.shutdown()
        except Exception:
            pass


def server_text(error: BaseException) -> str:
    """What the server (or the socket) said, readable and short enough to store and show."""
    message = str(error)
    if message.startswith(("b'", 'b"')):
        message = message[2:-1]
    message = "".join(character if character.isprintable() else " " for character in message).strip()
    if len(message) > MAX_SERVER_TEXT:
        message = message[: MAX_SERVER_TEXT - 1] + "…"
    return message or "no reason given"
