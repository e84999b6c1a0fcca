"""The Google OAuth 2.0 dance (Authlib), yielding what a Gmail source needs: a verified email
address and a refresh token that carries the mail scope.

Everything that can go wrong on the way back from Google becomes a ``DanceFailure`` with a
title and an explanation for the person at the browser, never an exception page: a denied
consent, a state that does not match this browser, no refresh token, the mail box unticked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, Response, request

logger = logging.getLogger("connect.web.google_oauth")


@dataclass(frozen=True)
class GoogleGrant:
    email: str
    refresh_token: str


MAIL_SCOPE = "https://mail.google.com/"
SCOPES = f"openid email {MAIL_SCOPE}"


@dataclass
class DanceFailure(Exception):
    title: str
    explanation: str


def google_client(
    oauth: OAuth, name: str, client_id: str, client_secret: str, metadata_url: str
) -> FlaskOAuth2App:
    """The Authlib client for one Google OAuth app (registered once per name)."""
    client = oauth.create_client(name)
    if client is None:
        oauth.register(
            name,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=metadata_url,
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": 20},
        )
        client = oauth.create_client(name)
    return client


REGISTRY = "connect.oauth"


def registry(app: Flask) -> OAuth:
    """Connect's own Authlib registry, kept under Connect's own extension key: a host that
    uses Authlib keeps its ``OAuth`` (``OAuth(app)`` would replace the host's)."""
    found = app.extensions.get(REGISTRY)
    if found is None:
        found = app.extensions[REGISTRY] = OAuth()
        found.app = app  # what init_app sets, without taking the host's extension key
    return found


def register_google(app: Flask) -> FlaskOAuth2App | None:
    """The helper's Google client, or None when ``GOOGLE_CLIENT_ID`` is not set."""
    if not (app.config.get("GOOGLE_CLIENT_ID") and app.config.get("GOOGLE_CLIENT_SECRET")):
        return None
    return google_client(
        registry(app),
        "google",
        app.config["GOOGLE_CLIENT_ID"],
        app.config["GOOGLE_CLIENT_SECRET"],
        app.config["GOOGLE_SERVER_METADATA_URL"],
    )


def start(client: FlaskOAuth2App, redirect_uri: str, login_hint: str | None = None) -> Response:
    extra = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    if login_hint:
        extra["login_hint"] = login_hint
    try:
        return client.authorize_redirect(redirect_uri, **extra)
    except (requests.RequestException, AuthlibBaseError, ValueError, KeyError) as error:
        logger.warning("Google's discovery document could not be read: %s", error)
        raise DanceFailure(
            "Google can't be reached right now",
            "We couldn't start signing in with Google. Try again in a minute.",
        ) from None


def finish(client: FlaskOAuth2App) -> GoogleGrant:
    if request.args.get("error"):
        raise _refusal(request.args["error"], request.args.get("error_description"))
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        raise DanceFailure(
            "This sign-in doesn't match your browser",
            "We couldn't match Google's answer to the sign-in you started here. This happens when "
            "cookies are blocked, or the sign-in was started in another browser or tab. Try again.",
        ) from None
    except OAuthError as error:
        raise _refusal(error.error, error.description) from None
    except (requests.RequestException, AuthlibBaseError, ValueError, KeyError) as error:
        logger.warning("Google sign-in could not be completed: %s", error)
        raise DanceFailure(
            "Google sign-in didn't complete", "Something went wrong talking to Google. Try again."
        ) from None

    userinfo = token.get("userinfo") or {}
    email = userinfo.get("email")
    if not email or not userinfo.get("email_verified"):
        revoke(client, token)
        raise DanceFailure(
            "Google didn't confirm your address",
            "Google didn't tell us a verified email address for this account.",
        )
    if MAIL_SCOPE not in set((token.get("scope") or "").split()):
        revoke(client, token)
        raise DanceFailure(
            "Mail access wasn't allowed",
            "To sync your mailbox we need the permission to read and manage your mail. Try again and leave "
            "“Read, compose, send and delete your email” ticked.",
        )
    if not token.get("refresh_token"):
        revoke(client, token)
        raise DanceFailure(
            "Google didn't grant lasting access",
            "Google didn't give us the access we need to keep your mailbox in sync. Try again.",
        )
    return GoogleGrant(email=email, refresh_token=token["refresh_token"])


def revoke(client: FlaskOAuth2App, token: dict) -> None:
    """Give back a grant we won't use, so the user's Google account doesn't keep it."""
    value = token.get("refresh_token") or token.get("access_token")
    try:
        endpoint = client.load_server_metadata().get("revocation_endpoint")
        if endpoint and value:
            requests.post(endpoint, data={"token": value}, timeout=10)
    except (requests.RequestException, AuthlibBaseError, ValueError) as error:
        logger.warning("revoking an unused Google grant failed: %s", error)


def _refusal(error: str, description: str | None) -> DanceFailure:
    if error == "access_denied":
        return DanceFailure(
            "You didn't allow access",
            "Google says access was not allowed, so nothing was connected. Try again?",
        )
    return DanceFailure("Google refused the sign-in", f"Google answered: {description or error}.")
