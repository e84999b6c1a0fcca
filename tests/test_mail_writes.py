"""Writes to the mail itself: done on the IMAP server (checked there with a session of our
own), and shown by the very next read, not the next sync."""

from __future__ import annotations

import pytest

from tests.dovecot import message


@pytest.fixture
def mailbox(world, dovecot, mailbox_user):
    user = mailbox_user(folders=("Sent", "Archive"))
    dovecot.deliver(user, message("Keep", message_id="<keep@x>"), flags="")
    dovecot.deliver(user, message("Drop", message_id="<drop@x>"))
    account_id = world.add_account(user)
    label = world.add_source(account_id, user)
    world.sync()
    ids = {m["subject"]: m["message_id"] for m in world.api(f"accounts/{account_id}/messages")}
    return account_id, label, user, ids


def server_flags(dovecot, user: str, folder: str = "INBOX") -> dict[str, set]:
    with dovecot.imap(user) as session:
        session.select_folder(folder)
        fetched = session.fetch(session.search(), ["FLAGS", "ENVELOPE"])
        return {
            data[b"ENVELOPE"].subject.decode(): set(data[b"FLAGS"]) - {b"\\Recent"}
            for data in fetched.values()
        }


def test_flags_are_set_on_the_server_and_read_back(world, dovecot, mailbox):
    account_id, _, user, ids = mailbox
    path = f"/2.0/accounts/{account_id}/messages/{ids['Keep']}/flags"
    answer = world.signed("POST", path, seen=1, flagged=1, nonjunk=1)
    assert answer.status_code == 200 and answer.json["success"] is True
    assert answer.json["flags"] == {
        "seen": True, "answered": False, "flagged": True, "deleted": False, "draft": False, "nonjunk": True,
    }  # fmt: skip
    assert {b"\\Seen", b"\\Flagged", b"$NotJunk"} <= server_flags(dovecot, user)["Keep"]
    indexed = world.api(f"accounts/{account_id}/messages/{ids['Keep']}", include_flags=1)["flags"]
    assert indexed["flagged"] is True  # the index shows it at once
    world.signed("POST", path, flagged=0)
    assert b"\\Flagged" not in server_flags(dovecot, user)["Keep"]
    assert world.signed("POST", path).json["flags"]["seen"] is True  # no flag named: nothing changes


def test_a_deleted_message_is_gone_from_the_server_and_the_index_and_others_stay(world, dovecot, mailbox):
    account_id, _, user, ids = mailbox
    assert world.signed("DELETE", f"/2.0/accounts/{account_id}/messages/{ids['Drop']}/").json == {
        "success": True
    }
    assert list(server_flags(dovecot, user)) == ["Keep"]
    assert [m["subject"] for m in world.api(f"accounts/{account_id}/messages")] == ["Keep"]
    assert world.signed("DELETE", f"/2.0/accounts/{account_id}/messages/{ids['Drop']}").status_code == 404


def test_a_message_is_added_to_a_folder_with_its_flags(world, dovecot, mailbox):
    account_id, _, user, _ = mailbox
    raw = message("Filed by the API").decode()
    answer = world.signed(
        "POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Archive", message=raw, flag_seen=1
    )
    assert answer.json == {"success": True}
    assert server_flags(dovecot, user, "Archive") == {"Filed by the API": {b"\\Seen"}}
    [filed] = world.api(f"accounts/{account_id}/messages", folder="Archive")
    assert filed["subject"] == "Filed by the API"
    assert (
        world.signed(
            "POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Nowhere", message=raw
        ).status_code
        == 404
    )
    assert (
        world.signed("POST", f"/2.0/accounts/{account_id}/messages", dst_folder="Archive").status_code == 400
    )


