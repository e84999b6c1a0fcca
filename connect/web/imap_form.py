"""The IMAP form, wherever it is shown (the helper's page, the API's hosted page): its fields
read into settings, with a provider preset filled in, and one live login before anything is
saved, so a wrong password is said at once, in the end user's words."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import discovery
from ..domain.address_policy import AddressPolicy, normalise_hostname
from ..domain.errors import ConnectError, InvalidParameter
from ..sync.imap import Mailbox, SyncFailure, close_quietly, open_mailbox
from ..sync.transport import Limits


class FormError(ConnectError):
    """What the end user typed won't do; ``field`` is the form field to fix (the page marks it)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ImapSettings:
    email: str
    password: str
    server: str
    port: int
    use_ssl: bool
    username: str


def imap_settings_from_form(form: dict[str, str]) -> ImapSettings:
    """The form's fields, or the provider preset its address or choice names."""
    email = (form.get("email") or "").strip()
    if "@" not in email or len(email) > 254 or not email.isprintable() or " " in email:
        raise FormError("Enter the mailbox's full email address.", field="email")
    password = form.get("password") or ""
    if not password:
        raise FormError("Enter the mailbox's password (or app password).", field="password")
    if len(password) > 1024 or any(character in password for character in "\0\r\n"):
        raise FormError(
            "That password has characters a mail server can't take (line breaks).", field="password"
        )
    preset = discovery.KNOWN_DOMAINS.get(form.get("provider") or "") or discovery.discover(email)
    server = (form.get("server") or "").strip()
    if form.get("provider") == "other" or (not preset and server):
        if not server:
            raise FormError("Enter the IMAP server's name, e.g. imap.example.com.", field="server")
        try:
            server = normalise_hostname(server)
        except InvalidParameter:
            raise FormError(
                "The server must be a host name such as imap.example.com.", field="server"
            ) from None
        try:
            port = int(form.get("port") or 993)
        except ValueError:
            raise FormError("The port must be a number, usually 993.", field="port") from None
        if not 1 <= port <= 65535:
            raise FormError("The port must be between 1 and 65535, usually 993.", field="port")
        use_ssl = form.get("security", "ssl") == "ssl"
    elif preset:
        server, port, use_ssl = preset.server, preset.port, preset.use_ssl
    else:
        raise FormError(
            f"We don't know the mail settings for {email.rsplit('@', 1)[-1]}: "
            "choose “Other” and enter the IMAP server.",
            field="provider",
        )
    username = (form.get("username") or "").strip() or email
    if len(username) > 320 or not username.isprintable():
        raise FormError("The user name can't hold line breaks or control characters.", field="username")
    return ImapSettings(email, password, server, port, use_ssl, username)


FORM_LIMITS = Limits(idle_seconds=15, command_seconds=20)


def check_imap_login(settings: ImapSettings, policy: AddressPolicy) -> None:
    """Log in once, as the sync engine will, and say plainly what went wrong.

    The form is open to anonymous users, so its answer must not make it a port scanner: a
    server that can't be reached, refuses, times out or doesn't speak IMAP all get the same
    words, and nothing the foreign server said is echoed back."""
    try:
        client = open_mailbox(
            Mailbox(settings.server, settings.port, settings.use_ssl, settings.username),
            password=settings.password,
            policy=policy,
            limits=FORM_LIMITS,
        )
    except SyncFailure as failure:
        if failure.status == "INVALID_CREDENTIALS":
            raise FormError(
                "The mail server refused that email and password. Check the password; Gmail, iCloud, "
                "Yahoo and Outlook need an app password here, not your usual one.",
                field="password",
            ) from None
        raise FormError(
            f"We couldn't sign in to an IMAP server at {settings.server}, port {settings.port}. "
            "Check the server settings.",
            field="server",
        ) from None
    close_quietly(client)
