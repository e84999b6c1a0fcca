"""Which URLs the server may POST to on an API client's behalf.

A callback URL is chosen by whoever holds an API key, and the server fetches it: left
unchecked, that is a way to make the server call its own loopback or private network. So a
URL must be absolute http(s), and — unless ``CONNECT_ALLOW_PRIVATE_CALLBACKS`` — every
address its host resolves to must be public.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import InvalidParameter


def check_callback_url(url: str, *, allow_private: bool, parameter: str = "callback_url") -> str:
    """The URL itself when acceptable; otherwise InvalidParameter saying why."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidParameter(f"{parameter} is not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidParameter(f"{parameter} must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise InvalidParameter(f"{parameter} must not carry credentials")
    if not allow_private:
        for address in _addresses(
            parts.hostname, port or (443 if parts.scheme == "https" else 80), parameter
        ):
            if not address.is_global:
                raise InvalidParameter(
                    f"{parameter} points at a private or loopback address ({address}), which is not allowed"
                )
    return url


def _addresses(host: str, port: int, parameter: str) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InvalidParameter(f"{parameter}'s host {host!r} cannot be resolved") from None
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
