"""The connect helper's domain: one host user's mailboxes, kept as sources in the sources API.

Everything here goes through the API client (signed requests), like any other app that
embeds Connect would; the helper's own storage only maps the host's user id to an account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import storage
from ..domain.address_policy import AddressPolicy
from ..domain.errors import Conflict, ConnectError, NotFound
from ..storage import Database
from ..web.google_oauth import GoogleGrant
from ..web.imap_form import ImapSettings, check_imap_login
from .client import ContextIOError, SourcesClient

PLAIN_WORDS = {
    "INVALID_CREDENTIALS": "The mailbox refused our sign-in. Reconnect it to give access again.",
    "CONNECTION_IMPOSSIBLE": "We can't reach the mail server right now. We'll keep trying; "
    "reconnect if its settings changed.",
    "NO_ACCESS_TO_ALL_MAIL": "Gmail isn't showing “All Mail” over IMAP. Turn it on in Gmail's settings "
    "(Labels, Show in IMAP), then reconnect.",
    "TEMP_DISABLED": "Syncing paused after repeated failures. Reconnect to try again.",
    "DISABLED": "Syncing is turned off for this mailbox.",
}


class HelperError(ConnectError):
    """Something the end user can act on, said in their words."""


class ServiceUnavailable(HelperError):
    """The sources API can't be reached or failed: nothing the user did wrong."""

    status = 503


@dataclass(frozen=True)
class HelperSettings:
    gmail_host: str
    gmail_port: int
    google_client_id: str | None
    google_client_secret: str | None
    callback_url: str
    policy: AddressPolicy
    status_callback_url: str | None = None  # the helper's receiver: status changes come at once


@dataclass(frozen=True)
class MailboxStatus:
    label: str
    email: str
    kind: str  # "gmail" or "imap"
    state: str  # "syncing", "synced" or "broken"
    status: str
    message: str
    nb_messages: int | None
    progress: str = ""  # "1,200 of 10,000 messages" while the initial sync runs

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def imap_source(settings: ImapSettings) -> dict[str, str]:
    """A source's parameters, as the sources API takes them, for a password mailbox."""
    return {
        "server": settings.server,
        "port": str(settings.port),
        "use_ssl": "1" if settings.use_ssl else "0",
        "type": "IMAP",
        "username": settings.username,
        "password": settings.password,
    }


def gmail_source(email: str, host: str, port: int, client_id: str, refresh_token: str) -> dict[str, str]:
    """A source's parameters for a Gmail mailbox reached with an OAuth 2.0 refresh token."""
    return {
        "server": host,
        "port": str(port),
        "use_ssl": "1",
        "type": "IMAP",
        "username": email,
        "provider_consumer_key": client_id,
        "provider_refresh_token": refresh_token,
    }


