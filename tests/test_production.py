"""A production start needs a SECRET_KEY and a database, nothing else: the helper gets its own
API client, its callbacks point at the app's public URL, and a database refuses other keys."""

from __future__ import annotations

import pytest

from app import create_app
from connect import storage
from connect.config import ConfigError
from connect.domain.address_policy import AddressPolicy, AddressRefused
from tests.test_embedding import csrf_of, imap_fields


def production(tmp_path, **settings):
    return create_app(
        {
            "CONNECT_ENV": "production",
            "SECRET_KEY": "production-key",
            "CONNECT_DATABASE": str(tmp_path / "connect.sqlite3"),
            **settings,
        }
    )


def test_with_only_a_secret_key_the_helper_is_set_up_with_its_own_api_client(tmp_path):
    app = production(tmp_path)

    page = app.test_client().get("/connect/").get_data(as_text=True)

    assert app.config["CONTEXTIO_CONSUMER_KEY"] and app.config["CONTEXTIO_CONSUMER_SECRET"]
    assert "This site isn't set up" not in page and "Connect another mailbox" in page
    again = production(tmp_path)  # a second process, or a restart: the same client
    assert again.config["CONTEXTIO_CONSUMER_KEY"] == app.config["CONTEXTIO_CONSUMER_KEY"]
    with app.app_context():
        assert len(storage.api_clients_list(storage.get_db())) == 1


def test_the_helpers_callbacks_point_at_the_public_url(tmp_path, dovecot, mailbox_user):
    app = production(
        tmp_path,
        CONNECT_PUBLIC_URL="https://mail.example.com",
        CONNECT_ALLOW_PRIVATE_CALLBACKS=True,  # the test's mail server is on loopback
    )
    user = mailbox_user()
    browser = app.test_client()
    token = csrf_of(browser.get("/connect/imap").get_data(as_text=True))

    answer = browser.post("/connect/imap", data={**imap_fields(user, dovecot), "csrf_token": token})

    assert answer.status_code == 302
    with app.app_context():
        [source] = storage.sources_of(
            storage.get_db(), [storage.helper_account(storage.get_db(), _user(browser))]
        )
    assert source["callback_url"] == "https://mail.example.com/connect/callbacks/sync"


def _user(browser) -> str:
    with browser.session_transaction() as session:
        return session["connect_user"]


def test_the_apps_own_public_origin_is_never_refused_as_private():
    policy = AddressPolicy(allow_private=False, own_origins=frozenset({"http://127.0.0.1:8000"}))

    assert policy.check_url("http://127.0.0.1:8000/connect/callbacks/sync")
    with pytest.raises(AddressRefused):
        policy.check_url("http://127.0.0.1:9000/connect/callbacks/sync")
    with pytest.raises(AddressRefused):
        policy.check_url("https://127.0.0.1:8000/connect/callbacks/sync")


@pytest.mark.parametrize("url", ["mail.example.com", "ftp://mail.example.com", "https://x.example?a=1"])
def test_a_malformed_public_url_stops_the_start(tmp_path, url):
    with pytest.raises(ConfigError, match="CONNECT_PUBLIC_URL"):
        production(tmp_path, CONNECT_PUBLIC_URL=url)


@pytest.mark.slow
def test_a_production_start_as_deploy_says_connects_a_mailbox_to_synced(
    tmp_path, dovecot, mailbox_user, test_ca
):
    """deploy/: `flask db upgrade`, gunicorn with deploy/gunicorn.conf.py, `flask worker
    --concurrency 4`; the environment holds SECRET_KEY and the database, nothing else (but for
    the test's own Dovecot on loopback, which production would refuse as private)."""
    import os
    import subprocess
    import sys
    import time

    import requests

    from tests.servers import ROOT, free_port, wait_until_healthy

    port = free_port()
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("CONNECT_", "SECRET_"))},
        "CONNECT_ENV": "production",
        "SECRET_KEY": "deployed-key",
        "CONNECT_DATABASE": str(tmp_path / "connect.sqlite3"),
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
        "SSL_CERT_FILE": str(test_ca.ca_file),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    upgrade = subprocess.run(
        [*flask, "db", "upgrade"], cwd=ROOT, env=environment, capture_output=True, timeout=60
    )
    assert upgrade.returncode == 0, upgrade.stderr
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("web", "worker")}  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "app:create_app()"],
        cwd=ROOT, env=environment, stdout=logs["web"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*flask, "worker", "--concurrency", "4"], cwd=ROOT, env=environment, stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(f"{base}/healthz", web)
        user = mailbox_user()
        dovecot.deliver(user, b"Subject: Deployed\r\n\r\nhello\r\n")
        browser = requests.Session()
        form = csrf_of(browser.get(f"{base}/connect/imap", timeout=30).text)
        connected = browser.post(
            f"{base}/connect/imap", data={**imap_fields(user, dovecot), "csrf_token": form}, timeout=60
        )
        assert connected.status_code == 200 and "is connected" in connected.text

        deadline, states = time.monotonic() + 60, []
        while time.monotonic() < deadline and states != ["synced"]:
            listing = browser.get(f"{base}/connect/status.json", timeout=30).json()["mailboxes"]
            states = [mailbox["state"] for mailbox in listing]
            time.sleep(0.5)
        assert states == ["synced"], listing
        page = browser.get(f"{base}/connect/", timeout=30).text
        shown = page[page.find('data-role="state"') :][:200]
        assert "Synced (1 message)" in page, (listing, shown)
    finally:
        for process in (worker, web):
            process.terminate()
        for process in (worker, web):
            process.wait(timeout=30)
        for log in logs.values():
            log.close()
    for name in logs:
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text(), name
