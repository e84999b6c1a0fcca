"""Callback URLs the server will POST to: http(s) only, and public unless allowed."""

from __future__ import annotations

import pytest

from connect.callback_urls import check_callback_url
from connect.errors import InvalidParameter


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/cb",
        "http://localhost/cb",
        "http://10.1.2.3/cb",
        "http://192.168.0.4/cb",
        "http://[::1]:5000/cb",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(url):
    with pytest.raises(InvalidParameter, match="private or loopback"):
        check_callback_url(url, allow_private=False)
    assert check_callback_url(url, allow_private=True) == url


def test_a_public_address_is_accepted():
    assert check_callback_url("https://93.184.216.34/hooks/sync", allow_private=False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.216.34/x", "absolute http"),
        ("//93.184.216.34/x", "absolute http"),
        ("http://", "absolute http"),
        ("http://93.184.216.34:99999/x", "not a valid URL"),
        ("https://me:pw@93.184.216.34/x", "credentials"),
    ],
)
def test_malformed_urls_are_named(url, message):
    with pytest.raises(InvalidParameter, match=message):
        check_callback_url(url, allow_private=False)
