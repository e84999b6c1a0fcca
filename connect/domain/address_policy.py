"""Where the server may open connections on somebody else's say-so.

An API client chooses its sources' IMAP servers and its callback URLs, and an anonymous end
user chooses the server in the IMAP forms; the server then connects there. Left unchecked that
lets them make it reach its own loopback or private network. One rule covers every outbound
connection — the IMAP ``server`` (API, helper form, hosted form, worker, live fetch) and every
callback URL: unless ``CONNECT_ALLOW_PRIVATE_CALLBACKS``, each address a host resolves to must
be public. Alternative spellings (``2130706433``, ``0x7f000001``, ``::ffff:127.0.0.1``) are
caught because the check runs on what the resolver made of them, not on the text.

The name is resolved once and the connection goes to the address that was checked, so a DNS
answer that changes between the check and the connect (rebinding) changes nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InvalidParameter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class AddressRefused(InvalidParameter):
    """The host is not one the server may connect to, or cannot be resolved."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool
    # The app's own public origin (CONNECT_PUBLIC_URL): its own callbacks are never "private".
    own_origins: frozenset[str] = frozenset()

    def connect_address(self, host: str, port: int, what: str = "the server", scheme: str = "") -> str:
        """The one address to connect to for ``host``, checked; AddressRefused says why not."""
        addresses = resolve(host, port, what)
        if not self.allow_private and not self._own(scheme, host, port):
            for address in addresses:
                if not is_public(address):
                    raise AddressRefused(
                        f"{what} points at a private, loopback or link-local address, which is not allowed"
                    )
        return str(addresses[0])

    def check_host(self, host: str, port: int, what: str, scheme: str = "") -> None:
        """Refuse a host at the door (API, forms); the connection checks again when it is made."""
        if not self.allow_private:
            self.connect_address(host, port, what, scheme)

    def check_url(self, url: str, parameter: str = "callback_url") -> str:
        """An absolute http(s) URL without credentials whose host passes the rule."""
        host, port = url_host(url, parameter)
        self.check_host(host, port, parameter, urlsplit(url).scheme)
        return url

    def _own(self, scheme: str, host: str, port: int) -> bool:
        return bool(scheme) and f"{scheme}://{host.lower()}:{port}" in self.own_origins


def origin(url: str) -> str:
    """scheme://host:port, with the port spelled out, to compare two URLs' origins."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def address_policy(app) -> AddressPolicy:
    """The app's policy, from ``CONNECT_ALLOW_PRIVATE_CALLBACKS`` and ``CONNECT_PUBLIC_URL``."""
    public = app.config.get("CONNECT_PUBLIC_URL")
    own = frozenset({origin(public)}) if public else frozenset()
    return AddressPolicy(bool(app.config.get("CONNECT_ALLOW_PRIVATE_CALLBACKS")), own)


def url_host(url: str, parameter: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidParameter(f"{parameter} is not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidParameter(f"{parameter} must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise InvalidParameter(f"{parameter} must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def normalise_hostname(value: str, parameter: str = "server") -> str:
    """A host name (IDNA-encoded when it is not ASCII) or an IP address; InvalidParameter when
    the text can't be either, so a typo is a 400 at the API rather than a failed sync later."""
    text = value.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    try:
        ascii_name = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidParameter(f"{parameter} is not a valid host name") from None
    labels = ascii_name.split(".")
    if not text or len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidParameter(f"{parameter} is not a valid host name")
    return ascii_name


def resolve(host: str, port: int, what: str) -> list[IPAddress]:
    """Every address the name stands for, in the resolver's order of preference."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(f"{what}'s host {host!r} cannot be resolved") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused(f"{what}'s host {host!r} cannot be resolved")
    return addresses


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast, looking through IPv6 forms that embed an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return is_public(embedded)
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast
