"""End users in a real browser: Connect Gmail (approve, deny, untick mail), the IMAP form,
live status from Syncing to Synced after the real sync and the real signed callback,
reconnect after a revoked grant, remove."""

from __future__ import annotations

import re

import pytest
from flask import Flask, request
from playwright.sync_api import expect, sync_playwright

from app import create_app
from connect import storage
from connect.domain import clients
from connect.domain.crypto import Vault
from connect.helper.client import SourcesClient
from connect.sync.worker import Worker
from tests import browser
from tests.dovecot import GMAIL_ALL_MAIL, message
from tests.oauth_provider import ServerThread
from tests.servers import free_port, gunicorn
from tests.sql import run_sql

SECRET_KEY = "browser-test-secret-key"
expect.set_options(timeout=15_000)  # generous for a loaded CI machine; passing tests don't wait for it


class Site:
    def __init__(self, base_url: str, config: dict, database: str) -> None:
        self.base_url = base_url
        self.database = database
        self.app = create_app({**config, "CONNECT_DATABASE": database})

    def sync(self) -> None:
        """One pass of the sync worker: syncs what is due, delivers the callbacks."""
        Worker(self.app).run_pending()

    def sync_again(self, email: str) -> None:
        """Queue a sync of that mailbox (as POST …/sync would) and run it."""
        [source] = run_sql(self.database, "SELECT id FROM sources WHERE email = :email", email=email)
        storage.queue_sync(self.app.extensions[storage.EXTENSION], source["id"], "requested", 0)
        self.sync()

    def api(self) -> SourcesClient:
        """The sources API, as the API client whose keys the site's helper uses."""
        return SourcesClient(
            f"{self.base_url}/2.0",
            self.app.config["CONTEXTIO_CONSUMER_KEY"],
            self.app.config["CONTEXTIO_CONSUMER_SECRET"],
        )

    def sources(self) -> list[dict]:
        return run_sql(self.database, "SELECT label, email, status, authentication_type FROM sources")


@pytest.fixture(scope="module")
def site(tmp_path_factory, dovecot, oauth_provider, test_ca):
    folder = tmp_path_factory.mktemp("site")
    database = str(folder / "connect.sqlite3")
    connection = storage.open_database(database)
    keys = clients.create_client(connection, Vault(SECRET_KEY), "the site's helper")
    connection.close()
    port = free_port()
    config = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "CONTEXTIO_API_URL": f"http://127.0.0.1:{port}/2.0",
        "CONTEXTIO_CONSUMER_KEY": keys.consumer_key,
        "CONTEXTIO_CONSUMER_SECRET": keys.consumer_secret,
        "GOOGLE_CLIENT_ID": oauth_provider.client_id,
        "GOOGLE_CLIENT_SECRET": oauth_provider.client_secret,
        "GOOGLE_SERVER_METADATA_URL": oauth_provider.metadata_url,
        "GMAIL_IMAP_HOST": "localhost",
        "GMAIL_IMAP_PORT": str(dovecot.imaps_port),
        "CONNECT_ALLOW_PRIVATE_CALLBACKS": "1",
    }
    environment = {**config, "CONNECT_DATABASE": database, "SSL_CERT_FILE": str(test_ca.ca_file)}
    log = folder / "gunicorn.log"
    with gunicorn(environment, log, port=port) as base_url:
        yield Site(base_url, config, database)
    assert "Traceback" not in log.read_text(), f"the site failed a request; see {log}"


@pytest.fixture(scope="module")
def chromium():
    if not browser.available():
        pytest.fail(f"Chromium is not installed at {browser.CHROMIUM}: run `make test`, which installs it")
    with sync_playwright() as playwright:
        instance = browser.launch(playwright)
        yield instance
        instance.close()


