"""A host app embeds the helper with its own users, templates and settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, session

from connect import Connect
from connect.helper.pages import safe_next
from tests.conftest import app_config
from tests.sql import run_sql

HOST_TEMPLATES = Path(__file__).parent / "host_templates"


def imap_fields(user: str, dovecot) -> dict[str, str]:
    """The IMAP form filled in for a test Dovecot mailbox, over TLS."""
    return {
        "email": user,
        "password": dovecot.users[user],
        "provider": "other",
        "server": "127.0.0.1",
        "port": str(dovecot.imaps_port),
        "security": "ssl",
    }


def bare_host(tmp_path, name: str, **settings) -> Flask:
    """A host app with what the helper needs to start and an unreachable sources API."""
    app = Flask(name, instance_path=str(tmp_path / name))
    app.config.update(
        SECRET_KEY="k",
        CONNECT_DATABASE=str(tmp_path / f"{name}.sqlite3"),
        CONTEXTIO_API_URL="http://127.0.0.1:9/2.0",
        CONTEXTIO_CONSUMER_KEY="key",
        CONTEXTIO_CONSUMER_SECRET="secret",
    )
    app.config.update(settings)
    return app


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def host(tmp_path, api_server, dovecot, test_ca):
    """Acme's app: its own login, its own look, the sources API on another server."""
    keys = api_server.new_client("acme")
    app = Flask("acme", template_folder=str(HOST_TEMPLATES), instance_path=str(tmp_path / "acme"))
    app.config.update(
        SECRET_KEY="acme-secret",
        CONNECT_DATABASE=str(tmp_path / "acme.sqlite3"),
        CONTEXTIO_API_URL=api_server.api_url,
        CONTEXTIO_CONSUMER_KEY=keys.consumer_key,
        CONTEXTIO_CONSUMER_SECRET=keys.consumer_secret,
        GOOGLE_SERVER_METADATA_URL="http://127.0.0.1:9/unused",
        CONNECT_ALLOW_PRIVATE_CALLBACKS=True,  # its mail server is the test Dovecot on loopback
    )

    @app.get("/login/<user>")
    def login(user):
        session["user_id"] = user
        return "signed in"

    Connect(app, user_loader=lambda: session.get("user_id"), login_url="/login")
    return app, keys


