"""Context.IO's official Python client (contextio 1.12), with only url_base changed, against
the app under gunicorn."""

from __future__ import annotations

import urllib.request
import warnings

import pytest

from tests.conftest import imap_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # it imports pkg_resources
    from contextio.lib.app import App
    from contextio.lib.errors import RequestError
    from contextio.lib.resources.account import Account
    from contextio.lib.resources.source import Source
    from contextio.lib.v2_0 import V2_0


@pytest.fixture
def contextio(api_server):
    keys = api_server.new_client("official client")
    return V2_0(keys.consumer_key, keys.consumer_secret, url_base=api_server.base_url)


def synced_account(contextio, api_server, dovecot, user: str):
    """An account with the user's Dovecot mailbox as its source, created by the client and synced."""
    account = contextio.post_account(
        email=user, server="127.0.0.1", username=user, port=dovecot.imaps_port, use_ssl=1, type="IMAP",
        password=dovecot.users[user],
    )  # fmt: skip
    api_server.sync()
    return account


def test_accounts_and_sources_through_the_official_client(contextio):
    account = contextio.post_account(email="alice@example.com", first_name="Alice", **imap_settings())
    assert account.id

    [listed] = contextio.get_accounts()
    assert listed.id == account.id
    assert listed.get() is True
    assert listed.first_name == "Alice"
    assert listed.email_addresses == ["alice@example.com"]

    [source] = listed.get_sources()
    assert source.label
    assert source.status == "OK"
    assert source.get() is True
    assert (source.server, source.port, source.use_ssl) == ("imap.example.com", 993, True)

    second = listed.post_source(email="alice@example.com", **imap_settings(server="imap2.example.com"))
    assert isinstance(second, Source)
    assert second.get() is True
    assert second.server == "imap2.example.com"
    assert [s.label for s in listed.get_sources()] == [source.label, second.label]

    assert second.post(status=1) is True
    assert listed.post(last_name="Liddell") is True
    assert listed.get() and listed.last_name == "Liddell"

    assert second.delete() is True
    assert [s.label for s in listed.get_sources()] == [source.label]

    assert source.label in listed.get_sync()
    assert listed.post_sync()["success"] is True
    assert source.get_sync()[source.label]["initial_import_finished"] is False

    assert listed.delete() is True
    assert contextio.get_accounts() == []


def test_oauth_providers_and_oauth2_sources_through_the_official_client(contextio):
    answer = contextio.post_oauth_provider(
        type="GMAIL_OAUTH2", provider_consumer_key="42.apps.example.com", provider_consumer_secret="shh"
    )
    assert answer["success"] is True
    [provider] = contextio.get_oauth_providers()
    assert provider.provider_consumer_key == "42.apps.example.com"
    assert provider.provider_consumer_secret is None

    account = contextio.post_account(
        email="gina@gmail.com",
        **imap_settings(
            server="imap.gmail.com",
            username="gina@gmail.com",
            password=None,
            provider_refresh_token="1//refresh",
            provider_consumer_key="42.apps.example.com",
        ),
    )
    account.get()
    [source] = account.get_sources()
    assert source.get() is True
    with pytest.raises(RequestError) as conflict:
        provider.delete()
    assert conflict.value.response.status_code == 409
    assert source.delete() is True
    assert provider.delete() is True


def test_connect_tokens_through_the_official_client(contextio, api_server):
    created = contextio.post_connect_token(callback_url="http://127.0.0.1:9/done")
    assert created["browser_redirect_url"].startswith(api_server.base_url)
    [token] = contextio.get_connect_tokens()
    assert token.token == created["token"]
    assert contextio.get_connect_tokens(token=created["token"])["callback_url"] == "http://127.0.0.1:9/done"
    assert token.delete() is True

    account = contextio.post_account(email="tom@example.com")
    scoped = account.post_connect_token(callback_url="http://127.0.0.1:9/more")
    assert [t.token for t in account.get_connect_tokens()] == [scoped["token"]]


def test_discovery_through_the_official_client(contextio):
    found = contextio.get_discovery(email="someone@gmail.com")
    assert found.found is True
    assert found.imap["server"] == "imap.gmail.com"


def test_a_wrong_secret_is_401_through_the_official_client(api_server):
    keys = api_server.new_client("victim")
    impostor = V2_0(keys.consumer_key, "not-the-secret", url_base=api_server.base_url)
    with pytest.raises(RequestError) as refused:
        impostor.get_accounts()
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["type"] == "error"


def test_another_clients_account_is_404_through_the_official_client(contextio, api_server):
    account = contextio.post_account(email="private@example.com")
    other_keys = api_server.new_client("other official client")
    other = V2_0(other_keys.consumer_key, other_keys.consumer_secret, url_base=api_server.base_url)
    with pytest.raises(RequestError) as missing:
        Account(other, {"id": account.id}).get()
    assert missing.value.response.status_code == 404


