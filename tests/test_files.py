"""Files (``contextio-2.0-more.md`` §7): what a name says (``file_name_structure``), revisions
and related files, wildcard and size filters, and download links."""

from __future__ import annotations

import pytest

from tests.dovecot import message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def attachments(world, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(
        user, message("Budget v2", attachments=[("Budget - final - 2026-03-01 v2.xlsx", XLSX, b"x" * 3000)])
    )
    dovecot.deliver(user, message("Budget", attachments=[("budget.xlsx", XLSX, b"x" * 1000)]))
    dovecot.deliver(user, message("Budget data", attachments=[("Budget.csv", "text/csv", b"a,b\n" * 50)]))
    dovecot.deliver(user, message("Notes", attachments=[("notes.txt", "text/plain", b"n" * 100)]))
    account_id = world.add_account(user)
    world.add_source(account_id, user)
    world.sync()
    files = {f["file_name"]: f for f in world.api(f"accounts/{account_id}/files")}
    return account_id, files


def names(world, path: str, **query) -> list[str]:
    return sorted(f["file_name"] for f in world.api(path, **query))


def test_a_file_name_is_read_for_its_parts_and_its_other_versions(world, attachments):
    account_id, files = attachments
    v2 = files["Budget - final - 2026-03-01 v2.xlsx"]
    assert v2["file_name_structure"] == [
        ["Budget", "main"], [" - ", "boundary"], ["final", "keyword"], [" - ", "boundary"],
        ["2026-03-01", "date"], [" ", "boundary"], ["v2", "version"], [".xlsx", "ext"],
    ]  # fmt: skip
    assert "".join(text for text, _ in v2["file_name_structure"]) == v2["file_name"]
    assert v2["body_section"] == 2 and v2["is_tnef_part"] is False and v2["gmail_thread_id"]
    base = f"accounts/{account_id}/files/{files['budget.xlsx']['file_id']}"
    assert names(world, f"{base}/revisions") == ["Budget - final - 2026-03-01 v2.xlsx"]
    assert names(world, f"{base}/related") == ["Budget - final - 2026-03-01 v2.xlsx", "Budget.csv"]
    assert world.api(f"accounts/{account_id}/files/{files['notes.txt']['file_id']}/related") == []


def test_file_names_take_wildcards_and_sizes_bound_them(world, attachments):
    account_id, _ = attachments
    path = f"accounts/{account_id}/files"
    assert names(world, path, file_name="*.XLSX") == ["Budget - final - 2026-03-01 v2.xlsx", "budget.xlsx"]
    assert names(world, path, file_name="budget*") == [
        "Budget - final - 2026-03-01 v2.xlsx",
        "Budget.csv",
        "budget.xlsx",
    ]
    assert names(world, path, file_name="n?tes.txt") == ["notes.txt"]
    assert names(world, path, file_name="budget") == names(world, path, file_name="budget*")  # a substring
    assert names(world, path, file_size_min=150, file_size_max=1500) == ["Budget.csv", "budget.xlsx"]
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages", file_size_min=2000)] == [
        "Budget v2"
    ]


def test_a_download_link_works_without_a_signature_and_only_as_given(world, attachments):
    account_id, files = attachments
    content = f"accounts/{account_id}/files/{files['notes.txt']['file_id']}/content"
    answer = world.get(content, as_link=1)
    assert answer.mimetype == "text/uri-list"
    link = answer.get_data(as_text=True)
    assert link.startswith("http://localhost/2.0/files/download/") and "\n" not in link
    downloaded = world.app.test_client().get(link.removeprefix("http://localhost"))  # no OAuth at all
    assert downloaded.status_code == 200 and downloaded.data == b"n" * 100
    assert world.app.test_client().get(link.removeprefix("http://localhost") + "x").status_code == 404
