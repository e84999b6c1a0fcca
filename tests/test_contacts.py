"""Contacts (``contextio-2.0-more.md`` §4): everyone an account's mail is from or to, except
the account itself, with counts and dates, searched, sorted and paged."""

from __future__ import annotations

import time

import pytest

from connect import storage
from tests.dovecot import message

DAY = 86400
START = int(time.time()) - 30 * DAY


@pytest.fixture
def correspondence(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Sent",))
    me = f"Me <{user}>"
    dovecot.deliver(user, message("Hello", sender="Ann Lee <ann@example.com>", to=me, date=START))
    dovecot.deliver(user, message("Again", sender="ann@example.com", to=me, date=START + DAY))
    dovecot.deliver(
        user, message("Reply", sender=me, to="Ann <ANN@example.com>, bob@example.org", date=START + 2 * DAY),
        folder="Sent",
    )  # fmt: skip
    dovecot.deliver(user, message("News", sender="Carol <carol@example.net>", to=me, date=START + 3 * DAY))
    account_id = world.add_account(user)
    world.add_source(account_id, user)
    world.sync()
    return account_id, user


def test_contacts_count_what_was_received_from_and_sent_to_each(world, correspondence):
    account_id, user = correspondence
    answer = world.api(f"accounts/{account_id}/contacts")
    assert answer["query"] == {
        "limit": 25,
        "offset": None,
        "active_after": None,
        "active_before": None,
        "search": None,
    }
    matches = {contact["email"]: contact for contact in answer["matches"]}
    assert list(matches) == [
        "ann@example.com",
        "bob@example.org",
        "carol@example.net",
    ]  # by count, then address
    ann = matches["ann@example.com"]
    assert (ann["count"], ann["received_count"], ann["sent_count"], ann["sent_from_account_count"]) == (
        3,
        2,
        1,
        1,
    )
    assert (ann["last_received"], ann["last_sent"]) == (START + DAY, START + 2 * DAY)
    assert ann["name"] == "Ann"  # the newest name given
    assert ann["thumbnail"].startswith("https://secure.gravatar.com/avatar/")
    assert matches["carol@example.net"]["last_sent"] is None
    assert user not in matches  # the account's own address is not a contact

    one = world.api(f"accounts/{account_id}/contacts/Ann@Example.com")
    assert one["emails"] == ["ann@example.com"] and one["count"] == 3
    assert world.get(f"accounts/{account_id}/contacts/{user}").status_code == 404
    assert world.get(f"accounts/{account_id}/contacts/nobody@example.com").status_code == 404


def test_contacts_are_searched_sorted_paged_and_filtered_by_activity(world, correspondence):
    account_id, _ = correspondence

    def emails(**query) -> list[str]:
        return [c["email"] for c in world.api(f"accounts/{account_id}/contacts", **query)["matches"]]

    assert emails(search="CAROL") == ["carol@example.net"]
    assert emails(sort_by="email", sort_order="asc") == [
        "ann@example.com",
        "bob@example.org",
        "carol@example.net",
    ]
    assert emails(sort_by="received_count", limit=1) == ["ann@example.com"]
    assert emails(sort_by="email", offset=2) == ["ann@example.com"]  # descending by default
    assert emails(active_after=START + 2 * DAY + 1) == ["carol@example.net"]
    assert emails(activity_before=START + DAY // 2) == ["ann@example.com"]
    assert world.get(f"accounts/{account_id}/contacts", limit=251).status_code == 400
    assert world.get(f"accounts/{account_id}/contacts", sort_by="name").status_code == 400


def test_a_contacts_messages_files_and_threads(world, correspondence):
    account_id, _ = correspondence
    path = f"accounts/{account_id}/contacts/ann@example.com"
    assert [m["subject"] for m in world.api(f"{path}/messages")] == ["Reply", "Again", "Hello"]
    assert [m["subject"] for m in world.api(f"{path}/messages", limit=1, offset=1)] == ["Again"]
    assert world.api(f"{path}/files") == []
    assert len(world.api(f"{path}/threads")) == 3


def counted(world, account_id: str) -> dict[str, dict]:
    return {c["email"]: c for c in world.api(f"accounts/{account_id}/contacts", sort_by="email")["matches"]}


def test_counts_kept_while_mail_arrives_equal_a_recount_from_every_message(world, dovecot, correspondence):
    account_id, user = correspondence
    dovecot.deliver(
        user, message("Later", sender="Ann Other <ann@example.com>", to=me_of(user), date=START + 5 * DAY)
    )
    dovecot.deliver(
        user,
        message(
            "Cc", sender="dan@example.com", to=me_of(user), headers={"Cc": "ann@example.com"}, date=START
        ),
    )
    resync(world, account_id)
    kept = counted(world, account_id)
    assert kept["ann@example.com"]["count"] == 5 and kept["ann@example.com"]["name"] == "Ann Other"

    with world.database.transaction() as connection:
        storage.recount_contacts(connection, account_id)
    assert counted(world, account_id) == kept


def test_a_contact_counts_without_expunged_mail_and_goes_with_the_last(world, dovecot, correspondence):
    account_id, user = correspondence
    with dovecot.imap(user) as session:
        session.select_folder("INBOX")
        session.delete_messages(
            session.search(["FROM", "ann@example.com"]) + session.search(["FROM", "carol"])
        )
        session.expunge()
    resync(world, account_id)
    ann = counted(world, account_id)["ann@example.com"]
    assert (ann["count"], ann["received_count"], ann["last_received"]) == (1, 0, None)
    assert world.get(f"accounts/{account_id}/contacts/carol@example.net").status_code == 404


def test_what_the_account_sent_is_counted_again_when_its_own_addresses_change(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(
        user, message("Sent elsewhere", sender="me@elsewhere.example", to="bob@example.org", date=START)
    )
    account_id = world.add_account(user)
    world.add_source(account_id, user)
    world.sync()
    assert counted(world, account_id)["bob@example.org"]["sent_from_account_count"] == 0

    path = f"/2.0/accounts/{account_id}/email_addresses"
    world.signed("POST", path, email_address="me@elsewhere.example")
    bob = counted(world, account_id)["bob@example.org"]
    assert (bob["sent_from_account_count"], bob["last_sent"]) == (1, START)
    assert "me@elsewhere.example" not in counted(world, account_id)

    world.signed("DELETE", f"{path}/me@elsewhere.example")
    assert counted(world, account_id)["me@elsewhere.example"]["received_count"] == 1
    assert counted(world, account_id)["bob@example.org"]["sent_from_account_count"] == 0


def resync(world, account_id: str) -> None:
    world.signed("POST", f"/2.0/accounts/{account_id}/sync")
    world.sync()


def me_of(user: str) -> str:
    return f"Me <{user}>"
