"""The reference host: the whole Connect app, ready to run (``make run``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, has_request_context, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from connect import Connect, browser_session_user, storage
from connect.api import SourcesAPI
from connect.config import load_settings, start_or_explain
from connect.web import health
from connect.web.json_provider import FastJSONProvider
from connect.web.proxies import trust_proxies

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class SecureWhenHttps(SecureCookieSessionInterface):
    """Session cookies marked Secure whenever the request came over https (behind a TLS proxy too)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Callbacks and API calls carry no cookie: a new, empty session needs no signer (which
        # Flask builds again on every request).
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    return start_or_explain(__name__, lambda: _assemble(config))


def _assemble(config: Mapping[str, Any] | None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # The browser returns from Google on a cross-site redirect: the session cookie must go with it.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SecureWhenHttps()
    app.json = FastJSONProvider(app)
    load_settings(app, config)
    trust_proxies(app, app.config["CONNECT_TRUSTED_PROXIES"])
    storage.init_app(app)
    SourcesAPI(app)
    Connect(app, user_loader=browser_session_user)  # a site without accounts: each browser is a user
    app.register_blueprint(health.bp)
    app.add_url_rule("/", "home", lambda: redirect(url_for("connect.index")))
    return app
