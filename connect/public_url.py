"""The URLs the app hands out — callback URLs, OAuth redirect URIs, connect-token links — built
from ``CONNECT_PUBLIC_URL`` when the app sits behind a proxy that doesn't say where it is, and
from the request otherwise."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    public = current_app.config.get("CONNECT_PUBLIC_URL")
    if not public:
        return url_for(endpoint, _external=True, **values)
    return public.rstrip("/") + url_for(endpoint, **values)


def origin(url: str) -> str:
    """scheme://host:port, with the port spelled out, to compare two URLs' origins."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"
