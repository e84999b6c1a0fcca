"""Which ``X-Forwarded-*`` headers to believe: those of ``CONNECT_TRUSTED_PROXIES`` proxies, no more.

The headers decide the scheme and host of every URL the app signs or hands out (OAuth redirect
URIs, callback URLs, the OAuth 1.0a base string) and whether cookies are Secure, so a client
that forges them must not be believed. With trusted proxies, werkzeug's ProxyFix takes the
last N hops. Without, the headers are dropped, and so is whatever a server in front of the app
already made of them: gunicorn, by default, takes ``X-Forwarded-Proto`` from any loopback peer.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]
FORWARDED = ("HTTP_X_FORWARDED_", "HTTP_FORWARDED", "HTTP_X_FORWARDED")


class IgnoreForwardedHeaders:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        for name in [name for name in environ if name.startswith(FORWARDED)]:
            del environ[name]
        sock = environ.get("gunicorn.socket")
        if sock is not None:  # the scheme the client really used, not one a header claimed
            environ["wsgi.url_scheme"] = "https" if isinstance(sock, ssl.SSLSocket) else "http"
        return self.app(environ, start_response)


def trust_proxies(app: Flask, count: int) -> None:
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_prefix=count)
    else:
        app.wsgi_app = IgnoreForwardedHeaders(app.wsgi_app)
