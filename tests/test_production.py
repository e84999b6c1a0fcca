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
