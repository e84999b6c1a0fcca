"""oauth_providers, connect_tokens and discovery."""

from __future__ import annotations

import pytest
import requests

from connect.helper.client import ContextIOError
from tests.conftest import source_parameters
from tests.sql import run_sql


def test_an_oauth_provider_is_added_listed_and_its_secret_never_shown(api):
    added = api.add_oauth_provider("GMAIL_OAUTH2", "123.apps.googleusercontent.com", "the-secret")

    assert added["success"] is True
    assert added["provider_consumer_key"] == "123.apps.googleusercontent.com"
    listed = api.list_oauth_providers()
    assert listed == [
        {
            "type": "GMAIL_OAUTH2",
            "provider_consumer_key": "123.apps.googleusercontent.com",
            "resource_url": added["resource_url"],
        }
    ]
    assert api.request("GET", "oauth_providers/123.apps.googleusercontent.com") == listed[0]
    assert "the-secret" not in str(listed)


def test_adding_a_provider_again_replaces_its_type_and_secret(api):
    api.add_oauth_provider("GMAIL_OAUTH2", "key-1", "old")
    api.add_oauth_provider("MSLIVECONNECT", "key-1", "new")
    assert [p["type"] for p in api.list_oauth_providers()] == ["MSLIVECONNECT"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"type": "YAHOO", "provider_consumer_key": "k", "provider_consumer_secret": "s"},
            "type must be one of",
        ),
        ({"provider_consumer_key": "k", "provider_consumer_secret": "s"}, "type is required"),
        ({"type": "GMAIL_OAUTH2", "provider_consumer_secret": "s"}, "provider_consumer_key is required"),
        ({"type": "GMAIL_OAUTH2", "provider_consumer_key": "k"}, "provider_consumer_secret is required"),
    ],
)
def test_bad_provider_parameters_are_named(api, parameters, message):
    with pytest.raises(ContextIOError) as refused:
        api.request("POST", "oauth_providers", parameters)
    assert refused.value.status == 400
    assert message in refused.value.message


def test_a_provider_in_use_cannot_be_deleted(api):
    api.add_oauth_provider("GMAIL_OAUTH2", "in-use", "secret")
    account_id = api.create_account("g@example.com")["id"]
    label = api.add_source(
        account_id, **source_parameters(provider_consumer_key="in-use", provider_refresh_token="1//r")
    )["label"]

    with pytest.raises(ContextIOError) as conflict:
        api.delete_oauth_provider("in-use")
    assert conflict.value.status == 409
    assert "used by 1 source" in conflict.value.message

    api.delete_source(account_id, label)
    assert api.delete_oauth_provider("in-use") == {"success": True}
    assert api.list_oauth_providers() == []


def test_another_clients_provider_is_not_found_nor_usable(api, other_api):
    api.add_oauth_provider("GMAIL_OAUTH2", "mine", "secret")
    with pytest.raises(ContextIOError) as missing:
        other_api.request("GET", "oauth_providers/mine")
    assert missing.value.status == 404
    account_id = other_api.create_account("o@example.com")["id"]
    with pytest.raises(ContextIOError) as refused:
        other_api.add_source(
            account_id, **source_parameters(provider_consumer_key="mine", provider_refresh_token="r")
        )
    assert refused.value.status == 400


def test_a_connect_token_is_created_read_and_deleted(api, api_server):
    created = api.create_connect_token("http://127.0.0.1:9/back", email="new@example.com", first_name="New")

    assert created["success"] is True
    assert created["browser_redirect_url"].startswith(api_server.base_url + "/connect/token/")
    token = api.get_connect_token(created["token"])
    assert token["token"] == created["token"]
    assert (token["email"], token["first_name"], token["used"], token["account"]) == (
        "new@example.com",
        "New",
        0,
        {},
    )
    assert token["expires"] - token["created"] == 24 * 3600
    assert token["resource_url"] == created["resource_url"]
    assert [t["token"] for t in api.list_connect_tokens()] == [created["token"]]

    assert api.delete_connect_token(created["token"]) == {"success": True}
    with pytest.raises(ContextIOError) as missing:
        api.get_connect_token(created["token"])
    assert missing.value.status == 404