def test_the_app_level_status_callback_url_through_the_official_client(api_server):
    keys = api_server.new_client("official client, app level")
    app = App(keys.consumer_key, keys.consumer_secret, api_version="app", url_base=api_server.base_url)
    url = "http://127.0.0.1:9/status"  # private addresses are allowed on the test server

    assert app.post_status_callback_url(status_callback_url=url) == {"success": True}
    assert sorted(app.get_status_callback_url()) == ["resource_url", "status_callback_url"]
    assert app.delete_status_callback_url() == {"success": True}


def test_webhooks_through_the_official_client(contextio):
    account = contextio.post_account(email="hooks@example.com")
    url = "http://127.0.0.1:9/hook"  # private addresses are allowed on the test server
    hook = account.post_webhook(callback_url=url, failure_notif_url=url + "/failed", filter_subject="invoice")
    assert hook.webhook_id

    [listed] = account.get_webhooks()
    assert listed.webhook_id == hook.webhook_id
    assert hook.get() is True
    assert (hook.callback_url, hook.filter_subject, hook.active, hook.failure) == (
        url,
        "invoice",
        True,
        False,
    )
    assert hook.post(active=0, receive_all_changes=1) is True
    assert hook.get() and hook.active is False and hook.receive_all_changes is True
    assert hook.delete() is True
    assert account.get_webhooks() == []

    created = contextio.post_webhook(callback_url=url, failure_notif_url=url, receive_historical=1)
    assert created["success"] is True and created["webhook_id"]
    [app_level] = contextio.get_webhooks()
    assert app_level.get() is True
    assert (app_level.webhook_id, app_level.receive_historical, app_level.version) == (
        created["webhook_id"], True, "2.0",
    )  # fmt: skip
    assert app_level.delete() is True


def test_threads_and_contacts_through_the_official_client(contextio, api_server, dovecot, mailbox_user):
    from contextio.lib.resources.thread import Thread

    from tests.dovecot import message

    user = mailbox_user()
    dovecot.deliver(user, message("Plans", message_id="<plans@threads.example>", date=1_700_000_000))
    reply = {"In-Reply-To": "<plans@threads.example>", "References": "<plans@threads.example>"}
    dovecot.deliver(user, message("Re: Plans", headers=reply, date=1_700_000_100))
    account = synced_account(contextio, api_server, dovecot, user)

    [listed] = account.get_threads()  # Thread.get itself is a client bug (a TypeError): not sent
    newest = account.get_messages()[0]
    found = newest.get_thread()
    assert isinstance(found, Thread) and [m.subject for m in found.messages] == ["Plans", "Re: Plans"]
    assert found.subject == "Re: Plans"  # the client overwrites it with the asking message's
    assert found.folders == ["INBOX"] and len(found.email_message_ids) == 2
    assert found.gmail_thread_id == listed.gmail_thread_id

    contacts = {contact.email: contact for contact in account.get_contacts()}
    assert sorted(contacts) == ["owner@example.com", "sender@example.com"]  # never the account's own
    sender = contacts["sender@example.com"]
    assert sender.count == 2
    assert sender.get() is True and sender.received_count == 2
    assert [m.subject for m in sender.get_messages()] == ["Re: Plans", "Plans"]
    assert sender.get_files() == [] and len(sender.get_threads()) == 1


def test_email_addresses_through_the_official_client(contextio):
    account = contextio.post_account(email="main@example.com")
    alias = account.post_email_address(email_address="alias@example.com")
    assert alias.email == "alias@example.com"
    assert [(a.email, a.primary) for a in account.get_email_addresses()] == [
        ("main@example.com", 1), ("alias@example.com", 0),
    ]  # fmt: skip
    assert alias.get() is True and alias.validated > 0
    assert alias.post(primary=1) is True  # the client sends a bare POST: taken as "make primary"
    assert [(a.email, a.primary) for a in account.get_email_addresses()] == [
        ("alias@example.com", 1), ("main@example.com", 0),
    ]  # fmt: skip
    assert account.get() and account.email_addresses[:2] == ["alias@example.com", "main@example.com"]
    with pytest.raises(RequestError) as refused:
        alias.delete()  # the primary address stays
    assert refused.value.response.status_code == 409
    [old] = [a for a in account.get_email_addresses() if a.email == "main@example.com"]
    assert old.delete() is True
    assert [a.email for a in account.get_email_addresses()] == ["alias@example.com"]


def test_a_message_is_posted_through_the_official_client(contextio, api_server, dovecot, mailbox_user):
    """The client sends multipart/form-data with no boundary and a url-encoded body (§0)."""
    from tests.dovecot import message

    user = mailbox_user(folders=("Archive",))
    account = synced_account(contextio, api_server, dovecot, user)
    [source] = account.get_sources()
    raw = message("Posted by the official client").decode()
    assert account.post_message(dst_source=source.label, dst_folder="Archive", message=raw, flag_seen=1)
    with dovecot.imap(user) as session:
        session.select_folder("Archive")
        [(_, data)] = session.fetch(session.search(), ["ENVELOPE", "FLAGS"]).items()
    assert data[b"ENVELOPE"].subject == b"Posted by the official client" and b"\\Seen" in data[b"FLAGS"]