def test_a_signed_out_visitor_is_sent_to_the_hosts_login(host):
    app, _ = host
    answer = app.test_client().get("/connect/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Fconnect%2F"


@pytest.mark.parametrize(
    ("login_url", "expected"),
    [
        ("/login", "/login?next=%2Fconnect%2Fimap%3Fprovider%3Dgmail.com"),
        ("/sso?realm=staff", "/sso?realm=staff&next=%2Fconnect%2Fimap%3Fprovider%3Dgmail.com"),
        ("/sso?next=/elsewhere", "/sso?next=%2Fconnect%2Fimap%3Fprovider%3Dgmail.com"),
        ("login_page", "/accounts/login?next=%2Fconnect%2Fimap%3Fprovider%3Dgmail.com"),
    ],
)
def test_the_login_redirect_carries_next_encoded_like_flask_login(tmp_path, login_url, expected):
    app = bare_host(tmp_path, "host")
    app.add_url_rule("/accounts/login", "login_page", lambda: "log in")
    Connect(app, user_loader=lambda: None, login_url=login_url)

    answer = app.test_client().get("/connect/imap?provider=gmail.com")

    assert answer.status_code == 302 and answer.headers["Location"] == expected


def test_a_host_user_connects_an_imap_mailbox_into_their_own_account(host, api_server, dovecot, mailbox_user):
    from connect.helper.client import SourcesClient

    app, keys = host
    user = mailbox_user()
    browser = app.test_client()
    browser.get("/login/acme-user-42")
    page = browser.get("/connect/imap").get_data(as_text=True)
    answer = browser.post("/connect/imap", data={**imap_fields(user, dovecot), "csrf_token": csrf_of(page)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/connect/"
    listing = browser.get("/connect/status.json").json
    assert [(m["email"], m["state"]) for m in listing["mailboxes"]] == [(user, "syncing")]

    api = SourcesClient(api_server.api_url, keys.consumer_key, keys.consumer_secret)
    [account] = api.list_accounts()
    assert [s["email"] for s in account["sources"]] == [user]
    assert account["sources"][0]["callback_url"] == "http://localhost/connect/callbacks/sync"

    assert account["sources"][0]["status_callback_url"] == "http://localhost/connect/callbacks/status"

    other = app.test_client()
    other.get("/login/someone-else")
    assert other.get("/connect/status.json").json == {"mailboxes": [], "seen": 0}


def test_the_hosts_templates_override_the_helpers(host):
    app, _ = host
    browser = app.test_client()
    browser.get("/login/acme-user-7")
    answer = browser.get("/connect/google")  # no Google client configured here
    assert answer.status_code == 503
    assert "Acme says: Gmail isn&#39;t available here" in answer.get_data(as_text=True)


def test_without_google_settings_end_users_see_no_gmail_button(tmp_path):
    from app import create_app

    app = create_app(app_config(tmp_path, CONTEXTIO_CONSUMER_SECRET=None))  # development: its own API client
    page = app.test_client().get("/connect/").get_data(as_text=True)
    assert "Connect Gmail" not in page
    assert "Connect another mailbox (IMAP)" in page


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/connect/", "/connect/"),
        ("/connect/?x=1", "/connect/?x=1"),
        ("https://evil.example/", "/fallback"),
        ("//evil.example/", "/fallback"),
        ("/\\evil.example", "/fallback"),
        ("javascript:alert(1)", "/fallback"),
        ("", "/fallback"),
        (None, "/fallback"),
    ],
)
def test_redirect_targets_stay_on_this_site(target, expected):
    assert safe_next(target, "/fallback") == expected


def test_the_google_redirect_uri_is_the_public_https_url_behind_a_proxy(tmp_path, oauth_provider):
    from urllib.parse import parse_qs, urlsplit

    from app import create_app

    app = create_app(
        app_config(
            tmp_path,
            CONTEXTIO_CONSUMER_SECRET=None,
            CONNECT_TRUSTED_PROXIES=1,
            GOOGLE_CLIENT_ID=oauth_provider.client_id,
            GOOGLE_CLIENT_SECRET=oauth_provider.client_secret,
            GOOGLE_SERVER_METADATA_URL=oauth_provider.metadata_url,
        )
    )
    answer = app.test_client().get(
        "/connect/google", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mail.example.com"}
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://mail.example.com/connect/google/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_broken_imap_mailbox_is_reconnected_with_a_new_password(host, api_server, dovecot, mailbox_user):

    app, keys = host
    user = mailbox_user()
    browser = app.test_client()
    browser.get("/login/acme-user-9")
    fields = imap_fields(user, dovecot)
    browser.post("/connect/imap", data={**fields, "csrf_token": csrf_of(browser.get("/connect/imap").text)})
    [mailbox] = browser.get("/connect/status.json").json["mailboxes"]
    run_sql(
        api_server.database,
        "UPDATE sources SET status = 'INVALID_CREDENTIALS' WHERE email = :user",
        user=user,
    )

    assert browser.get("/connect/status.json").json["mailboxes"][0]["state"] == "broken"
    answer = browser.get(f"/connect/mailboxes/{mailbox['label']}/reconnect")
    assert answer.headers["Location"] == f"/connect/imap?reconnect={mailbox['label']}"
    form = browser.get(answer.headers["Location"]).text
    assert f'value="{user}" readonly' in form
    answer = browser.post(
        "/connect/imap",
        data={**fields, "reconnect": mailbox["label"], "csrf_token": csrf_of(form)},
    )
    assert answer.status_code == 302
    [row] = run_sql(api_server.database, "SELECT status FROM sources WHERE email = :user", user=user)
    assert row == {"status": "OK"}


def signed_in_with_a_mailbox(app, user_id: str, user: str, dovecot):
    """A host user's browser, signed in, with one IMAP mailbox connected."""
    browser = app.test_client()
    browser.get(f"/login/{user_id}")
    browser.post(
        "/connect/imap",
        data={**imap_fields(user, dovecot), "csrf_token": csrf_of(browser.get("/connect/imap").text)},
    )
    return browser


def test_asking_whether_a_status_changed_does_not_call_the_sources_api(host, dovecot, mailbox_user):
    from tests.servers import free_port

    app, _ = host
    browser = signed_in_with_a_mailbox(app, "acme-user-12", mailbox_user(), dovecot)
    seen = browser.get("/connect/status.json").json["seen"]
    app.config["CONTEXTIO_API_URL"] = f"http://127.0.0.1:{free_port()}/2.0"  # the API is gone

    assert browser.get(f"/connect/status.json?seen={seen}").json == {"seen": seen, "unchanged": True}
    assert browser.get("/connect/status.json").status_code == 503


def test_an_unreachable_sources_api_is_a_friendly_503(host, dovecot, mailbox_user):
    from tests.servers import free_port

    app, _ = host
    browser = signed_in_with_a_mailbox(app, "acme-user-11", mailbox_user(), dovecot)
    app.config["CONTEXTIO_API_URL"] = f"http://127.0.0.1:{free_port()}/2.0"

    answer = browser.get("/connect/")

    assert answer.status_code == 503
    assert "Acme says: That didn" in answer.text and "isn&#39;t answering right now" in answer.text


def test_a_host_that_uses_authlib_keeps_its_own_oauth_registry(tmp_path):
    from authlib.integrations.flask_client import OAuth

    app = bare_host(
        tmp_path,
        "authlib-host",
        GOOGLE_CLIENT_ID="id.apps.example.com",
        GOOGLE_CLIENT_SECRET="google-secret",
        GOOGLE_SERVER_METADATA_URL="http://127.0.0.1:9/unused",
    )
    hosts_own = OAuth(app)
    hosts_own.register("github", client_id="gh", client_secret="gh-secret")

    Connect(app, user_loader=lambda: "u")

    assert app.extensions["authlib.integrations.flask_client"] is hosts_own
    assert hosts_own.create_client("github") is not None and hosts_own.create_client("google") is None
    assert app.extensions["connect"].google is not None