def test_the_browser_redirect_page_explains_instead_of_failing(api):
    created = api.create_connect_token("http://127.0.0.1:9/back")
    page = requests.get(created["browser_redirect_url"], timeout=10)
    assert page.status_code == 200
    assert "Connect your mailbox to test client" in page.text
    unknown = requests.get(created["browser_redirect_url"] + "x", timeout=10)
    assert unknown.status_code == 404
    assert "not valid" in unknown.text


def test_tokens_scoped_to_an_account_and_to_a_source(api):
    account_id = api.create_account("scoped@example.com")["id"]
    label = api.add_source(account_id, **source_parameters())["label"]

    account_token = api.create_connect_token("http://127.0.0.1:9/a", account_id=account_id)["token"]
    source_token = api.create_connect_token("http://127.0.0.1:9/s", account_id=account_id, label="0")["token"]

    assert [t["token"] for t in api.list_connect_tokens(account_id)] == [account_token, source_token]
    assert [t["token"] for t in api.list_connect_tokens(account_id, label)] == [source_token]
    assert api.get_connect_token(source_token, account_id, label)["token"] == source_token
    with pytest.raises(ContextIOError):
        api.get_connect_token(account_token, account_id, label)


def test_a_used_token_shows_its_account(api, api_server):
    account_id = api.create_account("used@example.com")["id"]
    token = api.create_connect_token("http://127.0.0.1:9/a", account_id=account_id)["token"]
    run_sql(
        api_server.database, "UPDATE connect_tokens SET used = created + 5 WHERE token = :token", token=token
    )

    shown = api.get_connect_token(token)
    assert shown["account"]["id"] == account_id
    assert shown["expires"] is False


def test_an_expired_token_is_gone(api, api_server):
    token = api.create_connect_token("http://127.0.0.1:9/a")["token"]
    run_sql(
        api_server.database,
        "UPDATE connect_tokens SET expires = created - 1 WHERE token = :token",
        token=token,
    )
    with pytest.raises(ContextIOError) as missing:
        api.get_connect_token(token)
    assert missing.value.status == 404


@pytest.mark.parametrize(
    ("parameters", "message"),
    [({}, "callback_url is required"), ({"callback_url": "javascript:alert(1)"}, "callback_url must be")],
)
def test_bad_connect_token_parameters_are_named(api, parameters, message):
    with pytest.raises(ContextIOError) as refused:
        api.request("POST", "connect_tokens", parameters)
    assert refused.value.status == 400
    assert message in refused.value.message


def test_another_clients_token_is_not_found(api, other_api):
    token = api.create_connect_token("http://127.0.0.1:9/a")["token"]
    with pytest.raises(ContextIOError) as missing:
        other_api.get_connect_token(token)
    assert missing.value.status == 404


@pytest.mark.parametrize(
    ("email", "server", "oauth"),
    [
        ("someone@gmail.com", "imap.gmail.com", True),
        ("someone@Outlook.com", "outlook.office365.com", True),
        ("someone@fastmail.com", "imap.fastmail.com", False),
        ("someone@icloud.com", "imap.mail.me.com", False),
    ],
)
def test_discovery_knows_the_big_providers(api, email, server, oauth):
    found = api.discover(email)
    assert found["found"] is True
    assert found["imap"] == {
        "server": server,
        "port": 993,
        "use_ssl": True,
        "username": email,
        "oauth": oauth,
    }


def test_discovery_says_when_it_does_not_know(api):
    assert api.discover("someone@example.org") == {
        "email": "someone@example.org",
        "found": False,
        "type": "IMAP",
    }
    with pytest.raises(ContextIOError) as refused:
        api.request("GET", "discovery", {"source_type": "IMAP"})
    assert refused.value.status == 400
