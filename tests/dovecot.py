"""A real Dovecot on 127.0.0.1, configured by the tests, with mailboxes filled fast.

Users live in a passwd-file; an ``oauth2`` passdb asks the tests' OAuth provider to
introspect XOAUTH2 tokens, so OAuth logins are real. Dovecot refuses to run its login and
mail processes as root, so those run as ``dovenull`` and ``nobody``, who own the Maildirs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import free_port
from tests.tls import TestCertificates

GMAIL_ALL_MAIL = "[Gmail]/All Mail"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins from 127.0.0.1: the tests fail logins on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  # A login process per TLS session, and enough of them for a worker holding IDLE on
  # hundreds of sources.
  process_limit = 4000
}}
service imap {{
  process_limit = 4000
}}
default_client_limit = 8000
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox "{all_mail}" {{
    special_use = \\All
  }}
}}
"""

OAUTH2 = """
introspection_url = {introspection_url}
introspection_mode = post
username_attribute = username
active_attribute = active
active_value = true
"""


def message(
    subject: str,
    *,
    sender: str = "Sender Person <sender@example.com>",
    to: str = "Mailbox Owner <owner@example.com>",
    message_id: str | None = None,
    date: float | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline_images: list[tuple[str, bytes]] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """An RFC 822 message; attachments are (file name, MIME type, content); ``headers`` adds
    others (``In-Reply-To``, ``References``…)."""
    mail = EmailMessage()
    mail["Subject"] = subject
    for name, value in (headers or {}).items():
        mail[name] = value
    mail["From"] = sender
    mail["To"] = to
    mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    mail["Date"] = format_datetime(
        __import__("datetime").datetime.fromtimestamp(date or time.time(), __import__("datetime").UTC)
    )
    mail.set_content(f"Body of {subject}\n")
    if inline_images:
        mail.add_alternative(f"<p>Body of {subject}</p>", subtype="html")
        html = mail.get_payload()[1]
        for name, content in inline_images:
            html.add_related(content, "image", "png", cid=f"<{name}>", filename=name, disposition="inline")
    for name, mime_type, content in attachments:
        main, sub = mime_type.split("/")
        mail.add_attachment(content, maintype=main, subtype=sub, filename=name)
    return bytes(mail)


@dataclass
class Dovecot:
    root: Path
    certificates: TestCertificates
    imap_port: int
    imaps_port: int
    users: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    introspection_url: str = ""

    @property
    def nobody(self) -> pwd.struct_passwd:
        return pwd.getpwnam("nobody")

    def home(self, user: str) -> Path:
        return self.root / "home" / user.replace("@", "_at_")

    def add_user(self, user: str, password: str, folders: tuple[str, ...] = ()) -> None:
        """Create a mailbox (INBOX plus ``folders``); Dovecot reads the passwd-file per login."""
        self.users[user] = password
        maildir = self.home(user) / "Maildir"
        for folder in ("", *folders):
            path = maildir / ("." + folder.replace("/", ".") if folder else "")
            for part in ("cur", "new", "tmp"):
                (path / part).mkdir(parents=True, exist_ok=True)
        self._write_passwd()
        self._give_to_nobody(self.home(user))

    def deliver(self, user: str, raw: bytes, folder: str = "", flags: str = "S") -> None:
        """Write a message straight into the Maildir: much faster than APPEND for bulk fills."""
        maildir = self.home(user) / "Maildir"
        path = maildir / ("." + folder.replace("/", ".") if folder else "") / "cur"
        name = f"{int(time.time())}.{uuid.uuid4().hex}.localhost:2,{flags}"
        (path / name).write_bytes(raw)
        os.chown(path / name, self.nobody.pw_uid, self.nobody.pw_gid)

    def fill(self, user: str, count: int, subject: str = "Message", attachment_every: int = 5) -> None:
        """``count`` messages, every ``attachment_every``-th with a small text attachment."""
        for number in range(count):
            attached = [("notes.txt", "text/plain", b"x" * 200)] if number % attachment_every == 0 else []
            self.deliver(user, message(f"{subject} {number}", attachments=attached))

    @contextlib.contextmanager
    def imap(self, user: str) -> Iterator[IMAPClient]:
        """The user's own IMAP session, for changes a mail client would make."""
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        try:
            client.login(user, self.users[user])
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def start(self, introspection_url: str) -> None:
        self.introspection_url = introspection_url
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(parents=True, exist_ok=True)
        (self.root / "oauth2.conf.ext").write_text(OAUTH2.format(introspection_url=introspection_url))
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                cert=self.certificates.cert_file,
                key=self.certificates.key_file,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                all_mail=GMAIL_ALL_MAIL,
            )
        )
        self._write_passwd()
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "dovecot.stderr", "wb"),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited: {(self.root / 'dovecot.stderr').read_text()}{self._log()}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.imap_port), 1):
                return
            time.sleep(0.05)
        raise TimeoutError(f"dovecot did not listen within 20 s\n{self._log()}")

    def change_password(self, user: str, password: str) -> None:
        """As the user does at their provider: the old password stops working at once."""
        self.users[user] = password
        (self.root / "users" / user).unlink()
        self._write_passwd()
        deadline = time.monotonic() + 10  # Dovecot re-reads a passwd-file at most once a second
        while True:
            try:
                with self.imap(user):
                    return
            except LoginError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def restart(self) -> None:
        """Stop and start again on the same ports, as an upgrade or a crash and restart does:
        every session is cut."""
        self.stop()
        self.start(self.introspection_url)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _log(self) -> str:
        log = self.root / "dovecot.log"
        return log.read_text() if log.exists() else ""

    def _write_passwd(self) -> None:
        """One passwd-file per user: Dovecot re-reads a changed file at most once a second,
        but a new file is read at once, so a user added mid-test can log in immediately."""
        uid, gid = self.nobody.pw_uid, self.nobody.pw_gid
        (self.root / "users").mkdir(exist_ok=True)
        for user, password in self.users.items():
            entry = self.root / "users" / user
            if not entry.exists():
                entry.write_text(f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{self.home(user)}::\n")

    def _give_to_nobody(self, path: Path) -> None:
        for folder, _dirs, files in os.walk(path):
            shutil.chown(folder, self.nobody.pw_uid, self.nobody.pw_gid)
            for name in files:
                shutil.chown(os.path.join(folder, name), self.nobody.pw_uid, self.nobody.pw_gid)


def start_dovecot(root: Path, certificates: TestCertificates, introspection_url: str) -> Dovecot:
    (root / "home").mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    dovecot = Dovecot(root, certificates, free_port(), free_port())
    dovecot.start(introspection_url)
    return dovecot