def test_messages_files_and_folders_through_the_official_client(contextio, api_server, dovecot, mailbox_user):
    """Every message, file and folder call the client sends, against one synced mailbox; each
    write checked on the server with an independent session."""
    from contextio.lib.resources.file import File
    from contextio.lib.resources.folder import Folder

    from tests.dovecot import message

    user = mailbox_user(folders=("Archive", "Projects/Alpha"))
    report = [("report.pdf", "application/pdf", b"%PDF-1.4 first")]
    dovecot.deliver(
        user, message("Report", sender="Ann <ann@example.com>", attachments=report, date=1_700_000_000)
    )
    dovecot.deliver(
        user,
        message(
            "Report v2",
            sender="ann@example.com",
            date=1_700_000_500,
            attachments=[("report.pdf", "application/pdf", b"%PDF-1.4 second")],
        ),
    )
    dovecot.deliver(
        user, message("Plans", sender="bob@example.org", date=1_700_001_000), folder="Projects/Alpha"
    )
    account = synced_account(contextio, api_server, dovecot, user)
    [source] = account.get_sources()

    folders = {folder.name: folder for folder in source.get_folders(include_extended_counts=1)}
    assert {"INBOX", "Archive", "Projects/Alpha"} <= set(folders)
    alpha = folders["Projects/Alpha"]
    assert isinstance(alpha, Folder) and alpha.get() is True and alpha.nb_messages == 1
    assert [m.subject for m in alpha.get_messages()] == ["Plans"]
    created = Folder(source, {"name": "Projects/Beta"})
    assert created.put() is True
    with dovecot.imap(user) as session:
        assert session.folder_exists("Projects/Beta")
    assert created.delete() is True
    with dovecot.imap(user) as session:
        assert not session.folder_exists("Projects/Beta")

    from_ann = account.get_messages(from_="ann@example.com", include_flags=1, include_body=1)
    assert sorted(m.subject for m in from_ann) == ["Report", "Report v2"]
    assert all(m.flags["seen"] and m.body for m in from_ann)
    messages = {m.subject: m for m in account.get_messages()}
    report = messages["Report"]
    assert report.get(include_body=1, include_headers=1, include_flags=1) is True
    assert report.flags["seen"] and not report.flags["flagged"]
    assert [part["type"] for part in report.body] == ["text/plain"]
    [plain] = report.get_body(type="text/plain")
    assert plain["type"] == "text/plain" and plain["body_section"]
    assert report.get_headers()["Subject"] == ["Report"]
    assert "Subject: Report" in report.get_source()
    assert [f["name"] for f in report.get_folders()] == ["INBOX"]

    assert report.post_flag(flagged=1) is True and report.flags["flagged"]
    assert report.get_flags()["flagged"]
    with dovecot.imap(user) as session:
        session.select_folder("INBOX")
        [uid] = session.search(["SUBJECT", "Report", "NOT", "SUBJECT", "v2"])
        assert b"\\Flagged" in session.get_flags([uid])[uid]

    for refused in (
        lambda: report.post_folder(add="Archive"),
        lambda: report.put_folders('[{"name": "INBOX"}]'),
    ):
        with pytest.raises(RequestError) as error:
            refused()  # the client drops its own arguments (§0): a 400 naming what is missing
        assert error.value.response.status_code == 400
    assert report.post(dst_folder="Archive") is True
    assert sorted(f["name"] for f in report.get_folders()) == ["Archive", "INBOX"]
    assert messages["Plans"].post(dst_folder="Archive", move=1) is True
    assert [f["name"] for f in messages["Plans"].get_folders()] == ["Archive"]
    with dovecot.imap(user) as session:
        session.select_folder("Archive")
        assert len(session.search()) == 2
        session.select_folder("Projects/Alpha")
        assert session.search() == []

    files = account.get_files(file_name="report.pdf")
    assert len(files) == 2 and all(isinstance(f, File) for f in files)
    first = next(f for f in files if f.subject == "Report")
    assert first.get() is True and first.file_name == "report.pdf"
    assert first.get_content() == "%PDF-1.4 first"  # the client hands text content over decoded
    link = first.get_content(download_link=True)
    with urllib.request.urlopen(link.strip()) as download:  # signed in the link itself, no OAuth
        assert download.read() == b"%PDF-1.4 first"
    assert [f.subject for f in first.get_related()] == ["Report v2"]

    v2 = messages["Report v2"]
    assert v2.delete() is True
    with dovecot.imap(user) as session:
        session.select_folder("INBOX")
        assert session.search(["SUBJECT", "Report v2"]) == []
    assert "Report v2" not in [m.subject for m in account.get_messages()]
