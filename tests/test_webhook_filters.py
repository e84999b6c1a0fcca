"""Every webhook filter of §1.2, matched and unmatched, on messages as the index holds them:
AND between filters, OR inside a comma list, folder events, drafts and all-changes."""

from __future__ import annotations

import json

import pytest

from connect.domain.webhook_matching import matches

MESSAGE = {
    "id": "m1",
    "subject": "Invoice 2026-11 for ACME",
    "thread_id": "17a2b3c4d5e6f708",
    "email_message_id": "<reply@example.com>",
    "in_reply_to": "<original@example.com>",
    "references": "<original@example.com>",
    "addresses": {
        "from": {"email": "Billing@Vendor.co.uk", "name": "Vendor Billing"},
        "to": [{"email": "owner@example.com", "name": "Mailbox Owner"}],
        "cc": [{"email": "accounts@example.org", "name": ""}],
    },
    "locations": [
        {"folder": "INBOX", "flags": '["\\\\Seen"]', "folder_attributes": "[]"},
        {"folder": "[Gmail]/Important", "flags": "[]", "folder_attributes": '["\\\\Important"]'},
    ],
    "files": [{"id": "f1", "file_name": "Invoice-2026-11.PDF"}],
}
THREAD = {"id": "m0", "thread_id": "17a2b3c4d5e6f708", "email_message_id": "<original@example.com>"}


def webhook(**settings) -> dict:
    filters = {name: value for name, value in settings.items() if name.startswith("filter_")}
    return {
        "filters": json.dumps(filters),
        "receive_drafts": settings.get("receive_drafts", 0),
        "receive_all_changes": settings.get("receive_all_changes", 0),
        "receive_historical": settings.get("receive_historical", 0),
    }


def fires(hook: dict, event: str = "message_new", folder: str = "INBOX", message: dict = MESSAGE) -> bool:
    def find(wanted: str):
        return THREAD if wanted in ("m0", "<original@example.com>") else None

    return matches(hook, {"event": event, "folder": folder}, message, find)


@pytest.mark.parametrize(
    ("name", "matching", "not_matching"),
    [
        ("filter_to", "owner@example.com", "someone@example.com"),
        ("filter_to", "mailbox own", "nobody"),  # a name's substring
        ("filter_from", "billing@vendor.co.uk", "billing@vendor.com"),  # an address: exact, any case
        ("filter_from", "nobody@x.com, billing@vendor.co.uk", "nobody@x.com, other@y.com"),  # OR
        ("filter_cc", "accounts@example.org", "owner@example.com"),
        ("filter_subject", "invoice", "receipt"),
        ("filter_subject", "/Invoice \\d{4}-\\d{2}/", "/^Receipt/"),
        ("filter_thread", "gm-17a2b3c4d5e6f708", "gm-99"),
        ("filter_thread", "<original@example.com>", "<unrelated@example.com>"),
        ("filter_new_important", "1", None),
        ("filter_file_name", "*.pdf", "*.doc"),  # wildcards: the whole name, any case
        ("filter_file_name", "invoice", "contract"),  # no wildcard: a substring
        ("filter_file_name", "/^Invoice-\\d+/", "/^Contract/"),
        ("filter_file_revisions", "invoice-2026-11.pdf", "other.pdf"),
        ("filter_to_domain", "example.com", "example.org"),
        ("filter_from_domain", "co.uk", "vendor.com"),  # a parent domain matches a sub-domain
        ("filter_from_domain", "example.com,vendor.co.uk", "example.com,example.net"),
    ],
)
def test_each_filter_matches_what_it_names_and_nothing_else(name, matching, not_matching):
    assert fires(webhook(**{name: matching}))
    if not_matching is not None:
        assert not fires(webhook(**{name: not_matching}))


def test_filters_combine_with_and():
    assert fires(webhook(filter_from="billing@vendor.co.uk", filter_subject="invoice"))
    assert not fires(webhook(filter_from="billing@vendor.co.uk", filter_subject="receipt"))


def test_important_needs_the_important_label():
    plain = {**MESSAGE, "locations": MESSAGE["locations"][:1]}
    assert not fires(webhook(filter_new_important="1"), message=plain)


@pytest.mark.parametrize(
    ("hook", "event", "folder", "expected"),
    [
        (webhook(), "message_changed", "INBOX", False),  # changes need receive_all_changes
        (webhook(receive_all_changes=1), "message_changed", "INBOX", True),
        (webhook(), "folder_added", "Projects", False),
        (webhook(receive_all_changes=1), "folder_removed", "Projects", True),
        (
            webhook(filter_folder_added="Projects"),
            "folder_added",
            "Projects",
            True,
        ),  # even without all changes
        (webhook(filter_folder_added="Projects"), "folder_added", "Other", False),
        (webhook(filter_folder_added="Projects", receive_all_changes=1), "folder_added", "Other", False),
        (webhook(filter_folder_removed="INBOX"), "folder_removed", "INBOX", True),
        (webhook(filter_folder_removed="\\Inbox"), "folder_removed", "INBOX", True),  # symbolic
        (webhook(filter_folder_added="\\Important"), "folder_added", "[Gmail]/Important", True),
        (webhook(filter_folder_removed="INBOX"), "message_new", "INBOX", False),
        (webhook(filter_folder_added="inbox"), "message_new", "INBOX", True),  # arriving is being filed
        (webhook(filter_folder_added="Projects"), "message_new", "INBOX", False),
        (webhook(), "historical", "INBOX", False),  # only for app-level receive_historical
        (webhook(receive_historical=1), "historical", "INBOX", True),
        (webhook(receive_historical=1, filter_subject="receipt"), "historical", "INBOX", False),
    ],
)
def test_events_other_than_new_mail_fire_only_where_asked(hook, event, folder, expected):
    assert fires(hook, event, folder) is expected


@pytest.mark.parametrize(
    "draft",
    [
        {**MESSAGE, "locations": [{"folder": "INBOX", "flags": '["\\\\Draft"]', "folder_attributes": "[]"}]},
        {
            **MESSAGE,
            "locations": [{"folder": "Drafts", "flags": "[]", "folder_attributes": '["\\\\Drafts"]'}],
        },
    ],
)
def test_drafts_are_skipped_unless_asked_for(draft):
    assert not fires(webhook(), message=draft)
    assert fires(webhook(receive_drafts=1), message=draft)
