"""Contacts (``contextio-2.0-more.md`` §4): everyone an account's mail is from or to, except
the account itself, with counts and dates, searched, sorted and paged."""

from __future__ import annotations

import time

import pytest

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
