"""accounts/<id>/sources: every seed parameter validated, labels, statuses, syncs queued."""

from __future__ import annotations

import pytest

from connect.helper.client import ContextIOError
from tests.conftest import imap_settings, source_parameters
from tests.sql import run_sql

SECRET_FIELDS = ("password", "provider_refresh_token", "provider_token", "provider_token_secret")


@pytest.fixture
def account_id(api):
    return api.create_account("alice@example.com")["id"]


def set_status(api_server, account_id, label, status):
    """What the sync engine does when a login is refused."""
    run_sql(
        api_server.database,
        "UPDATE sources SET status = :status, status_message = 'set by the test' "
        "WHERE account_id = :account_id AND label = :label",
        status=status,
        account_id=account_id,
        label=label,
    )


def test_a_password_source_is_added_and_waits_for_its_first_sync(api, account_id):
    added = api.add_source(account_id, **source_parameters(sync_period="4h", raw_file_list=1))

    assert added["success"] is True
    source = api.get_source(account_id, added["label"])
    assert added["resource_url"] == source["resource_url"]
    assert source == {
        **source,
        "email": "alice@example.com",
        "username": "alice@example.com",
        "server": "imap.example.com",
        "port": 993,
        "use_ssl": True,
        "type": "imap",
        "authentication_type": "password",
        "status": "OK",
        "sync_period": "4h",
        "raw_file_list": True,
    }
    assert "initial sync" in source["status_message"]
    assert not set(SECRET_FIELDS) & set(source)
    status = api.sync_status(account_id, added["label"])
    assert status == {
        added["label"]: {
            "initial_import_finished": False,
            "last_sync_start": 0,
            "last_sync_stop": 0,
            "last_expunge": 0,
            "sync_queued": True,
        }
    }


def test_labels_are_url_safe_unique_and_0_is_the_first_source(api, account_id):
    first = api.add_source(account_id, **source_parameters())["label"]
    second = api.add_source(account_id, **source_parameters(server="imap2.example.com"))["label"]

    assert first == "alice.example.com"
    assert second == "alice.example.com-2"
    assert api.get_source(account_id, "0")["label"] == first
    assert [s["label"] for s in api.list_sources(account_id)] == [first, second]


def test_the_default_sync_period_is_24h_and_use_ssl_is_1_or_not(api, account_id):
    label = api.add_source(account_id, **source_parameters(use_ssl="yes please"))["label"]
    source = api.get_source(account_id, label)
    assert source["sync_period"] == "24h"
    assert source["use_ssl"] is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server": None}, "server is required"),
        ({"server": "imap example com"}, "server is not a valid host name"),
        ({"username": None}, "username is required"),
        ({"port": None}, "port is required"),
        ({"port": 0}, "port must be from 1 to 65535"),
        ({"port": 65536}, "port must be from 1 to 65535"),
        ({"port": "imap"}, "port must be a whole number"),
        ({"use_ssl": None}, "use_ssl is required"),
        ({"type": None}, "type is required"),
        ({"type": "POP3"}, "type must be IMAP"),
        ({"sync_period": "2h"}, "sync_period must be one of 1h, 4h, 12h, 24h"),
        ({"raw_file_list": "sometimes"}, "raw_file_list must be 1 or 0"),
        ({"password": None}, "a password, or provider_consumer_key"),
        ({"provider_refresh_token": "1//token"}, "provider_consumer_key is required"),
        ({"provider_consumer_key": "nobody"}, "is not one of your oauth_providers"),
        ({"callback_url": "ftp://example.com/done"}, "callback_url must be an absolute http"),
        ({"callback_url": "/relative/path"}, "callback_url must be an absolute http"),
        ({"callback_url": "http://user:pw@127.0.0.1/x"}, "must not carry credentials"),
        ({"email": "nobody"}, "email is not an email address"),
    ],
)
def test_every_bad_parameter_is_named(api, account_id, overrides, message):
    parameters = {k: v for k, v in source_parameters(**overrides).items() if v is not None}
    with pytest.raises(ContextIOError) as refused:
        api.add_source(account_id, **parameters)
    assert refused.value.status == 400
    assert message in refused.value.message
    assert api.list_sources(account_id) == []


def test_oauth2_credentials_win_over_a_password(api, account_id):
    api.add_oauth_provider("GMAIL_OAUTH2", "client-123.apps.example.com", "provider-secret")
    label = api.add_source(
        account_id,
        **source_parameters(
            server="imap.gmail.com",
            provider_consumer_key="client-123.apps.example.com",
            provider_refresh_token="1//refresh-token",
        ),
    )["label"]
    source = api.get_source(account_id, label)
    assert source["authentication_type"] == "oauth2"
    assert source["provider_consumer_key"] == "client-123.apps.example.com"


