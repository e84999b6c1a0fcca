"""Jobs on a real queue: PostgreSQL for state, Celery on Redis for work, workers on many processes.

The queue carries work; the database decides who does it. Every source syncs once with one
callback, and a worker killed with `kill -9` mid-sync loses nothing.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

import pytest

from connect import storage
from connect.domain import clients
from connect.domain.crypto import Vault
from connect.sync.celery_queue import QUEUE
from connect.sync.scheduler import Scheduler
from tests.dovecot import message
from tests.mail_world import MailWorld
from tests.servers import ROOT, gunicorn
from tests.sql import run_sql
from tests.test_concurrent_processes import CountingReceiver

SECRET_KEY = "queue-test-key"
_database_numbers = itertools.count(1)


def test_the_scheduler_hands_each_due_job_to_the_queue_once(
    tmp_path, dovecot, oauth_provider, mailbox_user, redis_server, database_setting
):
    broker = redis_server.url(next(_database_numbers))
    world = MailWorld.create(tmp_path, dovecot, oauth_provider, database_setting, CONNECT_BROKER_URL=broker)
    account_id = world.add_account()
    world.add_source(account_id, mailbox_user())
    scheduler = Scheduler(world.database, world.app.extensions["connect.celery"], dead_after=60)
    queued = redis_server.client(int(broker.rsplit("/", 1)[1]))

    first, second = scheduler.tick(), scheduler.tick()

    assert (first["jobs"], second["jobs"]) == (1, 0)
    assert queued.llen(QUEUE) == 1
    [job] = world.query("SELECT * FROM sync_jobs")
    assert job["dispatched_at"] is not None and job["state"] == "queued"


def test_the_scheduler_refuses_to_run_without_a_broker(tmp_path):
    from app import create_app
    from tests.conftest import app_config

    result = create_app(app_config(tmp_path)).test_cli_runner().invoke(args=["scheduler"])

    assert result.exit_code != 0
    assert "CONNECT_BROKER_URL" in result.output and "Traceback" not in result.output


def _process(arguments: list[str], environment: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=open(log, "wb"),  # noqa: SIM115  (closed with the process)
        stderr=subprocess.STDOUT,
    )


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_many_workers_on_postgresql_and_redis_sync_everything_once_even_when_one_is_killed(
    tmp_path, postgres, redis_server, dovecot, mailbox_user, test_ca, oauth_provider
):
    database = postgres.new_database()
    environment = {
        **os.environ,
        "CONNECT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "CONNECT_DATABASE": database,
        "CONNECT_BROKER_URL": redis_server.url(next(_database_numbers)),
        "CONNECT_WORKER_DEAD_AFTER": "4",
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        "SSL_CERT_FILE": str(test_ca.ca_file),
    }
    opened = storage.open_database(database)
    keys = clients.create_client(opened, Vault(SECRET_KEY), "scale-out")
    receiver = CountingReceiver(tmp_path, keys.consumer_secret)
    small = [mailbox_user() for _ in range(30)]
    large = [mailbox_user() for _ in range(3)]
    for user in small:
        for number in range(5):
            dovecot.deliver(user, message(f"Small {number}"))
    for user in large:
        for number in range(1200):
            dovecot.deliver(user, message(f"Large {number}"))
    expected: dict[str, int] = {}

    with gunicorn(environment, tmp_path / "web.log", workers=2, threads=4) as base_url:
        from connect.helper.client import SourcesClient

        api = SourcesClient(f"{base_url}/2.0", keys.consumer_key, keys.consumer_secret)
        workers = [
            _process(["worker", "--concurrency", "2"], environment, tmp_path / f"worker-{n}.log")
            for n in range(3)
        ]
        scheduler = _process(["scheduler", "--poll", "0.3"], environment, tmp_path / "scheduler.log")
        try:

            def connect(users: list[str], count: int) -> None:
                for user in users:
                    account = api.create_account(
                        user, server="127.0.0.1", username=user, port=dovecot.imaps_port, use_ssl=1,
                        type="IMAP", password=dovecot.users[user], callback_url=receiver.url,
                    )  # fmt: skip
                    expected[account["id"]] = count

            connect(small, 5)
            _wait(lambda: sum(receiver.posts.values()) == 30, 120, "30 small sources to call back")

            connect(large, 1200)

            def running_pid() -> int | None:
                rows = run_sql(opened, "SELECT lease_owner FROM sync_jobs WHERE state = 'running'")
                owners = [row["lease_owner"] for row in rows if row["lease_owner"]]
                return int(owners[0].split(":")[1]) if owners else None

            _wait(lambda: running_pid() is not None, 60, "a large source to start syncing")
            victim = next(process for process in workers if process.pid == running_pid())
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)

            _wait(lambda: sum(receiver.posts.values()) == 33, 180, "every source to call back")
            time.sleep(2)  # room for a duplicate callback to show up, were there one
        finally:
            scheduler.send_signal(signal.SIGTERM)
            for process in workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            scheduler.wait(timeout=30)
            for process in workers:
                process.wait(timeout=30)
            receiver.server.stop()

        counts = {
            account_id: run_sql(
                opened, "SELECT count(*) AS n FROM messages WHERE account_id = :a", a=account_id
            )[0]["n"]
            for account_id in expected
        }
        api.close()
    opened.close()

    assert counts == expected  # every message indexed, none twice (one row per Message-ID)
    assert sorted(receiver.posts.values()) == [1] * 33
    survivors = [process for process in workers if process is not victim]
    assert all(process.returncode == 0 for process in survivors)
    assert scheduler.returncode == 0
    for log in tmp_path.glob("*.log"):
        assert "Traceback" not in log.read_text(), log.name