class Mailboxes:
    """One host user's mailboxes."""

    def __init__(
        self, database: Database, api: SourcesClient, settings: HelperSettings, user_id: str
    ) -> None:
        self.database = database
        self.api = api
        self.settings = settings
        self.user_id = user_id

    # --- reading --------------------------------------------------------------------------

    def list(self) -> list[MailboxStatus]:
        return self._mailboxes(with_counts=True)

    def find(self, label: str) -> MailboxStatus:
        """One mailbox (without its message count, which costs a request per mailbox)."""
        for mailbox in self._mailboxes(with_counts=False):
            if mailbox.label == label:
                return mailbox
        raise NotFound("That mailbox isn't connected (any more).")

    def _mailboxes(self, with_counts: bool) -> list[MailboxStatus]:
        account_id = storage.helper_account(self.database, self.user_id)
        if account_id is None:
            return []
        try:
            account = self.api.get_account(account_id)
        except ContextIOError as error:
            if error.status == 404:  # removed behind our back: start afresh
                storage.forget_helper_account(self.database, self.user_id)
                return []
            raise _unavailable(error) from None
        synced = storage.synced_labels(self.database, account_id)
        return [
            self._status(account_id, source, source["label"] in synced, with_counts)
            for source in account["sources"]
        ]

    def _status(self, account_id: str, source: dict, synced: bool, with_count: bool) -> MailboxStatus:
        kind = "gmail" if source["authentication_type"] == "oauth2" else "imap"
        if source["status"] != "OK":
            state, message = "broken", PLAIN_WORDS.get(source["status"], source["status_message"])
            count = None
        elif synced:
            state, message = "synced", "Synced"
            count = self._message_count(account_id, source["label"]) if with_count else None
        else:
            state, message, count = "syncing", "Syncing…", None
        progress = _progress(source.get("initial_sync")) if state == "syncing" else ""
        return MailboxStatus(
            source["label"], source["email"], kind, state, source["status"], message, count, progress
        )

    def _message_count(self, account_id: str, label: str) -> int | None:
        try:
            folders = self.api.request("GET", f"accounts/{account_id}/sources/{label}/folders")
        except ContextIOError:
            return None
        everything = [f for f in folders if f["attributes"].get("All")]
        return sum(f["nb_messages"] for f in everything or folders)

    # --- connecting -----------------------------------------------------------------------

    def connect_gmail(self, grant: GoogleGrant, reconnect_label: str | None = None) -> str:
        """Add the Gmail mailbox, or give an existing one (same address) its new tokens."""
        if not self.settings.google_client_id:
            raise HelperError("Connecting Gmail isn't set up on this site.")
        existing = self._existing(grant.email, self.settings.gmail_host)
        if reconnect_label is not None:
            target = self.find(reconnect_label)
            if target.email.lower() != grant.email.lower():
                raise Conflict(
                    f"You signed in to Google as {grant.email}, but this mailbox is {target.email}. "
                    f"Sign in as {target.email} to reconnect it."
                )
            existing = target.label
        try:
            self.api.add_oauth_provider(
                "GMAIL_OAUTH2", self.settings.google_client_id, self.settings.google_client_secret
            )
            parameters = gmail_source(
                grant.email,
                self.settings.gmail_host,
                self.settings.gmail_port,
                self.settings.google_client_id,
                grant.refresh_token,
            )
            if existing is not None:
                credentials = {k: v for k, v in parameters.items() if k.startswith("provider_")}
                self.api.update_source(
                    self._account_id(grant.email), existing, status=1, **credentials, **self._told()
                )
                return existing
            return self.api.add_source(
                self._account_id(grant.email),
                email=grant.email,
                callback_url=self.settings.callback_url,
                **parameters,
                **self._told(),
            )["label"]
        except ContextIOError as error:
            raise _unavailable(error) from None

    def connect_imap(self, settings: ImapSettings, reconnect_label: str | None = None) -> str:
        """Check the settings with a real login, then add the mailbox (or update its password)."""
        check_imap_login(settings, self.settings.policy)
        existing = self._existing(settings.email, settings.server)
        if reconnect_label is not None:
            existing = self.find(reconnect_label).label
        try:
            if existing is not None:
                self.api.update_source(
                    self._account_id(settings.email),
                    existing,
                    status=1,
                    password=settings.password,
                    **self._told(),
                )
                return existing
            return self.api.add_source(
                self._account_id(settings.email),
                email=settings.email,
                callback_url=self.settings.callback_url,
                **imap_source(settings),
                **self._told(),
            )["label"]
        except ContextIOError as error:
            raise _unavailable(error) from None

    def remove(self, label: str) -> MailboxStatus:
        """Remove the mailbox; the one that was removed."""
        mailbox = self.find(label)
        try:
            self.api.delete_source(self._account_id(mailbox.email), mailbox.label)
        except ContextIOError as error:
            if error.status != 404:
                raise _unavailable(error) from None
        return mailbox

    def _told(self) -> dict[str, str]:
        """The source's status changes are POSTed to the helper's own receiver."""
        url = self.settings.status_callback_url
        return {"status_callback_url": url} if url else {}

    def changes_seen(self) -> int:
        """How many status changes the helper's receiver was told of for this user's mailboxes:
        when it hasn't moved, nothing changed but what a sync finishing would show."""
        account_id = self.account_id
        return 0 if account_id is None else storage.received_status_count(self.database, account_id)

    @property
    def account_id(self) -> str | None:
        """The user's account in the sources API; None until their first mailbox."""
        return storage.helper_account(self.database, self.user_id)

    def _existing(self, email: str, server: str) -> str | None:
        account_id = storage.helper_account(self.database, self.user_id)
        if account_id is None:
            return None
        try:
            sources = self.api.list_sources(account_id)
        except ContextIOError:
            return None
        for source in sources:
            if source["email"].lower() == email.lower() and source["server"].lower() == server.lower():
                return source["label"]
        return None

    def _account_id(self, email: str) -> str:
        account_id = storage.helper_account(self.database, self.user_id)
        if account_id is not None:
            return account_id
        created = self.api.create_account(email)
        return storage.save_helper_account(self.database, self.user_id, created["id"], int(time.time()))


def _progress(initial_sync: dict | None) -> str:
    """Counts the engine records as it goes; nothing until it has counted the folders."""
    if not initial_sync or initial_sync.get("messages_total") is None:
        return ""
    total = initial_sync["messages_total"]
    indexed = min(initial_sync.get("messages_indexed") or 0, total)
    return f"{indexed:,} of {total:,} message{'' if total == 1 else 's'}"


def _unavailable(error: ContextIOError) -> HelperError:
    if error.status == 0 or error.status >= 500:
        return ServiceUnavailable("The mail service isn't answering right now. Try again in a minute.")
    return HelperError(f"The mail service refused: {error.message}")
