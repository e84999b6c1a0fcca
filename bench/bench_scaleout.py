"""Scaling out: more worker processes (PostgreSQL + Redis) and more threads per worker
(embedded SQLite), each against one of itself, syncing the same mailboxes in the same run.

- ``scaleout_sync_1_worker`` / ``scaleout_sync_4_workers``: messages per second from the
  moment the sources are queued until every initial sync is done, with one `flask worker`
  process, then four, plus the scheduler, on PostgreSQL and Celery on Redis;
- ``concurrency_ratio``: `flask worker --concurrency 4` against `--concurrency 1`, embedded
  SQLite mode (no broker), the same sources.

``--quick`` runs a tiny size, to check that the script works.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from connect import storage  # noqa: E402
from connect.domain import accounts, clients  # noqa: E402
from connect.domain.accounts import NewAccount  # noqa: E402
from connect.domain.sources import NewSource, Password  # noqa: E402
from connect.domain.tenant import Tenant  # noqa: E402
from tests.dovecot import start_dovecot  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402
from tests.redis_server import start_redis  # noqa: E402
from tests.servers import ROOT  # noqa: E402
from tests.sql import run_sql  # noqa: E402
from tests.tls import make_certificates  # noqa: E402

SECRET_KEY = "bench-scaleout-key"
logging.disable(logging.WARNING)


def add_sources(database: str, dovecot, users: list[str]) -> None:
    app = create_app(
        {
            "CONNECT_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "CONNECT_DATABASE": database,
            "CONNECT_ALLOW_PRIVATE_CALLBACKS": True,
        }
    )
    with app.app_context():
        vault = app.extensions["connect.vault"]
        keys = clients.create_client(storage.get_db(), vault, "bench")
        tenant = Tenant(storage.get_db(), vault, keys.consumer_key, True)
        for user in users:
            mailbox = NewSource("127.0.0.1", dovecot.imaps_port, True, user, Password(dovecot.users[user]))
            accounts.create_account(tenant, NewAccount(user), mailbox)
    app.extensions[storage.EXTENSION].close()


def sync_everything(
    environment: dict[str, str], commands: list[list[str]], database: str, dovecot, users
) -> float:
    """Start the processes, queue the sources, and time until every initial sync is done."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", *command],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in commands
    ]
    try:
        time.sleep(2.5)  # the processes are up and idle before the clock starts
        started = time.perf_counter()
        add_sources(database, dovecot, users)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            [row] = run_sql(database, "SELECT count(*) AS n FROM sources WHERE initial_import_finished = 1")
            if row["n"] == len(users):
                return time.perf_counter() - started
            time.sleep(0.1)
        raise TimeoutError("the sources did not all sync within 10 minutes")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tiny size, to check the script runs")
    quick = parser.parse_args().quick
    sources, per_source = (4, 20) if quick else (40, 250)
    total = sources * per_source

    root = Path(tempfile.mkdtemp(prefix="connect-bench-scaleout-"))
    os.chmod(root, 0o755)
    certificates = make_certificates(root / "tls")
    dovecot = start_dovecot(root / "dovecot", certificates, "http://127.0.0.1:9/introspect")
    postgres = start_postgres()
    redis = start_redis()
    try:
        users = [f"scale-{n}@example.com" for n in range(sources)]
        for user in users:
            dovecot.add_user(user, "pw")
            dovecot.fill(user, per_source, "Scale message", attachment_every=4)
        base = {
            **os.environ,
            "CONNECT_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
            "SSL_CERT_FILE": str(certificates.ca_file),
        }
        rates = {}
        for workers in (1, 4):
            database = postgres.new_database()
            environment = {**base, "CONNECT_DATABASE": database, "CONNECT_BROKER_URL": redis.url(workers)}
            commands = [["worker", "--concurrency", "1"]] * workers + [["scheduler", "--poll", "0.2"]]
            rates[workers] = total / sync_everything(environment, commands, database, dovecot, users)
        print(f"scaleout_sync_1_worker: {rates[1]:.0f} msg/s")
        print(f"scaleout_sync_4_workers: {rates[4]:.0f} msg/s")
        print(f"scaleout_ratio: {rates[4] / rates[1]:.2f}")

        threads = {}
        for concurrency in (1, 4):
            database = str(root / f"embedded-{concurrency}.sqlite3")
            storage.open_database(database).close()
            environment = {**base, "CONNECT_DATABASE": database}
            commands = [["worker", "--poll", "0.2", "--concurrency", str(concurrency)]]
            threads[concurrency] = total / sync_everything(environment, commands, database, dovecot, users)
        print(f"concurrency_sync_1_thread: {threads[1]:.0f} msg/s")
        print(f"concurrency_sync_4_threads: {threads[4]:.0f} msg/s")
        print(f"concurrency_ratio: {threads[4] / threads[1]:.2f}")
    finally:
        redis.stop()
        postgres.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
