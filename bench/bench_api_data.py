"""Thread and contact reads on a large account: 100,000 indexed messages (conversations of five,
500 correspondents), SQLite, through the app in-process with signed requests.

- ``api_thread_median``: ``GET accounts/:id/threads/gm-:id`` (a thread of five messages);
- ``api_contacts_median``: ``GET accounts/:id/contacts`` (the first page of 25, by count).

The index is filled through ``storage.index_batch``, as the sync engine fills it (threads and
addresses kept at index time), without IMAP: what is measured is the read.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oauthlib.oauth1 import Client  # noqa: E402

from app import create_app  # noqa: E402
from connect import storage  # noqa: E402
from connect.domain import accounts, clients  # noqa: E402
from connect.domain.accounts import NewAccount  # noqa: E402
from connect.domain.message_shape import stored_shape  # noqa: E402
from connect.domain.tenant import Tenant  # noqa: E402

THREAD_LENGTH, PEOPLE, BATCH, REQUESTS = 5, 500, 2000, 50
logging.disable(logging.WARNING)


def record(number: int, now: int, message_id: str | None = None) -> dict:
    """Message ``number`` of the mailbox, as the sync engine would record it (shape included)."""
    conversation, position = divmod(number, THREAD_LENGTH)
    ids = [f"<c{conversation}m{n}@bench.example>" for n in range(position + 1)]
    person = f"person{number % PEOPLE}@people.example"
    addresses = {"from": {"email": person, "name": f"Person {number % PEOPLE}"},
                 "to": [{"email": "owner@bench.example", "name": "Owner"}]}  # fmt: skip
    made = {
        "id": message_id or f"{number:025x}",
        "uid": number + 1,
        "flags": "[]",
        "files": [],
        "dedupe_key": ids[-1],
        "email_message_id": ids[-1],
        "gmail_message_id": None,
        "gmail_thread_id": None,
        "subject": f"Conversation {conversation}",
        "date": now - 100_000 + number,
        "date_received": now - 100_000 + number,
        "date_indexed": now,
        "addresses": json.dumps(addresses),
        "in_reply_to": ids[-2] if position else None,
        "references": " ".join(ids[:-1]) or None,
        "size": 2000,
    }
    return {**made, "shape": stored_shape({**made, "addresses": addresses})}


def indexed_inbox(database: storage.Database, account_id: str, email: str) -> int:
    """A source and its INBOX for an account whose mail is indexed without IMAP: the folder's id."""
    database.write(
        storage.schema.sources.insert().values(
            account_id=account_id, label="bench", email=email, username=email, server="127.0.0.1",
            port=993, use_ssl=1, type="IMAP", authentication_type="password", status="OK",
            sync_period="24h", created=1,
        )
    )  # fmt: skip
    [source] = storage.sources_of(database, [account_id])
    return storage.save_folder(database, source["id"], "INBOX", "/", "[]")["id"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="500 messages, for a smoke run")
    count = 500 if parser.parse_args().quick else 100_000
    folder = Path(tempfile.mkdtemp(prefix="connect-bench-data-"))
    try:
        app = create_app({"CONNECT_ENV": "development", "SECRET_KEY": secrets.token_hex(16),
                          "CONNECT_DATABASE": str(folder / "connect.sqlite3")})  # fmt: skip
        with app.app_context():
            database = storage.get_db()
            keys = clients.create_client(database, app.extensions["connect.vault"], "bench")
            tenant = Tenant(database, app.extensions["connect.vault"], keys.consumer_key)
            account, _ = accounts.create_account(tenant, NewAccount("owner@bench.example"))
            account_id = account["id"]
            inbox = indexed_inbox(database, account_id, "owner@bench.example")
            now = int(time.time())
            started = time.perf_counter()
            for low in range(0, count, BATCH):
                batch = [record(number, now) for number in range(low, min(low + BATCH, count))]
                storage.index_batch(database, account_id, inbox, batch, {"synced_uid": batch[-1]["uid"]})
            filled = time.perf_counter() - started
            [thread_id] = storage.find_threads(database, account_id, storage.MailFilters(limit=1))

        def timed(path: str) -> float:
            uri, headers, _ = Client(keys.consumer_key, client_secret=keys.consumer_secret).sign(
                f"http://localhost/2.0/{path}"
            )
            client = app.test_client()
            started = time.perf_counter()
            answer = client.get(uri.removeprefix("http://localhost"), headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, answer.get_data(as_text=True)
            return elapsed

        thread = [timed(f"accounts/{account_id}/threads/gm-{thread_id}") for _ in range(REQUESTS)]
        contacts = [timed(f"accounts/{account_id}/contacts") for _ in range(REQUESTS)]
        print(f"api_data_index_rate: {count / filled:.0f} msg/s")
        print(f"api_thread_median: {statistics.median(thread):.1f} ms")
        print(f"api_contacts_median: {statistics.median(contacts):.1f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