def test_folders_are_created_and_deleted_on_the_server(world, dovecot, mailbox):
    account_id, label, user, _ = mailbox
    base = f"/2.0/accounts/{account_id}/sources/{label}/folders"
    assert world.signed("PUT", f"{base}/Projects.Beta", delim=".").json == {"success": True}
    assert world.signed("PUT", f"{base}/Projects.Beta", delim=".").json == {"success": True}  # idempotent
    with dovecot.imap(user) as session:
        assert session.folder_exists("Projects/Beta")
    assert (
        world.api(f"accounts/{account_id}/sources/{label}/folders/Projects/Beta")["name"] == "Projects/Beta"
    )

    assert world.signed("DELETE", f"{base}/Archive").json == {"success": True}
    with dovecot.imap(user) as session:
        assert not session.folder_exists("Archive")
    assert world.get(f"accounts/{account_id}/sources/{label}/folders/Archive").status_code == 404
    assert world.signed("DELETE", f"{base}/INBOX").status_code == 400
    assert world.signed("DELETE", f"{base}/Nowhere").status_code == 404


def subjects_in(dovecot, user: str, folder: str) -> list[str]:
    return sorted(server_flags(dovecot, user, folder))


def test_a_message_is_copied_and_moved_within_its_source_and_to_another(
    world, dovecot, mailbox_user, mailbox
):
    account_id, _, user, ids = mailbox
    path = f"/2.0/accounts/{account_id}/messages"
    assert world.signed("POST", f"{path}/{ids['Keep']}", dst_folder="Archive", flag_flagged=1).json == {
        "success": True
    }
    assert subjects_in(dovecot, user, "INBOX") == ["Drop", "Keep"]
    assert server_flags(dovecot, user, "Archive") == {"Keep": {b"\\Flagged"}}
    folders = world.api(f"accounts/{account_id}/messages/{ids['Keep']}")["folders"]
    assert sorted(folders) == ["Archive", "INBOX"]  # one message, in two folders, at once

    assert world.signed("POST", f"{path}/{ids['Drop']}", dst_folder="\\Sent", move=1).json == {
        "success": True
    }
    assert subjects_in(dovecot, user, "INBOX") == ["Keep"] and subjects_in(dovecot, user, "Sent") == ["Drop"]
    assert world.api(f"accounts/{account_id}/messages/{ids['Drop']}")["folders"] == ["Sent"]

    other = mailbox_user(folders=("Archive",))
    other_label = world.add_source(account_id, other)
    world.sync()
    copied = world.signed("POST", f"{path}/{ids['Keep']}", dst_folder="Archive", dst_source=other_label)
    assert copied.json == {"success": True}
    assert subjects_in(dovecot, other, "Archive") == ["Keep"]
    assert world.signed("POST", f"{path}/{ids['Keep']}", dst_folder="Nowhere").status_code == 404
    assert world.signed("POST", f"{path}/{ids['Keep']}").status_code == 400


def test_a_messages_folders_are_added_removed_and_set(world, dovecot, mailbox):
    account_id, _, user, ids = mailbox
    path = f"/2.0/accounts/{account_id}/messages/{ids['Keep']}/folders"
    assert world.signed("POST", path, **{"add[]": "Archive"}).json == {"success": True}
    assert subjects_in(dovecot, user, "Archive") == ["Keep"]
    assert world.signed("POST", path, remove="Archive").json == {"success": True}
    assert subjects_in(dovecot, user, "Archive") == []
    assert world.signed("POST", path).status_code == 400

    assert world.signed_json("PUT", path, [{"name": "Archive"}, {"symbolic_name": "\\Sent"}]).json == {
        "success": True
    }
    assert (subjects_in(dovecot, user, "INBOX"), subjects_in(dovecot, user, "Sent")) == (["Drop"], ["Keep"])
    assert subjects_in(dovecot, user, "Archive") == ["Keep"]
    assert sorted(world.api(f"accounts/{account_id}/messages/{ids['Keep']}")["folders"]) == [
        "Archive",
        "Sent",
    ]
    assert world.signed_json("PUT", path, []).status_code == 400  # an empty set would delete it
    assert world.signed("PUT", path).status_code == 400
