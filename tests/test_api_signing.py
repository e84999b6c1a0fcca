"""Every /2.0 request is OAuth 1.0a signed (RFC 5849): header or query string, fresh, once."""

from __future__ import annotations

import time

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY, Client

from app import create_app
from tests.conftest import API_SECRET_KEY, app_config


@pytest.fixture
def keys(api_server):
    return api_server.new_client()


def signed(keys, method, url, *, body=None, secret=None, signature_type="AUTH_HEADER", **client_options):
    client = Client(
        keys.consumer_key,
        client_secret=secret or keys.consumer_secret,
        signature_type=signature_type,
        **client_options,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    return client.sign(url, http_method=method, body=body, headers=headers)


def send(method, signed_request):
    uri, headers, body = signed_request
    return requests.request(method, uri, headers=headers, data=body, timeout=10)


def test_a_header_signed_request_is_answered(api_server, keys):
    answer = send("GET", signed(keys, "GET", f"{api_server.api_url}/accounts"))
    assert (answer.status_code, answer.json()) == (200, [])


def test_a_query_string_signed_request_is_answered(api_server, keys):
    request = signed(
        keys, "GET", f"{api_server.api_url}/accounts?limit=5", signature_type=SIGNATURE_TYPE_QUERY
    )
    assert "oauth_signature=" in request[0]
    assert send("GET", request).status_code == 200


def test_a_signed_form_post_is_answered(api_server, keys):
    request = signed(keys, "POST", f"{api_server.api_url}/accounts", body="email=zoe%40example.com&body=")
    answer = send("POST", request)
    assert answer.status_code == 200
    assert answer.json()["success"] is True


def test_hmac_sha256_signatures_are_accepted(api_server, keys):
    request = signed(keys, "GET", f"{api_server.api_url}/accounts", signature_method="HMAC-SHA256")
    assert send("GET", request).status_code == 200


def refused(answer, reason):
    assert answer.status_code == 401
    assert answer.json()["type"] == "error"
    assert reason in answer.json()["value"]


def test_an_unsigned_request_is_refused(api_server):
    refused(requests.get(f"{api_server.api_url}/accounts", timeout=10), "not signed")


def test_a_tampered_parameter_is_refused(api_server, keys):
    uri, headers, body = signed(
        keys, "POST", f"{api_server.api_url}/accounts", body="email=zoe%40example.com"
    )
    answer = requests.post(uri, headers=headers, data="email=mallory%40example.com", timeout=10)
    refused(answer, "invalid consumer key or signature")


def test_a_wrong_secret_is_refused(api_server, keys):
    refused(send("GET", signed(keys, "GET", f"{api_server.api_url}/accounts", secret="guess")), "signature")


def test_an_unknown_consumer_is_refused(api_server, keys):
    client = Client("f" * 24, client_secret=keys.consumer_secret)
    uri, headers, _ = client.sign(f"{api_server.api_url}/accounts")
    refused(requests.get(uri, headers=headers, timeout=10), "invalid consumer key or signature")


def test_a_stale_timestamp_is_refused(api_server, keys):
    stale = str(int(time.time()) - 301)
    refused(send("GET", signed(keys, "GET", f"{api_server.api_url}/accounts", timestamp=stale)), "5 minutes")


def test_a_replayed_nonce_is_refused(api_server, keys):
    request = signed(keys, "GET", f"{api_server.api_url}/accounts", nonce="replayed0nonce0123456789")
    assert send("GET", request).status_code == 200
    refused(send("GET", request), "oauth_nonce was already used")


def test_a_malformed_authorization_header_is_refused(api_server):
    answer = requests.get(
        f"{api_server.api_url}/accounts", headers={"Authorization": "OAuth garbage"}, timeout=10
    )
    refused(answer, "malformed")


def test_the_same_nonce_of_another_client_is_its_own(api_server, keys):
    other = api_server.new_client("other")
    nonce = "shared0nonce0abcdefghijkl"
    assert send("GET", signed(keys, "GET", f"{api_server.api_url}/accounts", nonce=nonce)).status_code == 200
    assert send("GET", signed(other, "GET", f"{api_server.api_url}/accounts", nonce=nonce)).status_code == 200


def test_signatures_bind_the_public_url_behind_a_trusted_proxy(tmp_path):
    app = create_app(app_config(tmp_path, CONNECT_TRUSTED_PROXIES=1, SECRET_KEY=API_SECRET_KEY))
    with app.app_context():
        from connect import storage
        from connect.domain import clients
        from connect.domain.crypto import Vault

        keys = clients.create_client(storage.get_db(), Vault(API_SECRET_KEY), "proxied")
    public = "https://mail-api.example.com/connect/2.0/accounts"
    uri, headers, _ = Client(keys.consumer_key, client_secret=keys.consumer_secret).sign(public)
    proxy_headers = {
        **headers,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "mail-api.example.com",
        "X-Forwarded-Prefix": "/connect",
    }
    answer = app.test_client().get("/2.0/accounts", headers=proxy_headers)
    assert answer.status_code == 200, answer.json
    assert app.test_client().get("/2.0/accounts", headers=headers).status_code == 401
