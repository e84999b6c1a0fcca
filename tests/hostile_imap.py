"""An IMAP server that misbehaves on purpose, on loopback: a real socket peer for the faults a
real server (broken or hostile) can throw at the sync engine and the forms.

It speaks just enough IMAP for a sync (CAPABILITY, LOGIN, AUTHENTICATE PLAIN, LIST, STATUS,
EXAMINE, UID SEARCH, UID FETCH, LOGOUT) and misbehaves in one ``mode``:

- ``no_uidvalidity``: STATUS without UIDVALIDITY;
- ``malformed_fetch``: an ENVELOPE that does not parse;
- ``huge_literal``: a FETCH announcing a 10 GB literal, then nothing;
- ``trickle``: a FETCH answer sent a byte at a time, forever;
- ``stall``: a FETCH never answered;
- ``stall_once``: the first FETCH never answered, later ones answered well;
- ``many_folders``: LIST names ``folders`` folders;
- ``no_plain``: no AUTH=PLAIN, and LOGIN refused.

It never offers IDLE: a client learns of new mail by NOOP, which answers ``* 2 EXISTS``
once ``new_mail`` is set.
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field

ENVELOPE = (
    b'("Mon, 7 Feb 1994 21:52:25 -0800" "Hello" (("Alice" NIL "alice" "example.com")) '
    b'(("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) '
    b'(("Bob" NIL "bob" "example.com")) NIL NIL NIL "<hello@example.com>")'
)
BODYSTRUCTURE = b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)'


@dataclass
class HostileImap:
    mode: str
    folders: int = 1
    port: int = 0
    logins: list[bytes] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)
    stalled: bool = False
    new_mail: threading.Event = field(default_factory=threading.Event)
    noops: int = 0

    def start(self) -> HostileImap:
        hostile = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                hostile._serve(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._server.server_close()

    def _capabilities(self) -> bytes:
        return b"IMAP4rev1" + (b"" if self.mode == "no_plain" else b" AUTH=PLAIN")

    def _serve(self, sock: socket.socket, rfile) -> None:
        sock.sendall(b"* OK [CAPABILITY " + self._capabilities() + b"] hostile server ready\r\n")
        while not self.stop_event.is_set():
            line = rfile.readline()
            if not line:
                return
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command = rest.split(b" ", 1)[0].upper()
            if command == b"UID":
                command = b"UID " + rest.split(b" ")[1].upper()
            answer = self._answer(sock, rfile, tag, command, rest)
            if answer is None:
                return
            sock.sendall(answer)

    def _answer(self, sock, rfile, tag: bytes, command: bytes, rest: bytes) -> bytes | None:
        ok = tag + b" OK done\r\n"
        if command == b"CAPABILITY":
            return b"* CAPABILITY " + self._capabilities() + b"\r\n" + ok
        if command == b"LOGIN":
            self.logins.append(rest)
            return tag + b" NO [AUTHENTICATIONFAILED] no\r\n" if self.mode == "no_plain" else ok
        if command == b"AUTHENTICATE":
            sock.sendall(b"+ \r\n")
            self.logins.append(rfile.readline().strip())
            return ok
        if command == b"LIST":
            names = [b"INBOX"] + [b"Folder%d" % n for n in range(1, self.folders)]
            listing = b"".join(b'* LIST () "/" ' + name + b"\r\n" for name in names)
            return listing + ok
        if command == b"STATUS":
            name = re.search(rb"STATUS (\S+)", rest).group(1)
            items = b"UIDNEXT 2 MESSAGES 1 UNSEEN 0"
            if self.mode != "no_uidvalidity":
                items = b"UIDVALIDITY 7 " + items
            return b"* STATUS " + name + b" (" + items + b")\r\n" + ok
        if command in (b"EXAMINE", b"SELECT"):
            return b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n" + ok
        if command == b"UID SEARCH":
            return b"* SEARCH 1\r\n" + ok
        if command == b"UID FETCH":
            return self._fetch(sock, ok)
        if command == b"NOOP":
            self.noops += 1
            if self.new_mail.is_set():
                self.new_mail.clear()
                return b"* 2 EXISTS\r\n" + ok
            return ok
        if command == b"LOGOUT":
            sock.sendall(b"* BYE bye\r\n" + ok)
            return None
        return ok

    def _fetch(self, sock, ok: bytes) -> bytes | None:
        if self.mode == "malformed_fetch":
            return b"* 1 FETCH (UID 1 ENVELOPE (((( BODYSTRUCTURE )\r\n" + ok
        if self.mode == "huge_literal":
            sock.sendall(b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (MESSAGE-ID)] {10000000000}\r\n")
            self.stop_event.wait(60)
            return None
        if self.mode == "stall" or (self.mode == "stall_once" and not self.stalled):
            self.stalled = True
            self.stop_event.wait(60)
            return None
        if self.mode == "trickle":
            for byte in b"* 1 FETCH (UID 1 FLAGS () ENVELOPE " + ENVELOPE * 1000:
                if self.stop_event.is_set():
                    return None
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return None
                time.sleep(0.05)
            return None
        return (
            b"* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE \"07-Feb-1994 21:52:25 -0800\" "
            b"RFC822.SIZE 5 ENVELOPE " + ENVELOPE + b" BODYSTRUCTURE " + BODYSTRUCTURE
            + b" BODY[HEADER.FIELDS (MESSAGE-ID REFERENCES IN-REPLY-TO)] {2}\r\n\r\n)\r\n" + ok
        )  # fmt: skip
