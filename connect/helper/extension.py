"""``Connect``: the helper as a Flask extension a host app embeds.

The host brings its own users (``user_loader`` returns the signed-in user's id, or None),
its own templates (ours are looked up by name under ``connect/``, after the host's own) and
its settings. The helper maps each user to one account in the sources API.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from .. import storage
from ..callbacks.receiver import EXTENSION as RECEIVER
from ..callbacks.receiver import CallbackReceiver
from ..web import assets
from ..web import google_oauth as oauth
from ..web.web_safety import limit_form_posts
from . import pages

BROWSER_USER = "connect_user"


def browser_session_user() -> str:
    """Every browser is its own user: for a site without accounts, like the reference app."""
    if BROWSER_USER not in session:
        session[BROWSER_USER] = secrets.token_hex(16)
    return session[BROWSER_USER]


class _SecureWhenHttps(SecureCookieSessionInterface):
    """Session cookies marked Secure whenever the request came over https (behind a TLS proxy too)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


class Connect:
    def __init__(
        self,
        app: Flask | None = None,
        *,
        user_loader: Callable[[], str | None] = browser_session_user,
        login_url: str | None = None,
    ) -> None:
        self.user_loader = user_loader
        self.login_url = login_url
        self.google = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default is to send none
            app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
        if type(app.session_interface) is SecureCookieSessionInterface:
            app.session_interface = _SecureWhenHttps()
        storage.init_app(app)
        assets.init_app(app)
        if RECEIVER not in app.extensions:
            CallbackReceiver(app)
        self.google = oauth.register_google(app)
        app.extensions["connect"] = self
        app.register_blueprint(pages.bp)
        limit_form_posts(app, "connect.imap_form")

    def load_user(self) -> str | None:
        user = self.user_loader()
        return None if user is None else str(user)
