"""accounts: create (with or without a first source), read, filter, page, rename, delete."""

from __future__ import annotations

import pytest

from connect.helper.client import ContextIOError
from tests.conftest import imap_settings, source_parameters


def test_an_account_is_created_and_read_back(api):
    created = api.create_account("bob@example.com", first_name="Bob", last_name="Builder")

    assert created["success"] is True
    assert created["resource_url"].endswith(f"/2.0/accounts/{created['id']}")
    assert "source" not in created
    account = api.get_account(created["id"])
    assert account["id"] == created["id"]
    assert account["email_addresses"] == ["bob@example.com"]
    assert (account["first_name"], account["last_name"]) == ("Bob", "Builder")
    assert account["sources"] == []
    assert account["suspended"] == 0 and account["password_expired"] == 0
    assert isinstance(account["created"], int)
    assert account["resource_url"] == created["resource_url"]


def test_an_account_can_be_created_with_its_first_source(api):
    created = api.create_account("alice@example.com", **imap_settings())

    label = created["source"]["label"]
    assert created["source"]["resource_url"].endswith(f"/accounts/{created['id']}/sources/{label}")
    [source] = api.get_account(created["id"])["sources"]
    assert source["label"] == label
    assert source["email"] == "alice@example.com"
    assert source["status"] == "OK"
    assert source["authentication_type"] == "password"


def test_a_bad_source_in_the_same_call_creates_no_account(api):
    with pytest.raises(ContextIOError) as refused:
        api.create_account("carol@example.com", server="imap.example.com", username="carol", port=99999)
    assert refused.value.status == 400
    assert api.list_accounts(email="carol@example.com") == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [({}, "email is required"), ({"email": "not-an-address"}, "email is not an email address")],
)
def test_account_creation_needs_an_email_address(api, parameters, message):
    with pytest.raises(ContextIOError) as refused:
        api.request("POST", "accounts", parameters)
    assert refused.value.status == 400
    assert message in refused.value.message


def test_accounts_are_listed_with_filters_and_paging(api):
    ids = [api.create_account(f"user{n}@example.com")["id"] for n in range(5)]
    broken = api.create_account("broken@example.com", **imap_settings())

    assert [a["id"] for a in api.list_accounts()] == [*ids, broken["id"]]
    assert [a["id"] for a in api.list_accounts(limit=2, offset=1)] == ids[1:3]
    assert [a["id"] for a in api.list_accounts(email="USER3@example.com")] == [ids[3]]
    assert [a["id"] for a in api.list_accounts(status="OK")] == [broken["id"]]
    assert [a["id"] for a in api.list_accounts(status_ok=0)] == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"limit": "-1"}, "limit must be"),
        ({"offset": "x"}, "offset must be a whole number"),
        ({"status": "BROKEN"}, "status must be one of"),
        ({"status_ok": "maybe"}, "status_ok must be 1 or 0"),
    ],
)
def test_bad_list_filters_are_named(api, filters, message):
    with pytest.raises(ContextIOError) as refused:
        api.list_accounts(**filters)
    assert refused.value.status == 400
    assert message in refused.value.message


def test_an_account_is_renamed(api):
    account_id = api.create_account("dave@example.com", first_name="Dave")["id"]
    assert api.update_account(account_id, last_name="Lister")["success"] is True
    account = api.get_account(account_id)
    assert (account["first_name"], account["last_name"]) == ("Dave", "Lister")


def test_a_deleted_account_is_gone_with_its_sources(api):
    account_id = api.create_account("erin@example.com", **imap_settings())["id"]
    assert api.delete_account(account_id) == {"success": True}
    with pytest.raises(ContextIOError) as missing:
        api.get_account(account_id)
    assert missing.value.status == 404
    with pytest.raises(ContextIOError):
        api.list_sources(account_id)


def test_another_clients_account_is_not_found(api, other_api):
    account_id = api.create_account("frank@example.com")["id"]
    for call in (
        lambda: other_api.get_account(account_id),
        lambda: other_api.update_account(account_id, first_name="Mallory"),
        lambda: other_api.delete_account(account_id),
        lambda: other_api.list_sources(account_id),
        lambda: other_api.add_source(account_id, **source_parameters()),
        lambda: other_api.sync(account_id),
    ):
        with pytest.raises(ContextIOError) as missing:
            call()
        assert missing.value.status == 404
        assert missing.value.message == f"account {account_id} not found"
    assert other_api.list_accounts() == []
    assert api.get_account(account_id)["first_name"] == ""


def test_unknown_paths_and_methods_answer_in_the_api_error_shape(api):
    with pytest.raises(ContextIOError) as missing:
        api.request("GET", "no_such_thing")
    assert missing.value.status == 404
    with pytest.raises(ContextIOError) as wrong_method:
        api.request("DELETE", "accounts")
    assert wrong_method.value.status == 405
