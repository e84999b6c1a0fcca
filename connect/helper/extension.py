"""``Connect``: the helper as a Flask extension a host app embeds.

The host brings its own users (a user loader returns the signed-in user's id, or None), its
own templates (ours are looked up by name under ``connect/``, after the host's own) and its
settings. The helper maps each user to one account in the sources API. It leaves the host's
state alone: no session interface swapped, no cookie setting changed, its Authlib registry
under its own key.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, session

from .. import storage
from ..callbacks.receiver import EXTENSION as RECEIVER
from ..callbacks.receiver import CallbackReceiver
from ..config import ConfigError, apply_defaults, warn_when_serving
from ..web import assets
from ..web import google_oauth as oauth
from ..web.web_safety import limit_form_posts
from . import pages

logger = logging.getLogger(__name__)

BROWSER_USER = "connect_user"
EXTENSION = "connect"
OWN_API = "connect.api"
# What the helper reads from app.config; the host names those it needs, the rest get defaults.
SETTINGS = (
    "CONNECT_DATABASE",
    "CONTEXTIO_API_URL",
    "CONTEXTIO_CONSUMER_KEY",
    "CONTEXTIO_CONSUMER_SECRET",
    "CONTEXTIO_CALLBACK_SECRETS",
    "CONTEXTIO_CALLBACK_TOLERANCE",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_SERVER_METADATA_URL",
    "GMAIL_IMAP_HOST",
    "GMAIL_IMAP_PORT",
    "CONNECT_ALLOW_PRIVATE_CALLBACKS",
    "CONNECT_FRAME_ANCESTORS",
    "CONNECT_FORM_RATE_LIMIT",
    "CONNECT_RATE_LIMIT_STORAGE",
    "CONNECT_PUBLIC_URL",
)

F = TypeVar("F", bound=Callable[..., Any])


def browser_session_user() -> str:
    """Every browser is its own user: for a site without accounts, like the reference app."""
    if BROWSER_USER not in session:
        session[BROWSER_USER] = secrets.token_hex(16)
    return session[BROWSER_USER]


class Connect:
    """``Connect(app)`` or ``connect = Connect()`` then ``connect.init_app(app)``.

    ``user_loader`` (or the ``@connect.user_loader`` decorator) returns the signed-in user's
    id, or None. A signed-out visitor is sent to ``login_url`` (a path or an endpoint name)
    with ``next``, or answered by the ``@connect.unauthorized_handler``.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        user_loader: Callable[[], Any] | None = None,
        login_url: str | None = None,
    ) -> None:
        self._user_loader = user_loader
        self._unauthorized: Callable[[], Any] | None = None
        self.login_url = login_url
        self.google = None
        if app is not None:
            self.init_app(app)

    def user_loader(self, loader: F) -> F:
        """Decorate the function that returns the signed-in user's id (or None)."""
        self._user_loader = loader
        return loader

    def unauthorized_handler(self, handler: F) -> F:
        """Decorate the view that answers a signed-out visitor (instead of ``login_url``)."""
        self._unauthorized = handler
        return handler

    def init_app(self, app: Flask) -> None:
        apply_defaults(app, SETTINGS)
        _check_settings(app)
        _check_cookies(app)
        storage.init_app(app)
        assets.init_app(app)
        if RECEIVER not in app.extensions:
            CallbackReceiver(app)
        self.google = oauth.register_google(app)
        app.extensions[EXTENSION] = self
        app.register_blueprint(pages.bp)
        limit_form_posts(app, "connect.imap_form")

    def load_user(self) -> str | None:
        loader = self._user_loader or browser_session_user
        user = loader()
        return None if user is None else str(user)

    def unauthorized(self) -> Response | None:
        """The host's answer to a signed-out visitor, when it gave one."""
        return None if self._unauthorized is None else self._unauthorized()

    def user_for_account(self, account_id: str) -> str | None:
        """The host's user id behind an account of the sources API (for a ``sync_completed``
        handler, say); None for an account the helper didn't make. Needs an app context."""
        return storage.helper_user(storage.get_db(), account_id)


def _check_settings(app: Flask) -> None:
    """Refuse to start without what the first end user's click would need."""
    config = app.config
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is required: the helper's sessions and forms are signed with it.")
    if config.get("CONTEXTIO_API_URL"):
        missing = [
            name for name in ("CONTEXTIO_CONSUMER_KEY", "CONTEXTIO_CONSUMER_SECRET") if not config.get(name)
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} required with CONTEXTIO_API_URL: the helper signs its "
                "requests to the sources API with an API client's key and secret."
            )
    elif OWN_API not in app.extensions:
        raise ConfigError(
            "CONTEXTIO_API_URL is required: the sources API the helper registers mailboxes with "
            "(or serve the API in this app: SourcesAPI(app) before Connect(app))."
        )
    if bool(config.get("GOOGLE_CLIENT_ID")) != bool(config.get("GOOGLE_CLIENT_SECRET")):
        raise ConfigError("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together: set both, or neither.")


def _check_cookies(app: Flask) -> None:
    """The browser comes back from Google on a cross-site redirect: a ``Strict`` session cookie
    isn't sent with it, and the OAuth state it carries is lost."""
    if str(app.config.get("SESSION_COOKIE_SAMESITE") or "").lower() == "strict" and app.config.get(
        "GOOGLE_CLIENT_ID"
    ):
        warn_when_serving(
            app,
            "SESSION_COOKIE_SAMESITE is Strict: the session cookie isn't sent when Google sends the "
            "browser back, so Connect Gmail will fail with a state mismatch. Use Lax.",
        )