@pytest.fixture
def page(chromium):
    """A new browser profile per test: a new end user."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def gmail_user(dovecot, mailbox_user):
    user = mailbox_user(folders=(GMAIL_ALL_MAIL,))
    for number in range(3):
        dovecot.deliver(user, message(f"Gmail message {number}"), folder=GMAIL_ALL_MAIL)
    return user


def consent(page, email: str | None = None, *, decision: str = "approve", untick_mail: bool = False) -> None:
    expect(page.locator("h1")).to_have_text("Test Google: allow access?")
    if email is not None:
        page.fill("#email", email)
    if untick_mail:
        page.uncheck("input[value='https://mail.google.com/']")
    page.click(f"#{decision}")


def submit_imap_form(page, email: str, password: str, port: int) -> None:
    """Fill the IMAP form with manual settings for the test Dovecot (TLS) and send it."""
    page.fill("#email", email)
    page.fill("#password", password)
    page.select_option("#provider", "other")
    page.fill("#server", "127.0.0.1")
    page.fill("#port", str(port))
    page.click("button[type=submit]")


def mailbox(page, email: str):
    return page.locator(".mailbox", has=page.locator(".mailbox__email", has_text=email))


def test_connect_gmail_syncs_and_turns_synced_without_a_reload(site, page, gmail_user, oauth_provider):
    page.goto(f"{site.base_url}/connect/")
    browser.screenshot(page, "01-no-mailboxes")
    page.click("text=Connect Gmail")
    consent(page, gmail_user)

    expect(page.locator(".notice")).to_contain_text(f"{gmail_user} is connected")
    expect(mailbox(page, gmail_user).locator("[data-role=state]")).to_have_text("Syncing…")
    browser.screenshot(page, "02-gmail-syncing")
    asked = oauth_provider.authorize_requests[-1]
    assert asked["access_type"] == "offline" and asked["prompt"] == "consent"
    assert asked["code_challenge_method"] == "S256" and asked["include_granted_scopes"] == "true"
    assert set(asked["scope"].split()) == {"openid", "email", "https://mail.google.com/"}

    site.sync()  # the real IMAP sync (XOAUTH2 against Dovecot), then the signed callback

    expect(mailbox(page, gmail_user).locator("[data-role=state]")).to_have_text("Synced (3 messages)")
    expect(mailbox(page, gmail_user).locator("[data-role=reconnect]")).to_be_hidden()
    browser.screenshot(page, "03-gmail-synced")
    [source] = [s for s in site.sources() if s["email"] == gmail_user]
    assert (source["status"], source["authentication_type"]) == ("OK", "oauth2")


def test_connecting_the_same_gmail_again_updates_it(site, page, gmail_user, oauth_provider):
    for _ in range(2):
        page.goto(f"{site.base_url}/connect/")
        page.click("text=Connect Gmail")
        consent(page, gmail_user)
        expect(page.locator(".notice")).to_contain_text("is connected")
    assert len([s for s in site.sources() if s["email"] == gmail_user]) == 1
    expect(page.locator(".mailbox")).to_have_count(1)


def test_a_denied_consent_explains_and_offers_a_retry(site, page, gmail_user):
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect Gmail")
    consent(page, gmail_user, decision="deny")

    expect(page.locator("h1")).to_have_text("You didn't allow access")
    expect(page.get_by_role("link", name="Try again")).to_have_attribute("href", "/connect/google")
    browser.screenshot(page, "04-gmail-denied")
    assert not [s for s in site.sources() if s["email"] == gmail_user]


def test_unticking_mail_access_is_explained_and_the_grant_revoked(site, page, gmail_user, oauth_provider):
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect Gmail")
    consent(page, gmail_user, untick_mail=True)

    expect(page.locator("h1")).to_have_text("Mail access wasn't allowed")
    browser.screenshot(page, "05-gmail-partial-scope")
    assert oauth_provider.grant_of(gmail_user) == []  # the partial grant was given back
    assert not [s for s in site.sources() if s["email"] == gmail_user]


def test_a_state_that_does_not_match_this_browser_is_explained(site, page):
    page.goto(f"{site.base_url}/connect/google/callback?code=forged&state=not-ours")
    expect(page.locator("h1")).to_have_text("This sign-in doesn't match your browser")


def test_the_imap_form_says_wrong_password_then_connects(site, page, dovecot, mailbox_user):
    user = mailbox_user()
    dovecot.deliver(user, message("IMAP hello"))
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect another mailbox (IMAP)")

    submit_imap_form(page, user, "not the password", dovecot.imaps_port)
    expect(page.locator("#form-error")).to_contain_text("refused that email and password")
    browser.screenshot(page, "06-imap-wrong-password")
    submit_imap_form(page, user, dovecot.users[user], dovecot.imaps_port)
    expect(mailbox(page, user).locator("[data-role=state]")).to_have_text("Syncing…")
    site.sync()
    expect(mailbox(page, user).locator("[data-role=state]")).to_have_text("Synced (1 message)")
    browser.screenshot(page, "07-imap-synced")


def test_the_imap_form_says_when_the_server_cannot_be_reached(site, page, mailbox_user):
    page.goto(f"{site.base_url}/connect/imap")
    submit_imap_form(page, mailbox_user(), "whatever", free_port())
    expect(page.locator("#form-error")).to_contain_text("couldn't sign in to an IMAP server at 127.0.0.1")


def test_reconnect_after_the_refresh_token_is_revoked(site, page, gmail_user, oauth_provider):
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect Gmail")
    consent(page, gmail_user)
    site.sync()
    expect(mailbox(page, gmail_user).locator("[data-role=state]")).to_contain_text("Synced")

    for token in oauth_provider.grant_of(gmail_user):
        oauth_provider.revoke(token)
    site.sync_again(gmail_user)
    assert [s["status"] for s in site.sources() if s["email"] == gmail_user] == ["INVALID_CREDENTIALS"]

    # No reload: the status callback reaches the helper's receiver, and the page's next
    # look (every 3 s) sees it.
    state = mailbox(page, gmail_user).locator("[data-role=state]")
    expect(state).to_contain_text("refused our sign-in", timeout=8000)
    reconnect = mailbox(page, gmail_user).locator("[data-role=reconnect]")
    expect(reconnect).to_be_visible()
    browser.screenshot(page, "08-gmail-broken")
    reconnect.click()
    expect(page.locator("#email")).to_have_value(gmail_user)  # login_hint
    consent(page)

    expect(page.locator(".notice")).to_contain_text("is connected")
    site.sync()
    expect(state).to_contain_text("Synced")
    assert [s["status"] for s in site.sources() if s["email"] == gmail_user] == ["OK"]
    browser.screenshot(page, "09-gmail-reconnected")


def test_reconnecting_as_another_address_is_refused(site, page, gmail_user, mailbox_user, oauth_provider):
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect Gmail")
    consent(page, gmail_user)
    mailbox(page, gmail_user).locator("[data-role=reconnect]").evaluate("link => link.hidden = false")
    mailbox(page, gmail_user).locator("[data-role=reconnect]").click()
    someone_else = mailbox_user(folders=(GMAIL_ALL_MAIL,))
    consent(page, someone_else)

    expect(page.locator("main")).to_contain_text(f"You signed in to Google as {someone_else}")
    assert oauth_provider.grant_of(someone_else) == []
    assert not [s for s in site.sources() if s["email"] == someone_else]


def test_a_mailbox_is_removed_once_the_user_confirms(site, page, gmail_user):
    page.goto(f"{site.base_url}/connect/")
    page.click("text=Connect Gmail")
    consent(page, gmail_user)
    mailbox(page, gmail_user).get_by_role("link", name=f"Remove {gmail_user}").click()
    expect(page.locator("h1")).to_have_text(f"Remove {gmail_user}?")
    assert browser.accessibility_violations(page) == []
    page.get_by_role("link", name="Keep it").click()
    expect(mailbox(page, gmail_user)).to_have_count(1)

    mailbox(page, gmail_user).get_by_role("link", name=f"Remove {gmail_user}").click()
    page.get_by_role("button", name=f"Remove {gmail_user}").click()
    expect(page.locator(".notice")).to_contain_text(f"{gmail_user} was removed")
    expect(page.locator(".mailbox")).to_have_count(0)


def test_the_essentials_work_without_javascript(site, chromium, dovecot, mailbox_user):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    user = mailbox_user()
    page.goto(f"{site.base_url}/connect/imap")
    submit_imap_form(page, user, dovecot.users[user], dovecot.imaps_port)
    expect(mailbox(page, user).locator("[data-role=state]")).to_have_text("Syncing…")
    site.sync()
    page.reload()
    expect(mailbox(page, user).locator("[data-role=state]")).to_have_text("Synced (0 messages)")
    context.close()


def test_forms_need_their_csrf_token(site, page):
    page.goto(f"{site.base_url}/connect/")
    answer = page.request.post(
        f"{site.base_url}/connect/imap", form={"email": "x@example.com", "password": "p"}
    )
    assert answer.status == 400
    assert "This form has expired" in answer.text()


def test_session_cookies_are_httponly_and_lax(site, page):
    page.goto(f"{site.base_url}/connect/")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "session"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"


def test_the_page_fits_a_phone(site, chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site.base_url}/connect/")
    width = page.evaluate("document.documentElement.scrollWidth")
    browser.screenshot(page, "10-phone")
    context.close()
    assert width <= 360


@pytest.fixture(scope="module")
def client_app():
    """The API client's own site, where the browser returns after a connect token is used."""
    app = Flask("client-app")
    app.add_url_rule(
        "/back", "back", lambda: f"<h1>Back at the app</h1><p>{request.query_string.decode()}</p>"
    )
    port = free_port()
    server = ServerThread(app, port).start()
    yield f"http://127.0.0.1:{port}/back"
    server.stop()


