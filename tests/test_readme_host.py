"""The README's embedding example, imported verbatim into a host app with Flask-Login, its own
login page and its own users; and what a host that forgets a setting is told at start-up."""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
from pathlib import Path

import pytest
from flask import redirect, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import UserMixin, login_user

from connect import Connect, mailbox_connected, mailbox_removed
from connect.config import ConfigError
from tests.servers import ROOT
from tests.test_embedding import bare_host, csrf_of, imap_fields

README = ROOT / "README.md"


def readme_embedding_example() -> str:
    text = README.read_text()
    section = text[text.index("### Embedding the helper in your app") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def import_host(tmp_path: Path, name: str):
    """The README's code as the host's module, then the host's own login page and users."""
    module_path = tmp_path / f"{name}.py"
    module_path.write_text(readme_embedding_example())
    spec = importlib.util.spec_from_file_location(name, module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    users = {"alice": User("alice"), "bob": User("bob")}
    module.login_manager.user_loader(users.get)

    @module.app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            login_user(users[request.form["user"]])
            return redirect(request.args.get("next") or "/")
        return "<form method=post><input name=user></form>"

    return module


@pytest.fixture
def host_settings(monkeypatch, tmp_path, api_server):
    keys = api_server.new_client("readme host")
    settings = {
        "FLASK_SECRET_KEY": "readme-host-secret",
        "FLASK_CONNECT_DATABASE": str(tmp_path / "host.sqlite3"),
        "FLASK_CONTEXTIO_API_URL": api_server.api_url,
        "FLASK_CONTEXTIO_CONSUMER_KEY": keys.consumer_key,
        "FLASK_CONTEXTIO_CONSUMER_SECRET": keys.consumer_secret,
        "FLASK_CONNECT_ALLOW_PRIVATE_CALLBACKS": "true",  # its mail server is the test Dovecot
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


def test_the_readme_example_embeds_the_helper_in_a_flask_login_app(
    tmp_path, host_settings, dovecot, mailbox_user
):
    host = import_host(tmp_path, "readme_host")
    app, connect = host.app, host.connect
    connected, removed = [], []
    with (
        mailbox_connected.connected_to(lambda sender, **details: connected.append(details), app),
        mailbox_removed.connected_to(lambda sender, **details: removed.append(details), app),
    ):
        connect_and_remove_a_mailbox(app, connect, connected, removed, dovecot, mailbox_user)


def connect_and_remove_a_mailbox(app, connect, connected, removed, dovecot, mailbox_user) -> None:
    browser = app.test_client()

    signed_out = browser.get("/connect/imap?provider=gmail.com")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == "/login?next=%2Fconnect%2Fimap%3Fprovider%3Dgmail.com"

    browser.post("/login?next=/connect/", data={"user": "alice"})
    assert app.config["GOOGLE_SERVER_METADATA_URL"].startswith("https://accounts.google.com/")
    user = mailbox_user()
    form = csrf_of(browser.get("/connect/imap").text)
    answer = browser.post("/connect/imap", data={**imap_fields(user, dovecot), "csrf_token": form})
    assert answer.status_code == 302, answer.text
    assert [m["email"] for m in browser.get("/connect/status.json").json["mailboxes"]] == [user]

    [details] = connected
    assert details["user_id"] == "alice" and details["email"] == user and details["reconnect"] is False
    with app.app_context():
        assert connect.user_for_account(details["account_id"]) == "alice"
        assert connect.user_for_account("no-such-account") is None

    asked = browser.get(f"/connect/mailboxes/{details['label']}/remove").text
    assert f"Remove {user}?" in asked and removed == []
    browser.post(f"/connect/mailboxes/{details['label']}/remove", data={"csrf_token": csrf_of(asked)})
    assert [(d["user_id"], d["label"]) for d in removed] == [("alice", details["label"])]
    assert browser.get("/connect/status.json").json["mailboxes"] == []


def test_a_host_without_a_sources_api_is_told_at_start_up(tmp_path, host_settings, monkeypatch):
    monkeypatch.delenv("FLASK_CONTEXTIO_API_URL")
    with pytest.raises(ConfigError, match="CONTEXTIO_API_URL is required"):
        import_host(tmp_path, "host_without_api")


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is required"),
        ({"CONTEXTIO_CONSUMER_SECRET": None}, "CONTEXTIO_CONSUMER_SECRET required with CONTEXTIO_API_URL"),
        (
            {"GOOGLE_CLIENT_ID": "id.apps.example.com"},
            "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together",
        ),
        ({"GMAIL_IMAP_PORT": "imap"}, "GMAIL_IMAP_PORT is not valid"),
    ],
)
def test_a_setting_the_helper_cannot_work_without_is_named_at_start_up(tmp_path, settings, named):
    app = bare_host(tmp_path, "forgetful", **settings)
    with pytest.raises(ConfigError, match=named):
        Connect(app)


def test_the_helper_leaves_the_hosts_session_and_cookie_settings_alone(tmp_path, caplog):
    class HostSessions(SecureCookieSessionInterface):
        pass

    app = bare_host(
        tmp_path,
        "particular",
        GOOGLE_CLIENT_ID="id.apps.example.com",
        GOOGLE_CLIENT_SECRET="google-secret",
        SESSION_COOKIE_SAMESITE="Strict",
    )
    app.session_interface = sessions = HostSessions()

    with caplog.at_level(logging.WARNING):
        Connect(app, user_loader=lambda: "u")

    assert app.session_interface is sessions
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"
    assert "SESSION_COOKIE_SAMESITE is Strict" in caplog.text


def test_an_unauthorized_handler_answers_signed_out_visitors(tmp_path):
    app = bare_host(tmp_path, "own-answer")
    connect = Connect(app, login_url="/login")

    @connect.user_loader
    def nobody():
        return None

    @connect.unauthorized_handler
    def members_only():
        return "Members only", 403

    answer = app.test_client().get("/connect/")
    assert (answer.status_code, answer.text) == (403, "Members only")
