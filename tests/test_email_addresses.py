"""An account's email addresses: added, made primary, removed; and never its contacts."""

from __future__ import annotations

from tests.dovecot import message


def test_an_alias_is_the_accounts_own_address_not_a_contact(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, message("From my other address", sender="Me <me@elsewhere.example>"))
    account_id = world.add_account(user)
    world.add_source(account_id, user)
    world.sync()
    path = f"/2.0/accounts/{account_id}/email_addresses"
    assert "me@elsewhere.example" in [
        c["email"] for c in world.api(f"accounts/{account_id}/contacts")["matches"]
    ]

    added = world.signed("POST", path, email_address="me@elsewhere.example")
    assert added.json == {
        "success": True,
        "email": "me@elsewhere.example",
        "resource_url": f"http://localhost{path}/me@elsewhere.example",
    }
    assert (
        world.signed("POST", path, email_address="ME@elsewhere.example").status_code == 200
    )  # already there
    assert "me@elsewhere.example" not in [
        c["email"] for c in world.api(f"accounts/{account_id}/contacts")["matches"]
    ]
    assert [a["email"] for a in world.api(f"accounts/{account_id}/email_addresses")] == [
        user,
        "me@elsewhere.example",
    ]


def test_bad_address_changes_are_refused_with_the_reason(world):
    account_id = world.add_account("main@example.com")
    path = f"/2.0/accounts/{account_id}/email_addresses"
    assert world.signed("POST", path, email_address="not an address").status_code == 400
    assert world.signed("POST", path).status_code == 400
    assert world.signed("POST", f"{path}/main@example.com", primary=0).status_code == 400
    assert world.signed("DELETE", f"{path}/main@example.com").status_code == 409
    assert world.signed("GET", f"{path}/nobody@example.com").status_code == 404
    assert world.signed("DELETE", f"{path}/nobody@example.com").status_code == 404
