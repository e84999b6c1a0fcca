"""The URLs the app hands out — callback URLs, OAuth redirect URIs, connect-token links — built
from ``CONNECT_PUBLIC_URL`` when the app sits behind a proxy that doesn't say where it is, and
from the request otherwise."""

from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    public = current_app.config.get("CONNECT_PUBLIC_URL")
    if not public:
        return url_for(endpoint, _external=True, **values)
    return public.rstrip("/") + url_for(endpoint, **values)
