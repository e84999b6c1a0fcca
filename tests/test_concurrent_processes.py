"""Several processes writing one SQLite file at once lose nothing.

A gunicorn web app under a steady stream of API writes, and four `flask worker`
processes syncing real Dovecot mailboxes into the same file: no request answers 5xx, no log
says "database is locked", every initial sync completes with its whole index, and each source
is called back exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from connect import CallbackReceiver, storage
from connect.domain import clients
from connect.domain.crypto import Vault
from connect.helper.client import ContextIOError, SourcesClient
from tests.dovecot import message
from tests.oauth_provider import ServerThread
from tests.servers import ROOT, free_port, gunicorn

SECRET_KEY = "concurrency-test-key"
SOURCES = 12
MESSAGES_PER_SOURCE = 40
WRITERS = 6


class CountingReceiver:
    """The project's own receiver, counting every POST per source as it arrives."""

    def __init__(self, folder, secret: str) -> None:
        self.app = Flask("concurrency-receiver", instance_path=str(folder / "receiver"))
        CallbackReceiver(self.app, secrets=[secret], database=str(folder / "receiver.sqlite3"))
        self.posts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/connect/callbacks/sync"
        self.server = ServerThread(self._wsgi, port).start()

    def _wsgi(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        sent = json.loads(body)
        with self.lock:
            self.posts[(sent["account_id"], sent["source_label"])] += 1
        environ["wsgi.input"] = __import__("io").BytesIO(body)
        return self.app.wsgi_app(environ, start_response)


def start_worker(environment: dict[str, str], log_path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=environment,
        stdout=open(log_path, "wb"),  # noqa: SIM115  (closed with the process)
        stderr=subprocess.STDOUT,
    )


class ApiLoad:
    """Writers creating, renaming and deleting accounts as fast as the server answers."""

    def __init__(self, api_url: str, key: str, secret: str) -> None:
        self.api_url, self.key, self.secret = api_url, key, secret
        self.stopping = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()

    def _record(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def _write(self, number: int) -> None:
        client = SourcesClient(self.api_url, self.key, self.secret)
        try:
            iteration = 0
            while not self.stopping.is_set():
                iteration += 1
                try:
                    account = client.create_account(f"load-{number}-{iteration}@example.com")
                    self._record(200)
                    client.request("POST", f"accounts/{account['id']}", {"first_name": "Load"})
                    self._record(200)
                    client.request("DELETE", f"accounts/{account['id']}")
                    self._record(200)
                except ContextIOError as error:
                    self._record(error.status)
        finally:
            client.close()

    def run(self) -> ThreadPoolExecutor:
        pool = ThreadPoolExecutor(WRITERS)
        for number in range(WRITERS):
            pool.submit(self._write, number)
        return pool


@pytest.mark.slow
@pytest.mark.parametrize("workers", [4])  # more contention than 2; once per engine keeps the suite short
def test_web_app_and_workers_share_the_database_without_losing_anything(
    workers, tmp_path, dovecot, mailbox_user, test_ca, oauth_provider, database_setting
):
    database = database_setting
    environment = {
        **os.environ,
        "CONNECT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "CONNECT_DATABASE": database,
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        "GOOGLE_SERVER_METADATA_URL": oauth_provider.metadata_url,
        "SSL_CERT_FILE": str(test_ca.ca_file),
    }
    users = [mailbox_user() for _ in range(SOURCES)]
    for user in users:
        for number in range(MESSAGES_PER_SOURCE):
            dovecot.deliver(user, message(f"Message {number} for {user}"))

    worker_logs = [tmp_path / f"worker-{n}.log" for n in range(workers)]
    try:
        with gunicorn(environment, tmp_path / "web.log", workers=2, threads=4) as base_url:
            connection = storage.open_database(database)
            keys = clients.create_client(connection, Vault(SECRET_KEY), "concurrency")
            connection.close()
            receiver = CountingReceiver(tmp_path, keys.consumer_secret)
            processes = [start_worker(environment, log) for log in worker_logs]
            load = ApiLoad(f"{base_url}/2.0", keys.consumer_key, keys.consumer_secret)
            pool = load.run()
            api = SourcesClient(f"{base_url}/2.0", keys.consumer_key, keys.consumer_secret)
            try:
                created = []
                for user in users:
                    account = api.create_account(
                        user, server="127.0.0.1", username=user, port=dovecot.imaps_port, use_ssl=1,
                        type="IMAP", password=dovecot.users[user], callback_url=receiver.url,
                    )  # fmt: skip
                    created.append((account["id"], account["source"]["label"]))

                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and sum(receiver.posts.values()) < SOURCES:
                    time.sleep(0.5)
                time.sleep(2)  # room for a duplicate callback to show up, were there one
            finally:
                load.stopping.set()
                pool.shutdown(wait=True)
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    process.wait(timeout=30)
                receiver.server.stop()

            messages = {
                account_id: len(api.request("GET", f"accounts/{account_id}/messages", {"limit": 100}))
                for account_id, _ in created
            }
            api.close()
    finally:  # what each process said, shown when the test fails
        for path in [tmp_path / "web.log", *worker_logs]:
            if path.exists():
                print(f"--- {path.name} (last lines)", *path.read_text().splitlines()[-15:], sep="\n")

    print(f"{workers} workers: API answers {dict(load.statuses)}, callbacks {sum(receiver.posts.values())}")
    logs = {path.name: path.read_text() for path in [tmp_path / "web.log", *worker_logs]}
    for name, text in logs.items():
        assert "database is locked" not in text, name
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
    assert load.statuses[200] > 100, load.statuses  # the load was real
    assert all(200 <= status < 500 for status in load.statuses), load.statuses  # 0: no answer
    assert messages == {account_id: MESSAGES_PER_SOURCE for account_id, _ in created}
    assert receiver.posts == Counter({source: 1 for source in created})
    assert all(process.returncode == 0 for process in processes)


@pytest.mark.slow
def test_a_killed_workers_sync_is_taken_over_long_before_its_lease_runs_out(
    tmp_path, dovecot, oauth_provider, test_ca, database_setting
):
    from connect.sync.worker import LEASE_SECONDS, Worker
    from tests.hostile_imap import HostileImap
    from tests.mail_world import MailWorld

    server = HostileImap("stall_once").start()
    world = MailWorld.create(tmp_path, dovecot, oauth_provider, database_setting)
    account_id = world.add_account()
    label = world.add_source(account_id, "victim@example.com", port=server.port, use_ssl=0, password="pw")
    doomed = start_worker(world.worker_environment(), tmp_path / "doomed.log")
    try:
        deadline = time.monotonic() + 30
        while not server.stalled and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.stalled, "the first worker never reached the mailbox"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        [job] = world.query("SELECT * FROM sync_jobs")
        assert job["state"] == "running" and job["lease_expires"] > time.time() + LEASE_SECONDS / 2

        time.sleep(3.5)  # its heartbeat (whole seconds) goes stale; its lease is still good for minutes
        result = Worker(world.app, dead_after=2).run_pending()
    finally:
        server.stop()

    assert result["jobs"] == 1
    [job] = world.query("SELECT * FROM sync_jobs")
    assert job["state"] == "done" and job["attempts"] == 2
    source = world.source(account_id, label)
    assert source["status"] == "OK" and source["initial_import_finished"] == 1
