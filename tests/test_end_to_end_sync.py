"""A source created through the API, synced by `flask --app app worker`, called back once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from connect.helper.client import SourcesClient
from tests.conftest import API_SECRET_KEY
from tests.dovecot import message
from tests.mail_world import Receiver
from tests.servers import ROOT


@pytest.fixture
def worker_process(api_server, oauth_provider, test_ca, tmp_path):
    log = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "CONNECT_ENV": "production",
        "SECRET_KEY": API_SECRET_KEY,
        "CONNECT_DATABASE": api_server.database,
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        "GOOGLE_SERVER_METADATA_URL": oauth_provider.metadata_url,
        "SSL_CERT_FILE": str(test_ca.ca_file),
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.2"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        yield process, log
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError("condition not met in time")


def test_a_source_added_through_the_api_syncs_and_calls_back_once(
    api_server, dovecot, mailbox_user, worker_process, tmp_path
):
    process, log = worker_process
    keys = api_server.new_client("end to end")
    client = SourcesClient(api_server.api_url, keys.consumer_key, keys.consumer_secret)
    receiver = Receiver(tmp_path, keys.consumer_secret)
    user = mailbox_user()
    dovecot.deliver(user, message("Welcome to your mailbox"))
    try:
        created = client.create_account(
            user,
            server="127.0.0.1",
            username=user,
            port=dovecot.imaps_port,
            use_ssl=1,
            type="IMAP",
            password=dovecot.users[user],
            callback_url=receiver.url,
        )
        account_id, label = created["id"], created["source"]["label"]

        wait_for(lambda: client.sync_status(account_id, label)[label]["initial_import_finished"])
        assert client.get_source(account_id, label)["status"] == "OK"
        [listed] = client.request("GET", f"accounts/{account_id}/messages")
        assert listed["subject"] == "Welcome to your mailbox"
        [recorded] = wait_for(receiver.recorded)
        assert (recorded["account_id"], recorded["source_label"]) == (account_id, label)

        client.sync(account_id)  # a later sync is not an initial one
        wait_for(lambda: not client.sync_status(account_id, label)[label]["sync_queued"])
        assert len(receiver.recorded()) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        stopped = process.wait(timeout=20)
        receiver.stop()
        client.close()
    output = log.read_text()
    assert stopped == 0
    assert "SIGTERM received" in output and "stopped" in output
    assert "Traceback" not in output
