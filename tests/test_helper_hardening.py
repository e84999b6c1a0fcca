"""The helper's public pages refuse hostile input politely and give nothing away."""

from __future__ import annotations

import re
import socket
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from tests.conftest import app_config
from tests.servers import free_port


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def helper(tmp_path, **config):
    app = create_app(app_config(tmp_path, CONNECT_ALLOW_PRIVATE_CALLBACKS=True, **config))
    browser = app.test_client()
    token = csrf_of(browser.get("/connect/imap").get_data(as_text=True))
    return app, browser, token


def post_form(browser, token, **fields):
    return browser.post("/connect/imap", data={"csrf_token": token, "provider": "other", **fields})


def test_pages_carry_a_content_security_policy_and_no_sniffing(tmp_path):
    _, browser, _ = helper(tmp_path)
    for path in ("/connect/", "/connect/imap", "/connect/token/no-such-token"):
        headers = browser.get(path).headers
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"], path
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_a_host_names_the_origins_that_may_frame_the_pages(tmp_path):
    _, browser, _ = helper(tmp_path, CONNECT_FRAME_ANCESTORS="https://app.example.com")
    policy = browser.get("/connect/").headers["Content-Security-Policy"]
    assert "frame-ancestors https://app.example.com" in policy


def test_an_oversized_form_is_refused_before_it_is_read(tmp_path):
    _, browser, token = helper(tmp_path)
    answer = post_form(browser, token, email="a@example.com", password="x" * 100_000)
    assert answer.status_code == 413
    assert "too much" in answer.get_data(as_text=True)


def test_login_attempts_from_one_address_are_rate_limited(tmp_path):
    _, browser, token = helper(tmp_path, CONNECT_FORM_RATE_LIMIT="2/minute")
    port = free_port()
    answers = [
        post_form(browser, token, email="a@example.com", password="pw", server="127.0.0.1", port=str(port))
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert "Too many attempts" in answers[2].get_data(as_text=True)
    assert answers[2].headers["Retry-After"]


def test_the_form_cannot_tell_an_open_port_from_a_closed_one(tmp_path):
    banner = socket.create_server(("127.0.0.1", 0))

    def speak_http() -> None:
        while True:
            try:
                connection, _ = banner.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: internal-admin-7.3\r\n\r\n")

    threading.Thread(target=speak_http, daemon=True).start()
    _, browser, token = helper(tmp_path)
    fields = {"email": "a@example.com", "password": "pw", "server": "127.0.0.1", "security": "plain"}

    open_port = post_form(browser, token, port=str(banner.getsockname()[1]), **fields)
    closed_port = post_form(browser, token, port=str(free_port()), **fields)
    banner.close()

    def error(answer) -> str:
        text = re.search(r'id="form-error"[^>]*>(.*?)</div>', answer.get_data(as_text=True), re.S).group(1)
        return re.sub(r"port \d+", "port N", text)

    assert open_port.status_code == closed_port.status_code == 400
    assert error(open_port) == error(closed_port)
    assert "internal-admin" not in open_port.get_data(as_text=True)


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    return helper(tmp_path_factory.mktemp("hardened"), CONNECT_FORM_RATE_LIMIT="100000/minute")


field_text = st.text(st.characters(codec="utf-8"), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=field_text | st.emails(),
    password=field_text,
    username=field_text,
    server=st.sampled_from(["", "imap..example.com", "ex ample", "127.0.0.1", "[::1]", "bücher.invalid"])
    | field_text,
    port=field_text | st.integers(-(10**30), 10**30).map(str),
    security=field_text,
    provider=st.sampled_from(["", "other", "gmail.com", "nope"]) | field_text,
)
def test_whatever_the_form_receives_the_answer_is_never_a_server_error(
    hardened, email, password, username, server, port, security, provider
):
    _, browser, token = hardened
    answer = browser.post(
        "/connect/imap",
        data={
            "csrf_token": token,
            "email": email,
            "password": password,
            "username": username,
            "server": server,
            "port": port,
            "security": security,
            "provider": provider,
        },
    )
    assert answer.status_code in (302, 400), answer.get_data(as_text=True)[:500]