def test_a_connect_token_connects_an_imap_mailbox_and_returns(site, page, dovecot, mailbox_user, client_app):
    api = site.api()
    created = api.create_connect_token(client_app, first_name="Ann")
    user = mailbox_user()

    page.goto(created["browser_redirect_url"])
    expect(page.locator("h1")).to_contain_text("Connect your mailbox to")
    browser.screenshot(page, "11-connect-token")
    submit_imap_form(page, user, dovecot.users[user], dovecot.imaps_port)

    page.wait_for_url(re.compile(r"/back\?contextio_token="))
    expect(page.locator("p")).to_have_text(f"contextio_token={created['token']}")
    token = api.get_connect_token(created["token"])
    assert token["used"] > 0 and token["expires"] is False
    assert token["account"]["first_name"] == "Ann"
    assert [s["email"] for s in token["account"]["sources"]] == [user]
    page.goto(created["browser_redirect_url"])
    expect(page.locator("h1")).to_have_text("This link was already used")


def test_a_connect_token_connects_gmail_with_the_clients_google_app(
    site, page, gmail_user, oauth_provider, client_app
):
    api = site.api()
    api.add_oauth_provider("GMAIL_OAUTH2", oauth_provider.client_id, oauth_provider.client_secret)
    account_id = api.create_account("host-user@example.com")["id"]
    created = api.create_connect_token(client_app, account_id=account_id, email=gmail_user)

    page.goto(created["browser_redirect_url"])
    page.click("text=Connect Gmail")
    consent(page)  # login_hint carries the token's email

    page.wait_for_url(re.compile(r"/back\?contextio_token="))
    [source] = api.get_connect_token(created["token"], account_id)["account"]["sources"]
    assert (source["email"], source["authentication_type"]) == (gmail_user, "oauth2")


def test_every_page_passes_axe_in_light_and_dark(site, page, dovecot, mailbox_user, client_app):
    pages = {}

    def check(name: str) -> None:
        pages[name] = browser.accessibility_violations(page)

    page.goto(f"{site.base_url}/connect/")
    check("no mailbox yet")
    page.goto(f"{site.base_url}/connect/imap")
    check("the IMAP form")
    user = mailbox_user()
    submit_imap_form(page, user, "wrong", dovecot.imaps_port)
    expect(page.locator(".error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "form-error")
    expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")
    check("the IMAP form with an error")
    submit_imap_form(page, user, dovecot.users[user], dovecot.imaps_port)
    expect(page.locator(".mailbox")).to_have_count(1)
    check("a mailbox syncing")
    page.goto(f"{site.base_url}/connect/google/callback?state=forged&code=x")
    check("a problem")
    page.goto(site.api().create_connect_token(client_app)["browser_redirect_url"])
    check("the hosted connect-token page")
    page.goto(f"{site.base_url}/connect/token/no-such-token")
    check("an unknown connect token")

    assert {name: found for name, found in pages.items() if found} == {}
