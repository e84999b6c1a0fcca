"""Signed API reads on a busy deployment, against ``/healthz`` on the same server.

1,000 accounts holding 100,000 indexed messages, served by gunicorn (``-w 2 --threads 8``);
wrk sends pre-signed requests (each with its own OAuth nonce, ``bench/load/presigned.lua``)
over 16 connections: a page of 100 messages of a random account, the sources list of one, and
``/healthz``. ``api_cpu_per_page_ms`` is the CPU the web processes spent per messages page
(``/proc``, user + system; on PostgreSQL, ``_pg``, the database server's own CPU is not
counted). ``--quick`` runs a tiny size, to check that the script works.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oauthlib.oauth1 import Client  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_api_data import indexed_inbox, record  # noqa: E402
from bench.load.wrk import write_requests, wrk  # noqa: E402
from connect import storage  # noqa: E402
from connect.domain import accounts, clients  # noqa: E402
from connect.domain.accounts import NewAccount  # noqa: E402
from connect.domain.tenant import Tenant  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402
from tests.servers import gunicorn  # noqa: E402

CONNECTIONS = 16
logging.disable(logging.WARNING)


def fill(app, count: int, per_account: int) -> tuple[object, list[str]]:
    """API keys, and ``count`` accounts of ``per_account`` messages each, indexed as a sync would."""
    with app.app_context():
        database = storage.get_db()
        keys = clients.create_client(database, app.extensions["connect.vault"], "bench")
        tenant = Tenant(database, app.extensions["connect.vault"], keys.consumer_key)
        ids, now = [], int(time.time())
        for number in range(count):
            account, _ = accounts.create_account(tenant, NewAccount(f"owner{number}@bench.example"))
            inbox = indexed_inbox(database, account["id"], account["email"])
            base = number * per_account
            batch = [record(base + n, now, f"m{base + n:024x}") for n in range(per_account)]
            storage.index_batch(database, account["id"], inbox, batch, {"synced_uid": batch[-1]["uid"]})
            ids.append(account["id"])
    return keys, ids


def signed_lines(path: Path, keys, base_url: str, targets: list[str], count: int) -> None:
    signer = Client(keys.consumer_key, client_secret=keys.consumer_secret)
    rng = random.Random(count)

    def signed(target: str):
        _, headers, _ = signer.sign(f"{base_url}{target}")
        return "GET", target, "", {"Authorization": headers["Authorization"]}

    write_requests(path, (signed(rng.choice(targets)) for _ in range(count)))


def server_cpu_seconds(base_url: str) -> float:
    """User + system CPU of every gunicorn process serving ``base_url``, from /proc."""
    bind = base_url.removeprefix("http://").encode()
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and bind in (process / "cmdline").read_bytes():
                fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            continue  # gone meanwhile
    return total


def measure(folder: Path, database: str, suffix: str, count: int, per_account: int, seconds: float) -> None:
    settings = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        "CONNECT_DATABASE": database,
    }
    keys, ids = fill(create_app(settings), count, per_account)
    environment = {**settings, "CONTEXTIO_CONSUMER_SECRET": "unused"}
    log = folder / f"gunicorn{suffix}.log"
    with gunicorn(environment, log, workers=2, threads=8) as base_url:  # no keep-alive, as behind nginx
        healthz = wrk(f"{base_url}/healthz", connections=CONNECTIONS, seconds=seconds)
        pages = folder / f"pages{suffix}.tsv"
        targets = [f"/2.0/accounts/{i}/messages?limit=100" for i in ids]
        signed_lines(pages, keys, base_url, targets, int(seconds * 3000) if seconds > 1 else 2500)
        before = server_cpu_seconds(base_url)
        messages = wrk(base_url, connections=CONNECTIONS, seconds=seconds,
                       script="presigned.lua", script_args=(str(pages), "2"))  # fmt: skip
        cpu = server_cpu_seconds(base_url) - before
        lists = folder / f"sources{suffix}.tsv"
        signed_lines(
            lists,
            keys,
            base_url,
            [f"/2.0/accounts/{i}/sources" for i in ids],
            int(seconds * 3000) if seconds > 1 else 2500,
        )
        sources = wrk(base_url, connections=CONNECTIONS, seconds=seconds,
                      script="presigned.lua", script_args=(str(lists), "2"))  # fmt: skip
    print(f"api_healthz_p50{suffix}: {healthz.p50_ms:.1f} ms ({healthz.rate:.0f} req/s)")
    print(f"api_messages_p50{suffix}: {messages.p50_ms:.1f} ms ({messages.rate:.0f} pages/s of 100 messages)")
    print(f"api_messages_p99{suffix}: {messages.p99_ms:.1f} ms")
    print(f"api_messages_ratio{suffix}: {messages.p50_ms / healthz.p50_ms:.2f}")
    print(f"api_cpu_per_page_ms{suffix}: {cpu / max(messages.requests, 1) * 1000:.2f}")
    print(f"api_sources_p50{suffix}: {sources.p50_ms:.1f} ms (p99 {sources.p99_ms:.1f} ms)")
    if messages.errors or sources.errors:
        print(f"api_errors{suffix}: {messages.errors + sources.errors} (non-2xx answers or socket errors)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny size, to check that the script works")
    quick = parser.parse_args().quick
    count, per_account, seconds = (10, 20, 1) if quick else (1_000, 100, 4)
    postgres = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            measure(folder, str(folder / "connect.sqlite3"), "", count, per_account, seconds)
            measure(folder, postgres.new_database(), "_pg", count, per_account, seconds)
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
