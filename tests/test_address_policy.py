"""One address policy for every outbound connection: IMAP servers and callback URLs alike."""

from __future__ import annotations

import pytest

from connect.domain.address_policy import AddressPolicy, AddressRefused, normalise_hostname
from connect.domain.errors import InvalidParameter

STRICT = AddressPolicy(allow_private=False)
LENIENT = AddressPolicy(allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/cb",
        "http://localhost/cb",
        "http://10.1.2.3/cb",
        "http://192.168.0.4/cb",
        "http://[::1]:5000/cb",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/cb",
        "http://2130706433/cb",  # 127.0.0.1 in decimal
        "http://0x7f000001/cb",  # in hex
        "http://0177.0.0.1/cb",  # in octal
        "http://127.1/cb",  # shortened
        "http://[::ffff:127.0.0.1]/cb",  # IPv4-mapped IPv6
        "http://[::ffff:a9fe:a9fe]/cb",  # 169.254.169.254, mapped and in hex
        "http://[2002:7f00:1::]/cb",  # 6to4 around loopback
        "http://[64:ff9b::a00:1]/cb",  # NAT64 around 10.0.0.1
        "http://100.64.0.1/cb",  # carrier-grade NAT
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_in_every_spelling(url):
    with pytest.raises(AddressRefused, match="private, loopback or link-local"):
        STRICT.check_url(url)
    assert LENIENT.check_url(url) == url


def test_a_public_address_is_accepted_and_is_the_one_connected_to():
    assert STRICT.check_url("https://93.184.216.34/hooks/sync")
    assert STRICT.connect_address("93.184.216.34", 993) == "93.184.216.34"


def test_the_connection_goes_to_the_address_that_was_checked():
    assert LENIENT.connect_address("localhost", 993) in {"127.0.0.1", "::1"}
    assert LENIENT.connect_address("0x7f000001", 993) == "127.0.0.1"


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
        STRICT.check_url(url)


def test_an_unresolvable_host_is_refused_with_its_name():
    with pytest.raises(AddressRefused, match="cannot be resolved"):
        STRICT.check_host("no-such-host.invalid", 993, "server")


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("IMAP.Example.COM", "imap.example.com"),
        ("imap.example.com.", "imap.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("[::1]", "::1"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_server_names_are_normalised(given, normalised):
    assert normalise_hostname(given) == normalised


@pytest.mark.parametrize(
    "bad",
    ["imap..example.com", "-imap.example.com", "imap_example.com", "a" * 64 + ".com", "ex ample.com", "."],
)
def test_malformed_server_names_are_refused(bad):
    with pytest.raises(InvalidParameter, match="not a valid host name"):
        normalise_hostname(bad)
