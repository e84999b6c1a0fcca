"""Threads (``contextio-2.0-more.md`` §3): a conversation is one thread across folders and
sources, whatever order its messages arrive in, read as the official client reads it."""

from __future__ import annotations

import time

import pytest

from tests.dovecot import message

DAY = 86400
START = int(time.time()) - 30 * DAY


def mail(
    subject: str, own: str, *, refs: tuple[str, ...] = (), days: int = 0, sender: str = "ann@example.com"
):
    headers = (
        {"References": " ".join(f"<{ref}>" for ref in refs), "In-Reply-To": f"<{refs[-1]}>"} if refs else {}
    )
    return message(
        subject, message_id=f"<{own}>", headers=headers, date=START + days * DAY, sender=f"Ann <{sender}>"
    )


@pytest.fixture
def conversation(world, dovecot, mailbox_user):
    """A thread of three across INBOX and Sent, and a message of its own."""
    user = mailbox_user(folders=("Sent",))
    dovecot.deliver(user, mail("Plans", "plans@x"))
    dovecot.deliver(user, mail("Re: Plans", "reply@x", refs=("plans@x",), days=1), folder="Sent")
    dovecot.deliver(user, mail("Re: Plans", "again@x", refs=("plans@x", "reply@x"), days=2))
    dovecot.deliver(user, mail("Lunch?", "lunch@x", days=3, sender="bob@example.org"))
    account_id = world.add_account()
    world.add_source(account_id, user)
    world.sync()
    ids = {m["email_message_id"]: m["message_id"] for m in world.api(f"accounts/{account_id}/messages")}
    return account_id, user, ids


def test_a_conversation_across_folders_is_one_thread_oldest_first(world, conversation):
    account_id, _, ids = conversation
    urls = world.api(f"accounts/{account_id}/threads")
    assert len(urls) == 2 and all(
        url.startswith(f"http://localhost/2.0/accounts/{account_id}/threads/gm-") for url in urls
    )

    thread = world.api(f"accounts/{account_id}/messages/{ids['<again@x>']}/thread")
    assert thread["email_message_ids"] == ["<plans@x>", "<reply@x>", "<again@x>"]
    assert [m["subject"] for m in thread["messages"]] == ["Plans", "Re: Plans", "Re: Plans"]
    assert thread["subject"] == "Plans" and sorted(thread["folders"]) == ["INBOX", "Sent"]
    assert thread["gmail_thread_id"] == "gm-" + thread["messages"][0]["gmail_thread_id"]
    assert urls[1] == thread["resource_url"]  # the older activity comes second
    assert world.api(thread["resource_url"].removeprefix("http://localhost/2.0/")) == thread
    assert "ann@example.com" in thread["person_info"]

    page = world.api(thread["resource_url"].removeprefix("http://localhost/2.0/"), limit=1, offset=1)
    assert [m["email_message_id"] for m in page["messages"]] == ["<reply@x>"]


def test_thread_sizes_and_thread_filters(world, conversation):
    account_id, _, ids = conversation
    sizes = {
        m["email_message_id"]: m["thread_size"]
        for m in world.api(f"accounts/{account_id}/messages", include_thread_size=1)
    }
    assert sizes == {"<plans@x>": 3, "<reply@x>": 3, "<again@x>": 3, "<lunch@x>": 1}
    assert "thread_size" not in world.api(f"accounts/{account_id}/messages/{ids['<lunch@x>']}")

    def threads(**filters) -> int:
        return len(world.api(f"accounts/{account_id}/threads", **filters))

    assert threads(**{"from": "bob@example.org"}) == 1
    assert threads(subject="plans") == 1
    assert threads(started_after=START + DAY // 2) == 1  # only Lunch? started after the first day
    assert threads(active_after=START + DAY // 2) == 2  # both have a message after it
    assert threads(activity_before=START + DAY // 2) == 1  # Context.IO's Ruby client's spelling
    assert threads(limit=1) == 1
    assert world.get(f"accounts/{account_id}/threads", limit=101).status_code == 400
    assert world.get(f"accounts/{account_id}/threads/gm-0000000000000000").status_code == 404


def test_a_reply_before_its_original_and_a_message_joining_two_threads_make_one(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, mail("Re: first", "child@x", refs=("first@x",), days=1))
    dovecot.deliver(user, mail("Re: second", "other@x", refs=("second@x",), days=2))
    account_id = world.add_account()
    world.add_source(account_id, user)
    world.sync()
    assert len(world.api(f"accounts/{account_id}/threads")) == 2
    dovecot.deliver(user, mail("first", "first@x"))  # the original, late
    dovecot.deliver(user, mail("Re: both", "both@x", refs=("first@x", "second@x"), days=3))
    world.signed("POST", f"/2.0/accounts/{account_id}/sync")
    world.sync()

    [url] = world.api(f"accounts/{account_id}/threads")
    thread = world.api(url.removeprefix("http://localhost/2.0/"))
    assert thread["email_message_ids"] == ["<first@x>", "<child@x>", "<other@x>", "<both@x>"]
    assert {m["gmail_thread_id"] for m in thread["messages"]} == {thread["gmail_thread_id"][3:]}


def thread_path(world, account_id: str, message_id: str) -> str:
    thread = world.api(f"accounts/{account_id}/messages/{message_id}/thread")
    return f"/2.0/accounts/{account_id}/threads/{thread['gmail_thread_id']}"


def subjects_in(dovecot, user: str, folder: str) -> list[str]:
    with dovecot.imap(user) as session:
        session.select_folder(folder)
        fetched = session.fetch(session.search(), ["ENVELOPE"])
        return sorted(data[b"ENVELOPE"].subject.decode() for data in fetched.values())


def test_a_threads_messages_are_filed_together_and_deleted_together(world, dovecot, conversation):
    account_id, user, ids = conversation
    path = thread_path(world, account_id, ids["<plans@x>"])
    assert world.signed("POST", f"{path}/folders", add="Sent").json == {"success": True}
    assert subjects_in(dovecot, user, "Sent") == ["Plans", "Re: Plans", "Re: Plans"]
    assert world.signed("POST", f"{path}/folders", remove="INBOX").json == {"success": True}
    assert subjects_in(dovecot, user, "INBOX") == ["Lunch?"]
    assert world.signed("POST", f"{path}/folders").status_code == 400  # neither add nor remove
    assert world.signed_json("PUT", f"{path}/folders", [{"name": "INBOX"}]).json == {"success": True}
    assert subjects_in(dovecot, user, "Sent") == []
    assert subjects_in(dovecot, user, "INBOX") == ["Lunch?", "Plans", "Re: Plans", "Re: Plans"]

    assert world.signed("DELETE", path).json == {"success": True}
    assert subjects_in(dovecot, user, "Sent") == []
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages")] == ["Lunch?"]
    assert world.signed("DELETE", path).status_code == 404