def test_oauth1_credentials_need_token_and_secret(api, account_id):
    api.add_oauth_provider("GMAIL_OAUTH2", "legacy-key", "legacy-secret")
    with pytest.raises(ContextIOError) as refused:
        api.add_source(
            account_id, **source_parameters(provider_consumer_key="legacy-key", provider_token="t")
        )
    assert "both provider_token and provider_token_secret" in refused.value.message
    label = api.add_source(
        account_id,
        **source_parameters(
            provider_consumer_key="legacy-key", provider_token="t", provider_token_secret="s"
        ),
    )["label"]
    assert api.get_source(account_id, label)["authentication_type"] == "oauth1"


def test_disable_and_re_enable(api, account_id):
    label = api.add_source(account_id, **source_parameters())["label"]

    api.update_source(account_id, label, status=0)
    assert api.get_source(account_id, label)["status"] == "DISABLED"
    assert api.sync(account_id, label)["syncs_queued"] == []

    api.update_source(account_id, label, status=1)
    source = api.get_source(account_id, label)
    assert source["status"] == "OK"
    assert api.sync(account_id)["syncs_queued"] == [label]


def test_temp_disabled_is_reset_by_status_1(api, api_server, account_id):
    label = api.add_source(account_id, **source_parameters())["label"]
    set_status(api_server, account_id, label, "TEMP_DISABLED")
    assert api.sync(account_id)["syncs_queued"] == []
    api.update_source(account_id, label, status=1)
    assert api.get_source(account_id, label)["status"] == "OK"


def test_a_new_password_clears_invalid_credentials_and_queues_a_sync(api, api_server, account_id):
    label = api.add_source(account_id, **source_parameters())["label"]
    set_status(api_server, account_id, label, "INVALID_CREDENTIALS")

    assert api.update_source(account_id, label, password="the new one")["success"] is True

    source = api.get_source(account_id, label)
    assert source["status"] == "OK"
    assert api.sync_status(account_id, label)[label]["sync_queued"] is True


def test_sync_period_and_options_are_updated(api, account_id):
    label = api.add_source(account_id, **source_parameters())["label"]
    api.update_source(account_id, label, sync_period="1h", raw_file_list=1)
    source = api.get_source(account_id, label)
    assert (source["sync_period"], source["raw_file_list"]) == ("1h", True)
    with pytest.raises(ContextIOError) as refused:
        api.update_source(account_id, label, sync_period="weekly")
    assert refused.value.status == 400


def test_sources_are_filtered_by_status(api, api_server, account_id):
    good = api.add_source(account_id, **source_parameters())["label"]
    bad = api.add_source(account_id, **source_parameters(server="imap.other.example"))["label"]
    set_status(api_server, account_id, bad, "CONNECTION_IMPOSSIBLE")

    assert [s["label"] for s in api.list_sources(account_id, status="CONNECTION_IMPOSSIBLE")] == [bad]
    assert [s["label"] for s in api.list_sources(account_id, status_ok=1)] == [good]
    assert [s["label"] for s in api.list_sources(account_id, status_ok=0)] == [bad]
    [account] = api.list_accounts(status_ok=0)
    assert [s["label"] for s in account["sources"]] == [bad]


def test_a_deleted_source_takes_its_pending_sync_with_it(api, api_server, account_id):
    label = api.add_source(account_id, **source_parameters())["label"]
    assert api.delete_source(account_id, label) == {"success": True}
    with pytest.raises(ContextIOError) as missing:
        api.get_source(account_id, label)
    assert missing.value.status == 404
    [orphans] = run_sql(
        api_server.database,
        "SELECT count(*) AS n FROM sync_jobs j LEFT JOIN sources s ON s.id = j.source_id WHERE s.id IS NULL",
    )
    assert orphans["n"] == 0


def test_missing_sources_are_404(api, account_id):
    for call in (
        lambda: api.get_source(account_id, "0"),
        lambda: api.get_source(account_id, "nobody.example.com"),
        lambda: api.update_source(account_id, "nobody.example.com", status=1),
        lambda: api.delete_source(account_id, "nobody.example.com"),
        lambda: api.sync(account_id, "nobody.example.com"),
    ):
        with pytest.raises(ContextIOError) as missing:
            call()
        assert missing.value.status == 404


def test_account_sync_queues_every_active_source_once(api, account_id):
    first = api.add_source(account_id, **source_parameters())["label"]
    second = api.add_source(account_id, **imap_settings(email="bob@example.com"))["label"]
    answer = api.sync(account_id)
    assert answer["success"] is True
    assert answer["syncs_queued"] == [first, second]
    assert answer["resource_url"].endswith(f"/accounts/{account_id}/sync")
    status = api.sync_status(account_id)
    assert set(status) == {first, second}
    assert all(entry["sync_queued"] for entry in status.values())
